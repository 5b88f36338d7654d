"""Attachments in a real browser: Lan attaches a photo of the seized goods and a photo of a
person to her incident shared with Bavet and sees their thumbnails; Dara, across the border,
sees the goods and not the person; Sophea, at a Cambodian post that is not paired, gets 404s."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, FilePayload, Page, expect

from liaison.exchange.models import Attachment
from tests import attachment_files as files
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD, ensure_vocabulary, make_incident

pytestmark = pytest.mark.browser


def new_page(browser: Browser, refused: list[str]) -> Page:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page


def upload(page: Page, name: str, data: bytes, *, of_person: bool = False) -> None:
    form = page.locator("#attachment-form")
    form.locator("input[type=file]").set_input_files(
        files=[FilePayload(name=name, mimeType="image/jpeg", buffer=data)]
    )
    if of_person:
        form.locator("input[name=of_person]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def thumbnail_loaded(page: Page, name: str) -> Any:
    image = page.locator(f"#attachments img[alt='{name}']")
    expect(image).to_be_visible()
    # a busy server may still be sending the thumbnail: wait until it is drawn (or has failed)
    image.evaluate(
        "img => img.complete ? null : new Promise(done => {"
        " img.addEventListener('load', done); img.addEventListener('error', done); })"
    )
    return image.evaluate("img => img.complete && img.naturalWidth")


def test_recorder_attaches_a_counterpart_sees_the_goods_and_another_country_gets_404(
    live_server, live_world, browser: Browser
) -> None:
    ensure_vocabulary()
    base = live_server.url
    w = live_world
    incident = make_incident(w.lan, distribution="counterpart", tlp="AMBER")
    refused: list[str] = []

    # when Lan attaches a phone photo of the goods, and one of the driver
    lan = new_page(browser, refused)
    sign_in(lan, base, "lan", PASSWORD)
    lan.goto(f"{base}/exchange/incidents/{incident.reference}/")
    upload(lan, "scales.jpg", files.photo_with_location())
    with translation.override("vi"):  # Lan's pages are in Vietnamese
        attached = gettext("“%(name)s” attached.") % {"name": "scales.jpg"}
    expect(lan.locator(".messages")).to_contain_text(attached)
    upload(lan, "driver.jpg", files.photo("JPEG", (640, 480)), of_person=True)

    # then she sees both thumbnails, drawn (the phone photo turned upright: 240 × 320)
    assert thumbnail_loaded(lan, "scales.jpg") == 240
    assert thumbnail_loaded(lan, "driver.jpg") == 320
    screenshot(lan, "attachments-recorder")
    goods = Attachment.objects.get(original_name="scales.jpg")
    person = Attachment.objects.get(original_name="driver.jpg")
    assert person.of_person and not goods.of_person

    # and a bad upload is refused on the page, naming the file
    upload(lan, "notes.jpg", b"not a photo at all")
    expect(lan.locator(".messages .msg-error")).to_contain_text("“notes.jpg”")
    assert Attachment.objects.count() == 2

    # Dara, at the counterpart post, reading in Khmer, sees the goods and not the person
    w.dara.preferred_language = "km"
    w.dara.save(update_fields=["preferred_language"])
    dara = new_page(browser, refused)
    sign_in(dara, base, "dara", PASSWORD)
    dara.goto(f"{base}/exchange/incidents/{incident.reference}/")
    assert thumbnail_loaded(dara, "scales.jpg") == 240
    expect(dara.locator("#attachments")).not_to_contain_text("driver.jpg")
    expect(dara.locator("#attachment-form")).to_have_count(0)  # she does not change the record
    assert dara.locator("html").get_attribute("lang") == "km"
    screenshot(dara, "attachments-counterpart-km")
    opened = dara.goto(f"{base}{goods.get_absolute_url()}")
    assert opened is not None and opened.status == 200
    assert opened.headers["content-type"] == "image/jpeg"
    hidden = dara.goto(f"{base}{person.get_absolute_url()}")
    assert hidden is not None and hidden.status == 404

    # Sophea, at a Cambodian post that is not paired with Moc Bai, reads neither
    sophea = new_page(browser, refused)
    sign_in(sophea, base, "sophea", PASSWORD)
    for attachment in (goods, person):
        answer = sophea.goto(f"{base}{attachment.get_absolute_url()}")
        assert answer is not None and answer.status == 404
        answer = sophea.goto(f"{base}/exchange/attachments/{attachment.pk}/thumbnail/")
        assert answer is not None and answer.status == 404

    assert not refused, refused
    # the pages closed before the database is emptied: none may still be fetching a thumbnail
    for page in (lan, dara, sophea):
        page.context.close()
