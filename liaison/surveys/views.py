"""Pages of the training needs assessment: parse, authorise, call a service, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liaison.csp import allow_document_styles
from liaison.exchange.idempotency import idempotent_form
from liaison.languages import interface_languages
from liaison.pwa.offline import offer_offline_copy, wants_offline_copy
from liaison.registry import permissions
from liaison.registry.models import BLO, Country
from liaison.registry.permissions import Action
from liaison.registry.signed_in import current_user
from liaison.registry.versioning import StaleEdit, conflict_form
from liaison.surveys import access, services
from liaison.surveys.answer_media import media_kind
from liaison.surveys.attachments import MAX_MEDIA_BYTES, MediaRejected, media_response
from liaison.surveys.models import (
    CodedPassage,
    DrawingStatus,
    ImportBatch,
    Questionnaire,
    ReportFormat,
    Submission,
    SubmissionStatus,
    SurveyRound,
)
from liaison.surveys.pageforms import (
    CompareForm,
    ImportForm,
    QuestionnaireMediaForm,
    QuestionnaireUploadForm,
    RoundForm,
)
from liaison.surveys.webform import (
    answers_from_post,
    build_items,
    client_spec,
    error_map,
    profile_defaults,
)
from liaison.surveys.xlsform import CALCULATE, SELECT_MULTIPLE, SELECT_ONE, Form, FormError

PROGRAMME_LANGUAGES = ("vi", "en")
"""The languages a report is offered in besides the reader's own: the programme's."""


def report_languages() -> list[str]:
    """The report's languages offered on a page: the reader's, then Vietnamese and English."""
    offered = interface_languages()
    return list(
        dict.fromkeys(code for code in (_language(), *PROGRAMME_LANGUAGES) if code in offered)
    )


def _report_language(requested: str) -> str:
    """A report may be drawn in any language of the interface; the reader's otherwise."""
    offered = interface_languages()
    if requested in offered:
        return requested
    return _language() if _language() in offered else "en"


SHOWN_PROBLEMS = 200


def _language() -> str:
    return translation.get_language() or "en"


def _form_or_error(questionnaire: Questionnaire) -> Form:
    try:
        return questionnaire.form()
    except FormError as error:
        raise Http404(str(error)) from None


# --- the list of rounds ------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    rounds = (
        access.visible_rounds(user)
        .select_related("questionnaire", "country")
        .annotate(
            submitted_count=Count(
                "submissions", filter=Q(submissions__status=SubmissionStatus.SUBMITTED)
            )
        )
    )
    with_results = set(access.rounds_with_results(user).values_list("pk", flat=True))
    mine = {
        submission.round_id: submission
        for submission in permissions.visible(user, Submission).filter(respondent=user)
    }
    rows = [
        {
            "round": survey_round,
            "results": survey_round.pk in with_results,
            "submitted": survey_round.submitted_count if survey_round.pk in with_results else None,
            "mine": mine.get(survey_round.pk),
        }
        for survey_round in rounds
    ]
    return render(
        request,
        "surveys/home.html",
        {"rows": rows, "may_create": access.may_create(user), "may_compare": bool(with_results)},
    )


# --- questionnaires ----------------------------------------------------------------------------


@login_required
def questionnaires(request: HttpRequest) -> HttpResponse:
    """The questionnaires one may see, and the upload form for those who may add one."""
    user = current_user(request)
    may_create = access.may_create(user)
    if request.method == "POST" and not may_create:
        raise PermissionDenied(_("You may not upload questionnaires."))
    upload = QuestionnaireUploadForm(request.POST or None, request.FILES or None)
    form_error: FormError | None = None
    if request.method == "POST" and upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            questionnaire = services.do_upload_questionnaire(
                data=file.read(),
                file_name=file.name,
                actor=user,
                request=request,
                media=_media_files(upload.cleaned_data["media_files"]),
            )
        except FormError as error:
            form_error = error
        except ValidationError as error:
            upload.add_error("file", error)
        except MediaRejected as error:
            upload.add_error("media_files", str(error))
        else:
            messages.success(request, _("Questionnaire uploaded."))
            return redirect(questionnaire.get_absolute_url())
    listing = permissions.visible(user, Questionnaire).select_related("uploaded_by")
    return render(
        request,
        "surveys/questionnaires.html",
        {
            "questionnaires": listing,
            "upload": upload if may_create else None,
            "form_error": form_error,
        },
        status=400 if form_error is not None or upload.errors else 200,
    )


