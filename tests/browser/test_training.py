"""An officer at Cau Treo takes the precursor module in Vietnamese on a tablet, fails the quiz,
passes it, and her certificate verifies at its public address; the BLO's coverage rises."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import Browser, Page, expect

from liaison.training.demo import CONTENT_DIR
from liaison.training.models import Question
from liaison.training.services import do_import_content
from liaison.training.tests.builders import build_cau_treo
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD

pytestmark = pytest.mark.browser

MODULE = "precursor-identification"


def precursor_coverage(page: Page, base_url: str) -> str:
    page.goto(f"{base_url}/training/coverage/VN-CAUTREO/")
    row = page.locator('#training-coverage tr[data-area="precursors"]')
    return str(row.get_attribute("data-trained"))


def answer_quiz(page: Page, *, right: bool) -> None:
    keys = {q.code: q for q in Question.objects.filter(module__code=MODULE)}
    for fieldset in page.locator("fieldset[data-question]").all():
        code = str(fieldset.get_attribute("data-question"))
        correct = keys[code].correct_codes
        options = [str(c["code"]) for c in keys[code].choices]
        chosen = sorted(correct) if right else [next(o for o in options if o not in correct)]
        for option in chosen:
            fieldset.locator(f'input[value="{option}"]').check()
    page.click("#submit-quiz")
    page.wait_for_load_state("networkidle")


def test_cau_treo_officer_earns_a_certificate_that_verifies_and_raises_coverage(
    live_server, live_world, browser: Browser, tablet: Page, tmp_path
) -> None:
    # given Cau Treo on the border with Lao PDR, its staff, and the shipped modules
    cau_treo = build_cau_treo(live_world)
    do_import_content(CONTENT_DIR, actor=None)
    base = live_server.url
    # and the head of the BLO sees nobody trained in precursors
    head_context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN")
    head = head_context.new_page()
    sign_in(head, base, cau_treo.head.username, PASSWORD)
    assert precursor_coverage(head, base) == "0"

    # when Mai, a border army officer at Cau Treo, opens the catalogue (in Vietnamese: her country's)
    sign_in(tablet, base, cau_treo.mai.username, PASSWORD)
    expect(tablet.locator("html")).to_have_attribute("lang", "vi")
    tablet.goto(f"{base}/training/")
    tablet.click(f'[data-module="{MODULE}"] h2 a')
    expect(tablet.locator("h1")).to_have_text("Nhận biết tiền chất ma túy tại biên giới")
    tablet.click("#start")
    # then she reads the lessons in Vietnamese, with their images
    expect(tablet.locator("h1")).to_have_text("Ma túy hay tiền chất?")
    expect(tablet.locator("#lesson")).to_contain_text("cocain, cần sa, morphin và methamphetamin")
    image = tablet.locator("#lesson figure img").first
    expect(image).to_be_visible()
    # visible is laid out, not yet decoded: wait for the picture itself to have arrived
    tablet.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    screenshot(tablet, "training-lesson-vi")
    while tablet.locator("#next-page").count():
        tablet.click("#next-page")
    expect(tablet.locator("h1")).to_have_text("Cần làm gì khi phát hiện")

    # when she takes the quiz and answers wrongly
    tablet.click("#take-quiz")
    expect(tablet.locator("fieldset[data-question]")).to_have_count(10)
    expect(tablet.locator("#quiz")).to_contain_text("tiền chất")
    answer_quiz(tablet, right=False)
    # then she has not passed and may try again
    expect(tablet.locator("#quiz-result")).to_have_attribute("data-passed", "no")
    tablet.click("#retry")
    # when she answers rightly
    answer_quiz(tablet, right=True)
    expect(tablet.locator("#quiz-result")).to_have_attribute("data-passed", "yes")
    expect(tablet.locator("#new-certificates")).to_be_visible()
    screenshot(tablet, "training-quiz-passed")

    # then her certificate is a PDF carrying its verification address
    href = tablet.locator("#certificate-pdf").get_attribute("href")
    response = tablet.request.get(f"{base}{href}")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(  # noqa: S603 - a fixed local tool on a file we wrote
        [shutil.which("pdftotext") or "pdftotext", str(pdf), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "Hoàng Thị Mai" in text
    match = re.search(r"(http://\S+/training/verify/[A-Z0-9-]+/)", text)
    assert match is not None, text
    verify_url = match.group(1)

    # and anyone, in a fresh browser without an account, finds it valid at that address
    stranger_context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    stranger = stranger_context.new_page()
    stranger.goto(verify_url)
    assert "/login/" not in stranger.url
    expect(stranger.locator("#verification")).to_have_attribute("data-state", "valid")
    expect(stranger.locator("#holder")).to_have_text("Hoàng Thị Mai")
    expect(stranger.locator("#verification")).to_contain_text("Nhận biết tiền chất ở tuyến đầu")
    screenshot(stranger, "training-certificate-verified")
    stranger_context.close()

    # and the BLO's precursor coverage has risen
    assert precursor_coverage(head, base) == "1"
    expect(head.locator('#training-coverage tr[data-area="precursors"]')).to_contain_text("33%")
    screenshot(head, "training-cau-treo-coverage")
    head_context.close()
