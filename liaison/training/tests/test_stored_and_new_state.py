"""Training writes authorise the stored state and the new one: a session is checked where it is
hosted and where it would be, an officer where they are really posted, whatever object a caller
hands the service. And every page answers bad input with a 4xx."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from liaison.registry.models import BLO, User
from liaison.training.models import (
    Attendance,
    Certificate,
    Completion,
    DeliveryFormat,
    DepartureReason,
    Enrolment,
    Posting,
    TrainingModule,
    TrainingSession,
)
from liaison.training.services import (
    do_enrol_officer,
    do_record_attendance,
    do_record_completion,
    do_record_departure,
    do_save_training_session,
    do_transfer_officer,
)
from liaison.training.tests.builders import signed_in

TODAY = timezone.localdate()


def classroom(module: TrainingModule, host: BLO, actor: User) -> TrainingSession:
    return do_save_training_session(
        TrainingSession(
            module=module,
            kind=DeliveryFormat.CLASSROOM,
            starts_on=TODAY - datetime.timedelta(days=2),
            ends_on=TODAY - datetime.timedelta(days=1),
            location="Provincial police hall",
            host_blo=host,
        ),
        blos=[host],
        actor=actor,
    )


def stored(session: TrainingSession) -> TrainingSession:
    return TrainingSession.objects.get(pk=session.pk)


# --- sessions -----------------------------------------------------------------------------------


def test_head_may_not_move_their_posts_session_to_another_blo(catalogue, world):
    # given a session Tuấn runs at Moc Bai
    session = classroom(catalogue["cites-basics"], world.moc_bai, world.tuan)
    # when he moves it to Dien Bien, which he does not head
    session.host_blo = world.dien_bien
    with pytest.raises(PermissionDenied):
        do_save_training_session(session, blos=[world.dien_bien], actor=world.tuan)
    # then it stays at Moc Bai
    assert stored(session).host_blo_id == world.moc_bai.pk
    assert list(stored(session).blos.values_list("code", flat=True)) == ["VN-MOCBAI"]


def test_head_may_not_take_over_another_blos_session(catalogue, world):
    # given a session Bình runs at Dien Bien
    session = classroom(catalogue["cites-basics"], world.dien_bien, world.binh)
    # when Tuấn hands the service that session re-hosted at his own post
    session.host_blo = world.moc_bai
    session.location = "Moc Bai gate"
    with pytest.raises(PermissionDenied):
        do_save_training_session(session, blos=[world.moc_bai], actor=world.tuan)
    # then nothing changes
    row = stored(session)
    assert (row.host_blo_id, row.location) == (world.dien_bien.pk, "Provincial police hall")


def test_coordinator_moves_a_session_between_posts_of_her_country(catalogue, world):
    session = classroom(catalogue["cites-basics"], world.moc_bai, world.tuan)
    session.host_blo = world.dien_bien
    do_save_training_session(session, blos=[], actor=world.huong)
    assert stored(session).host_blo_id == world.dien_bien.pk


def test_head_may_not_open_a_session_to_a_post_beyond_their_reach(catalogue, world):
    # Chrey Thom is a Cambodian post Moc Bai is not paired with: Tuấn does not work with it.
    session = classroom(catalogue["cites-basics"], world.moc_bai, world.tuan)
    session.kind = DeliveryFormat.JOINT_SESSION
    with pytest.raises(PermissionDenied):
        do_save_training_session(session, blos=[world.chrey_thom], actor=world.tuan)
    assert stored(session).kind == DeliveryFormat.CLASSROOM
    assert not stored(session).blos.filter(pk=world.chrey_thom.pk).exists()
    # the paired post across the border is his to invite
    do_save_training_session(session, blos=[world.bavet], actor=world.tuan)
    assert stored(session).blos.filter(pk=world.bavet.pk).exists()


# --- attendance, completions, certificates ------------------------------------------------------


def test_attendance_is_authorised_on_the_stored_session(catalogue, world):
    # given Bình's session at Dien Bien, and Hùng posted there
    session = classroom(catalogue["cites-basics"], world.dien_bien, world.binh)
    # when Tuấn records Hùng's attendance through the session re-hosted at Moc Bai in memory
    session.host_blo = world.moc_bai
    with pytest.raises(PermissionDenied):
        do_record_attendance(session, world.hung, present=True, actor=world.tuan)
    # then no attendance, completion or certificate is recorded
    assert not Attendance.objects.exists()
    assert not Completion.objects.filter(officer=world.hung).exists()
    assert not Certificate.objects.filter(officer=world.hung).exists()


def test_attendance_is_recorded_for_officers_where_they_are_really_posted(catalogue, world):
    # given Tuấn's session at Moc Bai; Hùng is posted at Dien Bien
    session = classroom(catalogue["cites-basics"], world.moc_bai, world.tuan)
    hung = User.objects.get(pk=world.hung.pk)
    hung.blo = world.moc_bai  # what the caller's object says, not the registry
    with pytest.raises(ValidationError):
        do_record_attendance(session, hung, present=True, actor=world.tuan)
    assert not Completion.objects.filter(officer=world.hung).exists()


def test_head_may_not_enrol_an_officer_of_another_post(catalogue, world):
    hung = User.objects.get(pk=world.hung.pk)
    hung.blo = world.moc_bai  # claims to be at Tuấn's post
    with pytest.raises(PermissionDenied):
        do_enrol_officer(hung, catalogue["cites-basics"], actor=world.tuan)
    assert not Enrolment.objects.filter(officer=world.hung).exists()


def test_head_enrols_an_officer_of_their_post(catalogue, world):
    do_enrol_officer(world.lan, catalogue["cites-basics"], actor=world.tuan)
    assert Enrolment.objects.filter(officer=world.lan).exists()


def test_coordinator_may_not_record_a_completion_for_another_countrys_officer(catalogue, world):
    dara = User.objects.get(pk=world.dara.pk)
    dara.country = world.vn  # claims to be Vietnamese
    with pytest.raises(PermissionDenied):
        do_record_completion(
            dara, catalogue["cites-basics"], completed_on=TODAY, score=Decimal(95),
            method=DeliveryFormat.CLASSROOM, actor=world.huong,
        )  # fmt: skip
    assert not Completion.objects.filter(officer=world.dara).exists()
    assert not Certificate.objects.filter(officer=world.dara).exists()


def test_coordinator_records_a_completion_for_her_countrys_officer(catalogue, world):
    completion = do_record_completion(
        world.hung, catalogue["cites-basics"], completed_on=TODAY, score=Decimal(95),
        method=DeliveryFormat.CLASSROOM, actor=world.huong,
    )  # fmt: skip
    assert completion.blo_id == world.dien_bien.pk


# --- postings -----------------------------------------------------------------------------------


def test_coordinator_may_not_record_the_departure_of_another_countrys_officer(world):
    dara = User.objects.get(pk=world.dara.pk)
    dara.country, dara.blo = world.vn, world.moc_bai  # claims to be at Moc Bai
    with pytest.raises(PermissionDenied):
        do_record_departure(dara, on=TODAY, reason=DepartureReason.RETIRED, actor=world.huong)
    assert User.objects.get(pk=world.dara.pk).is_active
    assert not Posting.objects.filter(officer=world.dara).exists()


def test_head_may_not_transfer_an_officer_of_another_post(world):
    hung = User.objects.get(pk=world.hung.pk)
    hung.blo = world.moc_bai  # claims to be at Tuấn's post
    with pytest.raises((PermissionDenied, ValidationError)):
        do_transfer_officer(hung, world.dien_bien, on=TODAY, actor=world.tuan)
    assert User.objects.get(pk=world.hung.pk).blo_id == world.dien_bien.pk
    assert not Posting.objects.filter(officer=world.hung, blo=world.moc_bai).exists()


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/training/attempts/abc/",
        "/training/attempts/999999/",
        "/training/officers/999999/",
        "/training/officers/999999/move/",
        "/training/sessions/999999/",
        "/training/sessions/999999/edit/",
        "/training/plans/999999/",
        "/training/plans/abc/",
        "/training/modules/no-such-module/",
        "/training/modules/no-such-module/pages/1/",
        "/training/modules/no-such-module/assets/x.png",
        "/training/certificates/NO-SUCH/",
        "/training/certificates/NO-SUCH/pdf/",
        "/training/coverage/NO-SUCH-BLO/",
        "/training/plans/999999/?by=%00",
        "/training/?area=%00&skill=x&format=y",
    ],
)
def test_training_pages_answer_bad_input_with_a_4xx(world, path):
    response = signed_in(world.huong).get(path)
    assert response.status_code in {200, 400, 403, 404}


def test_session_form_refuses_a_host_outside_ones_reach(catalogue, world):
    response = signed_in(world.tuan).post(
        "/training/sessions/new/",
        {
            "module": catalogue["cites-basics"].pk,
            "kind": "classroom",
            "starts_on": TODAY.isoformat(),
            "ends_on": TODAY.isoformat(),
            "location": "x",
            "host_blo": "abc",
            "blos": ["999999", "x"],
        },
    )
    assert response.status_code == 200
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "transfer", "to_blo": "abc", "on": "not a date"},
        {"action": "transfer", "to_blo": "999999", "on": "2024-01-01"},
        {"action": "departure", "reason": "nonsense", "on": "01/01/0001"},
        {"action": "???"},
    ],
)
def test_officer_move_answers_bad_input_without_a_server_error(world, data):
    response = signed_in(world.tuan).post(f"/training/officers/{world.lan.pk}/move/", data)
    assert response.status_code in {200, 400, 403}
    assert User.objects.get(pk=world.lan.pk).is_active
