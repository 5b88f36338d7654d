"""Every write of the training app. Each service checks permission, writes, and records its
audit entry in the same transaction."""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.reference.services import DATA_DIR as REFERENCE_DATA_DIR
from liaison.reference.vocabularies import vocabulary_for
from liaison.registry import services as registry_services
from liaison.registry.models import BLO, Agency, Country, User
from liaison.registry.permissions import Action, can, require
from liaison.registry.versioning import check_version, displayed
from liaison.surveys.models import SurveyRound
from liaison.training import quiz
from liaison.training.content import (
    ContentError,
    ContentFolder,
    ModuleContent,
    Problem,
    QualificationContent,
    read_folder,
)
from liaison.training.models import (
    Attendance,
    Certificate,
    CertificateState,
    Completion,
    DeliveryFormat,
    DepartureReason,
    Enrolment,
    EnrolmentStatus,
    GridTopic,
    LearningActivity,
    LessonAsset,
    LessonPage,
    LessonView,
    ModuleArea,
    ModuleTopic,
    PlanItem,
    PlanRanking,
    Posting,
    Qualification,
    QualificationRequirement,
    Question,
    QuizAttempt,
    ReferenceLink,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
    add_months,
    draw_verification_code,
)
from liaison.training.planning import analyse_training_needs
from liaison.training.policies import manages_training, session_blo_filter
from liaison.training.selectors import respondents_from_round

FAMILY_NAME_FIRST = {"VN", "KH", "CN"}


# --- the reference library, as content may refer to it -----------------------------------------


@functools.cache
def _reference_file_codes(kind: str) -> frozenset[str]:
    vocabulary = vocabulary_for(kind)
    if vocabulary is None:
        return frozenset()
    path = REFERENCE_DATA_DIR / vocabulary.data_file
    if not path.is_file():
        return frozenset()
    document = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(str(e.get("code")) for e in document.get("entries", []))


def reference_exists(kind: str, code: str) -> bool:
    """Whether ``kind:code`` names an entry of the reference library (loaded or shipped)."""
    vocabulary = vocabulary_for(kind)
    if vocabulary is None:
        return False
    if code in _reference_file_codes(kind):
        return True
    return vocabulary.model._default_manager.filter(code=code).exists()


# --- importing content --------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    qualifications: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.created) + len(self.updated)


def _require_manager(actor: User | None) -> None:
    # ``None``: an operator at the server's shell (management command, demo loader).
    if actor is not None and not can(actor, Action.IMPORT, TrainingModule()):
        raise PermissionDenied(_("Only programme staff import training content."))


def _apply_module(module: TrainingModule, content: ModuleContent) -> None:
    module.version = content.version
    module.title = content.title
    module.summary = content.summary
    module.objectives = content.objectives
    module.skill = content.skill
    module.formats = content.formats
    module.languages = content.languages
    module.duration_minutes = content.duration_minutes
    module.pass_mark = content.pass_mark
    module.questions_per_attempt = content.questions_per_attempt
    module.validity_months = content.validity_months
    module.lessons_required_before_quiz = content.lessons_required_before_quiz
    module.sources = content.sources
    module.position = content.position
    module.fingerprint = content.fingerprint
    module.imported_at = timezone.now()
    module.active = True
    module.full_clean()
    module.save()
    module.areas.all().delete()
    ModuleArea.objects.bulk_create(ModuleArea(module=module, area=a) for a in content.crime_areas)
    module.topics.all().delete()
    ModuleTopic.objects.bulk_create(
        ModuleTopic(module=module, topic=t) for t in content.grid_topics
    )
    module.reference_links.all().delete()
    ReferenceLink.objects.bulk_create(
        ReferenceLink(module=module, kind=kind, code=code, position=index)
        for index, (kind, code) in enumerate(content.references)
    )
    module.pages.all().delete()
    LessonPage.objects.bulk_create(
        LessonPage(module=module, position=index, slug=p.slug, title=p.title, body=p.body)
        for index, p in enumerate(content.pages, start=1)
    )
    module.assets.all().delete()
    LessonAsset.objects.bulk_create(
        LessonAsset(
            module=module, name=i.name, content_type=i.content_type, data=i.data, sha256=i.sha256
        )
        for i in content.images
    )
    # Questions are kept by code, never deleted: past attempts name them.
    existing = {q.code: q for q in module.questions.all()}
    for index, item in enumerate(content.questions, start=1):
        question = existing.pop(item.code, None) or Question(module=module, code=item.code)
        question.position = index
        question.kind = item.kind
        question.text_by_language = item.text
        question.choices = [
            {"code": c.code, "text": c.text, "correct": c.correct} for c in item.choices
        ]
        question.explanation = item.explanation
        question.active = True
        question.save()
    module.questions.filter(code__in=list(existing)).update(active=False)


