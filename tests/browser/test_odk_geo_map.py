"""The map of a questionnaire's geo question in ODK Web Forms, on the app's own base map: the tiles
come from the app (never from OpenStreetMap, which the page's policy and an offline post refuse),
and a tablet that opened the map once online shows the overview offline."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Response, expect

from liaison.surveys.models import SurveyRound
from liaison.surveys.tests.builders import EN, SMALL_CHOICES, VI
from liaison.surveys.tests.rounds import make_round, upload_small
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_offline import kept
from tests.browser.test_outbox import english, new_tablet
from tests.browser.test_outbox_surveys_quiz import open_under_worker
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

TILES = "/static/surveys/tiles/"
PLACE = "Where is the crossing?"
GEO_SURVEY = [
    {
        "type": "select_one agency",
        "name": "agency",
        f"label::{EN}": "Agency",
        f"label::{VI}": "Cơ quan",
    },
    {
        "type": "geopoint",
        "name": "crossing",
        f"label::{EN}": PLACE,
        f"label::{VI}": "Cửa khẩu ở đâu?",
        "appearance": "placement-map",
    },
]


def geo_round(world: Any) -> SurveyRound:
    questionnaire = upload_small(
        world.ainsley,
        survey=GEO_SURVEY,
        choices=[c for c in SMALL_CHOICES if c["list_name"] == "agency"],
        settings=[{"form_id": "crossings", "form_title": "Crossings", "default_language": EN}],
    )
    return make_round(
        questionnaire,
        world.ainsley,
        [world.moc_bai],
        site_question="",
        agency_question="",
        cluster_question="",
    )


@dataclass
class Traffic:
    """What the page asked for and heard back, and what its policy refused."""

    origin: str
    requests: list[str] = field(default_factory=list)
    tiles: dict[str, int] = field(default_factory=dict)
    console: list[str] = field(default_factory=list)

    def listen(self, page: Page) -> None:
        page.on("request", self.requested)
        page.on("response", self.answered)
        page.on("console", lambda message: self.console.append(message.text))
        # the policy's refusals, as the page's own event reports them
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', (e) => {"
            " (window.__violations = window.__violations || []).push(e.blockedURI + ' ' + e.violatedDirective); });"
        )

    def requested(self, request: Request) -> None:
        self.requests.append(request.url)

    def answered(self, response: Response) -> None:
        if urlsplit(response.url).path.startswith(TILES):
            self.tiles[urlsplit(response.url).path] = response.status

    def elsewhere(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob")
            and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != self.origin
        ]

    def tiles_shown(self) -> list[str]:
        return [path for path, status in self.tiles.items() if status == 200]


def wait_on(page: Page, condition: Callable[[], bool], seconds: float = 20) -> None:
    """Wait while the page runs: its events (requests, answers) are heard only meanwhile."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        page.wait_for_timeout(200)


def violations(page: Page) -> list[str]:
    return list(page.evaluate("() => window.__violations || []"))


def open_map(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("[data-odk-web-form]")).to_have_attribute("data-mounted", "1")
    container = page.locator(".question-container").filter(has_text=PLACE)
    expect(container.locator(".ol-viewport canvas").first).to_be_visible()


def test_the_geopoint_map_draws_the_apps_own_tiles_and_asks_nothing_of_another_site(
    live_server, live_world: Any, tablet: Page, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # given a questionnaire asking where a crossing is, on a map, and Lan on her tablet
    survey_round = geo_round(live_world)
    english(live_world.lan)
    traffic = Traffic(origin=live_server.url)
    traffic.listen(tablet)
    sign_in(tablet, live_server.url, "lan", PASSWORD)

    # when she opens it in ODK Web Forms
    open_map(tablet, f"{live_server.url}/surveys/rounds/{survey_round.pk}/fill/odk/")

    # then the map reads its tiles from the app, which has them
    wait_on(tablet, lambda: len(traffic.tiles_shown()) >= 4)
    assert traffic.tiles and all(status == 200 for status in traffic.tiles.values()), traffic.tiles
    assert all(
        url.startswith(f"{live_server.url}{TILES}") for url in traffic.requests if ".png" in url
    )
    # and credits their source, not OpenStreetMap
    attribution = tablet.locator(".ol-attribution")
    expect(attribution).to_contain_text("Natural Earth")
    expect(attribution).not_to_contain_text("OpenStreetMap")
    # and nothing left the app's origin, and the page's policy refused nothing
    assert traffic.elsewhere() == []
    assert violations(tablet) == []
    assert not [text for text in traffic.console if "Content Security Policy" in text]

    # when she zooms in on the Greater Mekong, the region's closer tiles are drawn too
    canvas = tablet.locator(".ol-viewport canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    # the view opens on the whole world at zoom 2 (1,024 pixels wide), centred on 0°, 0°: zoom
    # in around 104° E, 16° N (Laos), then move the map a little west for the picture
    x = box["x"] + box["width"] / 2 + 104 / 360 * 1024
    y = box["y"] + box["height"] / 2 - 45
    tablet.mouse.move(x, y)
    for _ in range(3):
        tablet.mouse.wheel(0, -300)
        tablet.wait_for_timeout(400)
    tablet.mouse.down()
    tablet.mouse.move(x - 200, y, steps=10)
    tablet.mouse.up()
    wait_on(tablet, lambda: any(path.startswith(f"{TILES}5/") for path in traffic.tiles_shown()))
    # the engine's hint over the map, closed for the picture
    hint = tablet.locator(".p-message").filter(has_text="Use the location button")
    if hint.count():
        hint.get_by_role("button", name="Close").click()
    tablet.wait_for_timeout(1000)  # the last tiles fade in
    # and a tile beyond the region at that zoom is not there: a 404, drawn blank
    assert set(traffic.tiles.values()) <= {200, 404}, traffic.tiles
    assert all(
        status == 200 for path, status in traffic.tiles.items() if path.startswith(f"{TILES}2/")
    )
    shot = screenshot(tablet, "odk-geopoint-map")
    assert shot.stat().st_size > 10_000
    assert traffic.elsewhere() == [] and violations(tablet) == []


def test_a_tablet_shows_the_map_offline_once_it_opened_the_questionnaire_online(
    live_server, live_world: Any, browser: Browser, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # given Lan opened the questionnaire once online, under the app's worker
    survey_round = geo_round(live_world)
    english(live_world.lan)
    base = live_server.url
    path = f"/surveys/rounds/{survey_round.pk}/fill/odk/"
    context, tablet = new_tablet(browser)
    sign_in(tablet, base, "lan", PASSWORD)
    open_under_worker(tablet, base, path)
    # and the worker keeps the overview of the base map (precached at install)
    assert kept(tablet, f"{TILES}0/0/0.png") and kept(tablet, f"{TILES}6/50/30.png")  # Moc Bai

    # when the link is down and she opens it again
    context.set_offline(True)
    traffic = Traffic(origin=base)
    traffic.listen(tablet)
    open_map(tablet, f"{base}{path}")

    # then the map draws its tiles from the tablet (with the link down, every 200 is the worker's)
    wait_on(tablet, lambda: len(traffic.tiles_shown()) >= 4)
    assert violations(tablet) == []
    context.close()
