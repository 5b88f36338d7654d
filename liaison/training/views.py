"""Pages of training: parse, authorise, call a service, render."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.exchange.idempotency import idempotent_form
from liaison.pwa.offline import offer_offline_copy, wants_offline_copy
from liaison.reference.models import CrimeArea
from liaison.registry import permissions
from liaison.registry.models import BLO, Agency, AgencyKind, Cluster, Country, User
from liaison.registry.permissions import Action, can
from liaison.registry.signed_in import current_user
from liaison.registry.versioning import StaleEdit, conflict_form
from liaison.training import policies, selectors, services
from liaison.training.certificates import (
    module_certificate_context,
    render_certificate_pdf,
    render_module_certificate_pdf,
)
from liaison.training.content import ContentError, extract_package
from liaison.training.forms import (
    AttendanceForm,
    ContentImportForm,
    DepartureForm,
    EnrolOfficersForm,
    QuizForm,
    RevokeForm,
    TrainingPlanForm,
    TrainingSessionForm,
    TransferForm,
    VerifyForm,
)
from liaison.training.lessons import content_language, lesson_html
from liaison.training.models import (
    Attendance,
    Certificate,
    CertificateState,
    Completion,
    DeliveryFormat,
    DepartureReason,
    Enrolment,
    GridAnswer,
    GridTopic,
    LessonAsset,
    PlanRanking,
    Posting,
    Qualification,
    QuizAttempt,
    Skill,
    TrainingModule,
    TrainingSession,
)
from liaison.training.planning import PlanInputError, read_respondents_csv
from liaison.training.policies import makes_plan, manages_training, runs_session


def _managed_officers(user: User) -> QuerySet[User]:
    """Officers this user may enrol (the rule of ``policies.enrollable_officer_filter``)."""
    return (
        User.objects.filter(is_active=True, role__in=selectors.STAFF_ROLES)
        .filter(policies.enrollable_officer_filter(user))
        .select_related("blo")
    )


# --- catalogue ----------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The catalogue, filtered by crime area, skill, format and language; and one's own training."""
    user = current_user(request)
    modules = selectors.visible_modules(user)
    area = request.GET.get("area", "")
    skill = request.GET.get("skill", "")
    delivery = request.GET.get("format", "")
    if area in CrimeArea.values:
        modules = modules.filter(areas__area=area)
    if skill in Skill.values:
        modules = modules.filter(skill=skill)
    catalogue = list(modules.distinct())
    if delivery in DeliveryFormat.values:
        catalogue = [m for m in catalogue if delivery in m.formats]
    enrolments = {e.module_id: e for e in permissions.visible(user, Enrolment).filter(officer=user)}
    rows = [(module, enrolments.get(module.pk)) for module in catalogue]
    return render(
        request,
        "training/home.html",
        {
            "rows": rows,
            "areas": selectors.taught_areas(),
            "skills": Skill.choices,
            "delivery_formats": DeliveryFormat.choices,
            "area": area,
            "skill": skill,
            "delivery": delivery,
            "badges": selectors.badges_for(user),
            "manages": manages_training(user),
            "may_follow_blos": policies.follows_others(user),
        },
    )


@login_required
def module_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    module = selectors.access_module(user, code)
    lang = content_language(request, module)
    enrolment = permissions.visible(user, Enrolment).filter(officer=user, module=module).first()
    attempts = list(enrolment.attempts.order_by("-number")) if enrolment else []
    today = timezone.localdate()
    held = [
        c
        for c in permissions.visible(user, Completion).filter(officer=user, module=module)
        if c.is_current(today)
    ]
    sessions = (
        permissions.visible(user, TrainingSession)
        .filter(module=module, ends_on__gte=today)
        .select_related("host_blo")
        .order_by("starts_on")[:10]
    )
    return render(
        request,
        "training/module.html",
        {
            "module": module,
            "lang": lang,
            "title": module.text("title", lang),
            "summary": module.text("summary", lang),
            "objectives": (module.objectives or {}).get(lang)
            or (module.objectives or {}).get("en", []),
            "pages": [(p, p.text("title", lang)) for p in module.pages.all()],
            "has_quiz": module.questions.filter(active=True).exists(),
            "enrolment": enrolment,
            "attempts": attempts,
            "completion": held[0] if held else None,
            "quiz_locked": services.quiz_locked(enrolment, module),
            "lessons_left": services.lessons_left(enrolment, module)
            if module.lessons_required_before_quiz
            else [],
            "references": selectors.reference_items(module, lang),
            "sources": [s.get(lang) or s.get("en", "") for s in module.sources],
            "sessions": sessions,
            "may_assign": _managed_officers(user).exists(),
            "areas": [CrimeArea(a) for a in module.area_values],
            "topics": [GridTopic(t.topic) for t in module.topics.all()],
        },
    )


