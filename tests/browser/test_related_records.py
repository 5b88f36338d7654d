"""Related records in a real browser: one reader sees the record that names the same plate, on the
record's page and while typing the plate; a reader the records are not shared with sees nothing."""

from __future__ import annotations

from typing import Any, cast

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD, ensure_vocabulary, make_incident

pytestmark = pytest.mark.browser


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def plate(number: str) -> dict[str, str]:
    return {
        "kind": "vehicle",
        "role": "driver",
        "name": "Hino truck",
        "identifier": number,
        "distribution": "blo",
    }


def type_plate(page: Page, number: str) -> dict[str, Any]:
    """Type the plate on a new incident's first nominal entry: the server's "seen before"."""
    page.click("#nominal summary")
    page.select_option("select[name='nominal-0-kind']", "vehicle")
    with page.expect_response(
        lambda response: "/exchange/identifiers/seen/" in response.url
    ) as answered:
        page.fill("input[name='nominal-0-identifier']", number)
    response = answered.value
    assert response.status == 200, (response.status, response.text())
    return cast(dict[str, Any], response.json())


def test_related_records_shown_to_one_reader_and_invisible_to_another(
    live_server, live_world, browser: Browser
) -> None:
    ensure_vocabulary()
    base = live_server.url
    w = live_world
    # given: Lan (customs) and Minh (police) of Moc Bai recorded the same truck, typed two ways,
    # shared with their post (BLO) only
    first = make_incident(w.lan, distribution="blo", nominal=[plate("51F-123.45")])
    second = make_incident(w.minh, distribution="blo", nominal=[plate("51f 12345")])

    # when Tuan, head of Moc Bai, reading in English, opens Minh's record
    w.tuan.preferred_language = "en"
    w.tuan.save(update_fields=["preferred_language"])
    tuan = new_page(browser)
    refused: list[str] = []
    tuan.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(tuan, base, "tuan", PASSWORD)
    tuan.goto(f"{base}/exchange/incidents/{second.reference}/")
    # then Lan's record is related to it, through the plate
    related = tuan.locator("#related")
    expect(related).to_contain_text("Related records")
    expect(related.locator(f"a:has-text('{first.reference}')")).to_be_visible()
    expect(related).to_contain_text("51F12345")
    screenshot(tuan, "related-records")

    # and while he types the plate on a new incident, it has been seen before, twice
    tuan.goto(f"{base}/exchange/incidents/new/")
    assert type_plate(tuan, "51F-123.45")["seen"] == 2
    hint = tuan.locator(".seen-before")
    expect(hint).to_contain_text("Seen before in records shared with you: 2")
    expect(hint.locator("a")).to_have_count(2)
    # and a name in the summary is pointed out before he saves
    tuan.fill("textarea[name=summary]", "Xe của Ông Nguyễn Văn An chở vảy tê tê")
    expect(tuan.locator(".identity-warning")).to_contain_text("identity data")
    screenshot(tuan, "seen-before")
    assert refused == []

    # given Dara, at Bavet across the border, reading in Khmer: neither record is shared with him
    w.dara.preferred_language = "km"
    w.dara.save(update_fields=["preferred_language"])
    dara = new_page(browser)
    sign_in(dara, base, "dara", PASSWORD)
    response = dara.goto(f"{base}/exchange/incidents/{second.reference}/")
    assert response is not None and response.status == 404
    # when he types the same plate, nothing is said of it: not a count, not a reference
    dara.goto(f"{base}/exchange/incidents/new/")
    assert type_plate(dara, "51F-123.45")["seen"] == 0
    dara.wait_for_timeout(300)
    assert dara.locator(".seen-before").inner_text() == ""
    page_text = dara.content()
    assert first.reference not in page_text
    assert second.reference not in page_text
    assert dara.locator("html").get_attribute("lang") == "km"
    screenshot(dara, "seen-before-nothing-km")

    # and a third record of the same truck, shared with his post, is all he is told of
    shared = make_incident(
        w.lan,
        distribution="counterpart",
        nominal=[{**plate("51F 123 45"), "distribution": "counterpart"}],
    )
    dara.goto(f"{base}/exchange/incidents/new/")
    assert type_plate(dara, "51F-123.45")["seen"] == 1
    expect(dara.locator(".seen-before a")).to_have_count(1)
    expect(dara.locator(".seen-before a")).to_have_text(shared.reference)
    page_text = dara.content()
    assert first.reference not in page_text
    assert second.reference not in page_text
    screenshot(dara, "seen-before-km")
    for page in (tuan, dara):  # closed before the database is emptied
        page.context.close()
