"""Every write of the meeting log, with its audit entry in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.meetings.models import (
    ActionReview,
    ActionStatus,
    Meeting,
    MeetingAction,
    Participation,
)
from liaison.registry.models import Agency, Country, User
from liaison.registry.permissions import Action, require
from liaison.registry.versioning import check_version, displayed


@dataclass(frozen=True)
class ParticipantInput:
    country: Country
    agency: Agency | None = None
    organisation: str = ""
    people: int = 1
    names: str = ""


@dataclass(frozen=True)
class ActionInput:
    description: str
    owner: User | None = None
    owner_name: str = ""
    owner_agency: Agency | None = None
    due_on: datetime.date | None = None


@dataclass(frozen=True)
class ReviewInput:
    """The follow-up, at this meeting, of an action agreed at an earlier one."""

    action: MeetingAction
    status: ActionStatus
    note: str = ""


def _follow_up(meeting: Meeting, reviews: Sequence[ReviewInput]) -> list[ActionReview]:
    done = []
    for review in reviews:
        # The stored action: its meeting decides whose log it belongs to.
        action = MeetingAction.objects.select_for_update().get(pk=review.action.pk)
        if action.status != ActionStatus.OPEN:
            continue
        if action.meeting.held_on > meeting.held_on:
            raise ValidationError(_("An action is followed up at a later meeting."))
        if action.meeting.blo_id not in {meeting.blo_id, meeting.counterpart_blo_id}:
            raise ValidationError(_("This action belongs to another BLO's log."))
        done.append(
            ActionReview.objects.create(
                action=action, meeting=meeting, status=review.status, note=review.note.strip()
            )
        )
        if review.status != ActionStatus.OPEN:
            action.status = review.status
            action.closed_on = meeting.held_on
            action.version += 1
            action.save(update_fields=["status", "closed_on", "version"])
    return done


@transaction.atomic
def do_record_meeting(
    meeting: Meeting,
    *,
    participants: Sequence[ParticipantInput],
    actions: Sequence[ActionInput] = (),
    reviews: Sequence[ReviewInput] = (),
    actor: User,
    request: HttpRequest | None = None,
) -> Meeting:
    """Record a meeting in a BLO's log, who took part, what was agreed, and the follow-up of
    the actions still open from earlier meetings."""
    if meeting.pk is not None:
        raise ValueError("use do_change_meeting for a recorded meeting")
    require(actor, Action.CREATE, meeting)
    if not participants:
        raise ValidationError(_("Record who took part."))
    meeting.recorded_by = actor
    meeting.full_clean()
    meeting.save()
    for item in participants:
        participation = Participation(
            meeting=meeting,
            country=item.country,
            agency=item.agency,
            organisation=item.organisation.strip(),
            people=item.people,
            names=item.names.strip(),
        )
        participation.full_clean()
        participation.save()
    for item in actions:
        action = MeetingAction(
            meeting=meeting,
            description=item.description.strip(),
            owner=item.owner,
            owner_name=item.owner_name.strip(),
            owner_agency=item.owner_agency,
            due_on=item.due_on,
        )
        action.full_clean()
        action.save()
    followed = _follow_up(meeting, reviews)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=meeting,
        summary=str(meeting),
        changes={
            "level": meeting.level,
            "formality": meeting.formality,
            "held_on": meeting.held_on.isoformat(),
            "participants": len(participants),
            "actions": len(actions),
            "followed_up": [r.action_id for r in followed],
        },
        request=request,
    )
    return meeting


_MEETING_FIELDS = [
    "blo_id",
    "level",
    "formality",
    "held_on",
    "location",
    "agenda",
    "outcomes",
    "counterpart_blo_id",
]


@transaction.atomic
def do_change_meeting(
    meeting: Meeting,
    *,
    expected_version: int | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> Meeting:
    """Save corrections to a recorded meeting's own fields; ``StaleEdit`` if someone saved the
    meeting after ``expected_version`` (the version its editor opened).

    Authorised on the stored meeting and on the corrected one: moving a meeting into or out of
    a BLO's log needs the right to keep both logs."""
    before = Meeting.objects.select_for_update().get(pk=meeting.pk)
    require(actor, Action.CHANGE, before)
    require(actor, Action.CHANGE, meeting)
    shown = [f.removesuffix("_id") for f in _MEETING_FIELDS]
    meeting.version = check_version(
        before,
        expected_version,
        lambda: displayed(before, shown),
        lambda: displayed(meeting, shown),
    )
    meeting.full_clean()
    meeting.save()
    fields = _MEETING_FIELDS
    changes = {
        f: {"from": str(getattr(before, f)), "to": str(getattr(meeting, f))}
        for f in fields
        if getattr(before, f) != getattr(meeting, f)
    }
    record(
        actor=actor, action=AuditAction.CHANGE, obj=meeting, summary=str(meeting),
        changes=changes, request=request,
    )  # fmt: skip
    return meeting


@transaction.atomic
def do_add_meeting_action(
    meeting: Meeting, item: ActionInput, *, actor: User, request: HttpRequest | None = None
) -> MeetingAction:
    # The stored meeting decides whose log this is, not the object the caller holds.
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    action = MeetingAction(
        meeting=meeting,
        description=item.description.strip(),
        owner=item.owner,
        owner_name=item.owner_name.strip(),
        owner_agency=item.owner_agency,
        due_on=item.due_on,
    )
    require(actor, Action.CHANGE, meeting)
    action.full_clean()
    action.save()
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=action,
        summary=action.description,
        request=request,
    )
    return action


@transaction.atomic
def do_update_meeting_action(
    action: MeetingAction,
    *,
    status: ActionStatus,
    expected_version: int | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> MeetingAction:
    """Mark an action done, dropped or open again, between meetings; ``StaleEdit`` if its
    status was changed after ``expected_version``."""
    action = MeetingAction.objects.select_for_update().get(pk=action.pk)
    require(actor, Action.CHANGE, action)
    before = action.status
    stored_status = action.get_status_display()
    action.version = check_version(
        action,
        expected_version,
        lambda: {str(_("status")): stored_status},
        lambda: {str(_("status")): status.label},
    )
    action.status = status
    action.closed_on = timezone.localdate() if status != ActionStatus.OPEN else None
    action.save(update_fields=["status", "closed_on", "version"])
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=action,
        summary=action.description,
        changes={"status": {"from": before, "to": status.value}},
        request=request,
    )
    return action


@transaction.atomic
def do_delete_meeting(meeting: Meeting, *, actor: User, request: HttpRequest | None = None) -> None:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    require(actor, Action.DELETE, meeting)
    summary = str(meeting)
    pk = meeting.pk
    meeting.delete()
    record(
        actor=actor, action=AuditAction.DELETE, object_type="meetings.Meeting", object_id=str(pk),
        summary=summary, request=request,
    )  # fmt: skip