def _apply_qualification(content: QualificationContent) -> Qualification | None:
    """Create or update a qualification; ``None`` when it is already exactly so."""
    modules = {
        m.code: m
        for m in TrainingModule.objects.filter(code__in=[r.module for r in content.requirements])
    }
    missing = [r.module for r in content.requirements if r.module not in modules]
    if missing:
        raise ContentError(
            [
                Problem(
                    "qualifications.json", f"{content.code!r}: no module with the code {code!r}"
                )
                for code in missing
            ]
        )
    qualification = Qualification.objects.filter(code=content.code).first()
    wanted = {
        "title": content.title,
        "description": content.description,
        "validity_months": content.validity_months,
        "renewal_window_days": content.renewal_window_days,
        "position": content.position,
        "active": True,
    }
    requirements = sorted((r.module, r.min_score) for r in content.requirements)
    if qualification is not None:
        current = sorted(qualification.requirements.values_list("module__code", "min_score"))
        if current == requirements and all(
            getattr(qualification, name) == value for name, value in wanted.items()
        ):
            return None
    qualification = qualification or Qualification(code=content.code)
    for name, value in wanted.items():
        setattr(qualification, name, value)
    qualification.full_clean()
    qualification.save()
    qualification.requirements.all().delete()
    QualificationRequirement.objects.bulk_create(
        QualificationRequirement(
            qualification=qualification, module=modules[r.module], min_score=r.min_score
        )
        for r in content.requirements
    )
    return qualification


@transaction.atomic
def do_import_content(
    folder: Path | ContentFolder, *, actor: User | None, request: HttpRequest | None = None
) -> ImportReport:
    """Import a content folder (or one package); all or nothing. Raises ``ContentError``."""
    _require_manager(actor)
    content = (
        folder
        if isinstance(folder, ContentFolder)
        else read_folder(folder, reference_exists=reference_exists)
    )
    report = ImportReport()
    for item in content.modules:
        module = TrainingModule.objects.filter(code=item.code).first()
        if module is not None and module.fingerprint == item.fingerprint and module.active:
            report.unchanged.append(item.code)
            continue
        creating = module is None
        module = module or TrainingModule(code=item.code)
        try:
            _apply_module(module, item)
        except ValidationError as exc:
            raise ContentError(
                [Problem(f"{item.code}/module.json", "; ".join(exc.messages))]
            ) from None
        (report.created if creating else report.updated).append(item.code)
        record(
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.CHANGE,
            obj=module,
            summary=f"Training module {item.code} {item.version}".strip(),
            changes={"version": item.version, "fingerprint": item.fingerprint},
            request=request,
            username="" if actor else "liaison training import",
        )
    for qualification_content in content.qualifications:
        qualification = _apply_qualification(qualification_content)
        if qualification is not None:
            report.qualifications.append(qualification.code)
    if report.changed or report.qualifications:
        record(
            actor=actor,
            action=AuditAction.IMPORT,
            object_type="training.TrainingModule",
            summary=(
                f"Training content imported: {len(report.created)} new, "
                f"{len(report.updated)} updated, {len(report.unchanged)} unchanged modules; "
                f"{len(report.qualifications)} qualifications"
            ),
            changes={"created": report.created, "updated": report.updated},
            request=request,
            username="" if actor else "liaison training import",
        )
    return report


# --- enrolment and self-paced learning ----------------------------------------------------------


def _registered(officer: User, *, lock: bool = False) -> User:
    """The officer as the registry stores them. Whose training a write touches is decided on the
    stored account (its BLO, country), never on the object a caller hands in."""
    rows = User.objects.select_for_update() if lock else User.objects.all()
    return rows.get(pk=officer.pk)


