"""The new-incident form on a 1024×768 tablet, as a Vietnamese customs officer fills it: a
wildlife seizure recorded in well under two minutes, by touch, in Vietnamese."""

from __future__ import annotations

import datetime
import re
import time
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from liaison.exchange.models import Incident
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.builders import PASSWORD, ensure_vocabulary

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "screenshots"  # the run's own; docs/screenshots keeps the published ones
MOC_BAI = (11.0708, 106.1969)


def tablet(browser: Browser, locale: str) -> Page:
    context = browser.new_context(
        viewport={"width": 1024, "height": 768},
        locale=locale,
        has_touch=True,
        geolocation={"latitude": MOC_BAI[0], "longitude": MOC_BAI[1], "accuracy": 12},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def signed_in_in(page: Page, base: str, user, language: str) -> None:
    user.preferred_language = language
    user.save()
    sign_in(page, base, user.username, PASSWORD)


def test_wildlife_seizure_recorded_on_a_tablet_in_vietnamese(
    live_server, live_world, browser: Browser
) -> None:
    ensure_vocabulary()
    base = live_server.url
    lan = live_world.lan
    page = tablet(browser, "vi-VN")
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    signed_in_in(page, base, lan, "vi")
    page.goto(f"{base}/exchange/incidents/new/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    started = time.monotonic()

    # given no crime area yet, the sections of other areas are out of the way
    expect(page.locator("#section-smuggling")).to_be_hidden()
    expect(page.locator("#section-items")).to_be_hidden()

    # when Lan chooses wildlife, the seized items show, the migrant smuggling part does not
    page.select_option("select[name=crime_area]", "wildlife")
    expect(page.locator("#section-items")).to_be_visible()
    expect(page.locator("#section-smuggling")).to_be_hidden()
    expect(page.locator("#section-people")).to_be_hidden()

    when = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=occurred_at]", when)
    page.select_option("select[name=location_kind]", "international_checkpoint")
    page.select_option("select[name=direction]", "entry")

    # the place comes from the tablet
    page.tap("[data-geolocate-button]")
    expect(page.locator("input[name=latitude]")).to_have_value("11.070800")
    expect(page.locator("input[name=longitude]")).to_have_value("106.196900")

    page.select_option("select[name=detection_method]", "scanner")
    page.select_option("select[name=concealment_method]", "mixed_with_cargo")
    page.select_option("select[name=conveyance]", "truck")
    # countries and the commodity are searched by name, without accents
    page.fill("#id_origin_country", "campuchia")
    page.locator(".picker-list > div[role=option]", has_text="Campuchia").first.tap()
    page.fill("#id_transit_countries", "lao")
    page.locator(".picker-list > div[role=option]", has_text="Lào").first.tap()
    expect(page.locator(".picker-chips")).to_contain_text("Lào")
    page.fill("#id_destination_country", "viet")
    page.locator(".picker-list > div[role=option]", has_text="Việt Nam").first.tap()
    page.fill("textarea[name=summary]", "48 kg vảy tê tê giấu trong bao hạt điều")

    # agencies of Moc Bai, named in Vietnamese, under the post's name
    agencies = page.locator("#agencies")
    expect(agencies.locator("legend").nth(1)).to_have_text("Mộc Bài")
    agencies.get_by_label("Hải quan").check()

    page.fill("#id_items-0-commodity", "te te")
    options = page.locator(".picker-list > div[role=option]")
    expect(options.first).to_be_visible()
    pangolin_vi = _species_label("manis-javanica", "vi")
    page.screenshot(path=str(_screenshot_path("incident-form-vi")))
    page.locator(".picker-list > div[role=option]", has_text=pangolin_vi).first.tap()
    expect(page.locator("#id_items-0-commodity")).to_have_value(pangolin_vi)
    page.fill("input[name='items-0-quantity']", "48")
    page.select_option("select[name='items-0-unit']", "kg")
    page.select_option("select[name=tlp]", "AMBER")
    page.select_option("select[name=distribution]", "blo")
    page.click("#incident-form button[type=submit]")
    page.wait_for_url(re.compile(r"/exchange/incidents/VN-MOCBAI-INC-[\d-]+/$"))
    elapsed = time.monotonic() - started

    # then the incident is saved with the pangolin, the place and the agency
    reference = page.locator("h1").inner_text().strip()
    assert reference.startswith("VN-MOCBAI-INC-")
    incident = Incident.objects.get(reference=reference)
    item = incident.items.get()
    assert item.species is not None and item.species.code == "manis-javanica"
    assert (incident.origin_country.code, incident.destination_country.code) == ("KH", "VN")
    assert [c.code for c in incident.transit_countries] == ["LA"]
    assert float(incident.latitude or 0) == pytest.approx(MOC_BAI[0])
    assert list(incident.agencies_involved.all()) == [live_world.vn_customs]
    assert elapsed < 120, f"{elapsed:.0f} s of scripted input"
    assert not refused  # the form's scripts and styles keep to the page's CSP


def test_incident_form_in_khmer(live_server, live_world, browser: Browser) -> None:
    ensure_vocabulary()
    page = tablet(browser, "km-KH")
    signed_in_in(page, live_server.url, live_world.dara, "km")
    page.goto(f"{live_server.url}/exchange/incidents/new/")
    expect(page.locator("html")).to_have_attribute("lang", "km")
    page.select_option("select[name=crime_area]", "wildlife")
    expect(page.locator("#agencies legend").nth(1)).to_have_text("បាវិត")
    page.fill("#id_items-0-commodity", "pangolin")
    pangolin_km = _species_label("manis-javanica", "km")
    option = page.locator(".picker-list > div[role=option]", has_text=pangolin_km).first
    expect(option).to_be_visible()
    page.screenshot(path=str(_screenshot_path("incident-form-km")))
    option.tap()
    expect(page.locator("#id_items-0-commodity")).to_have_value(pangolin_km)


def _species_label(code: str, lang: str) -> str:
    from liaison.reference.language import label
    from liaison.reference.models import Species

    return label(Species.objects.get(code=code), lang)


def _screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
