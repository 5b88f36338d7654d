"""The incident form's place, as an officer on a tablet gives it: tapped on the app's own offline
base map (the dashboard's, no tiles, no CDN), or taken from the tablet's location."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from liaison.exchange.map import project
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

MOC_BAI = (11.0708, 106.1969)  # latitude, longitude
LAO_CAI = (22.5047, 103.9718)
TAY_NINH = (11.3100, 106.0983)


@dataclass
class Watched:
    """What the page did that it must not: scripts or styles the CSP refused, requests to
    another origin (a CDN, a tile server)."""

    refused: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)


@pytest.fixture
def tablet(browser: Browser, live_server: Any) -> Iterator[tuple[BrowserContext, Page, Watched]]:
    """A 1024×768 touch tablet that may tell Liaison where it is."""
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, locale="en-GB", has_touch=True
    )
    context.grant_permissions(["geolocation"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    watched = Watched()
    page.on(
        "console",
        lambda message: (
            watched.refused.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:", "blob:"))
            else watched.elsewhere.append(request.url)
        ),
    )
    yield context, page, watched
    context.close()


def _open_form(page: Page, base: str, world: Any) -> None:
    # Lan reads English here (the help and status texts are asserted)
    world.lan.preferred_language = "en"
    world.lan.save(update_fields=["preferred_language"])
    sign_in(page, base, "lan", PASSWORD)
    page.goto(f"{base}/exchange/incidents/new/")
    expect(page.locator("[data-place-map]")).to_be_visible()


def _screen_point(page: Page, latitude: float, longitude: float) -> tuple[float, float]:
    """Where on the screen the server's projection (liaison.exchange.map) puts a place."""
    x, y = project(longitude, latitude)
    page.locator("[data-place-map-svg]").scroll_into_view_if_needed()
    point = page.evaluate(
        """([x, y]) => {
            const svg = document.querySelector("[data-place-map-svg]");
            const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
            return [p.x, p.y];
        }""",
        [x, y],
    )
    return float(point[0]), float(point[1])


def _fields(page: Page) -> tuple[float, float]:
    return (
        float(page.input_value("input[name=latitude]")),
        float(page.input_value("input[name=longitude]")),
    )


def _marker(page: Page) -> tuple[float, float] | None:
    """The picked place's marker on the map, in the map's units (None when hidden)."""
    shown = page.locator("[data-place-marker]")
    if shown.get_attribute("visibility") != "visible":
        return None
    transform = shown.get_attribute("transform") or ""
    x, y = transform.split("translate(")[1].split(")")[0].split()
    return float(x), float(y)


def test_tapping_the_offline_map_fills_the_latitude_and_longitude(
    live_server, live_world, tablet
) -> None:
    _context, page, watched = tablet
    live_world.moc_bai.latitude, live_world.moc_bai.longitude = MOC_BAI
    live_world.moc_bai.save(update_fields=["latitude", "longitude"])
    _open_form(page, live_server.url, live_world)
    # her post is on the map, and no place is picked yet
    expect(page.locator("[data-place-map] .blo title")).to_have_text("Moc Bai")
    assert _marker(page) is None
    assert page.input_value("input[name=latitude]") == ""

    # when Lan taps Moc Bai's checkpoint on the whole region's map
    page.touchscreen.tap(*_screen_point(page, *MOC_BAI))

    # then the fields hold the place under her finger (within a map pixel), marked on the map
    latitude, longitude = _fields(page)
    assert latitude == pytest.approx(MOC_BAI[0], abs=0.05)
    assert longitude == pytest.approx(MOC_BAI[1], abs=0.05)
    assert _marker(page) is not None

    # when she zooms in twice on it and taps a place a little north, by Tay Ninh
    page.click("[data-place-zoom=in]")
    page.click("[data-place-zoom=in]")
    page.touchscreen.tap(*_screen_point(page, *TAY_NINH))

    # then the place is four times as close
    latitude, longitude = _fields(page)
    assert latitude == pytest.approx(TAY_NINH[0], abs=0.0125)
    assert longitude == pytest.approx(TAY_NINH[1], abs=0.0125)
    screenshot(page, "incident-place-map")

    # a place typed in moves the marker there
    page.fill("input[name=latitude]", str(MOC_BAI[0]))
    page.fill("input[name=longitude]", str(MOC_BAI[1]))
    marker = _marker(page)
    assert marker is not None
    assert marker == pytest.approx(project(MOC_BAI[1], MOC_BAI[0]), abs=0.01)
    assert not watched.refused
    assert not watched.elsewhere


def test_the_tablets_location_fills_the_fields_and_shows_on_the_map(
    live_server, live_world, tablet
) -> None:
    context, page, watched = tablet
    _open_form(page, live_server.url, live_world)

    # when the tablet is at Lao Cai and Lan asks for her location
    context.set_geolocation({"latitude": LAO_CAI[0], "longitude": LAO_CAI[1], "accuracy": 25})
    page.tap("[data-geolocate-button]")

    # then the fields hold it, the status says how close, and the map marks it
    expect(page.locator("input[name=latitude]")).to_have_value(f"{LAO_CAI[0]:.6f}")
    expect(page.locator("input[name=longitude]")).to_have_value(f"{LAO_CAI[1]:.6f}")
    expect(page.locator("[data-geolocate-status]")).to_have_text("Placed within 25 m.")
    marker = _marker(page)
    assert marker is not None
    assert marker == pytest.approx(project(LAO_CAI[1], LAO_CAI[0]), abs=0.01)

    # when the tablet no longer lets Liaison know where it is, the page says so and keeps the place
    context.clear_permissions()
    page.tap("[data-geolocate-button]")
    expect(page.locator("[data-geolocate-status]")).to_have_text(
        "The tablet could not give its location: type the latitude and longitude."
    )
    expect(page.locator("input[name=latitude]")).to_have_value(f"{LAO_CAI[0]:.6f}")
    assert not watched.refused
    assert not watched.elsewhere
