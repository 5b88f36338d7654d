"""The questionnaire filled in ODK Web Forms: an officer answers the PATROL questionnaire and the
instance she sends is recorded with its answers and XML; then every form of pyxform's example
corpus that Liaison loads is opened in the engine, its required questions answered with generated
values, and sent.

The walk shares one browser page and one database set up once (a round per form, all open to
Lan), so that some fifty forms take seconds each, not a world each. It is one test, not one per
form: the data is committed for the live server's thread, and the suite's other tests on the same
worker empty the database between tests, so nothing may run between two forms.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from lxml import etree  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Locator, Page, Response, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from pytest_django.live_server_helper import LiveServer

import liaison
from liaison.registry.models import User
from liaison.surveys.models import Questionnaire, Submission, SubmissionStatus, SurveyRound
from liaison.surveys.services import do_upload_questionnaire
from liaison.surveys.tests.rounds import make_round, patrol_round
from liaison.surveys.xlsform import FormError
from tests.browser.conftest import screenshot, sign_in
from tests.builders import PASSWORD, build_world

pytestmark = pytest.mark.browser


@dataclass
class EngineErrors:
    """What the page reported as going wrong: uncaught exceptions and console errors."""

    messages: list[str] = field(default_factory=list)

    def listen(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))
        page.on(
            "console",
            lambda message: (
                self.messages.append(f"console: {message.text}")
                if message.type == "error"
                else None
            ),
        )

    def take(self) -> list[str]:
        taken, self.messages = self.messages, []
        return taken


def question(page: Page, label: str) -> Locator:
    return page.locator(".question-container").filter(
        has=page.locator(".control-text label", has_text=label)
    )


def choose(page: Page, label: str, value: str) -> None:
    question(page, label).locator(f"label.value-option:has(input[value='{value}'])").click()


def type_number(container: Locator, value: str) -> None:
    # PrimeVue's number input reads keys as typed and commits on blur, not on a filled value.
    field = container.locator("input[inputmode=numeric], input[inputmode=decimal]").first
    field.press_sequentially(value)
    field.blur()


def signed_in(page: Page, url: str) -> Response | None:
    response = page.goto(url)
    if "/login/" in page.url:
        # each test gets fresh caches (conftest), and with them the signed-in session goes
        sign_in(page, url.split("/surveys/", 1)[0], "lan", PASSWORD)
        response = page.goto(url)
    return response


def open_engine(page: Page, url: str) -> None:
    response = signed_in(page, url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    try:
        page.wait_for_selector(
            ".form-wrapper button[aria-label=Send], .form-load-failure-dialog,"
            " [data-odk-status]:visible"
        )
    except PlaywrightTimeout:
        screenshot(page, "odk-web-forms-not-opened")
        raise AssertionError(page.locator("main").inner_text()[:2000]) from None


# --- an officer fills the PATROL questionnaire -----------------------------------------------


def officer_answers_the_patrol_questionnaire(corpus: Corpus) -> None:
    # given an open round of the PATROL questionnaire over Moc Bai and Dien Bien
    survey_round = corpus.patrol
    page = corpus.page
    errors = corpus.errors
    errors.take()
    signed_in(page, f"{corpus.base_url}{survey_round.get_absolute_url()}")

    # when Lan, a customs officer at Moc Bai, opens it from the round's page
    page.click("#fill-odk")
    expect(page.locator(".form-questions")).to_be_visible()
    expect(question(page, "Which agency do you belong to?")).to_be_visible()

    # then the form's relevance works: what CITES is asks only those who heard of it
    cites_what = question(page, "3.4 What is CITES?")
    expect(cites_what).to_have_count(0)
    choose(page, "Which agency do you belong to?", "customs")
    choose(page, "At which Border Liaison Office (BLO) do you work?", "moc_bai")
    type_number(question(page, "How many years have you worked at this border section?"), "4")
    choose(page, "dealt with a case of migrant smuggling", "no")
    choose(page, "heard of CITES", "yes")
    expect(cites_what).to_be_visible()
    choose(page, "3.4 What is CITES?", "convention")
    choose(page, "Mr. Y is an old friend", "refuse")
    screenshot(page, "odk-web-forms-patrol")

    # when she sends it
    status, text = outcome(page)
    assert status == 201, text
    page.wait_for_url(f"**{survey_round.get_absolute_url()}")

    # then her submission holds the answers as the analysis reads them, and the instance XML
    submission = Submission.objects.get(round=survey_round, respondent=corpus.officer)
    assert submission.status == SubmissionStatus.SUBMITTED
    assert submission.answers["agency"] == "customs"
    assert submission.answers["blo"] == "moc_bai"
    assert submission.answers["years_border"] == "4"
    assert submission.answers["heard_cites"] == "yes"
    assert submission.answers["cites_what"] == "convention"
    assert submission.answers["integrity"] == "refuse"
    assert submission.answers["years_band"] == "y3_7"  # the form's calculation
    instance = etree.fromstring(submission.instance_xml.encode())
    assert instance.get("id") == survey_round.questionnaire.form_id
    assert submission.instance_id.startswith("uuid:")
    assert submission.instance_id in submission.instance_xml
    expect(page.locator("#my-submission .badge.ok")).to_be_visible()
    assert errors.take() == []


# --- every form of the corpus ------------------------------------------------------------------


def _examples_root() -> Path:
    return Path(liaison.__file__).resolve().parents[2] / "shared" / "xlsform-examples"


CORPUS = sorted(
    [*_examples_root().glob("example_xls/*"), *_examples_root().glob("bug_example_xls/*")],
    key=lambda path: (path.parent.name, path.name),
)

# Forms that open in the engine but are not sent with generated answers, and why. The test
# fails when one of them starts to be sent (take it off the list) or another stops.
NOT_SENT: dict[str, str] = {
    "bug_example_xls/UCL_Biomass_Plot_Form.xlsx": (
        "the generated answers do not meet its constraints (a 10-digit telephone number, a "
        "tree measured inside the plot) and it asks for a geopoint"
    ),
    "example_xls/widgets.xls": "its date widget takes only future dates; the generated is past",
}

# Media files a form reads, attached with it as an author would (the corpus ships the forms
# alone): pull_data's pulldata('fruits', 'name', 'name', 'mango') reads fruits.csv, in the
# engine (fetched through the round's media URL) and on the server when it checks the answers.
MEDIA: dict[str, list[tuple[str, bytes]]] = {
    "example_xls/pull_data.xlsx": [
        ("fruits.csv", "\ufeffname,label\nbanana,Banana\nmango,Mango\n".encode()),
    ],
}

# Console errors a form causes that are the page's policy at work, not the engine failing.
EXPECTED_CONSOLE: dict[str, str] = {
    # the map of a geopoint question asks OpenStreetMap for tiles: the CSP keeps images 'self'
    "example_xls/widgets.xls": "tile.openstreetmap.org",
}


@dataclass
class Corpus:
    base_url: str
    media: Path
    rounds: dict[str, SurveyRound]
    refused: dict[str, str]
    officer: User
    patrol: SurveyRound
    page: Page
    errors: EngineErrors


@pytest.fixture
def corpus(
    django_db_setup: None,
    django_db_blocker: Any,
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Corpus]:
    # A server of the test's own: pytest-django's `live_server` would be set up and emptied
    # around each test, and this one needs its committed rounds while it runs.
    live_server = LiveServer("localhost")
    live_server._live_server_modified_settings.enable()
    media = tmp_path_factory.mktemp("corpus-media")
    rounds: dict[str, SurveyRound] = {}
    refused: dict[str, str] = {}
    # The live server's thread reads this data: the database stays open for the test.
    unblocked = django_db_blocker.unblock()
    unblocked.__enter__()
    # the hasher every test runs with (conftest), so Lan can sign in again in any of them
    with override_settings(
        MEDIA_ROOT=media,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        world = build_world()
        # Lan reads English here: the engine opens a form in its reader's language, and the
        # test finds the PATROL questions by their English labels
        world.lan.preferred_language = "en"
        world.lan.save(update_fields=["preferred_language"])
        for path in CORPUS:
            key = f"{path.parent.name}/{path.name}"
            try:
                questionnaire = do_upload_questionnaire(
                    data=path.read_bytes(),
                    file_name=path.name,
                    actor=world.ainsley,
                    media=MEDIA.get(key, []),
                )
            except FormError as error:
                refused[key] = str(error)
                continue
            except ValidationError as error:  # the same file already uploaded from the other folder
                refused[key] = f"{path.name}: {' '.join(error.messages)}"
                continue
            rounds[key] = make_round(
                questionnaire,
                world.ainsley,
                [world.moc_bai],
                title=key[:200],
                site_question="",
                agency_question="",
                cluster_question="",
            )
        patrol = patrol_round(world)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10000)
    errors = EngineErrors()
    errors.listen(page)
    sign_in(page, live_server.url, "lan", PASSWORD)
    yield Corpus(live_server.url, media, rounds, refused, world.lan, patrol, page, errors)
    context.close()
    from liaison.reference.services import ensure_reference_loaded

    live_server._live_server_modified_settings.disable()
    live_server.stop()
    call_command("flush", interactive=False, verbosity=0)
    ensure_reference_loaded()
    unblocked.__exit__(None, None, None)


def answer_required(page: Page) -> None:
    """Answer each shown required question with the first choice or a plain generated value;
    again while answers reveal more of them."""
    for _ in range(4):
        answered = 0
        containers = page.locator(".question-container:has(.control-text label.required)")
        for index in range(containers.count()):
            container = containers.nth(index)
            if not container.is_visible():
                continue
            if container.locator("input:checked").count():
                continue
            option = container.locator("label.value-option")
            numeric = container.locator("input[inputmode=numeric], input[inputmode=decimal]")
            date = container.locator("input[type=date]")
            text = container.locator("input.p-inputtext:not([inputmode]), textarea")
            if option.count():
                option.first.click()
            elif numeric.count():
                type_number(container, "1")
            elif date.count():
                date.first.fill(datetime.date(2026, 3, 2).isoformat())
            elif text.count() and not text.first.input_value():
                text.first.fill("generated answer")
            else:
                continue
            answered += 1
        if not answered:
            return


def outcome(page: Page) -> tuple[int | None, str]:
    """Press Send: the submission endpoint's status and text, or why the engine did not send."""
    try:
        with page.expect_response(lambda r: r.url.endswith("/submission/"), timeout=5000) as sent:
            page.get_by_role("button", name="Send").click()
    except PlaywrightTimeout:
        shown = page.locator(
            ".validation-message:visible, .form-error-message:visible, [data-odk-status]:visible"
        )
        reasons = sorted({text.strip() for text in shown.all_inner_texts() if text.strip()})
        failing = page.locator(".question-container:has(.validation-message:visible)")
        reasons += [
            f"at “{label.strip()[:80]}”"
            for label in failing.locator(".control-text label").all_inner_texts()
        ]
        return None, "; ".join(reasons) or "the engine did not send"
    response = sent.value
    try:
        text = response.text()
    except PlaywrightError:  # the page went on to the round once the instance was taken
        text = ""
    if response.status == 201:
        page.wait_for_url("**/surveys/rounds/*/")
    return response.status, text


