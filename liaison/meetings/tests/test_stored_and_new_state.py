"""Writes to the meeting log authorise the stored row and the new state: a head who keeps one
BLO's log cannot move a meeting into or out of another BLO's log, whatever object a caller hands
the service. And every page answers bad input with a 4xx."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from liaison.meetings.models import ActionStatus, Formality, Meeting, MeetingAction, MeetingLevel
from liaison.meetings.services import (
    ActionInput,
    ParticipantInput,
    do_add_meeting_action,
    do_change_meeting,
    do_delete_meeting,
    do_record_meeting,
    do_update_meeting_action,
)
from liaison.registry.models import BLO, User
from tests.builders import World


def local_meeting(world: World, blo: BLO, actor: User) -> Meeting:
    return do_record_meeting(
        Meeting(
            blo=blo,
            level=MeetingLevel.DISTRICT,
            formality=Formality.OFFICIAL,
            held_on=timezone.localdate() - datetime.timedelta(days=3),
            agenda="Joint patrol roster",
        ),
        participants=[ParticipantInput(country=world.vn, agency=world.vn_police)],
        actions=[ActionInput("Share the roster", owner_name="Duty officer")],
        actor=actor,
    )


def test_head_may_not_move_their_posts_meeting_into_another_blos_log(world):
    # given a meeting of Moc Bai's log, which its head Tuấn keeps
    meeting = local_meeting(world, world.moc_bai, world.tuan)
    # when he saves it as a meeting of Dien Bien
    meeting.blo = world.dien_bien
    with pytest.raises(PermissionDenied):
        do_change_meeting(meeting, actor=world.tuan)
    # then it stays in Moc Bai's log
    assert Meeting.objects.get(pk=meeting.pk).blo_id == world.moc_bai.pk


def test_head_may_not_take_another_blos_meeting_into_their_log(world):
    # given a meeting of Dien Bien's log, which Tuấn (head of Moc Bai) may not change
    meeting = local_meeting(world, world.dien_bien, world.binh)
    # when he hands the service that meeting re-homed to his own post, with new words
    meeting.blo = world.moc_bai
    meeting.agenda = "Rewritten"
    with pytest.raises(PermissionDenied):
        do_change_meeting(meeting, actor=world.tuan)
    # then nothing is saved
    stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.blo_id, stored.agenda) == (world.dien_bien.pk, "Joint patrol roster")


def test_coordinator_may_move_a_meeting_between_posts_of_her_country(world):
    meeting = local_meeting(world, world.moc_bai, world.tuan)
    meeting.blo = world.dien_bien
    do_change_meeting(meeting, actor=world.huong)
    assert Meeting.objects.get(pk=meeting.pk).blo_id == world.dien_bien.pk


def test_deleting_is_authorised_on_the_stored_meeting(world):
    meeting = local_meeting(world, world.dien_bien, world.binh)
    meeting.blo = world.moc_bai
    with pytest.raises(PermissionDenied):
        do_delete_meeting(meeting, actor=world.tuan)
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_adding_an_action_is_authorised_on_the_stored_meeting(world):
    meeting = local_meeting(world, world.dien_bien, world.binh)
    meeting.blo = world.moc_bai
    with pytest.raises(PermissionDenied):
        do_add_meeting_action(
            meeting, ActionInput("Smuggled in", owner=world.lan), actor=world.tuan
        )
    assert not MeetingAction.objects.filter(description="Smuggled in").exists()


def test_updating_an_action_is_authorised_on_the_stored_action(world):
    meeting = local_meeting(world, world.dien_bien, world.binh)
    action = meeting.actions.get()
    # the object handed in claims Tuấn owns it; the stored action has no owner account
    action.owner = world.tuan
    with pytest.raises(PermissionDenied):
        do_update_meeting_action(action, status=ActionStatus.DONE, actor=world.tuan)
    assert MeetingAction.objects.get(pk=action.pk).status == ActionStatus.OPEN


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/meetings/abc/",
        "/meetings/999999/",
        "/meetings/999999/edit/",
        "/meetings/blos/NO-SUCH-BLO/new/",
        "/meetings/?level=%00&blo=%27",
        "/meetings/frequency/?country=ZZ&formality=x",
    ],
)
def test_meeting_pages_answer_bad_input_with_a_4xx(world, path):
    response = signed_in(world.tuan).get(path)
    assert response.status_code in {200, 400, 403, 404}


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/meetings/999999/delete/", {}),
        ("/meetings/999999/actions/", {"new-description": "x"}),
        ("/meetings/actions/999999/", {"status": "done"}),
        ("/meetings/actions/abc/", {"status": "done"}),
    ],
)
def test_meeting_posts_answer_bad_input_with_a_4xx(world, path, data):
    response = signed_in(world.tuan).post(path, data)
    assert 400 <= response.status_code < 500


def test_action_update_with_an_unknown_status_changes_nothing(world):
    meeting = local_meeting(world, world.moc_bai, world.tuan)
    action = meeting.actions.get()
    response = signed_in(world.tuan).post(f"/meetings/actions/{action.pk}/", {"status": "gone"})
    assert response.status_code == 302
    assert MeetingAction.objects.get(pk=action.pk).status == ActionStatus.OPEN
