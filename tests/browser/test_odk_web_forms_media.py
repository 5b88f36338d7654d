"""A photo taken or chosen on the questionnaire's page in ODK Web Forms is recorded with the
answers: sent with the instance in one post, or kept (sealed) in the tablet's outbox with the link
down and sent with it when the link returns."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from liaison.surveys.models import Submission, SubmissionMedia
from tests.browser.conftest import sign_in
from tests.browser.test_odk_web_forms import question
from tests.browser.test_odk_web_forms_tablet import (
    engine_ready,
    fill_path,
    kept_for_offline,
)
from tests.browser.test_outbox import english, kept_on_tablet
from tests.browser.test_outbox_surveys_quiz import (
    submitted_once_when_back_online,
)
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

PHOTO = "Photo of the goods"
PLACE = "Place"


def photo_file(tmp_path: Path) -> tuple[Path, bytes]:
    """A small PNG, as a tablet's gallery holds one."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 40, 40)).save(buffer, format="PNG")
    path = tmp_path / "goods.png"
    path.write_bytes(buffer.getvalue())
    return path, buffer.getvalue()


def attach_photo(page: Page, path: Path) -> None:
    # the engine's "Choose image" opens its own file input (the other one asks for the camera)
    question(page, PHOTO).locator("input[type=file]:not([capture])").set_input_files(path)
    expect(question(page, PHOTO).locator("img")).to_be_visible()


def type_place(page: Page, text: str) -> None:
    field = question(page, PLACE).locator("input, textarea").first
    field.fill(text)
    field.blur()


def test_an_officer_attaches_a_photo_and_it_is_recorded_with_her_answers(
    live_server, live_world: Any, tablet: Page, settings, tmp_path
) -> None:
    from liaison.surveys.tests.test_answer_media import media_round

    settings.MEDIA_ROOT = tmp_path / "media"
    # given an open round whose questionnaire has an image question, and Lan on her tablet
    survey_round = media_round(live_world)
    english(live_world.lan)
    sign_in(tablet, live_server.url, "lan", PASSWORD)
    tablet.goto(f"{live_server.url}{fill_path(survey_round)}")
    engine_ready(tablet)
    path, data = photo_file(tmp_path)

    # when she answers, chooses a photo and sends the questionnaire
    type_place(tablet, "Moc Bai gate 2")
    attach_photo(tablet, path)
    tablet.get_by_role("button", name="Send").click()

    # then it is recorded, and the photo with it: the file the instance names, as she chose it
    tablet.wait_for_url(f"**{survey_round.get_absolute_url()}")
    mine = Submission.objects.get(round=survey_round, respondent=live_world.lan)
    assert mine.answers["place"] == "Moc Bai gate 2"
    media = SubmissionMedia.objects.get(submission=mine)
    assert media.question == "photo" and media.name == mine.answers["photo"]
    assert media.content_type == "image/png"
    with media.file.open("rb") as handle:
        assert handle.read() == data
    assert f">{media.name}<" in mine.instance_xml

    # and her answers page links it, and the link gives the photo
    tablet.goto(f"{live_server.url}{mine.get_absolute_url()}")
    link = tablet.locator("a[data-answer-file]")
    expect(link).to_have_text(media.name)
    fetched = tablet.request.get(f"{live_server.url}{link.get_attribute('href')}")
    assert fetched.status == 200 and fetched.body() == data


def test_a_photo_attached_offline_waits_sealed_in_the_outbox_and_is_recorded_once(
    live_server, live_world: Any, browser: Browser, settings, tmp_path
) -> None:
    from liaison.surveys.tests.test_answer_media import media_round

    settings.MEDIA_ROOT = tmp_path / "media"
    # given Lan opened the questionnaire once online, and the tablet kept it for offline
    survey_round = media_round(live_world)
    english(live_world.lan)
    base = live_server.url
    context, tablet, path = kept_for_offline(browser, base, survey_round)
    photo, data = photo_file(tmp_path)

    # when the link is down and she answers, chooses a photo and sends
    context.set_offline(True)
    tablet.goto(f"{base}{path}")
    engine_ready(tablet)
    type_place(tablet, "Moc Bai gate 2")
    attach_photo(tablet, photo)
    tablet.get_by_role("button", name="Send").click()

    # then it waits in the outbox, the photo with it (sealed: not readable on the tablet)
    expect(tablet.locator("[data-keep-queued]")).to_be_visible()
    expect(tablet.locator('[data-keep-queue] li[data-state="waiting"]')).to_have_count(1)
    waiting = kept_on_tablet(tablet)["outbox"]
    assert len(waiting) == 1 and "Moc Bai gate 2" not in waiting[0]
    assert '"files":[{"name":' in waiting[0] and '"blob"' not in waiting[0]
    assert not Submission.objects.filter(respondent=live_world.lan).exists()

    # when the link returns, then her answers are recorded once, with the photo
    mine = submitted_once_when_back_online(context, tablet, live_world.lan)
    assert mine.answers["place"] == "Moc Bai gate 2"
    media = SubmissionMedia.objects.get(submission=mine)
    with media.file.open("rb") as handle:
        assert handle.read() == data
    context.close()


def test_a_photo_too_large_is_refused_with_the_reason_and_nothing_is_sent_without_it(
    live_server, live_world: Any, tablet: Page, settings, tmp_path
) -> None:
    from liaison.surveys.tests.test_answer_media import media_round

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SURVEY_MEDIA_MAX_BYTES = 20
    # given Lan's questionnaire with a photo larger than a file may be
    survey_round = media_round(live_world)
    english(live_world.lan)
    sign_in(tablet, live_server.url, "lan", PASSWORD)
    tablet.goto(f"{live_server.url}{fill_path(survey_round)}")
    engine_ready(tablet)
    path, _data = photo_file(tmp_path)
    type_place(tablet, "Moc Bai gate 2")
    attach_photo(tablet, path)

    # when she sends it
    tablet.get_by_role("button", name="Send").click()

    # then the page says why, naming the question; her answers and photo stay on the page, and
    # nothing is recorded (not even the answers without the photo)
    refused = tablet.locator("[data-keep-refused]")
    expect(refused).to_contain_text("photo")
    expect(refused).to_contain_text("larger than")
    expect(question(tablet, PHOTO).locator("img")).to_be_visible()
    assert tablet.url.endswith(fill_path(survey_round))
    tablet.wait_for_timeout(500)
    assert not Submission.objects.filter(respondent=live_world.lan).exists()
    assert kept_on_tablet(tablet)["outbox"] == []
