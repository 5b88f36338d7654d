"""Enrolment and self-paced learning: lessons read, quiz attempts started and submitted."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry.models import User
from liaison.registry.permissions import Action, require
from liaison.training import quiz
from liaison.training.models import (
    DeliveryFormat,
    Enrolment,
    EnrolmentStatus,
    LearningActivity,
    LessonPage,
    LessonView,
    QuizAttempt,
    TrainingModule,
)
from liaison.training.services.certificates import _complete
from liaison.training.services.officers import _registered


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
