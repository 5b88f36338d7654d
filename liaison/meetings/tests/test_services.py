"""Recording meetings: participants, actions with owners and due dates, follow-up at the next
meeting, and who may write in which log."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from liaison.audit.models import AuditEntry
from liaison.meetings.models import (
    ActionReview,
    ActionStatus,
    Formality,
    Meeting,
    MeetingAction,
    MeetingLevel,
)
from liaison.meetings.selectors import open_actions_for
from liaison.meetings.services import (
    ActionInput,
    ParticipantInput,
    ReviewInput,
    do_delete_meeting,
    do_record_meeting,
    do_update_meeting_action,
)
from tests.builders import World


def cross_border(world: World, days_ago: int = 30, **extra: Any) -> Meeting:
    return Meeting(
        blo=world.moc_bai,
        counterpart_blo=world.bavet,
        level=MeetingLevel.CROSS_BORDER,
        formality=Formality.OFFICIAL,
        held_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        agenda="Pangolin scales through Moc Bai",
        **extra,
    )


def people(world: World) -> list[ParticipantInput]:
    return [
        ParticipantInput(country=world.vn, agency=world.vn_customs, people=2, names="Lan"),
        ParticipantInput(country=world.kh, agency=world.kh_police, people=3),
    ]


def test_meeting_with_actions_is_followed_up_at_the_next(world):
    today = timezone.localdate()
    # given a cross-border meeting with two actions
    first = do_record_meeting(
        cross_border(world, 60),
        participants=people(world),
        actions=[
            ActionInput(
                "Share truck numbers", owner=world.lan, due_on=today - datetime.timedelta(days=5)
            ),
            ActionInput(
                "Send the Khmer species list", owner_name="Bavet BLO", owner_agency=world.kh_police
            ),
        ],
        actor=world.lan,
    )
    assert first.participants.count() == 2 and first.recorded_by == world.lan
    share, send = first.actions.order_by("id")
    assert share.is_overdue() and not send.is_overdue()
    assert list(open_actions_for(world.moc_bai)) == [share, send]
    # when the next meeting reviews them: one done, one still open
    second = do_record_meeting(
        cross_border(world, 2),
        participants=people(world),
        reviews=[
            ReviewInput(share, ActionStatus.DONE, "Sent on paper"),
            ReviewInput(send, ActionStatus.OPEN, "Translation under way"),
        ],
        actor=world.tuan,
    )
    share.refresh_from_db()
    assert share.status == ActionStatus.DONE and share.closed_on == second.held_on
    assert list(open_actions_for(world.moc_bai)) == [send]
    assert ActionReview.objects.filter(meeting=second).count() == 2
    # and the counterpart's log shows the same open action
    assert list(open_actions_for(world.bavet)) == [send]
    assert AuditEntry.objects.filter(object_type="meetings.Meeting", action="create").count() == 2


def test_cross_border_meeting_names_a_counterpart_of_the_blo(world):
    meeting = cross_border(world)
    meeting.counterpart_blo = world.pang_hok  # Dien Bien's counterpart, not Moc Bai's
    with pytest.raises(ValidationError, match="not a counterpart"):
        do_record_meeting(meeting, participants=people(world), actor=world.lan)
    district = cross_border(world)
    district.level = MeetingLevel.DISTRICT
    with pytest.raises(ValidationError, match="Only a cross-border meeting"):
        do_record_meeting(district, participants=people(world), actor=world.lan)
    with pytest.raises(ValidationError, match="who took part"):
        do_record_meeting(cross_border(world), participants=[], actor=world.lan)
    assert not Meeting.objects.exists()


def test_only_the_blos_staff_and_coordinator_write_in_its_log(world):
    for outsider in (world.hung, world.dara, world.ainsley, world.vanna):
        with pytest.raises(PermissionDenied):
            do_record_meeting(cross_border(world), participants=people(world), actor=outsider)
    meeting = do_record_meeting(cross_border(world), participants=people(world), actor=world.huong)
    with pytest.raises(PermissionDenied):
        do_delete_meeting(meeting, actor=world.lan)
    do_delete_meeting(meeting, actor=world.tuan)
    assert not Meeting.objects.exists()


def test_an_actions_owner_updates_it_between_meetings(world):
    meeting = do_record_meeting(
        cross_border(world), participants=people(world),
        actions=[ActionInput("Hotline", owner=world.minh)], actor=world.tuan,
    )  # fmt: skip
    action = meeting.actions.get()
    with pytest.raises(PermissionDenied):
        do_update_meeting_action(action, status=ActionStatus.DONE, actor=world.lan)
    do_update_meeting_action(action, status=ActionStatus.DONE, actor=world.minh)
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.closed_on == timezone.localdate()
    assert MeetingAction.objects.filter(status=ActionStatus.OPEN).count() == 0
