"""The meeting pages: the log, recording with follow-up, actions, and the Table 1 frequency."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from liaison.meetings.models import ActionStatus, Formality, Meeting, MeetingAction, MeetingLevel
from liaison.meetings.services import ActionInput, ParticipantInput, do_record_meeting
from liaison.registry.models import User
from tests.builders import World


def signed_in(user: User, language: str = "en") -> Client:
    user.preferred_language = language
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def recorded(world: World, days_ago: int = 20, **extra: Any) -> Meeting:
    meeting = Meeting(
        blo=world.moc_bai, counterpart_blo=world.bavet, level=MeetingLevel.CROSS_BORDER,
        formality=Formality.OFFICIAL, held_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        agenda="Wildlife cases",
    )  # fmt: skip
    return do_record_meeting(
        meeting,
        participants=[ParticipantInput(country=world.vn, agency=world.vn_police)],
        actions=[
            ActionInput(
                "Exchange contact lists",
                owner=world.lan,
                due_on=timezone.localdate() - datetime.timedelta(days=1),
            )
        ],
        actor=world.tuan,
        **extra,
    )


def form_data(world: World, **extra: Any) -> dict[str, Any]:
    data = {
        "level": "cross_border",
        "formality": "official",
        "held_on": timezone.localdate().isoformat(),
        "counterpart_blo": world.bavet.pk,
        "location": "Moc Bai",
        "agenda": "Joint patrol plan",
        "outcomes": "Agreed",
        "participants-TOTAL_FORMS": "2",
        "participants-INITIAL_FORMS": "0",
        "participants-0-country": world.vn.pk,
        "participants-0-agency": world.vn_customs.pk,
        "participants-0-people": "2",
        "participants-1-country": world.kh.pk,
        "participants-1-agency": world.kh_police.pk,
        "participants-1-people": "3",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-description": "Joint patrol on the river",
        "actions-0-owner_name": "Bavet BLO",
        "actions-0-due_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(extra)
    return data


def test_officer_records_a_meeting_and_follows_up_the_open_action(world):
    earlier = recorded(world)
    action = earlier.actions.get()
    client = signed_in(world.lan)
    form = client.get("/meetings/blos/VN-MOCBAI/new/").content.decode()
    assert "Exchange contact lists" in form  # the open action to follow up
    response = client.post(
        "/meetings/blos/VN-MOCBAI/new/",
        form_data(world, **{f"status_{action.pk}": "done", f"note_{action.pk}": "Lists exchanged"}),
    )
    assert response.status_code == 302
    meeting = Meeting.objects.exclude(pk=earlier.pk).get()
    assert meeting.participants.count() == 2
    assert meeting.actions.get().description == "Joint patrol on the river"
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Lists exchanged" in page and "Joint patrol on the river" in page


def test_meeting_form_refuses_an_invalid_counterpart(world):
    response = signed_in(world.lan).post(
        "/meetings/blos/VN-MOCBAI/new/", form_data(world, counterpart_blo=world.pang_hok.pk)
    )
    assert response.status_code == 200
    assert not Meeting.objects.exists()


def test_recording_in_another_blos_log_is_refused(world):
    assert signed_in(world.hung).get("/meetings/blos/VN-MOCBAI/new/").status_code == 403
    assert signed_in(world.ainsley).get("/meetings/blos/VN-MOCBAI/new/").status_code == 403
    assert signed_in(world.dara).get("/meetings/blos/VN-MOCBAI/new/").status_code == 403
    assert Client().get("/meetings/blos/VN-MOCBAI/new/").status_code == 302


def test_log_is_seen_by_the_blo_and_its_counterpart_only(world):
    meeting = recorded(world)
    assert "Wildlife cases" in signed_in(world.lan).get("/meetings/").content.decode()
    assert (
        signed_in(world.dara).get(meeting.get_absolute_url()).status_code == 200
    )  # Bavet took part
    assert signed_in(world.hung).get(meeting.get_absolute_url()).status_code == 404
    assert "Wildlife cases" not in signed_in(world.hung).get("/meetings/").content.decode()
    assert signed_in(world.vanna).get(meeting.get_absolute_url()).status_code == 200
    assert signed_in(world.khamla).get(meeting.get_absolute_url()).status_code == 404


def test_edit_and_delete_are_for_the_head_and_coordinator(world):
    meeting = recorded(world)
    assert signed_in(world.minh).get(f"/meetings/{meeting.pk}/edit/").status_code == 403
    assert signed_in(world.dara).post(f"/meetings/{meeting.pk}/delete/").status_code == 403
    data = {"level": "cross_border", "formality": "informal", "held_on": meeting.held_on.isoformat(),
            "counterpart_blo": world.bavet.pk, "location": "", "agenda": "Wildlife cases, corrected", "outcomes": "",
            "version": meeting.version}  # fmt: skip
    assert signed_in(world.tuan).post(f"/meetings/{meeting.pk}/edit/", data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.formality == "informal" and meeting.agenda.endswith("corrected")
    assert signed_in(world.huong).post(f"/meetings/{meeting.pk}/delete/").status_code == 302
    assert not Meeting.objects.exists()


def test_action_owner_closes_it_and_others_cannot(world):
    action = recorded(world).actions.get()
    assert (
        signed_in(world.minh)
        .post(f"/meetings/actions/{action.pk}/", {"status": "done"})
        .status_code
        == 403
    )
    assert (
        signed_in(world.hung)
        .post(f"/meetings/actions/{action.pk}/", {"status": "done"})
        .status_code
        == 404
    )
    signed_in(world.lan).post(
        f"/meetings/actions/{action.pk}/", {"status": "done", "version": action.version}
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_head_adds_an_action_to_a_recorded_meeting(world):
    meeting = recorded(world)
    data = {"new-description": "Print the CITES poster", "new-owner": world.minh.pk}
    assert signed_in(world.lan).post(f"/meetings/{meeting.pk}/actions/", data).status_code == 403
    signed_in(world.tuan).post(f"/meetings/{meeting.pk}/actions/", data)
    assert MeetingAction.objects.filter(
        description="Print the CITES poster", owner=world.minh
    ).exists()


def test_open_actions_page_marks_overdue_ones(world):
    recorded(world)
    page = signed_in(world.tuan).get("/meetings/actions/").content.decode()
    assert "Exchange contact lists" in page and 'class="overdue"' in page
    assert (
        "Exchange contact lists"
        not in signed_in(world.hung).get("/meetings/actions/").content.decode()
    )


def test_frequency_page_reproduces_table_1_for_the_demo(demo_network):
    coordinator = User.objects.get(username="huong.sodc")
    page = signed_in(coordinator).get("/meetings/frequency/").content.decode()
    assert "Bilateral cross-border meetings with BLO counterparts:" in page
    assert (
        page.index("Once a year")
        < page.index("2-5 times a year")
        < page.index("No regular meetings")
    )
    assert ">CL1<" in page and ">CL2<" in page
    assert 'id="without-regular"' in page and "Song Tien" in page and "Long Binh" in page
    # an officer sees only her own BLO's row
    officer = User.objects.get(username="lan.customs.mocbai")
    own = signed_in(officer).get("/meetings/frequency/").content.decode()
    assert 'data-blo="VN-MOCBAI"' in own and 'data-blo="VN-SONGTIEN"' not in own


def test_frequency_needs_signing_in(db):
    assert Client().get("/meetings/frequency/").status_code == 302


def test_a_meeting_sent_twice_by_a_tablet_with_one_key_is_recorded_once(world):
    client = signed_in(world.lan)
    headers = {"Idempotency-Key": "meeting-tablet-1"}
    first = client.post("/meetings/blos/VN-MOCBAI/new/", form_data(world), headers=headers)
    again = client.post("/meetings/blos/VN-MOCBAI/new/", form_data(world), headers=headers)
    assert first.status_code == again.status_code == 201
    meeting = Meeting.objects.get()
    assert first["Location"] == again["Location"] == meeting.get_absolute_url()
    other = client.post(
        "/meetings/blos/VN-MOCBAI/new/", form_data(world, agenda="Other"), headers=headers
    )
    assert other.status_code == 422
    assert Meeting.objects.count() == 1