@login_required
@require_POST
def enrol(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    module = selectors.access_module(user, code)
    services.do_enrol_officer(user, module, actor=user, request=request)
    if module.pages.exists():
        return redirect("training:page", code=module.code, number=1)
    return redirect(module.get_absolute_url())


@login_required
def assign(request: HttpRequest, code: str) -> HttpResponse:
    """Enrol officers one looks after (a head their BLO's, a coordinator their country's)."""
    user = current_user(request)
    module = selectors.access_module(user, code)
    officers = _managed_officers(user)
    if not officers.exists():
        raise PermissionDenied
    form = EnrolOfficersForm(
        request.POST or None, officers=officers.order_by("blo__name_en", "last_name")
    )
    if request.method == "POST" and form.is_valid():
        for officer in form.cleaned_data["officers"]:
            services.do_enrol_officer(officer, module, actor=user, request=request)
        messages.success(
            request,
            _("%(count)s officers enrolled.") % {"count": len(form.cleaned_data["officers"])},
        )
        return redirect(module.get_absolute_url())
    return render(request, "training/assign.html", {"module": module, "form": form})


@login_required
def page(request: HttpRequest, code: str, number: int) -> HttpResponse:
    user = current_user(request)
    module = selectors.access_module(user, code)
    lesson = module.pages.filter(position=number).first()
    if lesson is None:
        raise Http404
    enrolment = Enrolment.objects.filter(officer=user, module=module).first()
    if enrolment is None and not manages_training(user):
        messages.info(request, _("Start the module to read its lessons."))
        return redirect(module.get_absolute_url())
    if enrolment is not None:
        services.do_record_lesson_progress(enrolment, lesson, actor=user, request=request)
    lang = content_language(request, module)
    count = module.pages.count()
    return render(
        request,
        "training/page.html",
        {
            "module": module,
            "lang": lang,
            "module_title": module.text("title", lang),
            "page": lesson,
            "title": lesson.text("title", lang),
            "body": lesson_html(lesson.text("body", lang), module),
            "number": number,
            "count": count,
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if number < count else None,
            "has_quiz": module.questions.filter(active=True).exists(),
            "other_languages": [code for code in module.languages if code != lang],
        },
    )


@login_required
def asset(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """An image of a lesson, served by the app. Signed-in readers only, like the lessons."""
    user = request.user
    module = selectors.access_module(user, code)
    image = LessonAsset.objects.filter(module=module, name=name).first()
    if image is None:
        raise Http404
    if request.headers.get("If-None-Match") == f'"{image.sha256}"':
        return HttpResponse(status=304)
    response = HttpResponse(bytes(image.data), content_type=image.content_type)
    response["ETag"] = f'"{image.sha256}"'
    response["Cache-Control"] = "private, max-age=86400"
    # An SVG opened on its own must not run anything, whatever slipped past the import check.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


# --- quizzes ------------------------------------------------------------------------------------


@login_required
@require_POST
def quiz_start(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    module = selectors.access_module(user, code)
    enrolment = services.do_enrol_officer(user, module, actor=user, request=request)
    lang = content_language(request, module)
    try:
        attempt = services.do_start_quiz_attempt(
            enrolment, language=lang, actor=user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(module.get_absolute_url())
    return redirect(attempt.get_absolute_url())


def _question_texts(attempt: QuizAttempt) -> dict[str, dict[str, Any]]:
    module = attempt.enrolment.module
    codes = [q["code"] for q in attempt.questions]
    texts: dict[str, dict[str, Any]] = {}
    for question in module.questions.filter(code__in=codes):
        texts[question.code] = {
            "text": question.text_by_language,
            "explanation": question.explanation,
            "options": {str(c["code"]): c["text"] for c in question.choices},
        }
    return texts


@login_required
@idempotent_form("training.quiz_attempt")
def attempt_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An open attempt's quiz (the questions, never which answers are right: the server scores
    what arrives), or the attempt's result. Answers posted to an attempt already submitted (a
    tablet's outbox sends them late) are not counted: 409, on the result."""
    user = current_user(request)
    attempt = permissions.access(user, QuizAttempt, pk=pk)
    module = attempt.enrolment.module
    texts = _question_texts(attempt)
    posted = request.method == "POST"
    status = 200
    if attempt.is_open:
        if not can(user, Action.CHANGE, attempt):
            raise PermissionDenied
        if request.method != "POST" and services.quiz_locked(attempt.enrolment, module):
            messages.error(request, _("Open every lesson of this module before the quiz."))
            return redirect(module.get_absolute_url())
        # bound whenever posted: an attempt sent with nothing ticked is an answer too
        form = QuizForm(request.POST if posted else None, attempt=attempt, texts=texts)
        if not posted or not form.is_valid():
            response = render(
                request,
                "training/quiz.html",
                {
                    "attempt": attempt,
                    "module": module,
                    "form": form,
                    "title": module.text("title", attempt.language),
                    "offline_copy": wants_offline_copy(request),
                },
                status=400 if posted else 200,
            )
            return offer_offline_copy(request, response)
        try:
            services.do_submit_quiz_attempt(attempt, form.answers(), actor=user, request=request)
        except ValidationError as exc:
            # submitted meanwhile
            messages.error(request, " ".join(exc.messages))
            attempt.refresh_from_db()
            status = 409
        else:
            return redirect(attempt.get_absolute_url())
    elif posted:
        messages.error(
            request, _("This attempt was already submitted: these answers were not counted.")
        )
        status = 409
    lang = attempt.language
    results = []
    for index, drawn in enumerate(attempt.questions, start=1):
        question = texts.get(drawn["code"], {})
        options = question.get("options", {})
        chosen = attempt.answers.get(drawn["code"], [])
        results.append(
            {
                "number": index,
                "text": _localised(question.get("text", {}), lang),
                "right": drawn["code"] in attempt.correct,
                "chosen": [_localised(options.get(c, {}), lang) for c in chosen],
                "key": [_localised(options.get(c, {}), lang) for c in drawn["correct"]],
                "explanation": _localised(question.get("explanation", {}), lang),
            }
        )
    certificates = []
    if attempt.passed and attempt.submitted_at is not None:
        certificates = list(
            permissions.visible(user, Certificate)
            .filter(officer=attempt.enrolment.officer, issued_at__gte=attempt.submitted_at)
            .select_related("qualification")
        )
    return render(
        request,
        "training/quiz_result.html",
        {
            "attempt": attempt,
            "module": module,
            "title": module.text("title", lang),
            "results": results,
            "certificates": certificates,
            "own": attempt.enrolment.officer_id == user.pk,
        },
        status=status,
    )


def _localised(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or ""


# --- officers, qualifications, certificates -----------------------------------------------------


@login_required
def me(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return redirect("training:officer", pk=user.pk)


@login_required
def officer_record(request: HttpRequest, pk: int) -> HttpResponse:
    """An officer's training: badges, certificates, completions, progress, postings."""
    user = current_user(request)
    officer = selectors.access_officer(user, pk)
    if not policies.may_follow_training_of(user, officer):
        raise PermissionDenied(_("You do not follow this officer's training."))
    today = timezone.localdate()
    completions = (
        permissions.visible(user, Completion)
        .filter(officer=officer)
        .select_related("module", "blo", "session")
    )
    certificates = (
        permissions.visible(user, Certificate)
        .filter(officer=officer)
        .select_related("qualification", "renewed_by")
    )
    progress = [
        services.qualification_progress(officer, q, today=today)
        for q in permissions.visible(user, Qualification).filter(active=True)
    ]
    return render(
        request,
        "training/officer.html",
        {
            "officer": officer,
            "badges": selectors.badges_for(officer, today=today),
            "completions": [(c, c.is_current(today)) for c in completions],
            "certificates": [(c, c.state(today), c.renewal_due(today)) for c in certificates],
            "progress": progress,
            "enrolments": permissions.visible(user, Enrolment)
            .filter(officer=officer)
            .exclude(status="completed")
            .select_related("module"),
            "postings": permissions.visible(user, Posting)
            .filter(officer=officer)
            .select_related("blo"),
            "may_move": user.pk != officer.pk and policies.keeps_posting_of(user, officer),
            "own": user.pk == officer.pk,
        },
    )


@login_required
def officer_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a transfer to another BLO or a departure from the network (rotation)."""
    user = current_user(request)
    officer = selectors.access_officer(user, pk)
    if user.pk == officer.pk or not policies.keeps_posting_of(user, officer):
        raise PermissionDenied
    blos = (
        permissions.visible(user, BLO)
        .filter(Q(country_id=officer.country_id), active=True)
        .exclude(Q(pk=officer.blo_id))
    )
    agencies = permissions.visible(user, Agency).filter(Q(country_id=officer.country_id))
    action = request.POST.get("action", "")
    transfer_form = TransferForm(
        request.POST if action == "transfer" else None, blos=blos, agencies=agencies
    )
    departure_form = DepartureForm(request.POST if action == "departure" else None)
    try:
        if action == "transfer" and transfer_form.is_valid():
            services.do_transfer_officer(
                officer,
                transfer_form.cleaned_data["to_blo"],
                on=transfer_form.cleaned_data["on"],
                agency=transfer_form.cleaned_data["agency"],
                actor=user,
                request=request,
            )
            messages.success(request, _("Transfer recorded."))
            return redirect("training:officer", pk=officer.pk)
        if action == "departure" and departure_form.is_valid():
            services.do_record_departure(
                officer,
                on=departure_form.cleaned_data["on"],
                reason=DepartureReason(departure_form.cleaned_data["reason"]),
                actor=user,
                request=request,
            )
            messages.success(request, _("Departure recorded; the account is deactivated."))
            return redirect("training:coverage_blo", code=officer.blo.code if officer.blo else "")
    except ValidationError as exc:
        (transfer_form if action == "transfer" else departure_form).add_error(None, exc)
    except PermissionDenied:
        messages.error(request, _("You may not move this officer there."))
    return render(
        request,
        "training/officer_move.html",
        {"officer": officer, "transfer_form": transfer_form, "departure_form": departure_form},
    )


@login_required
def qualifications(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    today = timezone.localdate()
    items = (
        permissions.visible(user, Qualification)
        .filter(active=True)
        .prefetch_related("requirements__module")
    )
    is_staff = policies.earns_qualifications(user)
    rows = [
        (
            q,
            q.text("description"),
            services.qualification_progress(user, q, today=today) if is_staff else None,
        )
        for q in items
    ]
    return render(request, "training/qualifications.html", {"rows": rows})


@login_required
def certificates(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    today = timezone.localdate()
    items = (
        permissions.visible(user, Certificate)
        .select_related("qualification", "blo", "renewed_by")
        .order_by("-issued_on", "-id")
    )
    due_only = request.GET.get("due") == "1"
    rows = [(c, c.state(today), c.renewal_due(today)) for c in items]
    if due_only:
        rows = [row for row in rows if row[2]]
    return render(request, "training/certificates.html", {"rows": rows, "due_only": due_only})


@login_required
def certificate_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    certificate = selectors.access_certificate(user, code)
    form = RevokeForm(request.POST or None)
    may_revoke = can(user, Action.CHANGE, certificate) and certificate.revoked_at is None
    if request.method == "POST":
        if not may_revoke:
            raise PermissionDenied
        if form.is_valid():
            services.do_revoke_certificate(
                certificate, reason=form.cleaned_data["reason"], actor=user, request=request
            )
            messages.success(request, _("The certificate is revoked."))
            return redirect(certificate.get_absolute_url())
    return render(
        request,
        "training/certificate.html",
        {
            "certificate": certificate,
            "state": certificate.state(),
            "verify_url": request.build_absolute_uri(certificate.verification_path()),
            "form": form,
            "may_revoke": may_revoke,
        },
    )


@login_required
def certificate_pdf(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    certificate = selectors.access_certificate(user, code)
    verify_url = request.build_absolute_uri(certificate.verification_path())
    record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=certificate,
        summary=f"Certificate {certificate.code} PDF",
        request=request,
    )
    response = HttpResponse(
        render_certificate_pdf(certificate, verify_url), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.code}.pdf"'
    return response


@login_required
def module_certificate(request: HttpRequest, code: str) -> HttpResponse:
    """A completed module's certificate, as a page to print."""
    user = current_user(request)
    completion = selectors.access_completion(user, code)
    context = module_certificate_context(
        completion,
        services.holder_name(completion.officer),
        request.build_absolute_uri(completion.verification_path()),
    )
    context["current"] = completion.is_current()
    return render(request, "training/module_certificate.html", context)


@login_required
def module_certificate_pdf(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    completion = selectors.access_completion(user, code)
    verify_url = request.build_absolute_uri(completion.verification_path())
    record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=completion,
        summary=f"Module certificate {completion.code} PDF",
        request=request,
    )
    pdf = render_module_certificate_pdf(
        completion, services.holder_name(completion.officer), verify_url
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="module-certificate-{completion.code}.pdf"'
    return response


# Public: anyone holding a certificate's code may check it, without an account.
def verify(request: HttpRequest, code: str | None = None) -> HttpResponse:
    if code is None:
        form = VerifyForm(request.GET or None)
        if form.is_valid():
            return redirect(
                "training:verify", code=services.normalise_code(form.cleaned_data["code"])
            )
        return render(request, "training/verify.html", {"form": form, "certificate": None})
    normalised = services.normalise_code(code)
    if normalised != code:
        return redirect("training:verify", code=normalised)
    certificate = (
        Certificate.objects.select_related("qualification", "blo", "agency", "renewed_by")
        .filter(code=code)
        .first()
    )
    completion = selectors.find_completion(code) if certificate is None else None
    if completion is not None:
        return render(
            request,
            "training/verify.html",
            {
                "completion": completion,
                "holder": services.holder_name(completion.officer),
                "valid": completion.is_current(),
                "titles": [(lang, completion.module.text("title", lang)) for lang in ("vi", "en")],
            },
        )
    if certificate is None:
        response = render(
            request,
            "training/verify.html",
            {"form": VerifyForm(initial={"code": code}), "certificate": None, "not_found": True},
        )
        response.status_code = 404
        return response
    state = certificate.state()
    return render(
        request,
        "training/verify.html",
        {
            "certificate": certificate,
            "state": state,
            "valid": state == CertificateState.VALID,
            "titles": [
                (lang, certificate.qualification.text("title", lang)) for lang in ("vi", "en")
            ],
        },
    )


# --- sessions -----------------------------------------------------------------------------------


def _session_hosts(user: User) -> QuerySet[BLO]:
    return (
        BLO.objects.filter(active=True)
        .filter(policies.session_host_filter(user))
        .select_related("country")
    )


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    items = (
        permissions.visible(user, TrainingSession)
        .select_related("module", "host_blo")
        .annotate(present=Count("attendance", filter=Q(attendance__present=True)))
    )
    return render(
        request,
        "training/sessions.html",
        {"sessions": items, "may_create": _session_hosts(user).exists()},
    )


@login_required
def session_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = current_user(request)
    hosts = _session_hosts(user)
    if pk is None:
        if not hosts.exists():
            raise PermissionDenied
        session = TrainingSession()
    else:
        session = permissions.access(user, TrainingSession, Action.CHANGE, pk=pk)
    modules = permissions.visible(user, TrainingModule).filter(active=True)
    participants = BLO.objects.filter(active=True).filter(policies.session_blo_filter(user))
    form = TrainingSessionForm(
        request.POST or None,
        instance=session,
        modules=modules,
        hosts=hosts,
        blos=participants.select_related("country"),
    )
    conflict: StaleEdit | None = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.do_save_training_session(
                form.save(commit=False),
                blos=form.cleaned_data["blos"],
                expected_version=form.cleaned_data["version"],
                actor=user,
                request=request,
            )
        except StaleEdit as stale:
            conflict = stale
            stored = TrainingSession.objects.get(pk=session.pk)
            form = conflict_form(
                request,
                stale,
                lambda data: TrainingSessionForm(
                    data,
                    instance=stored,
                    modules=modules,
                    hosts=hosts,
                    blos=participants.select_related("country"),
                ),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied:
            form.add_error("host_blo", _("You may not run a session at this BLO."))
        else:
            messages.success(request, _("Saved."))
            return redirect(saved.get_absolute_url())
    return render(
        request,
        "training/session_form.html",
        {"form": form, "session": session, "conflict": conflict},
    )


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    session = permissions.access(user, TrainingSession, pk=pk)
    may_record = runs_session(user, session)
    attendance = list(
        permissions.visible(user, Attendance)
        .filter(session=session)
        .select_related("officer__blo", "completion")
    )
    form = None
    if may_record:
        officers = list(
            permissions.visible(user, User)
            .filter(blo__in=session.blos.all(), is_active=True, role__in=selectors.STAFF_ROLES)
            .select_related("blo")
            .order_by("blo__name_en", "last_name")
        )
        current = {a.officer_id: (a.present, a.score) for a in attendance}
        form = AttendanceForm(request.POST or None, officers=officers, current=current)
        if request.method == "POST" and form.is_valid():
            try:
                for officer in officers:
                    present = bool(form.cleaned_data[f"present_{officer.pk}"])
                    score = form.cleaned_data[f"score_{officer.pk}"]
                    if officer.pk in current or present:
                        services.do_record_attendance(
                            session,
                            officer,
                            present=present,
                            score=score,
                            actor=user,
                            request=request,
                        )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Attendance saved."))
                return redirect(session.get_absolute_url())
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "training/session.html",
        {
            "session": session,
            "blos": session.blos.select_related("country"),
            "attendance": attendance,
            "form": form,
            "may_record": may_record,
        },
    )


# --- coverage, use of CBT -----------------------------------------------------------------------


def _require_follower(user: User) -> None:
    if not policies.follows_others(user):
        raise PermissionDenied(
            _("Heads of BLO, coordinators and programme staff see these figures.")
        )


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_follower(user)
    blos = list(selectors.training_blos(user))
    return render(
        request,
        "training/coverage.html",
        {
            "rows": selectors.coverage_for_blos(blos),
            "areas": selectors.taught_areas(),
            "threshold": selectors.COVERAGE_WARNING_BELOW,
        },
    )


@login_required
def coverage_blo(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    blo = selectors.access_blo_training(user, code)
    return render(
        request,
        "training/coverage_blo.html",
        {
            "blo": blo,
            "coverage": selectors.coverage_for_blo(blo),
            "show_departures": selectors.may_view_blo_staff_training(user, blo),
        },
    )


@login_required
def usage(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_follower(user)
    rows = selectors.cbt_usage(list(selectors.training_blos(user)))
    return render(
        request,
        "training/usage.html",
        {
            "rows": rows,
            "days": selectors.CBT_WINDOW_DAYS,
            "total_staff": sum(r.staff for r in rows),
            "total_users": sum(r.users for r in rows),
            "unused": [r for r in rows if r.staff and not r.users],
        },
    )


# --- plans --------------------------------------------------------------------------------------


def _plan_countries(user: User) -> QuerySet[Country]:
    return Country.objects.filter(policies.plan_country_filter(user))


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_follower(user)
    return render(
        request,
        "training/plans.html",
        {
            "plans": selectors.visible_plans(user),
            "may_create": makes_plan(user, user.country_id) or manages_training(user),
        },
    )


@login_required
def plan_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    countries = _plan_countries(user)
    if not countries.exists():
        raise PermissionDenied
    form = TrainingPlanForm(
        request.POST or None,
        request.FILES or None,
        countries=countries,
        plans=selectors.visible_plans(user),
        rounds=selectors.plan_rounds(user),
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common: dict[str, Any] = {
            "title": data["title"],
            "country": data["country"],
            "source": data["source"],
            "starts_on": data["starts_on"],
            "ranking": PlanRanking(data["ranking"]),
            "previous": data["previous"],
            "actor": user,
            "request": request,
        }
        try:
            if data["survey_round"] is not None:
                plan = services.do_create_training_plan_from_round(data["survey_round"], **common)
            else:
                text = data["file"].read().decode("utf-8-sig")
                plan = services.do_create_training_plan(
                    respondents=read_respondents_csv(text), **common
                )
        except UnicodeDecodeError:
            form.add_error("file", _("Save the file as UTF-8 CSV."))
        except PlanInputError as exc:
            problems = [str(p) for p in exc.problems]
            if data["survey_round"] is not None:
                form.add_error(
                    "survey_round", _("The round's answers have problems; nothing was saved.")
                )
            else:
                form.add_error("file", _("The file has problems; nothing was saved."))
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied:
            form.add_error("country", _("You may not make a plan for this country."))
        else:
            messages.success(request, _("Training plan created."))
            return redirect(plan.get_absolute_url())
    return render(request, "training/plan_form.html", {"form": form, "problems": problems})


def _group_rows(
    groups: dict[str, Any], kind: str, country: Country | None
) -> list[tuple[str, int, list[Any]]]:
    """Groups of the analysis, named as the registry names them when it knows the key (a code,
    an English name, or a survey choice such as ``moc_bai``, ``CL1`` or ``customs``)."""
    names: dict[str, str] = {}
    if kind == "agency":
        names = {selectors.group_key(k.value): str(k.label) for k in AgencyKind}
    model: Any = {"blo": BLO, "agency": Agency, "cluster": Cluster}[kind]
    objects = model.objects.all()
    if country is not None:
        objects = objects.filter(country=country)
    for obj in objects:
        for key in (obj.code, obj.name_en, obj.code.split("-", 1)[-1]):
            names[selectors.group_key(key)] = obj.display_name
    return [
        (names.get(selectors.group_key(key), key), group["respondents"], group["topics"])
        for key, group in groups.items()
    ]


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_follower(user)
    plan = selectors.access_plan(user, pk)
    analysis = plan.analysis
    blos = [b for b in selectors.training_blos(user) if plan.country_id in (None, b.country_id)]
    breakdown = request.GET.get("by", "cluster")
    if breakdown not in {"cluster", "agency", "blo"}:
        breakdown = "cluster"
    groups = analysis.get(f"by_{breakdown}", {})
    return render(
        request,
        "training/plan.html",
        {
            "plan": plan,
            "items": plan.items.prefetch_related("modules"),
            "grid_rows": [
                (t["topic"], [t["percent"][a.value] for a in GridAnswer], t["answered"])
                for t in sorted(
                    analysis.get("overall", []),
                    key=lambda t: list(GridTopic.values).index(t["topic"]),
                )
            ],
            "answers": list(GridAnswer),
            "breakdown": breakdown,
            "groups": _group_rows(groups, breakdown, plan.country),
            "progress": selectors.plan_progress(plan, blos),
            "changes": selectors.plan_changes(plan) if plan.previous_id else [],
        },
    )


# --- import -------------------------------------------------------------------------------------


def _extract(upload: Any, into: Path) -> Path:
    return extract_package(upload, upload.name, into)


@login_required
def content_import(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not can(user, Action.IMPORT, TrainingModule()):
        raise PermissionDenied
    form = ContentImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            with tempfile.TemporaryDirectory(prefix="liaison-content-") as folder:
                root = _extract(form.cleaned_data["file"], Path(folder))
                report = services.do_import_content(root, actor=user, request=request)
        except ContentError as exc:
            problems = [str(p) for p in exc.problems]
            messages.error(
                request,
                _("Nothing was imported: %(count)s problem(s).") % {"count": len(problems)},
            )
        else:
            messages.success(
                request,
                _(
                    "Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged modules."
                )
                % {
                    "created": len(report.created),
                    "updated": len(report.updated),
                    "unchanged": len(report.unchanged),
                },
            )
            return redirect("training:home")
    return render(request, "training/import.html", {"form": form, "problems": problems})
