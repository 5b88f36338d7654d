"""What a person does on the platform's foundation, in a real browser."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser


def test_vietnamese_officer_switches_to_english_and_sees_moc_bai_counterpart(
    live_server, live_world, tablet: Page
) -> None:
    # given Lan, a Vietnamese customs officer at Moc Bai, whose browser asks for English
    sign_in(tablet, live_server.url, "lan", PASSWORD)
    # then the interface is Vietnamese, the default for users in Viet Nam
    expect(tablet.locator("html")).to_have_attribute("lang", "vi")
    expect(tablet.locator("nav.mainnav")).to_contain_text("Trang chủ")
    expect(tablet.locator("h1")).to_contain_text("Xin chào")
    # when she switches the language to English
    tablet.select_option("#language-select", "en")
    tablet.wait_for_load_state("networkidle")
    # then the interface is English, and stays so on the next page
    expect(tablet.locator("html")).to_have_attribute("lang", "en")
    expect(tablet.locator("nav.mainnav")).to_contain_text("Home")
    tablet.get_by_role("link", name="Moc Bai", exact=True).first.click()
    expect(tablet.locator("h1")).to_have_text("Moc Bai")
    expect(tablet.locator("html")).to_have_attribute("lang", "en")
    # and the counterpart across the border is shown
    expect(tablet.locator("#counterparts .counterpart")).to_contain_text("Bavet")
    expect(tablet.locator("#counterparts")).to_contain_text("Cambodia")
    screenshot(tablet, "foundation-moc-bai")


def test_cambodian_officer_is_refused_a_viet_nam_only_page(
    live_server, live_world, tablet: Page
) -> None:
    # given Dara, a Cambodian police officer at Bavet
    sign_in(tablet, live_server.url, "dara", PASSWORD)
    # when he opens Viet Nam's country page (its staff directory and BLOs)
    response = tablet.goto(f"{live_server.url}/registry/countries/VN/")
    # then he is refused, in plain words and in Khmer (his country's language; he chose none)
    with translation.override("km"):
        refused = gettext("Not allowed")
        cambodia = live_world.kh.display_name
    assert refused != "Not allowed" and cambodia != "Cambodia"
    assert response is not None and response.status == 403
    expect(tablet.locator("html")).to_have_attribute("lang", "km")
    expect(tablet.locator("h1")).to_have_text(refused)
    # while his own country's page opens
    response = tablet.goto(f"{live_server.url}/registry/countries/KH/")
    assert response is not None and response.status == 200
    expect(tablet.locator("h1")).to_contain_text(cambodia)