def walk(corpus: Corpus, key: str) -> None:
    """Open one corpus form in the engine, answer what it requires and send it."""
    if key in corpus.refused:
        # refused at upload, with the message the corpus test checks (names the file)
        assert Path(key).name in corpus.refused[key]
        return
    survey_round = corpus.rounds[key]
    page = corpus.page
    open_engine(page, f"{corpus.base_url}/surveys/rounds/{survey_round.pk}/fill/odk/")
    load_failure = page.locator(".form-load-failure-dialog")
    assert not load_failure.count(), load_failure.inner_text()
    expect(page.locator(".form-questions")).to_be_attached()
    answer_required(page)
    status, text = outcome(page)
    expected = EXPECTED_CONSOLE.get(key)
    errors = [e for e in corpus.errors.take() if expected is None or expected not in e]
    if key in NOT_SENT:  # the refusal's status is logged by the browser too
        errors = [e for e in errors if "Failed to load resource" not in e]
    assert errors == [], errors
    if key in NOT_SENT:
        assert status != 201, f"{key} is now sent: take it off NOT_SENT"
        return
    assert status == 201, f"{key}: {status} {text}"
    submission = Submission.objects.get(round=survey_round, respondent=corpus.officer)
    assert submission.instance_xml.lstrip().startswith("<")
    assert Questionnaire.objects.get(pk=survey_round.questionnaire_id).form_id in (
        submission.instance_xml
    )
    if key == "example_xls/pull_data.xlsx":
        # the engine read the attached CSV, and the server agreed
        assert submission.answers["fruit"] == "mango", submission.answers
        assert "<fruit>mango</fruit>" in submission.instance_xml, submission.instance_xml


# Transactional: the fixture's rounds and accounts are committed, so that the live server's
# thread (another connection on PostgreSQL) reads them; the database is emptied after the test.
@pytest.mark.django_db(transaction=True)
def test_the_patrol_questionnaire_and_every_corpus_form_are_answered_in_odk_web_forms(
    corpus: Corpus,
) -> None:
    with override_settings(MEDIA_ROOT=corpus.media):
        # an officer answers the PATROL questionnaire
        officer_answers_the_patrol_questionnaire(corpus)
        # every form either became a round or was refused at upload with the reason kept
        assert len(corpus.rounds) + len(corpus.refused) == len(CORPUS) > 50
        assert len(corpus.rounds) > 30, corpus.refused
        # and every round's form renders and is sent (or is listed in NOT_SENT with why)
        failures: dict[str, str] = {}
        for path in CORPUS:
            key = f"{path.parent.name}/{path.name}"
            try:
                walk(corpus, key)
            except (AssertionError, PlaywrightError) as error:
                failures[key] = str(error)[:500]
                corpus.errors.take()
    assert failures == {}, failures
