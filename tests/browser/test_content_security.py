"""The main page of every module runs under the Content-Security-Policy without one violation
(Chromium reports each on the console), and a script slipped into a lesson does not run."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from liaison.surveys.tests.rounds import import_kobo, patrol_round
from liaison.training.demo import CONTENT_DIR
from liaison.training.models import LessonPage
from liaison.training.services import do_enrol_officer, do_import_content
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD, ensure_vocabulary, make_incident

pytestmark = pytest.mark.browser

MODULE = "precursor-identification"
INJECTED = (
    "<p>Read this first.</p>"
    "<!--><script>window.__lessonXss = 'comment';</script>-->"
    '<img src="images/nothing.svg" alt="x" onerror="window.__lessonXss = \'onerror\'">'
    "<svg><script>window.__lessonXss = 'svg'</script></svg>"
    '<a id="evil" href="javascript:window.__lessonXss=\'link\'">more</a>'
)


class Violations:
    """Every console message and page error about the Content-Security-Policy."""

    def __init__(self, page: Page) -> None:
        self.found: list[str] = []
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))

    def console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.found.append(f"{message.page.url if message.page else ''}: {text}")


def visit(page: Page, url: str) -> None:
    # the assessment report is drawn (charts and all) on first request: give it time
    response = page.goto(url, timeout=180_000 if "/report." in url else None)
    assert response is not None and response.status < 400, (url, response and response.status)
    assert "content-security-policy" in response.headers, url  # Playwright's names are lower case
    page.wait_for_load_state("networkidle")


def test_main_pages_run_under_the_policy_and_a_lesson_script_does_not(
    live_server, live_world, browser, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # given content, a survey round with answers, an incident and a lesson someone tampered with
    ensure_vocabulary()
    do_import_content(CONTENT_DIR, actor=None)
    survey_round = patrol_round(live_world)
    import_kobo(survey_round, live_world.ainsley)
    incident = make_incident(live_world.lan)
    lesson = LessonPage.objects.get(module__code=MODULE, position=1)
    lesson.body = {**lesson.body, "en": INJECTED}
    lesson.save()
    base = live_server.url

    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    violations = Violations(page)
    sign_in(page, base, "tuan", PASSWORD)
    do_enrol_officer(live_world.tuan, lesson.module, actor=live_world.tuan)

    # when the head of Moc Bai opens the main page of every module
    for url in [
        "/",
        "/exchange/",
        f"/exchange/incidents/{incident.reference}/",
        "/training/",
        f"/training/modules/{MODULE}/pages/2/?lang=en",
        "/meetings/",
        "/reference/",
        f"/surveys/rounds/{survey_round.pk}/results/",
        f"/surveys/rounds/{survey_round.pk}/report.html?lang=en",
        "/api/docs",
    ]:
        visit(page, base + url)
        # then nothing is refused by the policy
        assert violations.found == [], violations.found

    # the dashboard draws its map
    visit(page, f"{base}/exchange/")
    expect(page.locator("#map svg use")).to_be_attached()
    screenshot(page, "dashboard-map-under-csp")
    # the API documentation is drawn by Swagger UI (its init script is a file of the app)
    visit(page, f"{base}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    # the questionnaire's scripts run (it marks itself ready)
    visit(page, f"{base}/surveys/rounds/{survey_round.pk}/fill/")
    expect(page.locator("#questionnaire")).to_have_attribute("data-ready", "yes")
    # the language switch, whose handler moved from onchange="" to liaison.js, still works
    visit(page, f"{base}/training/")
    with page.expect_navigation():
        page.select_option("#language-select", "vi")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.select_option("#language-select", "en")
    page.wait_for_load_state("networkidle")
    assert violations.found == [], violations.found

    # when she opens the tampered lesson
    visit(page, f"{base}/training/modules/{MODULE}/pages/1/?lang=en")
    lesson_text = page.locator("#lesson")
    expect(lesson_text).to_contain_text("Read this first.")
    # then none of the injected code ran, and none of it is in the page
    assert page.evaluate("window.__lessonXss") is None
    assert lesson_text.locator("script, svg, [onerror]").count() == 0
    link = lesson_text.locator("a", has_text="more")
    assert link.get_attribute("href") is None
    link.click()
    assert page.evaluate("window.__lessonXss") is None
    screenshot(page, "lesson-injected-script-sanitised")
    assert violations.found == [], violations.found
    context.close()


def test_the_policy_itself_refuses_an_inline_script(live_server, live_world, browser) -> None:
    # the policy is a second wall: markup that slipped past every sanitiser still would not run
    context = browser.new_context()
    page = context.new_page()
    violations = Violations(page)
    sign_in(page, live_server.url, "lan", PASSWORD)
    page.evaluate(
        """() => { const s = document.createElement('div');
        s.innerHTML = '<img src=x onerror="window.__ran = 1">';
        document.body.append(s); }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") is None
    assert any("Content Security Policy" in v for v in violations.found), violations.found
    context.close()