def _media_files(files: list[UploadedFile[bytes]]) -> list[tuple[str, bytes]]:
    # the browser gives the file's own name: the name the form refers to
    return [(file.name or "", bytes(file.read(MAX_MEDIA_BYTES + 1))) for file in files]


@login_required
def questionnaire(
    request: HttpRequest, pk: int, *, media_form: QuestionnaireMediaForm | None = None
) -> HttpResponse:
    user = current_user(request)
    item = access.access_questionnaire(user, pk)
    form = _form_or_error(item)
    language = _language()
    questions = [
        {
            "name": question.name,
            "type": question.type,
            "label": form.question_label(question, language),
            "group": "/".join(question.group_path),
            "relevant": question.source_expressions.get("relevant", ""),
            "constraint": question.source_expressions.get("constraint", ""),
            "required": bool(question.required),
            "knowledge": question.is_knowledge,
        }
        for question in form.questions
        if not question.is_metadata
    ]
    return render(
        request,
        "surveys/questionnaire.html",
        {
            "questionnaire": item,
            "form": form,
            "questions": questions,
            "rounds": access.visible_rounds(user).filter(questionnaire=item),
            "may_create": access.may_create(user),
            "media_files": item.media_files.all(),
            "media_form": media_form
            or (QuestionnaireMediaForm() if access.may_create(user) else None),
        },
        status=400 if media_form is not None and media_form.errors else 200,
    )


