"""A Vietnamese officer on a tablet reads the reference library and a lesson with the network
off; the incident she opened online is not on the tablet."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from liaison.reference.services import ensure_reference_loaded
from liaison.training.demo import CONTENT_DIR
from liaison.training.services import do_import_content
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.builders import PASSWORD, ensure_vocabulary, make_incident

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "screenshots"  # the run's own; docs/screenshots keeps the published ones
MODULE = "precursor-identification"


def wait_until_controlled(page: Page) -> None:
    """The worker installs (precaching the shell and six offline pages) and claims the page.

    On a busy machine the install can outlast a page's default timeout, and a worker that
    activates after the page loaded may not claim it: wait for it to be ready, then load the
    page again under it if it has not claimed this one.
    """
    page.evaluate(
        "() => { navigator.serviceWorker.ready.then(() => { window.__swReady = true; }); }"
    )
    page.wait_for_function("() => window.__swReady === true", timeout=90000)
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)


def kept(page: Page, path: str) -> bool:
    return bool(
        page.evaluate(
            """async (path) => {
                for (const name of await caches.keys()) {
                    const cache = await caches.open(name);
                    if (await cache.match(path, { ignoreSearch: true, ignoreVary: true })) return true;
                }
                return false;
            }""",
            path,
        )
    )


def kept_paths(page: Page) -> list[str]:
    return list(
        page.evaluate(
            """async () => {
                const paths = [];
                for (const name of await caches.keys()) {
                    for (const request of await (await caches.open(name)).keys()) {
                        paths.push(new URL(request.url).pathname);
                    }
                }
                return paths;
            }"""
        )
    )


def test_reference_search_and_an_opened_lesson_read_offline_but_no_record(
    live_server, live_world, browser: Browser
) -> None:
    # given the library, the training modules and an incident Lan recorded at Moc Bai
    ensure_reference_loaded()
    ensure_vocabulary()
    do_import_content(CONTENT_DIR, actor=None)
    incident = make_incident(live_world.lan, summary="Pangolin scales in a tyre")
    base = live_server.url
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN")
    tablet = context.new_page()
    tablet.set_default_timeout(15000)

    # when Lan signs in on her tablet, which installs the app's service worker
    sign_in(tablet, base, live_world.lan.username, PASSWORD)
    tablet.goto(f"{base}/reference/")
    wait_until_controlled(tablet)
    # and she opens the library (which keeps its search for offline) and a lesson, online
    tablet.reload()
    tablet.wait_for_function(
        "() => localStorage.getItem('liaison:reference-warmed') !== null", timeout=30000
    )
    tablet.wait_for_timeout(500)  # the worker writes its cache after answering
    assert kept(tablet, "/reference/search-index.json")
    tablet.goto(f"{base}/training/modules/{MODULE}/")
    tablet.click("#start")
    expect(tablet.locator("#lesson figure img").first).to_be_visible()
    lesson_url = tablet.url
    lesson_title = tablet.locator("h1").inner_text()
    # and she reads her incident
    tablet.goto(f"{base}{incident.get_absolute_url()}")
    expect(tablet.locator("main")).to_contain_text(incident.reference)

    # then nothing of the record is kept on the tablet
    assert not any(p.startswith(("/exchange/", "/api/")) for p in kept_paths(tablet))
    assert "/" not in kept_paths(tablet)

    # when the link goes down
    context.set_offline(True)
    # and she searches the library in Vietnamese typed without accents
    tablet.goto(f"{base}/reference/")
    tablet.fill("#ref-q", "ma tuy da")
    tablet.press("#ref-q", "Enter")
    # then the tablet answers from its copy, as the server would
    expect(tablet.locator("#ref-offline-note")).to_be_visible()
    expect(tablet.locator("#ref-q")).to_have_value("ma tuy da")
    hit = tablet.locator('#ref-results a[href="/reference/drugs/methamphetamine-crystalline/"]')
    expect(hit).to_have_text("Methamphetamine dạng tinh thể (ma túy đá)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tablet.screenshot(path=str(SCREENSHOTS / "reference-search-offline.png"))

    # when she opens the lesson she read
    tablet.goto(lesson_url)
    # then it reads, with its image
    expect(tablet.locator("h1")).to_have_text(lesson_title)
    image = tablet.locator("#lesson figure img").first
    expect(image).to_be_visible()
    # visible is laid out, not yet decoded: wait for the picture (from the offline copy) itself
    tablet.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )

    # when she opens her incident offline
    tablet.goto(f"{base}{incident.get_absolute_url()}")
    # then the offline page says so, in her language, without the record
    expect(tablet.locator("html")).to_have_attribute("lang", "vi")
    expect(tablet.locator("#offline")).to_be_visible()
    assert incident.reference not in tablet.content()
    assert "Pangolin" not in tablet.content()
    context.close()