@transaction.atomic
def do_enrol_officer(
    officer: User, module: TrainingModule, *, actor: User, request: HttpRequest | None = None
) -> Enrolment:
    """Enrol an officer (oneself, or one's BLO's or country's officers) in a module."""
    officer = _registered(officer)
    existing = Enrolment.objects.filter(officer=officer, module=module).first()
    if existing is not None:
        require(actor, Action.VIEW, existing)
        return existing
    enrolment = Enrolment(officer=officer, module=module, enrolled_by=actor)
    require(actor, Action.CREATE, enrolment)
    enrolment.save()
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=enrolment,
        summary=f"{officer.username} enrolled in {module.code}",
        request=request,
    )
    return enrolment


def _note_activity(enrolment: Enrolment, *, now: datetime.datetime) -> None:
    """Count one use of computer-based training for the officer, today, at their BLO."""
    officer = enrolment.officer
    activity, created = LearningActivity.objects.get_or_create(
        officer=officer,
        module=enrolment.module,
        day=timezone.localdate(now),
        defaults={"blo_id": officer.blo_id, "actions": 1, "last_at": now},
    )
    if not created:
        activity.actions += 1
        activity.last_at = now
        activity.save(update_fields=["actions", "last_at"])


@transaction.atomic
def do_record_lesson_progress(
    enrolment: Enrolment,
    page: LessonPage,
    *,
    actor: User,
    request: HttpRequest | None = None,
) -> Enrolment:
    """An officer read a page. Feeds the use of computer-based training per BLO.

    Only the start of a module goes to the audit log; page-by-page reading is counted in
    ``LearningActivity`` (one row per officer, module and day), not logged entry by entry.
    """
    if enrolment.officer_id != actor.pk:
        raise PermissionDenied
    now = timezone.now()
    starting = enrolment.status == EnrolmentStatus.ENROLLED
    if starting:
        enrolment.status = EnrolmentStatus.IN_PROGRESS
    enrolment.last_page = max(enrolment.last_page, page.position)
    enrolment.last_activity_at = now
    enrolment.save(update_fields=["status", "last_page", "last_activity_at"])
    LessonView.objects.get_or_create(
        enrolment=enrolment, slug=page.slug, defaults={"opened_at": now}
    )
    _note_activity(enrolment, now=now)
    if starting:
        record(
            actor=actor,
            action=AuditAction.CHANGE,
            obj=enrolment,
            summary=f"{actor.username} started {enrolment.module.code}",
            changes={
                "status": {"from": EnrolmentStatus.ENROLLED, "to": EnrolmentStatus.IN_PROGRESS}
            },
            request=request,
        )
    return enrolment


def lessons_left(enrolment: Enrolment | None, module: TrainingModule) -> list[LessonPage]:
    """The module's lesson pages the officer has not opened yet (all of them unenrolled)."""
    pages = list(module.pages.all())
    if enrolment is None:
        return pages
    opened = set(enrolment.lesson_views.values_list("slug", flat=True))
    return [p for p in pages if p.slug not in opened]


def quiz_locked(enrolment: Enrolment | None, module: TrainingModule) -> bool:
    """Whether the module asks for its lessons first and some are still unopened."""
    return module.lessons_required_before_quiz and bool(lessons_left(enrolment, module))


def _require_lessons_read(enrolment: Enrolment) -> None:
    if quiz_locked(enrolment, enrolment.module):
        left = lessons_left(enrolment, enrolment.module)
        raise ValidationError(
            _("Open every lesson of this module before the quiz: %(count)s still to read.")
            % {"count": len(left)},
            code="lessons_required",
        )


def _bank(module: TrainingModule) -> list[quiz.BankQuestion]:
    return [
        quiz.BankQuestion(
            code=q.code,
            kind=q.kind,
            choices=tuple(str(c["code"]) for c in q.choices),
            correct=q.correct_codes,
        )
        for q in module.questions.filter(active=True)
    ]


