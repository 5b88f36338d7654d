"""Nothing typed on a field tablet is lost: drafts kept as the officer types, an outbox for what
she submits with the link down, sent once when it returns; sign-out wipes them."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from liaison.exchange.models import IdempotencyKey, Incident, IntelligenceReport
from tests.browser.conftest import ARTIFACTS, CHROMIUM, sign_in
from tests.browser.test_offline import kept, wait_until_controlled
from tests.builders import PASSWORD, ensure_vocabulary

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "screenshots"  # the run's own; docs/screenshots keeps the published ones
INCIDENT_FORM = "/exchange/incidents/new/"
INTELLIGENCE_FORM = "/exchange/intelligence/new/"
SUMMARY = "Tê tê: 48 kg vảy trong bao hạt điều, xe tải biển 70C"
NAME = "Trần Văn Bảy"

DUMP_KEPT = """async () => {
    const db = await new Promise((ok, fail) => {
        const asked = indexedDB.open("liaison-keep");
        asked.onsuccess = () => ok(asked.result);
        asked.onerror = () => fail(asked.error);
    });
    const out = {};
    for (const name of ["drafts", "outbox", "keys"]) {
        if (!db.objectStoreNames.contains(name)) { out[name] = []; continue; }
        out[name] = await new Promise((ok) => {
            const all = db.transaction(name).objectStore(name).getAll();
            all.onsuccess = () => ok(all.result.map((row) => JSON.stringify(row, (k, v) =>
                v instanceof ArrayBuffer || ArrayBuffer.isView(v)
                    ? Array.from(new Uint8Array(v.buffer || v)).map((b) => String.fromCharCode(b)).join("")
                    : v)));
        });
    }
    db.close();
    return out;
}"""


def kept_on_tablet(page: Page) -> dict[str, list[str]]:
    return dict(page.evaluate(DUMP_KEPT))


def english(user: Any) -> None:
    user.preferred_language = "en"
    user.save()


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def open_nominal(page: Page) -> None:
    details = page.locator("details#nominal")
    if details.count() and details.get_attribute("open") is None:
        details.locator("summary").click()


def fill_incident(page: Page) -> None:
    when = (timezone.localtime() - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=occurred_at]", when)
    page.select_option("select[name=crime_area]", "wildlife")
    page.select_option("select[name=location_kind]", "international_checkpoint")
    page.select_option("select[name=direction]", "entry")
    page.select_option("select[name=detection_method]", "scanner")
    page.select_option("select[name=concealment_method]", "mixed_with_cargo")
    page.select_option("select[name=conveyance]", "truck")
    page.fill("textarea[name=summary]", SUMMARY)


def fill_intelligence(page: Page, title: str, body: str) -> None:
    page.fill("input[name=title]", title)
    page.select_option("select[name=crime_area]", "wildlife")
    page.select_option("select[name=source_reliability]", "B")
    page.select_option("select[name=information_credibility]", "2")
    page.fill("textarea[name=body]", body)
    page.select_option("select[name=body_language]", "en")
    page.select_option("select[name=tlp]", "AMBER")
    page.select_option("select[name=distribution]", "blo")


def kept_form_page(page: Page, base: str, path: str) -> None:
    """Open the form online under the worker until the worker keeps it for offline."""
    page.goto(f"{base}{path}")
    wait_until_controlled(page)
    page.reload()
    page.wait_for_timeout(300)
    deadline = time.monotonic() + 30
    while not kept(page, path):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was not kept for offline")
        page.wait_for_timeout(300)


def new_tablet(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def test_an_incident_submitted_offline_survives_a_reload_and_is_recorded_once(
    live_server, live_world, browser: Browser
) -> None:
    # given Lan opened the new-incident form once online on her tablet
    ensure_vocabulary()
    english(live_world.lan)
    base = live_server.url
    context, tablet = new_tablet(browser)
    sign_in(tablet, base, "lan", PASSWORD)
    kept_form_page(tablet, base, INCIDENT_FORM)

    # when the link goes down, she opens the form again, fills it and records it
    context.set_offline(True)
    tablet.goto(f"{base}{INCIDENT_FORM}")
    fill_incident(tablet)
    tablet.click("#incident-form button[type=submit]")

    # then it waits in the outbox, listed on the form with its state, and nothing is recorded
    expect(tablet.locator("[data-keep-queued]")).to_be_visible()
    waiting = tablet.locator('[data-keep-queue] li[data-state="waiting"]')
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("New incident")
    expect(tablet.locator("textarea[name=summary]")).to_have_value("")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tablet.screenshot(path=str(SCREENSHOTS / "outbox-queued.png"))
    assert not Incident.objects.exists()

    # when she reloads the page, still offline
    tablet.reload()
    # then the item is still there
    expect(tablet.locator('[data-keep-queue] li[data-state="waiting"]')).to_have_count(1)
    assert not Incident.objects.exists()

    # when the link returns, without her doing anything
    context.set_offline(False)
    # then it is recorded, once, with her text
    wait_for(lambda: Incident.objects.exists())
    expect(tablet.locator('[data-keep-queue] li[data-state="waiting"]')).to_have_count(0)
    expect(tablet.locator('[data-keep-queue] li[data-state="sent"]')).to_have_count(1)
    tablet.goto(f"{base}/exchange/")
    tablet.reload()
    tablet.wait_for_timeout(500)
    assert Incident.objects.count() == 1
    assert Incident.objects.get().summary == SUMMARY
    assert IdempotencyKey.objects.count() == 1
    assert kept_on_tablet(tablet)["outbox"] == []
    context.close()


def test_a_draft_survives_closing_and_reopening_the_browser_and_its_nominal_part_is_sealed(
    live_server, live_world, browser: Browser, tmp_path: Path
) -> None:
    ensure_vocabulary()
    english(live_world.lan)
    base = live_server.url
    profile = tmp_path / "tablet-profile"

    def launch() -> tuple[BrowserContext, Page]:
        context = browser.browser_type.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
            viewport={"width": 1024, "height": 768},
            locale="en-GB",
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(15000)
        return context, page

    # given Lan types an incident with a person's name in its nominal part
    context, tablet = launch()
    sign_in(tablet, base, "lan", PASSWORD)
    tablet.goto(f"{base}{INCIDENT_FORM}")
    tablet.fill("textarea[name=summary]", SUMMARY)
    open_nominal(tablet)
    tablet.select_option("select[name='nominal-0-kind']", "person")
    tablet.fill("input[name='nominal-0-name']", NAME)
    tablet.wait_for_timeout(1000)

    # then the draft on the tablet holds the summary but not the name in clear
    drafts = kept_on_tablet(tablet)["drafts"]
    assert len(drafts) == 1
    assert json.loads(drafts[0])["sealed"] is not None
    assert SUMMARY in json.loads(drafts[0])["plain"].__repr__()
    assert NAME not in drafts[0] and "Bảy" not in drafts[0]

    # when the browser is closed and opened again (her sign-in cookie kept as a browser keeps it:
    # Chromium writes its cookie jar to the profile lazily, and a restart that lost it would show
    # the sign-in page, which wipes what the ended session sealed — another test's subject)
    cookies = context.cookies()
    context.close()
    context, tablet = launch()
    # the profile's own jar is read first, so that what it loads never lands over hers
    context.cookies()
    context.add_cookies(cookies)  # type: ignore[arg-type]
    signed_in = {c["name"]: c["value"] for c in cookies}["sessionid"]
    assert {c["name"]: c["value"] for c in context.cookies()}.get("sessionid") == signed_in
    tablet.goto(f"{base}{INCIDENT_FORM}")

    # then the form comes back as she left it, saying so
    expect(tablet.locator("[data-keep-restored]")).to_contain_text(
        "Draft restored from this tablet"
    )
    expect(tablet.locator("textarea[name=summary]")).to_have_value(SUMMARY)
    expect(tablet.locator("input[name='nominal-0-name']")).to_have_value(NAME)

    # when she discards it, the form is empty and nothing is kept
    tablet.locator("[data-keep-restored] button").click()
    expect(tablet.locator("textarea[name=summary]")).to_have_value("")
    tablet.wait_for_timeout(300)
    assert kept_on_tablet(tablet)["drafts"] == []
    context.close()


def test_sign_out_warns_about_unsent_items_then_wipes_drafts_outbox_and_key(
    live_server, live_world, browser: Browser
) -> None:
    # given Lan has a form waiting in the outbox and a sealed draft being typed
    ensure_vocabulary()
    english(live_world.lan)
    base = live_server.url
    context, tablet = new_tablet(browser)
    sign_in(tablet, base, "lan", PASSWORD)
    kept_form_page(tablet, base, INTELLIGENCE_FORM)
    context.set_offline(True)
    fill_intelligence(tablet, "Night route at Bavet", "Scales move by night.")
    tablet.locator("form[data-keep] button[type=submit]").click()
    expect(tablet.locator('[data-keep-queue] li[data-state="waiting"]')).to_have_count(1)
    tablet.fill("input[name=title]", "A second report")
    tablet.wait_for_timeout(800)
    before = kept_on_tablet(tablet)
    assert len(before["outbox"]) == 1 and len(before["drafts"]) == 1 and len(before["keys"]) == 1
    # when she signs out, she is first told what was not sent
    warnings: list[str] = []

    def stay(dialog: Dialog) -> None:
        warnings.append(dialog.message)
        dialog.dismiss()

    tablet.once("dialog", stay)
    tablet.click("form[data-forget-offline] button")
    tablet.wait_for_timeout(500)
    # and may stay signed in
    assert warnings and "never recorded" in warnings[0]
    assert "New intelligence report" in warnings[0]
    assert len(kept_on_tablet(tablet)["drafts"]) + len(kept_on_tablet(tablet)["outbox"]) >= 1

    # when she confirms (still offline: the wipe comes before the sign-out reaches the server)
    tablet.once("dialog", lambda dialog: dialog.accept())
    tablet.click("form[data-forget-offline] button")
    tablet.wait_for_timeout(1000)
    # then the form is no longer kept for offline: the worker answers with its offline page
    tablet.goto(f"{base}{INTELLIGENCE_FORM}")
    expect(tablet.locator("#offline")).to_be_visible()

    # and nothing she typed is left on the tablet, nor the key
    assert kept_on_tablet(tablet) == {"drafts": [], "outbox": [], "keys": []}
    assert not kept(tablet, INTELLIGENCE_FORM)
    context.close()


def test_a_conflict_on_reconnect_keeps_her_text(live_server, live_world, browser: Browser) -> None:
    # given Lan submits an intelligence report offline for her post, Moc Bai
    ensure_vocabulary()
    english(live_world.lan)
    base = live_server.url
    context, tablet = new_tablet(browser)
    sign_in(tablet, base, "lan", PASSWORD)
    kept_form_page(tablet, base, INTELLIGENCE_FORM)
    context.set_offline(True)
    tablet.goto(f"{base}{INTELLIGENCE_FORM}")
    fill_intelligence(tablet, "Night route at Bavet", "Scales move by night in cashew sacks.")
    tablet.locator("form[data-keep] button[type=submit]").click()
    expect(tablet.locator('[data-keep-queue] li[data-state="waiting"]')).to_have_count(1)
    # and the report's text is sealed in the outbox
    outbox = kept_on_tablet(tablet)["outbox"]
    assert "cashew" not in outbox[0] and "Night route" not in outbox[0]

    # when, meanwhile, she is posted to Dien Bien: she may no longer record for Moc Bai
    live_world.lan.blo = live_world.dien_bien
    live_world.lan.save()
    context.set_offline(False)

    # then the report is not recorded and is marked, on the form and on the overview
    conflict = tablet.locator('[data-keep-queue] li[data-state="conflict"]')
    expect(conflict).to_have_count(1)
    assert not IntelligenceReport.objects.exists()
    tablet.goto(f"{base}/exchange/")
    expect(tablet.locator('[data-keep-queue] li[data-state="conflict"]')).to_contain_text(
        "New intelligence report"
    )

    # when she reopens it, her text is back in the form
    tablet.locator('[data-keep-queue] li[data-state="conflict"] button', has_text="Reopen").click()
    tablet.wait_for_url(f"**{INTELLIGENCE_FORM}")
    expect(tablet.locator("[data-keep-restored]")).to_be_visible()
    expect(tablet.locator("input[name=title]")).to_have_value("Night route at Bavet")
    expect(tablet.locator("textarea[name=body]")).to_have_value(
        "Scales move by night in cashew sacks."
    )
    assert kept_on_tablet(tablet)["outbox"] == []
    context.close()


def test_online_a_kept_form_records_once_and_leaves_no_draft(
    live_server, live_world, browser: Browser
) -> None:
    # given Lan, online, types a report (kept as she types) and records it
    ensure_vocabulary()
    english(live_world.lan)
    base = live_server.url
    context, tablet = new_tablet(browser)
    sign_in(tablet, base, "lan", PASSWORD)
    tablet.goto(f"{base}{INTELLIGENCE_FORM}")
    fill_intelligence(tablet, "Night route at Bavet", "Scales move by night.")
    tablet.wait_for_timeout(600)
    assert len(kept_on_tablet(tablet)["drafts"]) == 1
    tablet.locator("form[data-keep] button[type=submit]").dblclick()
    # then she lands on the record with its message, recorded once, and nothing is left kept
    wait_for(lambda: IntelligenceReport.objects.exists())
    recorded = IntelligenceReport.objects.get()
    tablet.wait_for_url(f"**{recorded.get_absolute_url()}")
    expect(tablet.locator(".messages")).to_contain_text(f"Recorded as {recorded.reference}")
    left = kept_on_tablet(tablet)
    assert left["drafts"] == [] and left["outbox"] == []
    # and a form with errors comes back from the server as before, her text still in it
    tablet.goto(f"{base}{INTELLIGENCE_FORM}")
    fill_intelligence(tablet, "", "Without a title.")
    tablet.locator("input[name=title]").evaluate("field => field.removeAttribute('required')")
    tablet.locator("form[data-keep] button[type=submit]").click()
    expect(tablet.locator(".errorlist, .error").first).to_be_visible()
    expect(tablet.locator("textarea[name=body]")).to_have_value("Without a title.")
    assert IntelligenceReport.objects.count() == 1
    context.close()
