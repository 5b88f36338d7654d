"""A Vietnamese officer fills the PATROL questionnaire on a tablet; the head of her BLO sees her
answers counted in the round's results."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Response, expect

from liaison.surveys.models import Submission, SubmissionStatus
from liaison.surveys.selectors import round_result
from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.builders import kobo_export
from liaison.surveys.tests.rounds import import_kobo, patrol_round
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser


def test_officer_fills_the_vietnamese_questionnaire_on_a_tablet(
    live_server, live_world, browser: Browser, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # given an open round over Moc Bai and Dien Bien holding the 33 answers of 2010
    survey_round = patrol_round(live_world)
    import_kobo(survey_round, live_world.ainsley)
    cites_before = round_result(survey_round)["questions"]["cites_what"]["answered"]
    base = live_server.url

    # when Lan, a customs officer at Moc Bai, opens it on a portrait tablet, in Vietnamese
    context = browser.new_context(
        viewport={"width": 800, "height": 1280}, locale="vi-VN", has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "lan", PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.goto(f"{base}/surveys/")
    page.click(f"tr[data-round='{survey_round.pk}'] a")
    page.click("#fill")
    form = page.locator("#questionnaire")
    expect(form).to_have_attribute("data-ready", "yes")
    # then the questionnaire speaks Vietnamese and knows her post and agency
    expect(page.locator("#g-profile > legend")).to_have_text("Thông tin về người trả lời")
    expect(page.locator("#q-years_border-label")).to_contain_text(
        "Anh/chị đã công tác tại khu vực biên giới này bao nhiêu năm?"
    )
    expect(page.locator("input[name='q-blo'][value='moc_bai']")).to_be_checked()
    expect(page.locator("input[name='q-agency'][value='customs']")).to_be_checked()

    # when she says she has heard of CITES, the question that depends on it appears
    what_is_cites = page.locator("#q-cites_what-question")
    expect(what_is_cites).to_be_hidden()
    page.locator("input[name='q-heard_cites'][value='yes']").check()
    expect(what_is_cites).to_be_visible()
    expect(what_is_cites).to_contain_text("3.4 CITES là gì?")
    page.locator("input[name='q-cites_what'][value='convention']").check()

    # when she types 50 years at the border, the form's own constraint message appears
    page.fill("#q-years_border", "50")
    error = page.locator("#q-years_border-error")
    expect(error).to_have_text("Nhập số năm từ 0 đến 45.")
    expect(error).to_be_visible()
    screenshot(page, "survey-constraint-vi")
    # and submitting is stopped in the browser, the problems listed
    page.click("#submit")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#error-summary-list li[data-name='years_border']")).to_have_count(1)
    expect(page.locator("#q-integrity-error")).to_be_visible()  # required, not answered yet
    assert page.url.endswith(f"/surveys/rounds/{survey_round.pk}/fill/")
    assert not Submission.objects.filter(respondent__isnull=False).exists()

    # when she corrects it and answers the integrity scenario
    page.fill("#q-years_border", "4")
    expect(error).to_be_hidden()
    expect(page.locator("#q-years_band")).to_have_value("y3_7")  # calculated in the browser
    page.locator("input[name='q-integrity'][value='refuse']").check()
    expect(page.locator("#q-integrity_followup-question")).to_be_hidden()
    page.click("#submit")

    # then she is back on the round, her questionnaire submitted
    page.wait_for_url(f"{base}/surveys/rounds/{survey_round.pk}/")
    expect(page.locator("#my-submission")).to_be_visible()
    mine = Submission.objects.get(respondent=live_world.lan)
    assert mine.status == SubmissionStatus.SUBMITTED
    assert mine.answers["years_border"] == "4" and mine.answers["cites_what"] == "convention"
    assert mine.answers["cluster"] == "CL2"
    screenshot(page, "survey-submitted-vi")
    context.close()

    # and Tuan, the head of Moc Bai, sees 34 respondents in the results, 6 of them customs
    head_context = browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    head = head_context.new_page()
    sign_in(head, base, "tuan", PASSWORD)
    head.goto(f"{base}/surveys/rounds/{survey_round.pk}/")
    head.click("#results")
    expect(head.locator("#respondents")).to_have_text("34")
    customs = head.locator(
        "section[data-question='agency'] tr[data-choice='customs'] td[data-count]"
    )
    expect(customs).to_have_text("6")
    cites = head.locator("section[data-question='cites_what']")
    expect(cites).to_have_attribute("data-answered", str(cites_before + 1))
    screenshot(head, "survey-results-vi")
    head_context.close()


def test_without_javascript_the_server_checks_the_questionnaire(
    live_server, live_world, browser: Browser, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    survey_round = patrol_round(live_world)
    base = live_server.url
    # given Hùng at Dien Bien, on a tablet whose browser runs no script
    context = browser.new_context(
        viewport={"width": 800, "height": 1280}, locale="vi-VN", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    # (sign_in() would press the language switch's <noscript> button, the page's first)
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "hung")
    page.fill("input[name=password]", PASSWORD)
    page.click(".login button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/surveys/rounds/{survey_round.pk}/fill/")
    expect(page.locator("#questionnaire")).to_have_attribute("data-ready", "no")
    # every question is there, the branches too
    expect(page.locator("#q-cites_what-question")).to_be_visible()
    # when he sends 50 years at the border and no answer to the integrity scenario
    page.fill("#q-years_border", "50")
    page.click("#submit")
    # then the server sends the page back with each problem next to its question
    expect(page.locator("#q-years_border-error")).to_have_text("Nhập số năm từ 0 đến 45.")
    expect(page.locator("#q-integrity-error")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#q-years_border")).to_have_value("50")
    # and when he corrects both, it is submitted
    page.fill("#q-years_border", "12")
    page.locator("input[name='q-integrity'][value='refuse']").check()
    page.click("#submit")
    page.wait_for_url(f"{base}/surveys/rounds/{survey_round.pk}/")
    mine = Submission.objects.get(respondent=live_world.hung)
    assert mine.status == SubmissionStatus.SUBMITTED
    assert (mine.answers["blo"], mine.answers["years_band"]) == ("dien_bien", "gt7")
    context.close()


def test_programme_staff_import_an_export_with_a_progress_bar(
    live_server, live_world, browser: Browser, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    survey_round = patrol_round(live_world)
    base = live_server.url
    bad = tmp_path / "bad.csv"
    bad.write_text(
        kobo_export(
            [
                {
                    "profile/agency": "navy",
                    "profile/blo": "moc_bai",
                    "operations/integrity": "refuse",
                }
            ],
            ["profile/agency", "profile/blo", "operations/integrity"],
        ),
        encoding="utf-8",
    )
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "ainsley", PASSWORD)
    page.goto(f"{base}/surveys/rounds/{survey_round.pk}/import/")

    def sent_by_script(response: Response) -> bool:
        return response.request.header_value("x-requested-with") == "XMLHttpRequest"

    # when a file with a bad row is sent, the page stays and lists row, column and reason
    page.set_input_files("input[name=file]", str(bad))
    with page.expect_response(sent_by_script):
        page.click("#import-submit")
    expect(page.locator("#problems tbody tr").first).to_contain_text("profile/agency")
    expect(page.locator("#problems tbody tr").first).to_contain_text("navy")
    assert page.url.endswith(f"/surveys/rounds/{survey_round.pk}/import/")
    assert not Submission.objects.exists()
    # when the ODK Central export is sent, it is imported and the round counts it
    page.set_input_files("input[name=file]", str(patrol_fixture.ODK_PATH))
    with page.expect_response(sent_by_script):
        page.click("#import-submit")
    page.wait_for_url(f"{base}/surveys/rounds/{survey_round.pk}/")
    expect(page.locator("#submitted-count")).to_have_text("33")
    expect(page.locator("#imports")).to_contain_text("patrol_tna_odk_central.csv")
    screenshot(page, "survey-round-progress")
    context.close()