@transaction.atomic
def do_start_quiz_attempt(
    enrolment: Enrolment, *, language: str, actor: User, request: HttpRequest | None = None
) -> QuizAttempt:
    """Draw a quiz for the officer, or give back the attempt they left open."""
    _require_lessons_read(enrolment)
    open_attempt = enrolment.attempts.filter(submitted_at__isnull=True).first()
    if open_attempt is not None:
        require(actor, Action.CHANGE, open_attempt)
        return open_attempt
    module = enrolment.module
    bank = _bank(module)
    if not bank:
        raise ValidationError(_("This module has no quiz."))
    number = (enrolment.attempts.aggregate(n=Max("number"))["n"] or 0) + 1
    attempt = QuizAttempt(
        enrolment=enrolment,
        number=number,
        language=language,
        questions=quiz.draw(bank, module.questions_per_attempt),
        pass_mark=module.pass_mark,
    )
    require(actor, Action.CREATE, attempt)
    attempt.save()
    now = timezone.now()
    if enrolment.status == EnrolmentStatus.ENROLLED:
        enrolment.status = EnrolmentStatus.IN_PROGRESS
    enrolment.last_activity_at = now
    enrolment.save(update_fields=["status", "last_activity_at"])
    _note_activity(enrolment, now=now)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=attempt,
        summary=f"{actor.username} started quiz {module.code} #{number}",
        request=request,
    )
    return attempt


@transaction.atomic
def do_submit_quiz_attempt(
    attempt: QuizAttempt,
    answers: Mapping[str, Sequence[str]],
    *,
    actor: User,
    request: HttpRequest | None = None,
) -> QuizAttempt:
    """Score an attempt; a pass completes the module and may earn a certificate."""
    attempt = (
        QuizAttempt.objects.select_for_update()
        .select_related("enrolment__module", "enrolment__officer")
        .get(pk=attempt.pk)
    )
    require(actor, Action.CHANGE, attempt)
    if not attempt.is_open:
        raise ValidationError(_("This attempt is already submitted."))
    # The module may have asked for its lessons after this attempt was drawn: nothing is saved.
    _require_lessons_read(attempt.enrolment)
    drawn = {q["code"]: q for q in attempt.questions}
    kept: dict[str, list[str]] = {}
    for code, chosen in answers.items():
        question = drawn.get(code)
        if question is None:
            continue
        valid = [c for c in chosen if c in question["choices"]]
        if question["kind"] == "single":
            valid = valid[:1]
        kept[code] = sorted(set(valid))
    result = quiz.score(attempt.questions, kept, attempt.pass_mark)
    now = timezone.now()
    attempt.answers = kept
    attempt.correct = result.correct
    attempt.score = result.score
    attempt.passed = result.passed
    attempt.submitted_at = now
    attempt.save()
    enrolment = attempt.enrolment
    enrolment.last_activity_at = now
    enrolment.save(update_fields=["last_activity_at"])
    _note_activity(enrolment, now=now)
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=attempt,
        summary=f"{actor.username} scored {result.score}% on {enrolment.module.code} #{attempt.number}",
        changes={"score": str(result.score), "passed": result.passed},
        request=request,
    )
    if result.passed:
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.completed_at = enrolment.completed_at or now
        enrolment.save(update_fields=["status", "completed_at"])
        _complete(
            enrolment.officer,
            enrolment.module,
            completed_on=timezone.localdate(now),
            score=result.score,
            attempts=attempt.number,
            method=DeliveryFormat.ELEARNING,
            attempt=attempt,
            actor=actor,
            request=request,
        )
    return attempt


# --- completions and certificates ---------------------------------------------------------------


def _complete(
    officer: User,
    module: TrainingModule,
    *,
    completed_on: datetime.date,
    score: Decimal | None,
    attempts: int,
    method: DeliveryFormat,
    actor: User | None,
    attempt: QuizAttempt | None = None,
    session: TrainingSession | None = None,
    request: HttpRequest | None = None,
) -> Completion:
    completion = Completion.objects.create(
        code=new_verification_code(),
        officer=officer,
        module=module,
        completed_on=completed_on,
        score=score,
        attempts=attempts,
        method=method,
        attempt=attempt,
        session=session,
        blo_id=officer.blo_id,
        valid_until=module.completion_valid_until(completed_on),
        recorded_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=completion,
        summary=f"{officer.username} completed {module.code}"
        + (f" with {score}%" if score is not None else ""),
        changes={"method": method.value, "completed_on": completed_on.isoformat()},
        request=request,
        username="" if actor else "liaison training",
    )
    _issue_due_certificates(officer, actor=actor, request=request)
    return completion


