"""The exchange as officers on both sides of the border use it, in a real browser."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Browser, Page, expect

from liaison.reference.models import CrimeArea
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD, ensure_vocabulary

pytestmark = pytest.mark.browser


def new_tablet(browser: Browser, locale: str = "en-GB") -> Page:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def pick(page: Page, field: str, typed: str) -> None:
    """Choose an entry of the form's picker (commodity, country) by typing what names it alone
    (a name in any language, a scientific name)."""
    page.fill(field, typed)
    options = page.locator(".picker-list > div[role=option]")
    expect(options).to_have_count(1)
    options.first.click()


def test_seizure_shared_with_counterpart_as_amber(
    live_server, live_world, browser: Browser
) -> None:
    ensure_vocabulary()
    base = live_server.url

    # given Lan, a Vietnamese customs officer at Moc Bai, records a seizure with a nominal part
    lan = new_tablet(browser)
    sign_in(lan, base, "lan", PASSWORD)
    lan.goto(f"{base}/exchange/incidents/new/")
    when = (timezone.localtime() - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    lan.select_option("select[name=crime_area]", "wildlife")
    lan.fill("input[name=occurred_at]", when)
    lan.select_option("select[name=location_kind]", "international_checkpoint")
    lan.select_option("select[name=direction]", "entry")
    lan.select_option("select[name=detection_method]", "scanner")
    lan.select_option("select[name=concealment_method]", "mixed_with_cargo")
    lan.select_option("select[name=conveyance]", "truck")
    pick(lan, "#id_origin_country", "Cambodia")
    pick(lan, "#id_destination_country", "Vietnam")
    lan.fill("textarea[name=summary]", "48 kg vảy tê tê trong bao hạt điều")
    pick(lan, "#id_items-0-commodity", "manis javanica")
    lan.fill("input[name='items-0-quantity']", "48")
    lan.select_option("select[name='items-0-unit']", "kg")
    lan.click("#nominal summary")
    lan.select_option("select[name='nominal-0-kind']", "vehicle")
    lan.select_option("select[name='nominal-0-role']", "other")
    lan.fill("input[name='nominal-0-name']", "Hino truck")
    lan.fill("input[name='nominal-0-identifier']", "70C-123.45")
    lan.select_option("select[name='nominal-0-distribution']", "blo")
    # and shares it with the counterpart BLO in Cambodia as TLP:AMBER, alerting it
    lan.select_option("select[name=tlp]", "AMBER")
    lan.select_option("select[name=distribution]", "counterpart")
    lan.check("input[name=alert_counterparts]")
    lan.fill("input[name=alert_subject]", "Hino truck 70C-123.45")
    lan.click("#incident-form button[type=submit]")
    lan.wait_for_load_state("networkidle")
    expect(lan.locator(".tlpbar").first).to_contain_text("TLP:AMBER")
    expect(lan.locator("#nominal")).to_contain_text("70C-123.45")
    reference = lan.locator("h1").inner_text().strip()
    assert reference.startswith("VN-MOCBAI-INC-")

    # then Dara, a Cambodian officer at Bavet, reads it in Khmer (his country's language; he
    # chose none) and without the nominal part
    with translation.override("km"):
        wildlife = str(CrimeArea.WILDLIFE.label)
        acknowledged = translation.gettext("Acknowledged")
    assert wildlife != "Wildlife"  # the Khmer catalogue translates it
    dara = new_tablet(browser)
    sign_in(dara, base, "dara", PASSWORD)
    dara.goto(f"{base}/exchange/")
    expect(dara.locator("#alerts-to-acknowledge")).to_contain_text("Hino truck 70C-123.45")
    dara.goto(f"{base}/exchange/incidents/{reference}/")
    expect(dara.locator("html")).to_have_attribute("lang", "km")
    expect(dara.locator(".tlpbar").first).to_contain_text("TLP:AMBER")
    expect(dara.locator(".lead")).to_contain_text(wildlife)
    # the seized species by its Khmer name, from the reference library (species.json)
    expect(dara.locator("#items .commodity")).to_contain_text("សំពោច")
    expect(dara.locator("#items .commodity a")).to_have_attribute(
        "href", "/reference/species/manis-javanica/"
    )
    expect(dara.locator("#nominal")).not_to_contain_text("70C-123.45")
    expect(dara.locator("#nominal-withheld")).to_be_visible()
    screenshot(dara, "exchange-counterpart-view")

    # and Hùng, a Vietnamese police officer at Dien Bien, does not see it
    hung = new_tablet(browser)
    sign_in(hung, base, "hung", PASSWORD)
    hung.goto(f"{base}/exchange/incidents/")
    expect(hung.locator("#results")).not_to_contain_text(reference)
    response = hung.goto(f"{base}/exchange/incidents/{reference}/")
    assert response is not None and response.status == 404

    # when Dara acknowledges the alert
    dara.goto(f"{base}/exchange/")
    dara.click("#alerts-to-acknowledge a")
    dara.click("#acknowledge")
    expect(dara.locator("#my-response")).to_contain_text(acknowledged)

    # then the time to acknowledge is on the Moc Bai dashboard
    lan.goto(f"{base}/exchange/")
    row = lan.locator("#acknowledgements tbody tr").first
    expect(row).to_contain_text("Bavet")
    with translation.override("vi"):  # Lan reads Vietnamese: "12 phút"
        minutes = translation.gettext("%(minutes)s min") % {"minutes": ""}
    assert minutes.strip() and minutes.strip() != "min"
    expect(row.locator(".ack-time")).to_contain_text(minutes.strip())
    screenshot(lan, "exchange-moc-bai-dashboard")
