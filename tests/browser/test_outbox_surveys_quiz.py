"""The questionnaire, a quiz attempt and a Q&A session's notes on a field tablet with the link
down: opened once online, filled and submitted offline, still waiting after a reload offline,
recorded once when the link returns (the quiz scored by the server, whose page never carried
the answer key)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from liaison.audit.models import AuditEntry
from liaison.exchange.models import IdempotencyKey
from liaison.surveys.models import (
    QASession,
    SessionKind,
    SessionNote,
    Submission,
    SubmissionStatus,
)
from liaison.training.models import Question, QuizAttempt
from tests.browser.conftest import sign_in
from tests.browser.test_offline import kept, wait_until_controlled
from tests.browser.test_outbox import english, kept_on_tablet, new_tablet, wait_for
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

MODULE = "precursor-identification"
NOTES = "Thiếu bộ dụng cụ giám định tiền chất; phiên dịch tiếng Lào chỉ có vào thứ Hai."

KEPT_COPY = """async (path) => {
    for (const name of await caches.keys()) {
        const found = await (await caches.open(name)).match(path, { ignoreVary: true });
        if (found) return await found.text();
    }
    return "";
}"""


def kept_copy(page: Page, path: str) -> str:
    return str(page.evaluate(KEPT_COPY, path))


def wait_until_kept(page: Page, path: str) -> None:
    deadline = time.monotonic() + 30
    while not kept(page, path):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was not kept for offline")
        page.wait_for_timeout(300)


def open_under_worker(page: Page, base: str, path: str) -> None:
    """Open a form page online under the worker until the worker keeps its copy."""
    page.goto(f"{base}{path}")
    wait_until_controlled(page)
    page.reload()
    wait_until_kept(page, path)


def submitted_offline_then_reloaded(page: Page) -> None:
    expect(page.locator("[data-keep-queued]")).to_be_visible()
    expect(page.locator('[data-keep-queue] li[data-state="waiting"]')).to_have_count(1)
    page.reload()
    expect(page.locator('[data-keep-queue] li[data-state="waiting"]')).to_have_count(1)


def submitted_once_when_back_online(context: Any, tablet: Page, officer: Any) -> Submission:
    """The link returns: the outbox sends what waited, the server records it once (one audit
    entry), the tablet marks it sent, and a reload sends nothing again."""
    context.set_offline(False)
    wait_for(
        lambda: Submission.objects.filter(
            respondent=officer, status=SubmissionStatus.SUBMITTED
        ).exists()
    )
    expect(tablet.locator('[data-keep-queue] li[data-state="sent"]')).to_have_count(1)
    tablet.reload()
    tablet.wait_for_timeout(500)
    assert AuditEntry.objects.filter(object_type="surveys.Submission").count() == 1
    return Submission.objects.get(respondent=officer)


def test_a_questionnaire_filled_offline_is_submitted_once_when_the_link_returns(
    live_server, live_world: Any, browser: Browser, settings, tmp_path
) -> None:
    from liaison.surveys.tests.rounds import patrol_round

    settings.MEDIA_ROOT = tmp_path
    # given an open round over Moc Bai, whose questionnaire Lan opened once online
    survey_round = patrol_round(live_world)
    english(live_world.lan)
    base = live_server.url
    path = f"/surveys/rounds/{survey_round.pk}/fill/"
    context, tablet = new_tablet(browser)
    sign_in(tablet, base, "lan", PASSWORD)
    open_under_worker(tablet, base, path)

    # when the link goes down and she opens it again, fills it and submits it
    context.set_offline(True)
    tablet.goto(f"{base}{path}")
    expect(tablet.locator("#questionnaire")).to_have_attribute("data-ready", "yes")
    expect(tablet.locator("input[name='q-blo'][value='moc_bai']")).to_be_checked()
    tablet.fill("#q-years_border", "4")
    tablet.locator("input[name='q-heard_cites'][value='yes']").check()
    tablet.locator("input[name='q-cites_what'][value='convention']").check()
    tablet.locator("input[name='q-integrity'][value='refuse']").check()
    tablet.click("#submit")

    # then it waits on the tablet, sealed, also after a reload offline; nothing is recorded
    submitted_offline_then_reloaded(tablet)
    waiting = kept_on_tablet(tablet)["outbox"]
    assert len(waiting) == 1 and "years_border" not in waiting[0]
    assert not Submission.objects.filter(respondent=live_world.lan).exists()

    # when the link returns, then her questionnaire is submitted, once, with her answers
    mine = submitted_once_when_back_online(context, tablet, live_world.lan)
    assert mine.answers["years_border"] == "4" and mine.answers["integrity"] == "refuse"
    assert IdempotencyKey.objects.filter(user=live_world.lan).count() == 1
    assert kept_on_tablet(tablet)["outbox"] == []
    context.close()


def answer_rightly(page: Page) -> None:
    keys = {q.code: q for q in Question.objects.filter(module__code=MODULE)}
    for fieldset in page.locator("fieldset[data-question]").all():
        code = str(fieldset.get_attribute("data-question"))
        for option in sorted(keys[code].correct_codes):
            fieldset.locator(f'input[value="{option}"]').check()


def test_a_quiz_answered_offline_is_scored_once_by_the_server_when_the_link_returns(
    live_server, live_world: Any, browser: Browser
) -> None:
    from liaison.training.demo import CONTENT_DIR
    from liaison.training.services import do_import_content

    # given the shipped modules, and Lan who opened the precursor module's quiz once online
    do_import_content(CONTENT_DIR, actor=None)
    english(live_world.lan)
    base = live_server.url
    context, tablet = new_tablet(browser)
    sign_in(tablet, base, "lan", PASSWORD)
    tablet.goto(f"{base}/training/modules/{MODULE}/")
    wait_until_controlled(tablet)
    tablet.click("#take-quiz")
    expect(tablet.locator("fieldset[data-question]")).to_have_count(10)
    attempt = QuizAttempt.objects.get(enrolment__officer=live_world.lan)
    path = attempt.get_absolute_url()
    wait_until_kept(tablet, path)

    # then neither the page nor the copy kept on the tablet says which answers are right
    for html in (tablet.content(), kept_copy(tablet, path)):
        assert 'data-keep="quiz"' in html
        assert re.search(r"correct[^ ]", html) is None and '"correct"' not in html

    # when the link goes down, she opens the quiz again, answers it and submits it
    context.set_offline(True)
    tablet.goto(f"{base}{path}")
    answer_rightly(tablet)
    tablet.click("#submit-quiz")

    # then it waits on the tablet, also after a reload offline; nothing is scored
    submitted_offline_then_reloaded(tablet)
    attempt.refresh_from_db()
    assert attempt.submitted_at is None

    # when the link returns, the server scores it, once
    context.set_offline(False)
    wait_for(lambda: QuizAttempt.objects.get(pk=attempt.pk).submitted_at is not None)
    expect(tablet.locator('[data-keep-queue] li[data-state="sent"]')).to_have_count(1)
    tablet.reload()
    tablet.wait_for_timeout(500)
    attempt.refresh_from_db()
    assert attempt.score == 100 and attempt.passed
    assert QuizAttempt.objects.filter(enrolment__officer=live_world.lan).count() == 1
    scored = AuditEntry.objects.filter(
        object_type="training.QuizAttempt", summary__contains="scored"
    )
    assert scored.count() == 1
    assert kept_on_tablet(tablet)["outbox"] == []
    # and the result page, which shows the key, is not kept: the copy of the quiz is dropped
    tablet.goto(f"{base}{path}")
    expect(tablet.locator("#quiz-result")).to_have_attribute("data-passed", "yes")
    wait_for(lambda: not kept(tablet, path), seconds=15)
    context.close()


def test_notes_written_offline_on_a_qa_session_are_saved_once_when_the_link_returns(
    live_server, live_world: Any, browser: Browser, settings, tmp_path
) -> None:
    import datetime

    from liaison.surveys.services import SessionData, do_add_guide_question, do_record_session
    from liaison.surveys.tests.rounds import patrol_round

    settings.MEDIA_ROOT = tmp_path
    # given a Q&A session at Dien Bien whose page Ainsley (programme staff) opened once online
    survey_round = patrol_round(live_world)
    question = do_add_guide_question(
        survey_round, {"en": "What are the main constraints of the BLO?"}, actor=live_world.ainsley
    )
    session = do_record_session(
        survey_round,
        SessionData(
            held_on=datetime.date(2026, 3, 12),
            blo=live_world.dien_bien,
            kind=SessionKind.HEAD_OF_BLO,
            interviewer="Ainsley",
            language="vi",
            participants=[{"role": "Trưởng BLO", "agency": "Công an tỉnh"}],
        ),
        actor=live_world.ainsley,
    )
    english(live_world.ainsley)
    base = live_server.url
    path = session.get_absolute_url()
    context, tablet = new_tablet(browser)
    sign_in(tablet, base, "ainsley", PASSWORD)
    open_under_worker(tablet, base, path)
    assert "Công an tỉnh" not in kept_copy(tablet, path)

    # when the link goes down, she opens the session again and writes the notes
    context.set_offline(True)
    tablet.goto(f"{base}{path}")
    tablet.fill(f"#id_q{question.pk}-text", NOTES)
    tablet.click(f"#note-{question.pk} button[type=submit]")

    # then they wait on the tablet, sealed, also after a reload offline
    submitted_offline_then_reloaded(tablet)
    waiting = kept_on_tablet(tablet)["outbox"]
    assert len(waiting) == 1 and "tiền chất" not in waiting[0]
    assert not SessionNote.objects.exists()

    # when the link returns, the notes are saved, once
    context.set_offline(False)
    wait_for(lambda: SessionNote.objects.exists())
    expect(tablet.locator('[data-keep-queue] li[data-state="sent"]')).to_have_count(1)
    tablet.reload()
    expect(tablet.locator(f"#question-{question.position} blockquote.note")).to_contain_text(
        "phiên dịch tiếng Lào"
    )
    assert SessionNote.objects.get().text == NOTES
    assert SessionNote.objects.count() == 1 and QASession.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="surveys.SessionNote").count() == 1
    assert kept_on_tablet(tablet)["outbox"] == []
    context.close()
