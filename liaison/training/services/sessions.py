"""Training sessions and their attendance."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry.models import BLO, User
from liaison.registry.permissions import Action, require
from liaison.registry.versioning import check_version, displayed
from liaison.training.models import (
    Attendance,
    DeliveryFormat,
    TrainingSession,
)
from liaison.training.policies import session_blo_filter
from liaison.training.services.certificates import _complete
from liaison.training.services.officers import _registered


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
