"""Completions, qualifications and certificates: issuing, progress, revoking."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry.models import User
from liaison.registry.permissions import Action, require
from liaison.training.models import (
    Certificate,
    CertificateState,
    Completion,
    DeliveryFormat,
    Qualification,
    QualificationRequirement,
    QuizAttempt,
    TrainingModule,
    TrainingSession,
    add_months,
    draw_verification_code,
)
from liaison.training.policies import manages_training
from liaison.training.services.officers import _registered

FAMILY_NAME_FIRST = {"VN", "KH", "CN"}


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