@transaction.atomic
def do_record_completion(
    officer: User,
    module: TrainingModule,
    *,
    completed_on: datetime.date,
    score: Decimal | None,
    method: DeliveryFormat,
    actor: User,
    request: HttpRequest | None = None,
) -> Completion:
    """Record training an officer completed outside the app (e.g. a course abroad)."""
    officer = _registered(officer)
    require(actor, Action.CREATE, Completion(officer=officer, module=module))
    return _complete(
        officer, module, completed_on=completed_on, score=score, attempts=1, method=method,
        actor=actor, request=request,
    )  # fmt: skip


def new_verification_code() -> str:
    """A code no certificate and no module certificate holds: one verify page serves both."""
    while True:
        code = draw_verification_code()
        if not (
            Certificate.objects.filter(code=code).exists()
            or Completion.objects.filter(code=code).exists()
        ):
            return code


def normalise_code(code: str) -> str:
    """``abcd efgh-jklm`` → ``ABCD-EFGH-JKLM``: codes are read aloud and typed by hand."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(raw) != 12:
        return code.strip().upper()
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def holder_name(officer: User) -> str:
    """The name as the holder's country writes it: family name first in Viet Nam, Cambodia, China."""
    first, last = officer.first_name.strip(), officer.last_name.strip()
    if not (first or last):
        return officer.username
    country = officer.country.code if officer.country is not None else ""
    parts = [last, first] if country in FAMILY_NAME_FIRST else [first, last]
    return " ".join(p for p in parts if p)


@dataclass
class RequirementStatus:
    requirement: QualificationRequirement
    completion: Completion | None
    # Met by a valid certificate the officer holds (its module's completion may have lapsed).
    by_certificate: bool = False

    @property
    def met(self) -> bool:
        return self.completion is not None or self.by_certificate


@dataclass
class QualificationProgress:
    qualification: Qualification
    requirements: list[RequirementStatus]
    latest: Certificate | None
    counts_after: datetime.datetime | None
    held: Certificate | None = None
    renewing: bool = False

    @property
    def met(self) -> bool:
        return all(r.met for r in self.requirements)

    @property
    def done(self) -> int:
        return sum(1 for r in self.requirements if r.met)


def qualification_progress(
    officer: User, qualification: Qualification, *, today: datetime.date | None = None
) -> QualificationProgress:
    """Which required modules the officer holds a current, good-enough completion of.

    While the officer holds a valid certificate of the qualification, its modules count: they
    hold them. A renewal (the renewal window is open, the certificate expired or was revoked)
    counts only training done after the last certificate was issued (or revoked): renewing
    means re-taking the modules.
    """
    today = today or timezone.localdate()
    latest = (
        Certificate.objects.filter(officer=officer, qualification=qualification)
        .order_by("-issued_at")
        .first()
    )
    held = latest if latest is not None and latest.state(today).is_valid else None
    renewing = latest is not None and (held is None or latest.renewal_due(today))
    counts_after: datetime.datetime | None = None
    if latest is not None and renewing:
        counts_after = latest.revoked_at or latest.issued_at
    statuses = []
    for requirement in qualification.requirements.select_related("module"):
        completions = Completion.objects.filter(officer=officer, module=requirement.module).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today)
        )
        if requirement.min_score > 0:
            completions = completions.filter(score__gte=requirement.min_score)
        if counts_after is not None:
            completions = completions.filter(created_at__gt=counts_after)
        statuses.append(
            RequirementStatus(
                requirement,
                completions.order_by("-score", "-completed_on").first(),
                by_certificate=held is not None and not renewing,
            )
        )
    return QualificationProgress(
        qualification, statuses, latest, counts_after, held=held, renewing=renewing
    )


def _issue_due_certificates(
    officer: User, *, actor: User | None, request: HttpRequest | None = None
) -> list[Certificate]:
    today = timezone.localdate()
    issued: list[Certificate] = []
    for qualification in Qualification.objects.filter(active=True):
        progress = qualification_progress(officer, qualification, today=today)
        latest = progress.latest
        if latest is not None:
            state = latest.state(today)
            if state == CertificateState.RENEWED:
                continue  # a newer certificate exists
            if state == CertificateState.VALID and not latest.renewal_due(today):
                continue
        if not progress.requirements or not progress.met:
            continue
        renews = latest if latest is not None and latest.revoked_at is None else None
        certificate = Certificate.objects.create(
            code=new_verification_code(),
            qualification=qualification,
            officer=officer,
            holder_name=holder_name(officer),
            blo_id=officer.blo_id,
            agency_id=officer.agency_id,
            issued_on=today,
            valid_until=add_months(today, qualification.validity_months),
            scores={
                r.requirement.module.code: (
                    str(r.completion.score)
                    if r.completion and r.completion.score is not None
                    else None
                )
                for r in progress.requirements
            },
            renewal_of=renews,
        )
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=certificate,
            summary=f"Certificate {certificate.code} ({qualification.code}) issued to {officer.username}"
            + (f", renewing {renews.code}" if renews else ""),
            request=request,
            username="" if actor else "liaison training",
        )
        issued.append(certificate)
    return issued


