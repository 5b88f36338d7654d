"""The questionnaire in ODK Web Forms on a field tablet: it opens in the officer's language, what
she types is kept on the tablet and comes back after a reload, and an instance sent with the link
down waits in the outbox and is recorded once when the link returns."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from liaison.exchange.models import IdempotencyKey
from liaison.surveys.models import Submission, SubmissionStatus
from tests.browser.conftest import sign_in
from tests.browser.test_odk_web_forms import choose, question, type_number
from tests.browser.test_offline import kept, kept_paths
from tests.browser.test_outbox import english, kept_on_tablet, new_tablet, wait_for
from tests.browser.test_outbox_surveys_quiz import (
    open_under_worker,
    submitted_once_when_back_online,
    wait_until_kept,
)
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

AGENCY = "Which agency do you belong to?"
YEARS = "How many years have you worked at this border section?"
ENGINE = "/static/surveys/vendor/odk-web-forms/"


def fill_path(survey_round: Any) -> str:
    return f"/surveys/rounds/{survey_round.pk}/fill/odk/"


def engine_ready(page: Page) -> None:
    expect(page.locator(".form-questions")).to_be_visible()
    expect(page.locator("[data-odk-web-form]")).to_have_attribute("data-mounted", "1")


def kept_for_offline(browser: Browser, base: str, survey_round: Any) -> tuple[Any, Page, str]:
    """Lan signs in on a new tablet and opens the round's questionnaire once online, under the
    service worker, until the tablet keeps the page, the round's XForm and the engine."""
    path = fill_path(survey_round)
    context, tablet = new_tablet(browser)
    sign_in(tablet, base, "lan", PASSWORD)
    open_under_worker(tablet, base, path)
    engine_ready(tablet)
    wait_until_kept(tablet, f"/surveys/rounds/{survey_round.pk}/xform.xml")
    wait_for(lambda: any(p.startswith(ENGINE) for p in kept_paths(tablet)), seconds=15)
    assert kept(tablet, path)
    return context, tablet, path


def answer_the_rest(page: Page) -> None:
    choose(page, "At which Border Liaison Office (BLO) do you work?", "moc_bai")
    choose(page, "dealt with a case of migrant smuggling", "no")
    choose(page, "heard of CITES", "yes")
    choose(page, "3.4 What is CITES?", "convention")
    choose(page, "Mr. Y is an old friend", "refuse")


def test_the_form_opens_in_vietnamese_for_a_vietnamese_officer(
    live_server, live_world: Any, tablet: Page, settings, tmp_path
) -> None:
    from liaison.surveys.tests.rounds import patrol_round

    settings.MEDIA_ROOT = tmp_path
    # given the PATROL questionnaire (English and Vietnamese) and Lan, who reads Vietnamese, on a
    # tablet whose browser asks for English
    survey_round = patrol_round(live_world)
    sign_in(tablet, live_server.url, "lan", PASSWORD)

    # when she opens it in ODK Web Forms
    tablet.goto(f"{live_server.url}{fill_path(survey_round)}")
    engine_ready(tablet)

    # then its questions and choices are in Vietnamese
    expect(question(tablet, "Anh/chị thuộc cơ quan nào?")).to_be_visible()
    expect(tablet.locator(".form-questions")).not_to_contain_text(AGENCY)
    expect(tablet.locator("html")).to_have_attribute("lang", "vi")


def test_a_draft_typed_in_the_engine_survives_a_reload_and_is_sent(
    live_server, live_world: Any, tablet: Page, settings, tmp_path
) -> None:
    from liaison.surveys.tests.rounds import patrol_round

    settings.MEDIA_ROOT = tmp_path
    # given Lan, reading English, who starts the questionnaire in ODK Web Forms
    survey_round = patrol_round(live_world)
    english(live_world.lan)
    sign_in(tablet, live_server.url, "lan", PASSWORD)
    tablet.goto(f"{live_server.url}{fill_path(survey_round)}")
    engine_ready(tablet)
    choose(tablet, AGENCY, "customs")
    type_number(question(tablet, YEARS), "4")

    # then what she typed is kept on the tablet, sealed
    wait_for(lambda: len(kept_on_tablet(tablet)["drafts"]) == 1, seconds=15)
    assert "customs" not in kept_on_tablet(tablet)["drafts"][0]

    # when the page is reloaded (a closed tab, a restarted tablet)
    tablet.reload()
    engine_ready(tablet)

    # then the engine opens her draft, and says so
    expect(tablet.locator("[data-keep-restored]")).to_be_visible()
    expect(question(tablet, AGENCY).locator("input[value='customs']")).to_be_checked()
    expect(question(tablet, YEARS).locator("input[inputmode=numeric]")).to_have_value("4")

    # when she answers the rest and sends it
    answer_the_rest(tablet)
    tablet.get_by_role("button", name="Send").click()

    # then it is recorded with her answers, and the draft is gone from the tablet
    tablet.wait_for_url(f"**{survey_round.get_absolute_url()}")
    mine = Submission.objects.get(round=survey_round, respondent=live_world.lan)
    assert mine.status == SubmissionStatus.SUBMITTED
    assert mine.answers["agency"] == "customs" and mine.answers["years_border"] == "4"
    assert mine.answers["integrity"] == "refuse"
    wait_for(lambda: kept_on_tablet(tablet)["drafts"] == [], seconds=10)


def test_an_instance_sent_offline_is_recorded_once_when_the_link_returns(
    live_server, live_world: Any, browser: Browser, settings, tmp_path
) -> None:
    from liaison.surveys.tests.rounds import patrol_round

    settings.MEDIA_ROOT = tmp_path
    # given an open round over Moc Bai, whose questionnaire Lan opened once online in the engine
    survey_round = patrol_round(live_world)
    english(live_world.lan)
    base = live_server.url
    # and the tablet kept the page, the round's XForm and the engine
    context, tablet, path = kept_for_offline(browser, base, survey_round)

    # when the link goes down and she opens it again, fills it and sends it
    context.set_offline(True)
    tablet.goto(f"{base}{path}")
    engine_ready(tablet)
    choose(tablet, AGENCY, "customs")
    type_number(question(tablet, YEARS), "4")
    answer_the_rest(tablet)
    tablet.get_by_role("button", name="Send").click()

    # then it waits on the tablet, sealed, also after a reload offline; nothing is recorded
    expect(tablet.locator("[data-keep-queued]")).to_be_visible()
    expect(tablet.locator('[data-keep-queue] li[data-state="waiting"]')).to_have_count(1)
    tablet.reload()
    engine_ready(tablet)
    expect(tablet.locator('[data-keep-queue] li[data-state="waiting"]')).to_have_count(1)
    waiting = kept_on_tablet(tablet)["outbox"]
    assert len(waiting) == 1 and "customs" not in waiting[0]
    assert not Submission.objects.filter(respondent=live_world.lan).exists()

    # when the link returns, then her instance is recorded, once, with her answers
    mine = submitted_once_when_back_online(context, tablet, live_world.lan)
    assert mine.answers["years_border"] == "4" and mine.answers["integrity"] == "refuse"
    assert mine.instance_xml and mine.instance_id.startswith("uuid:")
    assert IdempotencyKey.objects.filter(user=live_world.lan).count() == 1
    assert kept_on_tablet(tablet)["outbox"] == []
    context.close()
