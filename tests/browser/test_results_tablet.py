"""A programme officer reads a round's results on a 1024×768 tablet: the page is a list of
sections that open one at a time, no table pushes the page sideways, and she chooses the
respondents by picking a question and its answers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from liaison.surveys.tests.rounds import import_kobo, patrol_round
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

CLOSED_HEIGHT_LIMIT = 3000


def page_height(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def scrolls_sideways(page: Page) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


def test_programme_staff_read_the_results_on_a_tablet_in_vietnamese(
    live_server, live_world, browser: Browser, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # given the 2010 baseline's 33 answers
    survey_round = patrol_round(live_world)
    import_kobo(survey_round, live_world.ainsley)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20000)
    sign_in(page, base, "ainsley", PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    # when Ainsley opens the results, cross-tabulated by BLO (the widest tables)
    page.goto(f"{base}/surveys/rounds/{survey_round.pk}/results/?by=blo")
    # then every section is closed, the page short, nothing wider than the screen
    sections = page.locator("details.section")
    assert sections.count() >= 8
    expect(page.locator("details.section[open]")).to_have_count(0)
    assert page_height(page) < CLOSED_HEIGHT_LIMIT, page_height(page)
    assert not scrolls_sideways(page)
    expect(page.locator("#contents a")).to_have_count(sections.count())
    screenshot(page, "survey-results-closed-vi")

    # when she opens the drugs theme from the contents
    page.click("#contents a[href='#theme-drugs']")
    drugs = page.locator("#theme-drugs")
    expect(drugs).to_have_attribute("open", "")
    expect(drugs.locator("section[data-question='dealt_drugs'] h3")).to_be_visible()
    # then the Vietnamese decimal mark is the comma, p-values as people write them
    yes = drugs.locator("section[data-question='dealt_drugs'] tr[data-choice='yes']")
    expect(yes.locator("td[data-percent]")).to_have_text("78,8 %")
    expect(drugs.locator("section[data-question='dealt_drugs'] p[data-test]")).to_contain_text(
        "p = 0,"
    )
    # the cross-table scrolls inside its own box, never the page
    assert not scrolls_sideways(page)
    # a long header (the clusters of the scores) is abbreviated, whole in its title
    header = page.locator("#scores thead abbr").first
    assert (header.get_attribute("title") or "").startswith("CL1 - ")
    screenshot(page, "survey-results-section-vi")
    # and opening the next theme closes this one (one at a time)
    page.locator("#theme-wildlife_timber > summary").click()
    expect(page.locator("#theme-wildlife_timber")).to_have_attribute("open", "")
    expect(drugs).not_to_have_attribute("open", "")

    # when she keeps only the customs officers by choosing the question, then the answer
    agency = page.locator("#theme-profile section[data-question='agency']")
    expect(page.locator("#respondents")).to_have_text("33")
    page.select_option("#filter-question", "agency")
    page.wait_for_url("**question=agency**")
    page.locator("#filter-answers input[value='customs']").check()
    page.click("#filter-show")
    page.wait_for_url("**answer=customs**")
    # then the counts are those of the customs officers alone
    expect(page.locator("#respondents")).to_have_text("5")
    expect(page.locator("#filter-summary")).to_contain_text("Hải quan")
    expect(agency.locator("tr[data-choice='customs'] td[data-count]")).to_have_text("5")
    expect(agency.locator("tr[data-choice='provincial_police'] td[data-count]")).to_have_text("0")
    assert not scrolls_sideways(page)
    screenshot(page, "survey-results-filtered-vi")
    context.close()


def test_the_sections_open_without_javascript(
    live_server, live_world, browser: Browser, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    survey_round = patrol_round(live_world)
    import_kobo(survey_round, live_world.ainsley)
    base = live_server.url
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "ainsley")
    page.fill("input[name=password]", PASSWORD)
    page.click(".login button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/surveys/rounds/{survey_round.pk}/results/")
    page.locator("#theme-profile > summary").click()
    expect(page.locator("#theme-profile section[data-question='agency'] h3")).to_be_visible()
    # the filter without script: choose the question, Show, then tick and Show again
    page.select_option("#filter-question", "agency")
    page.click("#filter-show")
    page.locator("#filter-answers input[value='customs']").check()
    page.click("#filter-show")
    expect(page.locator("#respondents")).to_have_text("5")
    expect(page.locator("#filter-summary")).to_be_visible()
    context.close()
