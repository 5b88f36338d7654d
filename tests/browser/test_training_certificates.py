"""Issue #13, training and reference, as people do it on a tablet: an officer reads the lessons a
module asks for before its quiz, passes it, and prints the module certificate, which anyone can
verify by its code; a trainer makes a training plan from a survey round stored in Liaison; the
reference library's ranked search finds the pangolin from the Vietnamese words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from liaison.training.demo import CONTENT_DIR
from liaison.training.models import Completion, Question, QuizAttempt
from liaison.training.services import do_import_content
from liaison.training.tests.builders import build_cau_treo
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD, ensure_vocabulary

pytestmark = pytest.mark.browser

GATED = "ods-hazardous-waste"  # shipped with lessons_required_before_quiz: true


def answer_rightly(page: Page, module: str) -> None:
    keys = {q.code: q for q in Question.objects.filter(module__code=module)}
    for fieldset in page.locator("fieldset[data-question]").all():
        question = keys[str(fieldset.get_attribute("data-question"))]
        for option in sorted(question.correct_codes):
            fieldset.locator(f'input[value="{option}"]').check()
    page.click("#submit-quiz")
    page.wait_for_load_state("networkidle")


def test_officer_reads_the_lessons_passes_and_prints_a_module_certificate_that_verifies(
    live_server, live_world, browser: Browser, tablet: Page
) -> None:
    # given Cau Treo's staff and the shipped modules, the ODS module asking for its lessons first
    cau_treo = build_cau_treo(live_world)
    do_import_content(CONTENT_DIR, actor=None)
    base = live_server.url
    sign_in(tablet, base, cau_treo.mai.username, PASSWORD)

    # when Mai opens the module before reading anything
    tablet.goto(f"{base}/training/modules/{GATED}/")
    # then its quiz is greyed out and says why
    expect(tablet.locator("#take-quiz")).to_be_disabled()
    expect(tablet.locator("#quiz-locked")).to_be_visible()

    # when she starts the module and reads the first lesson only
    tablet.click("#start")
    expect(tablet.locator("#lesson")).to_be_visible()
    tablet.goto(f"{base}/training/modules/{GATED}/")
    expect(tablet.locator("#take-quiz")).to_be_disabled()
    # and forces the greyed button anyway
    tablet.locator("#take-quiz").evaluate("button => { button.disabled = false; }")
    tablet.click("#take-quiz")
    tablet.wait_for_load_state("networkidle")
    # then she is back on the module, still locked, and no quiz was drawn for her
    assert tablet.url == f"{base}/training/modules/{GATED}/"
    expect(tablet.locator("#take-quiz")).to_be_disabled()
    assert not QuizAttempt.objects.filter(enrolment__officer=cau_treo.mai).exists()

    # when she reads every lesson to the end
    tablet.click("#continue")
    while tablet.locator("#next-page").count():
        tablet.click("#next-page")
    # then the quiz opens from the last lesson and from the module's page
    tablet.goto(f"{base}/training/modules/{GATED}/")
    expect(tablet.locator("#quiz-locked")).to_have_count(0)
    expect(tablet.locator("#take-quiz")).to_be_enabled()
    tablet.click("#take-quiz")
    expect(tablet.locator("fieldset[data-question]").first).to_be_visible()

    # when she answers rightly
    answer_rightly(tablet, GATED)
    # then she has passed, and the module's page shows her module certificate
    expect(tablet.locator("#quiz-result")).to_have_attribute("data-passed", "yes")
    tablet.wait_for_load_state("networkidle")
    completion = Completion.objects.get(officer=cau_treo.mai, module__code=GATED)
    tablet.goto(f"{base}/training/modules/{GATED}/")
    expect(tablet.locator("#module-completion")).to_contain_text(completion.code)

    # when she opens the certificate's print page
    tablet.click("#module-certificate")
    # then it names her, the module and the code
    assert tablet.url == f"{base}/training/completions/{completion.code}/"
    expect(tablet.locator("main")).to_contain_text("Hoàng Thị Mai")
    expect(tablet.locator("main")).to_contain_text(completion.code)
    screenshot(tablet, "training-module-certificate")

    # and anyone, in a fresh browser without an account, verifies the code at the verify page
    stranger_context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    stranger = stranger_context.new_page()
    stranger.goto(f"{base}/training/verify/")
    assert "/login/" not in stranger.url
    stranger.fill("input[name=code]", completion.code.lower())
    stranger.locator("main form button[type=submit]").click()
    expect(stranger.locator("#verification")).to_have_attribute("data-state", "valid")
    expect(stranger.locator("#holder")).to_have_text("Hoàng Thị Mai")
    expect(stranger.locator("#verification")).to_contain_text(completion.code)
    screenshot(stranger, "training-module-certificate-verified")
    stranger_context.close()


def test_trainer_makes_a_plan_from_the_stored_baseline_round(
    live_server, transactional_db, browser: Browser, tablet: Page, settings, tmp_path
) -> None:
    # given the demo network, its PATROL baseline round (33 respondents) and the catalogue
    from liaison.registry.demo import DEMO_PASSWORD, load_demo_registry
    from liaison.surveys.demo import BASELINE_TITLE, load_demo_surveys

    settings.MEDIA_ROOT = tmp_path
    load_demo_registry()
    load_demo_surveys()
    do_import_content(CONTENT_DIR, actor=None)
    base = live_server.url
    # when the programme's trainer opens a new plan and chooses the stored round, no CSV
    sign_in(tablet, base, "programme", DEMO_PASSWORD)
    tablet.goto(f"{base}/training/plans/new/")
    tablet.fill("input[name=title]", "Viet Nam 2026 from the baseline")
    tablet.select_option("select[name=survey_round]", label=BASELINE_TITLE)
    tablet.locator("main form button[type=submit].primary").click()
    tablet.wait_for_load_state("networkidle")
    # then the plan ranks the round's respondents, investigation first (93.9 % need)
    assert re.search(r"/training/plans/\d+/$", tablet.url), tablet.url
    expect(tablet.locator("h1")).to_have_text("Viet Nam 2026 from the baseline")
    expect(tablet.locator(".lead")).to_contain_text(BASELINE_TITLE)
    expect(tablet.locator(".lead")).to_contain_text("33")
    first = tablet.locator("#plan-items tbody tr").first
    expect(first).to_have_attribute("data-topic", "investigation")
    expect(first).to_contain_text("93.9")
    screenshot(tablet, "training-plan-from-round")
    # and per BLO its respondents are the registry's BLOs
    tablet.goto(f"{tablet.url}?by=blo")
    expect(tablet.locator("#breakdown")).to_contain_text("Moc Bai")
    expect(tablet.locator("#breakdown")).not_to_contain_text("moc_bai")


def test_ranked_reference_search_finds_the_pangolin_from_vietnamese_words(
    live_server, live_world, browser: Browser
) -> None:
    # given the reference library, and Lan at Moc Bai reading Liaison in Vietnamese
    ensure_vocabulary()
    base = live_server.url
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, live_world.lan.username, PASSWORD)
    pangolin = '#ref-results a[href="/reference/species/manis-javanica/"]'

    # when she searches "vay te te" (pangolin scales, typed without accents)
    page.goto(f"{base}/reference/")
    page.fill("#ref-q", "vay te te")
    page.press("#ref-q", "Enter")
    page.wait_for_load_state("networkidle")
    # then the Sunda pangolin is found, named in Vietnamese
    expect(page.locator(pangolin)).to_contain_text("Tê tê")

    # when she searches "te te"
    page.fill("#ref-q", "te te")
    page.press("#ref-q", "Enter")
    page.wait_for_load_state("networkidle")
    # then the pangolin comes first, before any Basel waste
    first = page.locator("#ref-results section").first
    expect(first.locator("a").first).to_have_attribute("href", "/reference/species/manis-javanica/")
    expect(first.locator("a").first).to_contain_text("Tê tê")
    screenshot(page, "reference-search-te-te")
    context.close()
