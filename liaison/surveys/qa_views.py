"""Pages of a round's qualitative half: the interview guide, Q&A sessions and their notes, the
codebook, and coding passages of notes and of open answers. Parse, authorise, call, render.

Everyone who reads the round's results reads these pages; programme staff write on them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison.exchange.idempotency import idempotent_form
from liaison.pwa.offline import offer_offline_copy, wants_offline_copy
from liaison.registry import permissions
from liaison.registry.models import User
from liaison.registry.signed_in import current_user
from liaison.surveys import access, services
from liaison.surveys.models import (
    CodedPassage,
    GuideQuestion,
    QASession,
    SessionKind,
    SessionNote,
    Submission,
    SubmissionStatus,
    SurveyRound,
)
from liaison.surveys.qaforms import (
    AnswerPassageForm,
    CodeForm,
    GuideQuestionForm,
    NoteForm,
    PassageForm,
    SessionForm,
)
from liaison.surveys.qualitative import code_counts, export_tables
from liaison.surveys.xlsform import TEXT, FormError
from liaison.tabular import write_csv, write_xlsx


def _language() -> str:
    return translation.get_language() or "en"


def _readable_round(user: User, pk: int) -> SurveyRound:
    survey_round = access.access_round(user, pk)
    if not access.may_see_results(user, survey_round):
        raise PermissionDenied(
            _(
                "The Q&A sessions of a round are read by the heads of its BLOs, the national "
                "coordinator and programme staff."
            )
        )
    return survey_round


def _writable_round(user: User, pk: int) -> SurveyRound:
    survey_round = _readable_round(user, pk)
    if not access.may_code(user, survey_round):
        raise PermissionDenied(_("Programme staff record Q&A sessions and code them."))
    return survey_round


def _errors_onto(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal shown on the form: on the field it names when the field is shown,
    else above the form."""
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            field = form.fields.get(name)
            shown = field is not None and not field.widget.is_hidden
            for problem in problems:
                form.add_error(name if shown else None, problem)
    else:
        for problem in error.messages:
            form.add_error(None, problem)


# --- the round's Q&A page ----------------------------------------------------------------------