@transaction.atomic
def do_evaluate_qualifications(
    officer: User, *, actor: User | None, request: HttpRequest | None = None
) -> list[Certificate]:
    """Issue every certificate the officer's current completions now earn (e.g. after a new
    qualification is defined)."""
    officer = _registered(officer)
    if actor is not None and not manages_training(actor) and actor.pk != officer.pk:
        raise PermissionDenied
    return _issue_due_certificates(officer, actor=actor, request=request)


@transaction.atomic
def do_revoke_certificate(
    certificate: Certificate, *, reason: str, actor: User, request: HttpRequest | None = None
) -> Certificate:
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    require(actor, Action.CHANGE, certificate)
    if certificate.revoked_at is not None:
        return certificate
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the certificate is revoked.")})
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = reason.strip()[:300]
    certificate.save(update_fields=["revoked_at", "revoked_reason"])
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=certificate,
        summary=f"Certificate {certificate.code} revoked",
        changes={"revoked_reason": certificate.revoked_reason},
        request=request,
    )
    return certificate


# --- sessions and attendance --------------------------------------------------------------------


@transaction.atomic
def do_save_training_session(
    session: TrainingSession,
    *,
    blos: Iterable[BLO],
    expected_version: int | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> TrainingSession:
    """Create or change a classroom or joint cross-border session and its participating BLOs;
    ``StaleEdit`` if someone saved the session after ``expected_version``, the version its
    editor opened.

    A change is authorised on the stored session and on the new one (moving a session to
    another host needs the right to run it at both); a BLO brought into the session must be
    one the actor works with. Taking a BLO out is always allowed."""
    creating = session.pk is None
    invited_before: set[int] = set()
    if not creating:
        stored = TrainingSession.objects.select_for_update().get(pk=session.pk)
        require(actor, Action.CHANGE, stored)
        invited_before = set(stored.blos.values_list("pk", flat=True))
        shown = [f.name for f in TrainingSession._meta.concrete_fields if f.editable]
        shown = [name for name in shown if name not in {"id", "created_by"}]
        session.version = check_version(
            stored,
            expected_version,
            lambda: displayed(stored, shown),
            lambda: displayed(session, shown),
        )
    require(actor, Action.CREATE if creating else Action.CHANGE, session)
    participating = {blo.pk: blo for blo in blos}
    participating[session.host_blo.pk] = session.host_blo
    added = set(participating) - invited_before
    reachable = set(
        BLO.objects.filter(session_blo_filter(actor), pk__in=added).values_list("pk", flat=True)
    )
    beyond = sorted(participating[pk].code for pk in added - reachable)
    if beyond:
        raise PermissionDenied(
            _("You do not work with these BLOs: %(blos)s.") % {"blos": ", ".join(beyond)}
        )
    countries = {blo.country_id for blo in participating.values()}
    if session.kind == DeliveryFormat.JOINT_SESSION and len(countries) < 2:
        raise ValidationError(
            {"blos": _("A joint cross-border session brings BLOs of both sides of the border.")}
        )
    if session.created_by_id is None:
        session.created_by = actor
    session.full_clean()
    session.save()
    session.blos.set(list(participating.values()))
    record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.CHANGE,
        obj=session,
        summary=str(session),
        changes={
            "module": session.module.code,
            "kind": session.kind,
            "from": session.starts_on.isoformat(),
            "blos": sorted(blo.code for blo in participating.values()),
        },
        request=request,
    )
    return session


