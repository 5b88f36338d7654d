"""The national coordinator downloads a round's PDF report: the button asks the background worker
for it, the drawing's page follows it (the app's own script, under the strict CSP) and offers the
download; the file is the PDF."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser


def test_the_coordinator_downloads_the_pdf_report_drawn_in_the_background(
    live_server, live_world, browser: Browser, settings, tmp_path
) -> None:
    from liaison.surveys.services import do_import_export
    from liaison.surveys.tests.builders import kobo_export
    from liaison.surveys.tests.rounds import make_round, upload_small

    settings.MEDIA_ROOT = tmp_path
    # given a small round with answers (the PATROL report's charts take a while to draw)
    questionnaire = upload_small(live_world.ainsley)
    survey_round = make_round(
        questionnaire, live_world.ainsley, [live_world.moc_bai], site_question=""
    )
    rows = [{"profile/agency": "police", "ods/knows_ods": "yes"}]
    do_import_export(
        survey_round,
        kobo_export(rows, ["profile/agency", "ods/knows_ods"]).encode(),
        file_name="s.csv",
        actor=live_world.ainsley,
    )
    live_world.huong.preferred_language = "en"
    live_world.huong.save(update_fields=["preferred_language"])
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server.url, "huong", PASSWORD)

    # when she presses the English PDF button on the round's results
    page.goto(f"{live_server.url}/surveys/rounds/{survey_round.pk}/results/")
    page.click("[data-report='pdf-en']")

    # then the drawing's page offers the download, and the file is the PDF
    expect(page.locator("h1")).to_contain_text("PDF report")
    link = page.locator("[data-report-download]")
    expect(link).to_be_visible()
    with page.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert download.suggested_filename == f"assessment-{survey_round.pk}-en.pdf"
    assert download.path().read_bytes().startswith(b"%PDF")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