def _round_page(
    request: HttpRequest,
    survey_round: SurveyRound,
    *,
    guide_form: GuideQuestionForm | None = None,
    session_form: SessionForm | None = None,
    code_form: CodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = current_user(request)
    writer = access.may_code(user, survey_round)
    passages = permissions.visible(user, CodedPassage).filter(code__round=survey_round)
    form = None
    try:
        form = survey_round.form()
    except FormError:
        form = None
    return render(
        request,
        "surveys/qa_round.html",
        {
            "survey_round": survey_round,
            "language": _language(),
            "guide": [
                {"position": q.position, "text": q.text(_language())}
                for q in survey_round.guide_questions.order_by("position")
            ],
            "sessions": access.visible_qa_sessions(user, survey_round).select_related("blo"),
            "codes": code_counts(survey_round, passages, form=form),
            "may_code": writer,
            "guide_form": guide_form or GuideQuestionForm(survey_round=survey_round),
            "session_form": session_form
            or SessionForm(survey_round=survey_round, initial={"kind": SessionKind.HEAD_OF_BLO}),
            "code_form": code_form or CodeForm(),
        },
        status=status,
    )


@login_required
@require_GET
def qa_round(request: HttpRequest, pk: int) -> HttpResponse:
    return _round_page(request, _readable_round(current_user(request), pk))


@login_required
@require_POST
def qa_guide_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    survey_round = _writable_round(user, pk)
    form = GuideQuestionForm(request.POST, survey_round=survey_round)
    if form.is_valid():
        try:
            services.do_add_guide_question(survey_round, form.texts(), actor=user, request=request)
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            return redirect(reverse("surveys:qa_round", args=[survey_round.pk]) + "#guide")
    return _round_page(request, survey_round, guide_form=form, status=400)


@login_required
@require_POST
@idempotent_form("surveys.qa_session_new")
def qa_session_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    survey_round = _writable_round(user, pk)
    form = SessionForm(request.POST, survey_round=survey_round)
    if form.is_valid():
        try:
            session = services.do_record_session(
                survey_round,
                services.SessionData(
                    held_on=form.cleaned_data["held_on"],
                    blo=form.cleaned_data["blo"],
                    kind=SessionKind(form.cleaned_data["kind"]),
                    interviewer=form.cleaned_data["interviewer"],
                    language=form.cleaned_data["language"],
                    participants=form.participant_list(),
                ),
                actor=user,
                request=request,
            )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            messages.success(request, _("The Q&A session is recorded: write its notes below."))
            return redirect(session.get_absolute_url())
    return _round_page(request, survey_round, session_form=form, status=400)


@login_required
@require_POST
def qa_code_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    survey_round = _writable_round(user, pk)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            services.do_add_code(
                survey_round,
                form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                actor=user,
                request=request,
            )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            return redirect(reverse("surveys:qa_round", args=[survey_round.pk]) + "#codebook")
    return _round_page(request, survey_round, code_form=form, status=400)


@login_required
@require_GET
def qa_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The round's codes and coded passages: CSV (the passages) or XLSX (codes and passages)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    user = current_user(request)
    survey_round = _readable_round(user, pk)
    try:
        form = survey_round.form()
    except FormError:
        form = None
    tables = export_tables(
        survey_round,
        permissions.visible(user, CodedPassage).filter(code__round=survey_round),
        form=form,
    )
    name = f"codes-{survey_round.pk}"
    if fmt == "csv":
        response = HttpResponse(write_csv(tables["passages"]), content_type="text/csv")
    else:
        response = HttpResponse(
            write_xlsx(tables),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- one session -------------------------------------------------------------------------------


def _session_page(
    request: HttpRequest,
    session: QASession,
    *,
    bound: dict[int, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The session with each guide question's notes, passages coded and (for programme staff)
    the forms; ``bound`` holds a refused form by guide question (notes) or note (coding).

    The copy a tablet keeps for offline (``?offline-copy=1``) holds no note, no passage and
    nothing about who took part: the guide's questions, with an empty notes form for each
    question that has no notes yet (notes recorded are edited online, from their text)."""
    user = current_user(request)
    survey_round = session.round
    writer = access.may_code(user, survey_round)
    bound = bound or {}
    copy = wants_offline_copy(request)
    notes = {note.question_id: note for note in session.notes.all()}
    noted: set[int] = set()
    if copy:
        noted, notes = set(notes), {}
    passages: dict[int, list[CodedPassage]] = {}
    for passage in (
        permissions.visible(user, CodedPassage)
        .filter(note__session=session)
        .select_related("code")
        .order_by("start", "pk")
    ):
        if passage.note_id is not None:
            passages.setdefault(passage.note_id, []).append(passage)
    rows: list[dict[str, Any]] = []
    for question in survey_round.guide_questions.order_by("position"):
        note = notes.get(question.pk)
        note_form = bound.get(question.pk)
        if not isinstance(note_form, NoteForm):
            initial = {}
            if note is not None:
                initial = {
                    "text": note.text,
                    "translation": note.translation,
                    "translation_language": note.translation_language,
                }
            note_form = NoteForm(
                survey_round=survey_round, initial=initial, prefix=f"q{question.pk}"
            )
        passage_form = bound.get(-note.pk) if note is not None else None
        if note is not None and not isinstance(passage_form, PassageForm):
            passage_form = PassageForm(survey_round=survey_round, prefix=f"n{note.pk}")
        rows.append(
            {
                "question": question,
                "text": question.text(_language()),
                "note": note,
                "noted_elsewhere": copy and question.pk in noted,
                "passages": [] if copy or note is None else passages.get(note.pk, []),
                "note_form": note_form,
                "passage_form": None if copy else passage_form,
            }
        )
    response = render(
        request,
        "surveys/qa_session.html",
        {
            "session": session,
            "survey_round": survey_round,
            "rows": rows,
            "may_code": writer,
            "has_codes": survey_round.codes.exists(),
            "offline_copy": copy,
        },
        status=status,
    )
    return offer_offline_copy(request, response) if writer else response


@login_required
@require_GET
def qa_session(request: HttpRequest, pk: int) -> HttpResponse:
    session = access.access_qa_session(current_user(request), pk)
    return _session_page(request, session)


# Posted by a notes form shown without notes (the question's first notes): notes written
# meanwhile by someone else are not written over.
FIRST_NOTES = "first_notes"


def _writable_session(user: User, pk: int) -> QASession:
    session = access.access_qa_session(user, pk)
    if not access.may_code(user, session.round):
        raise PermissionDenied(_("Programme staff record Q&A sessions and code them."))
    return session


@login_required
@require_POST
@idempotent_form("surveys.qa_note")
def qa_note(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    user = current_user(request)
    session = _writable_session(user, pk)
    question = GuideQuestion.objects.filter(round=session.round, pk=question_pk).first()
    if question is None:
        raise Http404(_("This question is not in the round's interview guide."))
    form = NoteForm(request.POST, survey_round=session.round, prefix=f"q{question.pk}")
    status = 400
    if form.is_valid():
        try:
            services.do_record_note(
                session,
                question,
                text=form.cleaned_data["text"],
                translation=form.cleaned_data["translation"],
                translation_language=form.cleaned_data["translation_language"],
                first=request.POST.get(FIRST_NOTES) == "1",
                actor=user,
                request=request,
            )
        except ValidationError as error:
            _errors_onto(form, error)
            # written over by nobody: a tablet's outbox keeps them as a conflict to reopen
            if getattr(error, "code", None) == "notes_exist":
                status = 409
        else:
            return redirect(f"{session.get_absolute_url()}#question-{question.position}")
    return _session_page(request, session, bound={question.pk: form}, status=status)


@login_required
@require_POST
def qa_note_code(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    note = (
        SessionNote.objects.filter(pk=pk, session__in=permissions.visible(user, QASession))
        .select_related("session__round", "question")
        .first()
    )
    if note is None:
        raise Http404(_("There are no such notes."))
    session = _writable_session(user, note.session_id)
    form = PassageForm(request.POST, survey_round=session.round, prefix=f"n{note.pk}")
    if form.is_valid():
        try:
            services.do_code_passage(
                form.cleaned_data["code"],
                note=note,
                quote=form.cleaned_data["quote"] or "",
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                actor=user,
                request=request,
            )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            return redirect(f"{session.get_absolute_url()}#question-{note.question.position}")
    return _session_page(request, session, bound={-note.pk: form}, status=400)


# --- open answers of the questionnaire ---------------------------------------------------------


def _answers_page(
    request: HttpRequest,
    survey_round: SurveyRound,
    *,
    bound: AnswerPassageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        form = survey_round.form()
    except FormError as error:
        raise Http404(str(error)) from None
    language = _language()
    questions = [question for question in form.questions if question.type == TEXT]
    submissions = Submission.objects.filter(
        round=survey_round, status=SubmissionStatus.SUBMITTED
    ).order_by("pk")
    coded: dict[tuple[int, str], list[CodedPassage]] = {}
    for passage in CodedPassage.objects.filter(
        code__round=survey_round, submission__isnull=False
    ).select_related("code"):
        if passage.submission_id is not None:
            coded.setdefault((passage.submission_id, passage.question_name), []).append(passage)
    blocks = []
    for question in questions:
        answers = []
        for submission in submissions:
            text = str((submission.answers or {}).get(question.name) or "").strip()
            if not text:
                continue
            key = (submission.pk, question.name)
            prefix = f"s{submission.pk}-{question.name}"
            answer_form = bound if bound is not None and bound.prefix == prefix else None
            answers.append(
                {
                    "submission": submission,
                    "text": text,
                    "passages": coded.get(key, []),
                    "form": answer_form
                    or AnswerPassageForm(
                        survey_round=survey_round,
                        prefix=prefix,
                        initial={"submission": submission.pk, "question_name": question.name},
                    ),
                }
            )
        blocks.append(
            {
                "name": question.name,
                "label": form.question_label(question, language),
                "answers": answers,
            }
        )
    return render(
        request,
        "surveys/qa_answers.html",
        {"survey_round": survey_round, "blocks": blocks},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def qa_answers(request: HttpRequest, pk: int) -> HttpResponse:
    """The questionnaire's open answers, to code (programme staff, who read every answer)."""
    user = current_user(request)
    survey_round = _writable_round(user, pk)
    if request.method != "POST":
        return _answers_page(request, survey_round)
    prefix = request.POST.get("prefix", "")
    form = AnswerPassageForm(request.POST, survey_round=survey_round, prefix=prefix)
    if form.is_valid():
        submission = Submission.objects.filter(
            round=survey_round, pk=form.cleaned_data["submission"]
        ).first()
        if submission is None:
            form.add_error(None, _("This respondent did not answer this round."))
        else:
            try:
                services.do_code_passage(
                    form.cleaned_data["code"],
                    submission=submission,
                    question_name=form.cleaned_data["question_name"],
                    quote=form.cleaned_data["quote"] or "",
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    actor=user,
                    request=request,
                )
            except ValidationError as error:
                _errors_onto(form, error)
            else:
                return redirect(reverse("surveys:qa_answers", args=[survey_round.pk]))
    return _answers_page(request, survey_round, bound=form, status=400)
