"""Programme staff record a Q&A session with the head of a BLO on a tablet, in Vietnamese, code
two passages of the notes, and find the codes counted and quoted in the round's results and
report; an officer of another country cannot open the session."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from liaison.surveys.models import CodedPassage, QASession, SessionKind
from liaison.surveys.services import do_add_guide_question
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

NOTES = (
    "- Khó khăn về ngôn ngữ khi trao đổi với đối tác Lào.\n"
    "- Thiếu trang thiết bị, nhất là phương tiện và bộ dụng cụ giám định."
)


def test_programme_staff_record_and_code_a_head_of_blo_interview_on_a_tablet(
    live_server, live_world, browser: Browser, settings, tmp_path
) -> None:
    from liaison.surveys.tests.rounds import patrol_round

    settings.MEDIA_ROOT = tmp_path
    # given a round over Moc Bai and Dien Bien with a one-question interview guide
    survey_round = patrol_round(live_world)
    do_add_guide_question(
        survey_round,
        {
            "en": "What are the main constraints of the BLOs?",
            "vi": "Những khó khăn, hạn chế chính của các BLO là gì?",
        },
        actor=live_world.ainsley,
    )
    live_world.ainsley.preferred_language = "vi"
    live_world.ainsley.save(update_fields=["preferred_language"])
    base = live_server.url

    # when Ainsley (programme staff) opens the round's Q&A sessions on a tablet
    context = browser.new_context(
        viewport={"width": 800, "height": 1280}, locale="vi-VN", has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "ainsley", PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.goto(f"{base}{survey_round.get_absolute_url()}")
    page.click("#qa-sessions")

    # and records an interview with the head of BLO of Dien Bien
    page.click("#sessions details > summary")
    page.fill("#id_held_on", "2026-03-12")
    page.select_option("#id_blo", str(live_world.dien_bien.pk))
    page.select_option("#id_kind", SessionKind.HEAD_OF_BLO.value)
    page.fill("#id_interviewer", "Ainsley")
    page.select_option("#id_language", "vi")
    page.fill("#id_participants", "Trưởng BLO – Công an tỉnh")
    page.click("#session-form button[type=submit]")
    page.wait_for_url(re.compile(r"/surveys/qa/\d+/$"))
    session = QASession.objects.get()
    assert page.url.endswith(session.get_absolute_url())
    assert session.blo == live_world.dien_bien and session.kind == SessionKind.HEAD_OF_BLO
    assert session.participants == [{"role": "Trưởng BLO", "agency": "Công an tỉnh"}]

    # and writes what was answered to the guide's question, in Vietnamese
    question = survey_round.guide_questions.get()
    expect(page.locator("#question-1 h2")).to_contain_text("Những khó khăn, hạn chế chính")
    page.fill(f"#id_q{question.pk}-text", NOTES)
    page.click("#question-1 .note-form button[type=submit]")
    expect(page.locator("#question-1 blockquote.note")).to_contain_text("Thiếu trang thiết bị")

    # and adds two codes to the codebook
    page.goto(f"{base}/surveys/rounds/{survey_round.pk}/qa/")
    for name in ("constraint: language", "constraint: equipment"):
        page.fill("#id_name", name)
        page.click("#code-form button[type=submit]")
        expect(page.locator(f"#code-counts tr[data-code='{name}']")).to_have_count(1)

    # and codes two passages of the notes
    note = session.notes.get()
    for code, quote in (
        ("constraint: language", "Khó khăn về ngôn ngữ"),
        ("constraint: equipment", "Thiếu trang thiết bị"),
    ):
        page.goto(f"{base}{session.get_absolute_url()}")
        page.select_option(f"#id_n{note.pk}-code", label=code)
        page.fill(f"#id_n{note.pk}-quote", quote)
        page.click("#question-1 .passage-form button[type=submit]")
        expect(page.locator("#question-1 .passages")).to_contain_text(quote)
    screenshot(page, "qa-session-coded-vi")
    assert sorted(CodedPassage.objects.values_list("quote", flat=True)) == [
        "Khó khăn về ngôn ngữ",
        "Thiếu trang thiết bị",
    ]

    # then the round's results count each code once, by BLO, with its quote
    page.goto(f"{base}/surveys/rounds/{survey_round.pk}/results/")
    counts = page.locator("#coding #code-counts")
    for code in ("constraint: language", "constraint: equipment"):
        expect(counts.locator(f"tr[data-code='{code}']")).to_have_attribute("data-count", "1")
    expect(counts.locator("tr[data-code='constraint: language']")).to_contain_text("Điện Biên: 1")
    expect(page.locator("#coding #code-quotes")).to_contain_text("Khó khăn về ngôn ngữ")
    screenshot(page, "qa-results-vi")

    # and the Vietnamese report has the Q&A sessions section with the notes and the quotes
    page.goto(f"{base}/surveys/rounds/{survey_round.pk}/report.html?lang=vi")
    section = page.locator("#qa-sessions")
    expect(section).to_have_count(1)
    report = page.content()
    assert "Những khó khăn, hạn chế chính của các BLO là gì?" in report
    assert "nhất là phương tiện và bộ dụng cụ giám định" in report
    assert "“Thiếu trang thiết bị”" in report
    context.close()

    # and Dara, a Cambodian officer, cannot open the session
    other = browser.new_context(viewport={"width": 800, "height": 1280}, locale="en-GB")
    dara = other.new_page()
    dara.set_default_timeout(15000)
    sign_in(dara, base, "dara", PASSWORD)
    response = dara.goto(f"{base}{session.get_absolute_url()}")
    assert response is not None and response.status == 404
    assert "Khó khăn về ngôn ngữ" not in dara.content()
    other.close()
