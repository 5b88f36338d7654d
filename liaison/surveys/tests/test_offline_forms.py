"""The questionnaire and the Q&A notes on a field tablet: the copy of the page the service worker
keeps holds no answer and no note, a keyed post sent again records once, and answers that
arrive when they can no longer be taken come back (409) with what was typed."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from liaison.audit.models import AuditEntry
from liaison.exchange.models import IdempotencyKey
from liaison.pwa.offline import OFFLINE_COPY_HEADER, is_record_path
from liaison.registry.models import User
from liaison.surveys.models import (
    GuideQuestion,
    QASession,
    RoundStatus,
    SessionKind,
    SessionNote,
    Submission,
    SubmissionStatus,
    SurveyRound,
)
from liaison.surveys.services import (
    SessionData,
    do_add_guide_question,
    do_record_note,
    do_record_session,
    do_save_submission,
)
from liaison.surveys.tests.rounds import PATROL_ANSWERS, patrol_round, signed_in

pytestmark = pytest.mark.django_db

NOTES = "Thiếu trang thiết bị giám định; phiên dịch tiếng Lào không thường xuyên."


def fill_url(survey_round: SurveyRound) -> str:
    return f"/surveys/rounds/{survey_round.pk}/fill/"


def answers(action: str, **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"q-{name}": value for name, value in {**PATROL_ANSWERS, **changes}.items()
    }
    data["action"] = action
    return data


def english(user: User) -> Client:
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return signed_in(user)


def keyed(client: Client, path: str, data: dict[str, Any], key: str) -> Any:
    return client.post(path, data, headers={"Idempotency-Key": key})


# --- the questionnaire ------------------------------------------------------------------------


def test_the_questionnaire_names_a_copy_for_the_tablet_without_the_officers_draft(world) -> None:
    # given Lan saved a draft on the server with an answer of her own
    survey_round = patrol_round(world)
    do_save_submission(
        survey_round,
        {"years_border": "17"},
        submit=False,
        language="en",
        actor=world.lan,
    )
    lan = english(world.lan)
    # when she opens the questionnaire
    page = lan.get(fill_url(survey_round))
    # then it shows her draft, and names the copy the worker may keep instead of itself
    assert page.status_code == 200
    assert 'value="17"' in page.content.decode()
    assert page[OFFLINE_COPY_HEADER] == f"{fill_url(survey_round)}?offline-copy=1"
    assert is_record_path(fill_url(survey_round)) and "no-store" in page["Cache-Control"]
    # and that copy is the keep-and-send form without her draft answer
    copy = lan.get(page[OFFLINE_COPY_HEADER])
    assert copy.status_code == 200 and copy[OFFLINE_COPY_HEADER] == "this"
    body = copy.content.decode()
    assert 'value="17"' not in body
    assert 'data-keep="questionnaire"' in body and "data-keep-sensitive" in body
    assert 'value="moc_bai" checked' in body or "moc_bai" in body


def test_the_copy_for_the_tablet_carries_no_waiting_message(world) -> None:
    survey_round = patrol_round(world)
    lan = english(world.lan)
    saved = lan.post(fill_url(survey_round), answers("draft"))
    assert saved.status_code == 302
    copy = lan.get(f"{fill_url(survey_round)}?offline-copy=1").content.decode()
    assert "Draft saved" not in copy and 'class="messages"' not in copy
    # the message waits for the page she sees
    assert "Draft saved" in lan.get(fill_url(survey_round)).content.decode()


def test_a_questionnaire_sent_twice_with_one_key_is_submitted_once(world) -> None:
    survey_round = patrol_round(world)
    lan = english(world.lan)
    first = keyed(lan, fill_url(survey_round), answers("submit"), "tablet-1")
    again = keyed(lan, fill_url(survey_round), answers("submit"), "tablet-1")
    assert first.status_code == again.status_code == 201
    assert first["Location"] == again["Location"] == survey_round.get_absolute_url()
    mine = Submission.objects.get(respondent=world.lan)
    assert mine.status == SubmissionStatus.SUBMITTED and mine.answers["years_border"] == "4"
    assert AuditEntry.objects.filter(object_type="surveys.Submission").count() == 1
    assert IdempotencyKey.objects.filter(user=world.lan).count() == 1


def test_a_second_submission_of_the_same_round_comes_back_with_its_answers(world) -> None:
    # given Lan submitted the questionnaire from her desk
    survey_round = patrol_round(world)
    lan = english(world.lan)
    assert lan.post(fill_url(survey_round), answers("submit")).status_code == 302
    # when her tablet's outbox sends the one she filled offline
    late = keyed(lan, fill_url(survey_round), answers("submit", years_border="9"), "tablet-2")
    # then it is a conflict, shown with what she typed, and nothing is changed
    assert late.status_code == 409
    body = late.content.decode()
    assert "You have already submitted this questionnaire." in body
    assert 'value="9"' in body
    mine = Submission.objects.get(respondent=world.lan)
    assert mine.answers["years_border"] == "4"
    assert not IdempotencyKey.objects.filter(user=world.lan).exists()


def test_answers_that_arrive_after_the_round_closed_come_back_with_them(world) -> None:
    survey_round = patrol_round(world)
    lan = english(world.lan)
    SurveyRound.objects.filter(pk=survey_round.pk).update(status=RoundStatus.CLOSED)
    late = keyed(lan, fill_url(survey_round), answers("submit", years_border="6"), "tablet-3")
    assert late.status_code == 409
    body = late.content.decode()
    assert "This round does not take answers now." in body and 'value="6"' in body
    assert not Submission.objects.filter(respondent=world.lan).exists()
    # opening the closed round's questionnaire is still refused
    assert lan.get(fill_url(survey_round)).status_code == 403


def test_an_officer_of_another_blo_posting_answers_is_refused_without_a_record(world) -> None:
    # given a round over Moc Bai and Dien Bien, and Dara, a police officer at Bavet (Cambodia)
    survey_round = patrol_round(world)
    response = keyed(english(world.dara), fill_url(survey_round), answers("submit"), "k")
    assert response.status_code in (403, 404, 409)
    assert not Submission.objects.filter(respondent=world.dara).exists()


# --- Q&A sessions -----------------------------------------------------------------------------


def interview(world: Any) -> tuple[QASession, GuideQuestion, GuideQuestion]:
    survey_round = patrol_round(world)
    first = do_add_guide_question(
        survey_round, {"en": "What are the main constraints?"}, actor=world.ainsley
    )
    second = do_add_guide_question(
        survey_round, {"en": "What helps the cooperation?"}, actor=world.ainsley
    )
    session = do_record_session(
        survey_round,
        SessionData(
            held_on=datetime.date(2026, 3, 12),
            blo=world.dien_bien,
            kind=SessionKind.HEAD_OF_BLO,
            interviewer="Ainsley",
            language="vi",
            participants=[{"role": "Trưởng BLO", "agency": "Công an tỉnh"}],
        ),
        actor=world.ainsley,
    )
    return session, first, second


def test_the_session_copy_for_the_tablet_holds_no_note_and_no_participant(world) -> None:
    # given a session whose first question has notes
    session, first, second = interview(world)
    do_record_note(session, first, text=NOTES, actor=world.ainsley)
    ainsley = english(world.ainsley)
    page = ainsley.get(session.get_absolute_url())
    assert NOTES in page.content.decode()
    assert page[OFFLINE_COPY_HEADER] == f"{session.get_absolute_url()}?offline-copy=1"
    # when the worker asks for the copy it keeps
    copy = ainsley.get(page[OFFLINE_COPY_HEADER])
    body = copy.content.decode()
    # then it has the empty notes form of the second question only
    assert copy[OFFLINE_COPY_HEADER] == "this"
    assert NOTES not in body and "Công an tỉnh" not in body and "Ainsley" not in body
    assert f'id="note-{second.pk}"' in body and f'id="note-{first.pk}"' not in body
    assert 'data-keep="qa-note"' in body and "data-keep-sensitive" in body


def test_a_reader_of_a_session_is_not_offered_a_copy(world) -> None:
    # the head of Moc Bai reads the round's sessions but writes no notes
    session, _first, _second = interview(world)
    page = english(world.tuan).get(session.get_absolute_url())
    if page.status_code == 200:
        assert OFFLINE_COPY_HEADER not in page


def test_notes_sent_twice_with_one_key_are_saved_once(world) -> None:
    session, first, _second = interview(world)
    ainsley = english(world.ainsley)
    path = f"/surveys/qa/{session.pk}/notes/{first.pk}/"
    data = {f"q{first.pk}-text": NOTES}
    sent = keyed(ainsley, path, data, "notes-1")
    again = keyed(ainsley, path, data, "notes-1")
    assert sent.status_code == again.status_code == 201
    assert sent["Location"] == f"{session.get_absolute_url()}#question-{first.position}"
    note = SessionNote.objects.get()
    assert note.text == NOTES
    assert AuditEntry.objects.filter(object_type="surveys.SessionNote").count() == 1


def test_a_session_sent_twice_with_one_key_is_recorded_once(world) -> None:
    session, _first, _second = interview(world)
    ainsley = english(world.ainsley)
    path = f"/surveys/rounds/{session.round_id}/qa/sessions/new/"
    data = {
        "held_on": "2026-03-14",
        "blo": str(world.moc_bai.pk),
        "kind": SessionKind.HEAD_OF_BLO.value,
        "interviewer": "Ainsley",
        "language": "vi",
        "participants": "Trưởng BLO – Hải quan",
    }
    sent = keyed(ainsley, path, data, "session-1")
    again = keyed(ainsley, path, data, "session-1")
    assert sent.status_code == again.status_code == 201
    assert QASession.objects.filter(blo=world.moc_bai).count() == 1


def test_first_notes_sent_late_do_not_write_over_notes_written_meanwhile(world) -> None:
    # given Ainsley's tablet holds first notes for a question, written offline
    session, first, _second = interview(world)
    path = f"/surveys/qa/{session.pk}/notes/{first.pk}/"
    # and meanwhile notes for that question were written at the desk
    do_record_note(session, first, text="Ghi chép tại văn phòng.", actor=world.ainsley)
    # when the tablet's outbox sends hers
    late = keyed(
        english(world.ainsley),
        path,
        {f"q{first.pk}-text": NOTES, "first_notes": "1"},
        "notes-late",
    )
    # then they come back as a conflict, with her text, and the desk's notes stand
    assert late.status_code == 409
    body = late.content.decode()
    assert "Notes were written for this question meanwhile" in body and NOTES in body
    assert SessionNote.objects.get().text == "Ghi chép tại văn phòng."
    assert not IdempotencyKey.objects.filter(user=world.ainsley).exists()