@transaction.atomic
def do_record_attendance(
    session: TrainingSession,
    officer: User,
    *,
    present: bool,
    score: Decimal | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> Attendance:
    """Record whether an officer attended (and their assessment score); attending, and passing
    the assessment if there was one, completes the module.

    Authorised on the stored session, for the officer where the registry says they are posted."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    officer = _registered(officer)
    if officer.blo_id not in set(session.blos.values_list("pk", flat=True)):
        raise ValidationError(_("This officer is not posted at a BLO of this session."))
    attendance = (
        Attendance.objects.select_for_update().filter(session=session, officer=officer).first()
    )
    creating = attendance is None
    attendance = attendance or Attendance(session=session, officer=officer)
    require(actor, Action.CREATE if creating else Action.CHANGE, attendance)
    before = (attendance.present, attendance.score)
    attendance.present = present
    attendance.score = score
    attendance.recorded_by = actor
    attendance.recorded_at = timezone.now()
    attendance.full_clean(exclude=["completion"])
    module = session.module
    earns = present and (score is None or score >= module.pass_mark)
    old_completion = attendance.completion
    if not earns and old_completion is not None:
        attendance.completion = None
        attendance.save()
        old_completion.delete()
    elif earns and (old_completion is None or old_completion.score != score):
        attendance.completion = None
        attendance.save()
        if old_completion is not None:
            old_completion.delete()
        attendance.completion = _complete(
            officer,
            module,
            completed_on=session.ends_on,
            score=score,
            attempts=1,
            method=DeliveryFormat(session.kind),
            session=session,
            actor=actor,
            request=request,
        )
    attendance.save()
    if creating or before != (present, score):
        record(
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.CHANGE,
            obj=attendance,
            summary=f"{officer.username} {'present' if present else 'absent'} at session {session.pk}",
            changes={"present": present, "score": None if score is None else str(score)},
            request=request,
        )
    return attendance


# --- rotation -----------------------------------------------------------------------------------


def _open_posting(officer: User, *, actor: User | None) -> Posting | None:
    """The officer's current posting, written down from the registry if not yet recorded."""
    posting = Posting.objects.filter(officer=officer, ended_on__isnull=True).first()
    if posting is None and officer.blo_id is not None:
        posting = Posting.objects.create(
            officer=officer,
            blo_id=officer.blo_id,
            agency_id=officer.agency_id,
            started_on=officer.at_station_since,
            recorded_by=actor,
        )
    return posting


@transaction.atomic
def do_transfer_officer(
    officer: User,
    to_blo: BLO,
    *,
    on: datetime.date,
    agency: Agency | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> Posting:
    """Move an officer to another BLO of the same country: the old posting ends (its BLO's
    trained-staff coverage drops), a new one starts, and the registry account follows.

    Authorised on the officer's stored posting and on the new one."""
    officer = _registered(officer, lock=True)
    if officer.blo_id == to_blo.pk:
        raise ValidationError(_("The officer is already posted at this BLO."))
    if officer.country_id != to_blo.country_id:
        raise ValidationError(_("A transfer stays within the officer's country."))
    previous = _open_posting(officer, actor=actor)
    if previous is not None:
        require(actor, Action.CHANGE, previous)
        if previous.started_on and on < previous.started_on:
            raise ValidationError(_("The transfer cannot be before the current posting started."))
        previous.ended_on = on
        previous.end_reason = DepartureReason.TRANSFER
        previous.save(update_fields=["ended_on", "end_reason"])
    officer.blo = to_blo
    if agency is not None:
        officer.agency = agency
    officer.at_station_since = on
    require(actor, Action.CREATE, Posting(officer=officer, blo=to_blo))
    # The registry's own service changes the account: it checks that the actor keeps accounts
    # in the destination too, and writes the registry's audit entry.
    registry_services.do_save_account(officer, actor=actor, request=request)
    posting = Posting.objects.create(
        officer=officer,
        blo=to_blo,
        agency_id=officer.agency_id,
        started_on=on,
        recorded_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=posting,
        summary=f"{officer.username} transferred to {to_blo.code}",
        changes={
            "from": previous.blo.code if previous is not None else None,
            "to": to_blo.code,
            "on": on.isoformat(),
        },
        request=request,
    )
    return posting


@transaction.atomic
def do_record_departure(
    officer: User,
    *,
    on: datetime.date,
    reason: DepartureReason,
    actor: User,
    request: HttpRequest | None = None,
) -> Posting:
    """An officer leaves the BLO network (retired, reassigned, left the service): the posting
    ends and the account is deactivated — kept, with its records, never deleted."""
    officer = _registered(officer, lock=True)
    if reason == DepartureReason.TRANSFER:
        raise ValidationError(_("Use a transfer to move an officer to another BLO."))
    posting = _open_posting(officer, actor=actor)
    if posting is None:
        raise ValidationError(_("This account is not posted at a BLO."))
    require(actor, Action.CHANGE, posting)
    posting.ended_on = on
    posting.end_reason = reason
    posting.save(update_fields=["ended_on", "end_reason"])
    officer.is_active = False
    registry_services.do_save_account(officer, actor=actor, request=request)
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=posting,
        summary=f"{officer.username} left {posting.blo.code}",
        changes={"reason": reason.value, "on": on.isoformat()},
        request=request,
    )
    return posting


# --- training plans -----------------------------------------------------------------------------


def _percent(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def modules_for_topic(topic: GridTopic) -> list[TrainingModule]:
    """Catalogue modules that answer a topic of the grid, self-paced ones first."""
    modules = list(
        TrainingModule.objects.filter(active=True, topics__topic=topic).order_by("position", "code")
    )
    return sorted(modules, key=lambda m: (not m.is_self_paced, m.position, m.code))


@transaction.atomic
def do_create_training_plan(
    *,
    title: str,
    country: Country | None,
    source: str,
    respondents: Sequence[Mapping[str, Any]],
    starts_on: datetime.date,
    ranking: PlanRanking = PlanRanking.NEED,
    previous: TrainingPlan | None = None,
    survey_round_id: int | None = None,
    actor: User | None,
    request: HttpRequest | None = None,
) -> TrainingPlan:
    """Rank the grid's topics from an assessment round and propose the catalogue's modules.

    ``respondents`` are plain per-respondent answers (see ``planning``): from a stored survey
    round, an imported export, or a fixture.
    """
    plan = TrainingPlan(
        title=title,
        country=country,
        source=source,
        survey_round_id=survey_round_id,
        ranking=ranking,
        starts_on=starts_on,
        previous=previous,
        created_by=actor,
    )
    if actor is not None:
        require(actor, Action.CREATE, plan)
        if previous is not None:
            require(actor, Action.VIEW, previous)
    analysis = analyse_training_needs(respondents, ranking)
    if analysis["respondents"] == 0:
        raise ValidationError(_("The assessment has no respondents."))
    plan.respondents = analysis["respondents"]
    plan.analysis = json.loads(json.dumps(analysis))
    plan.full_clean()
    plan.save()
    for share in analysis["overall"]:
        item = PlanItem.objects.create(
            plan=plan,
            topic=share["topic"],
            rank=share["rank"],
            answered=share["answered"],
            need_share=_percent(share["need"]),
            required_share=_percent(share["required"]),
            advanced_share=_percent(share["advanced"]),
        )
        item.modules.set(modules_for_topic(GridTopic(share["topic"])))
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=plan,
        summary=f"Training plan {title!r} from {source} ({plan.respondents} respondents)",
        changes={"ranking": [s["topic"] for s in analysis["overall"]]},
        request=request,
        username="" if actor else "liaison training",
    )
    return plan


@transaction.atomic
def do_create_training_plan_from_round(
    survey_round: SurveyRound,
    *,
    title: str,
    country: Country | None,
    source: str,
    starts_on: datetime.date,
    ranking: PlanRanking = PlanRanking.NEED,
    previous: TrainingPlan | None = None,
    actor: User | None,
    request: HttpRequest | None = None,
) -> TrainingPlan:
    """A plan from the submitted answers of a survey round stored in the app, its respondents'
    BLOs named through the registry (``respondents_from_round``). The round's answers are its
    results: the actor must be one who reads them (the command, with no actor, reads any)."""
    if actor is not None:
        require(actor, Action.EXPORT, survey_round)
    respondents = respondents_from_round(survey_round)
    if not any(r.get(topic.value) is not None for r in respondents for topic in GridTopic):
        raise ValidationError(_("The round has no answers to the training grid."))
    return do_create_training_plan(
        title=title,
        country=country,
        source=source,
        respondents=respondents,
        starts_on=starts_on,
        ranking=ranking,
        previous=previous,
        survey_round_id=survey_round.pk,
        actor=actor,
        request=request,
    )