@login_required
@require_POST
def questionnaire_media(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach media files to a questionnaire (a file of the same name is replaced)."""
    user = current_user(request)
    item = access.access_questionnaire(user, pk)
    if not access.may_create(user):
        raise PermissionDenied(_("You may not change questionnaires."))
    media_form = QuestionnaireMediaForm(request.POST, request.FILES)
    if media_form.is_valid():
        try:
            services.do_attach_questionnaire_media(
                item,
                _media_files(media_form.cleaned_data["media_files"]),
                actor=user,
                request=request,
            )
        except MediaRejected as error:
            media_form.add_error("media_files", str(error))
        else:
            messages.success(request, _("Media files attached."))
            return redirect(item.get_absolute_url())
    return questionnaire(request, pk, media_form=media_form)


@login_required
@require_GET
def questionnaire_media_file(request: HttpRequest, pk: int, name: str) -> HttpResponseBase:
    """A media file of a questionnaire, for whoever sees the questionnaire."""
    item = access.access_questionnaire(current_user(request), pk)
    return media_response(item, name)


@login_required
def questionnaire_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    item = access.access_questionnaire(user, pk)
    try:
        handle = item.file.open("rb")
    except OSError:
        raise Http404(_("The questionnaire's file is missing from the server.")) from None
    return FileResponse(handle, as_attachment=True, filename=item.file_name)


# --- rounds ------------------------------------------------------------------------------------


def _round_form(
    request: HttpRequest,
    form: Form,
    *,
    survey_round: SurveyRound | None = None,
) -> RoundForm:
    user = current_user(request)
    return RoundForm(
        request.POST or None,
        form=form,
        countries=permissions.visible(user, Country),
        blos=permissions.visible(user, BLO).filter(active=True),
        survey_round=survey_round,
        language=_language(),
    )


@login_required
def round_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    item = access.access_questionnaire(user, pk)
    if not access.may_create(user):
        raise PermissionDenied(_("You may not create survey rounds."))
    form = _form_or_error(item)
    round_form = _round_form(request, form)
    if request.method == "POST" and round_form.is_valid():
        try:
            survey_round = services.do_create_round(
                item, round_form.round_data(), actor=user, request=request
            )
        except ValidationError as error:
            round_form.add_error(None, error)
        else:
            messages.success(request, _("Survey round created."))
            return redirect(survey_round.get_absolute_url())
    return render(
        request,
        "surveys/round_form.html",
        {"round_form": round_form, "questionnaire": item, "survey_round": None},
    )


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    survey_round = access.access_round(user, pk, Action.CHANGE)
    form = _form_or_error(survey_round.questionnaire)
    round_form = _round_form(request, form, survey_round=survey_round)
    conflict: StaleEdit | None = None
    if request.method == "POST" and round_form.is_valid():
        try:
            services.do_update_round(
                survey_round,
                round_form.round_data(),
                expected_version=round_form.cleaned_data["version"],
                actor=user,
                request=request,
            )
        except StaleEdit as stale:
            conflict = stale
            saved = SurveyRound.objects.get(pk=pk)
            round_form = conflict_form(
                request,
                stale,
                lambda data: RoundForm(
                    data,
                    form=form,
                    countries=permissions.visible(user, Country),
                    blos=permissions.visible(user, BLO).filter(active=True),
                    survey_round=saved,
                    language=_language(),
                ),
            )
        except ValidationError as error:
            round_form.add_error(None, error)
        else:
            messages.success(request, _("Survey round saved."))
            return redirect(survey_round.get_absolute_url())
    return render(
        request,
        "surveys/round_form.html",
        {
            "round_form": round_form,
            "questionnaire": survey_round.questionnaire,
            "survey_round": survey_round,
            "conflict": conflict,
        },
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from liaison.surveys.selectors import round_progress

    user = current_user(request)
    survey_round = access.access_round(user, pk)
    form = _form_or_error(survey_round.questionnaire)
    results = access.may_see_results(user, survey_round)
    progress = round_progress(survey_round, form=form, language=_language()) if results else None
    plan = survey_round.sample_plan(form)
    agency_minimums: list[tuple[str, int]] = []
    if plan.agency_question and form.has_question(plan.agency_question):
        question = form.question(plan.agency_question)
        agency_minimums = [
            (form.choice_label(question, name, _language()), count)
            for name, count in plan.min_per_agency.items()
        ]
    imports = (
        permissions.visible(user, ImportBatch)
        .filter(round=survey_round)
        .select_related("imported_by")
    )
    return render(
        request,
        "surveys/round.html",
        {
            "survey_round": survey_round,
            "form": form,
            "progress": progress,
            "plan": plan,
            "agency_minimums": agency_minimums,
            "sites": survey_round.sites.all().order_by("name_en"),
            "results": results,
            "may_answer": access.may_answer(user, survey_round),
            "may_change": permissions.can(user, Action.CHANGE, survey_round),
            "may_import": permissions.can(user, Action.IMPORT, survey_round),
            "mine": access.own_submission(user, survey_round),
            "imports": imports[:20],
        },
    )


# --- the questionnaire page -----------------------------------------------------------------


@login_required
@idempotent_form("surveys.fill")
def fill(request: HttpRequest, pk: int) -> HttpResponse:
    """The questionnaire of an open round, for an officer of one of its BLOs.

    Answers posted when they can no longer be taken (the round closed, the officer's post
    changed, the questionnaire already submitted — a tablet's outbox sends them late) come back
    with 409 on the page, with what was typed. The worker keeps the page for offline only as
    its copy without the officer's draft (``?offline-copy=1``)."""
    user = current_user(request)
    survey_round = access.access_round(user, pk)
    posted = request.method == "POST"
    refusal = ""
    if not access.may_answer(user, survey_round):
        if not survey_round.accepts_answers:
            refusal = _("This round does not take answers now.")
        else:
            refusal = _("The questionnaire is filled by the officers of the BLOs the round covers.")
        if not posted:
            raise PermissionDenied(refusal)
    mine = access.own_submission(user, survey_round)
    if mine is not None and not mine.is_draft:
        if not posted:
            messages.info(request, _("You have already submitted this questionnaire."))
            return redirect(mine.get_absolute_url())
        refusal = refusal or _("You have already submitted this questionnaire.")
    form = _form_or_error(survey_round.questionnaire)
    language = _language()
    errors: dict[str, str] = {}
    general: list[str] = []
    status = 200
    copy = wants_offline_copy(request)
    if posted:
        answers = answers_from_post(form, request.POST)
        submit = request.POST.get("action") == "submit"
        values = answers
        if not refusal:
            try:
                saved = services.do_save_submission(
                    survey_round,
                    answers,
                    submit=submit,
                    language=language,
                    actor=user,
                    request=request,
                )
            except services.SubmissionRejected as rejected:
                errors, general = error_map(rejected.errors)
                status = 400
            except PermissionDenied as denied:
                refusal = str(denied) or _("Your answers cannot be taken now.")
            else:
                if submit:
                    messages.success(request, _("Thank you: your answers are submitted."))
                    return redirect(survey_round.get_absolute_url())
                errors, general = error_map(saved.warnings)
                messages.success(request, _("Draft saved. You can come back to it later."))
                if not errors and not general:
                    return redirect(reverse("surveys:fill", args=[survey_round.pk]))
                values = saved.submission.answers
        if refusal:
            general = [refusal, _("Nothing was recorded; your answers are below.")]
            status = 409
    elif mine is not None and not copy:
        values = {str(key): str(value) for key, value in (mine.answers or {}).items()}
    else:
        values = profile_defaults(survey_round, form, user)
    items = build_items(form, language=language, values=values, errors=errors)
    response = render(
        request,
        "surveys/fill.html",
        {
            "survey_round": survey_round,
            "form": form,
            "items": items,
            "errors": errors,
            "general_errors": general,
            "spec": client_spec(form, language),
            "draft": None if copy or (mine is not None and not mine.is_draft) else mine,
            "title": form.title,
            "offline_copy": copy,
        },
        status=status,
    )
    return offer_offline_copy(request, response)


@login_required
def submission(request: HttpRequest, pk: int) -> HttpResponse:
    """One's own submission, read-only (programme staff read any)."""
    user = current_user(request)
    item = access.access_submission(user, pk)
    survey_round = item.round
    form = _form_or_error(survey_round.questionnaire)
    language = _language()
    answers = item.answers or {}
    # the files answering image, audio, video and file questions, by the name the answer gives
    files = {media.name: media for media in item.media.all()}
    rows = []
    for question in form.questions:
        if question.is_metadata or question.in_repeat or question.type == "note":
            continue
        value = str(answers.get(question.name, "") or "")
        if question.is_select and value:
            names = value.split() if question.type == "select_multiple" else [value]
            shown = ", ".join(form.choice_label(question, name, language) for name in names)
        else:
            shown = value
        file = files.get(value) if media_kind(question) is not None else None
        rows.append((form.question_label(question, language), shown, file))
    return render(
        request,
        "surveys/submission.html",
        {
            "submission": item,
            "survey_round": survey_round,
            "rows": rows,
            "may_change": permissions.can(user, Action.CHANGE, item),
        },
    )


# --- imports -----------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@login_required
def import_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a KoboToolbox/ODK Central export into a round (all or nothing)."""
    from liaison.surveys.imports import ExportError, ExportRejected

    user = current_user(request)
    survey_round = access.access_round(user, pk, Action.IMPORT)
    upload = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"survey_round": survey_round, "upload": upload}
    status = 200
    if request.method == "POST":
        if upload.is_valid():
            file = upload.cleaned_data["file"]
            try:
                batch = services.do_import_export(
                    survey_round,
                    file.read(),
                    file_name=file.name,
                    actor=user,
                    request=request,
                )
            except ExportRejected as rejected:
                context["message"] = str(rejected)
                context["problems"] = rejected.problems[:SHOWN_PROBLEMS]
                context["more"] = max(0, rejected.total - SHOWN_PROBLEMS)
                status = 400
            except ExportError as error:
                context["message"] = str(error)
                status = 400
            else:
                messages.success(
                    request,
                    _(
                        "%(file)s imported: %(added)s submissions added, %(skipped)s already "
                        "imported."
                    )
                    % {
                        "file": batch.file_name,
                        "added": batch.rows_added,
                        "skipped": batch.rows_skipped,
                    },
                )
                target = survey_round.get_absolute_url()
                if _wants_json(request):
                    return JsonResponse({"redirect": target})
                return redirect(target)
        else:
            status = 400
        if _wants_json(request):
            html = render_to_string("surveys/_import_problems.html", context, request=request)
            return JsonResponse({"html": html}, status=status)
    return render(request, "surveys/import.html", context, status=status)


# --- results -----------------------------------------------------------------------------------


def _results_round(request: HttpRequest, pk: int) -> SurveyRound:
    user = current_user(request)
    survey_round = access.access_round(user, pk)
    if not access.may_see_results(user, survey_round):
        raise PermissionDenied(
            _(
                "The results of a round are read by the heads of its BLOs, the national "
                "coordinator and programme staff."
            )
        )
    return survey_round


@dataclass(frozen=True)
class ChosenFilter:
    """The filter built on the results page by choosing a question and some of its answers."""

    question: str
    answers: list[str]
    question_label: str
    answer_labels: list[str]
    choices: list[tuple[str, str]]
    """Every answer of the chosen question, to choose from."""
    expression: str
    """The analysis's ``where`` for the choice (empty until an answer is chosen)."""


class FilterChoiceError(ValueError):
    pass


def filter_questions(form: Form, language: str) -> list[tuple[str, str]]:
    """The questions a filter may be built on: those asked once per respondent with a list."""
    return [
        (question.name, form.question_label(question, language))
        for question in form.questions
        if question.is_select and not question.in_repeat and question.choices
    ]


def chosen_filter(
    form: Form, question_name: str, answers: list[str], language: str
) -> ChosenFilter | None:
    """The filter for ``question_name`` answered with any of ``answers`` (names of its choices);
    :class:`FilterChoiceError` with a message a person reads when either is not the form's."""
    if not question_name:
        if answers:
            raise FilterChoiceError(_("Choose the question whose answers you chose."))
        return None
    if not form.has_question(question_name):
        raise FilterChoiceError(
            _("%(name)s is not a question of this questionnaire.") % {"name": question_name}
        )
    question = form.question(question_name)
    if not question.is_select or question.in_repeat or not question.choices:
        raise FilterChoiceError(
            _("Respondents can only be chosen by a question answered from a list.")
        )
    names = question.choice_names
    unknown = [answer for answer in answers if answer not in names]
    if unknown:
        raise FilterChoiceError(
            _("%(answer)s is not an answer of the question %(question)s.")
            % {"answer": unknown[0], "question": form.question_label(question, language)}
        )
    chosen = [name for name in names if name in answers]
    # choice names are XML names (pyxform checks them), so they need no escaping in a literal
    if question.type == SELECT_MULTIPLE:
        terms = [f"selected(${{{question.name}}}, '{name}')" for name in chosen]
    else:
        terms = [f"${{{question.name}}} = '{name}'" for name in chosen]
    return ChosenFilter(
        question=question.name,
        answers=chosen,
        question_label=form.question_label(question, language),
        answer_labels=[form.choice_label(question, name, language) for name in chosen],
        choices=[(name, form.choice_label(question, name, language)) for name in names],
        expression=" or ".join(terms),
    )


def _combined_where(typed: str, chosen: ChosenFilter | None) -> str:
    built = chosen.expression if chosen is not None else ""
    if typed and built:
        return f"({typed}) and ({built})"
    return typed or built


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's results in sections that open one at a time, with a cross-tabulation and a
    filter built by choosing a question and its answers (or typed, for those who know the
    expressions)."""
    from liaison.surveys.analysis import AnalysisError
    from liaison.surveys.presenters import repeat_sections, result_sections, score_table
    from liaison.surveys.qualitative import code_counts
    from liaison.surveys.selectors import round_result

    user = current_user(request)
    survey_round = _results_round(request, pk)
    form = _form_or_error(survey_round.questionnaire)
    language = _language()
    by = request.GET.get("by", "").strip()
    where = request.GET.get("where", "").strip()
    by_choices = [
        (question.name, form.question_label(question, language))
        for question in form.questions
        if question.type in (SELECT_ONE, CALCULATE) and not question.in_repeat
    ]
    error = ""
    try:
        chosen = chosen_filter(
            form,
            request.GET.get("question", "").strip(),
            [answer.strip() for answer in request.GET.getlist("answer") if answer.strip()],
            language,
        )
    except FilterChoiceError as problem:
        error, chosen = str(problem), None
    try:
        result = round_result(
            survey_round,
            form=form,
            by=by,
            where=_combined_where(where, chosen),
            language=language,
        )
    except AnalysisError as problem:
        error = str(problem)
        result = round_result(survey_round, form=form, language=language)
        by, where, chosen = "", "", None
    cluster_labels: dict[str, str] = {}
    cluster = survey_round.cluster_question
    if cluster and form.has_question(cluster):
        question = form.question(cluster)
        cluster_labels = {
            choice.name: form.choice_label(question, choice.name, language)
            for choice in question.choices
        }
    sections = result_sections(result, other_label=_("Other questions"))
    return render(
        request,
        "surveys/results.html",
        {
            "survey_round": survey_round,
            "result": result,
            "sections": sections,
            "repeat_sections": repeat_sections(result),
            "scores": score_table(result, cluster_labels),
            "groups": list(result["by_groups"].values()),
            "by": by,
            "where": where,
            "chosen": chosen,
            "filter_questions": filter_questions(form, language),
            "by_choices": by_choices,
            "error": error,
            "report_languages": report_languages(),
            "coding": code_counts(
                survey_round,
                permissions.visible(user, CodedPassage).filter(code__round=survey_round),
                form=form,
            ),
        },
        status=400 if error else 200,
    )


@login_required
def report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The assessment report of a round in a language of the interface. Drawing it takes seconds, so
    no request waits for it: the HTML is served once the background worker has drawn it for the
    round's data as they are (else this asks for it and leads to the drawing's progress); for
    the PDF, the page that has the worker draw it."""
    from liaison.surveys.selectors import drawn_round_report

    if fmt not in ("html", "pdf"):
        raise Http404
    survey_round = _results_round(request, pk)
    language = _report_language(request.GET.get("lang", ""))
    if fmt == "pdf":
        # drawn by the background worker: this page asks for it (see report_drawing_new)
        return _draw_page(request, survey_round, None, language)
    html = drawn_round_report(survey_round, language=language, fmt="html")
    if html is None:
        drawing = services.do_request_round_report(
            survey_round, language, actor=current_user(request), report_format=ReportFormat.HTML
        )
        if drawing.status != DrawingStatus.DONE:  # (done at once when tasks run immediately)
            return redirect("surveys:report_drawing", pk=survey_round.pk, drawing_pk=drawing.pk)
        html = bytes(drawing.content)
    return _html_report(request, survey_round, language, html)


def _html_report(
    request: HttpRequest, survey_round: SurveyRound, language: str, html: bytes
) -> HttpResponse:
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    if request.GET.get("download"):
        name = f"assessment-{survey_round.pk}-{language}"
        response["Content-Disposition"] = f'attachment; filename="{name}.html"'
    return allow_document_styles(response, html.decode("utf-8"))


def _drawing_form(
    survey_round: SurveyRound, compared_with: SurveyRound | None, language: str
) -> dict[str, Any]:
    """Where the button that asks for a PDF drawing posts, and what it sends."""
    if compared_with is None:
        return {
            "action": reverse("surveys:report_drawing_new", args=[survey_round.pk]),
            "fields": [("lang", language)],
        }
    return {
        "action": reverse("surveys:compare_drawing_new"),
        "fields": [
            ("baseline", str(survey_round.pk)),
            ("followup", str(compared_with.pk)),
            ("lang", language),
        ],
    }


def _draw_page(
    request: HttpRequest,
    survey_round: SurveyRound,
    compared_with: SurveyRound | None,
    language: str,
) -> HttpResponse:
    return render(
        request,
        "surveys/report_draw.html",
        {
            "survey_round": survey_round,
            "compared_with": compared_with,
            "language": language,
            "ask": _drawing_form(survey_round, compared_with, language),
        },
    )


@login_required
@require_POST
def report_drawing_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Have the round's PDF report drawn in the background; on to the drawing's page."""
    survey_round = _results_round(request, pk)
    language = _report_language(request.POST.get("lang", ""))
    drawing = services.do_request_round_report(survey_round, language, actor=current_user(request))
    return redirect("surveys:report_drawing", pk=survey_round.pk, drawing_pk=drawing.pk)


@login_required
def report_drawing(request: HttpRequest, pk: int, drawing_pk: int) -> HttpResponse:
    """A report's drawing: its progress (polled as JSON by the page), then its download (the
    PDF) or the report itself (the HTML)."""
    from liaison.surveys.tasks import report_drawing_progress

    drawing = access.access_report_drawing(current_user(request), pk, drawing_pk)
    progress = report_drawing_progress(drawing)
    if request.GET.get("format") == "json":
        response = JsonResponse(progress)
        response["Cache-Control"] = "no-store"
        return response
    html_report = ""
    if drawing.format == ReportFormat.HTML:
        html_report = (
            reverse("surveys:report", args=[drawing.survey_round_id, "html"])
            + f"?lang={drawing.language}"
        )
        if drawing.status == DrawingStatus.DONE:
            return redirect(html_report)
    return render(
        request,
        "surveys/report_drawing.html",
        {
            "drawing": drawing,
            "survey_round": drawing.survey_round,
            "progress": progress,
            "ask": _drawing_form(drawing.survey_round, drawing.compared_with, drawing.language),
            "html_report": html_report,
        },
    )


@login_required
def report_drawing_pdf(request: HttpRequest, pk: int, drawing_pk: int) -> HttpResponse:
    drawing = access.access_report_drawing(current_user(request), pk, drawing_pk)
    if drawing.status != DrawingStatus.DONE or drawing.format != ReportFormat.PDF:
        raise Http404
    response = HttpResponse(bytes(drawing.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{drawing.file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def compare_drawing_new(request: HttpRequest) -> HttpResponse:
    """Have the PDF comparison of two rounds drawn in the background; on to the drawing's page."""
    user = current_user(request)
    rounds = access.rounds_with_results(user).select_related("questionnaire", "country")
    if not rounds.exists():
        raise PermissionDenied(_("You may not read the results of any survey round."))
    chooser = CompareForm(request.POST, rounds=rounds)
    if not chooser.is_valid():
        context = {"chooser": chooser, "report_languages": report_languages()}
        return render(request, "surveys/compare.html", context, status=400)
    baseline: SurveyRound = chooser.cleaned_data["baseline"]
    followup: SurveyRound = chooser.cleaned_data["followup"]
    language = _report_language(request.POST.get("lang", ""))
    drawing = services.do_request_comparison_report(baseline, followup, language, actor=user)
    return redirect("surveys:report_drawing", pk=baseline.pk, drawing_pk=drawing.pk)


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    from liaison.surveys import report as reports
    from liaison.surveys.analysis import compare as compare_rounds
    from liaison.surveys.presenters import comparison_tables
    from liaison.surveys.selectors import round_frame

    user = current_user(request)
    rounds = access.rounds_with_results(user).select_related("questionnaire", "country")
    if not rounds.exists():
        raise PermissionDenied(_("You may not read the results of any survey round."))
    chooser = CompareForm(request.GET or None, rounds=rounds)
    context: dict[str, Any] = {"chooser": chooser, "report_languages": report_languages()}
    if request.GET and chooser.is_valid():
        baseline: SurveyRound = chooser.cleaned_data["baseline"]
        followup: SurveyRound = chooser.cleaned_data["followup"]
        form = _form_or_error(baseline.questionnaire)
        language = request.GET.get("lang", "") or _language()
        fmt = request.GET.get("format", "")
        if fmt == "pdf" and language in interface_languages():
            # drawn by the background worker: this page asks for it (see compare_drawing_new)
            return _draw_page(request, baseline, followup, language)
        comparison = compare_rounds(
            form, round_frame(baseline, form), round_frame(followup, form), language=language
        )
        if fmt == "html" and language in interface_languages():
            html = reports.render_comparison_html(form, comparison, language=language)
            return allow_document_styles(
                HttpResponse(html, content_type="text/html; charset=utf-8"), html
            )
        tables, scores = comparison_tables(comparison)
        context.update(
            {
                "comparison": comparison,
                "baseline": baseline,
                "followup": followup,
                "tables": tables,
                "scores": scores,
                "query": request.GET.urlencode(),
            }
        )
    return render(request, "surveys/compare.html", context)
