"""Rotation: officers transferred between posts and their departures."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry import services as registry_services
from liaison.registry.models import BLO, Agency, User
from liaison.registry.permissions import Action, require
from liaison.training.models import (
    DepartureReason,
    Posting,
)
from liaison.training.services.officers import _registered


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
