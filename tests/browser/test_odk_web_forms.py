"""The questionnaire filled in ODK Web Forms: an officer answers the PATROL questionnaire and the
instance she sends is recorded with its answers and XML; then every form of pyxform's example
corpus that Liaison loads is opened in the engine, its required questions answered with generated
values that its constraints take (tried one after another until the engine takes one), and sent.

The walk shares one browser page and one database set up once (a round per form, all open to
Lan), so that some fifty forms take seconds each, not a world each. It is one test, not one per
form: the data is committed for the live server's thread, and the suite's other tests on the same
worker empty the database between tests, so nothing may run between two forms.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import override_settings
from lxml import etree  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Geolocation, Locator, Page, Response, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from pytest_django.live_server_helper import LiveServer

import liaison
from liaison.registry.models import User
from liaison.surveys.models import Questionnaire, Submission, SubmissionStatus, SurveyRound
from liaison.surveys.services import do_upload_questionnaire
from liaison.surveys.tests.rounds import make_round, patrol_round
from liaison.surveys.xlsform import Form, FormError, Question, load_form
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
    # PrimeVue's number input reads keys as typed and commits on blur, not on a filled value;
    # what it holds is selected and deleted first, by its own key handling.
    field = container.locator("input[inputmode=numeric], input[inputmode=decimal]").first
    field.evaluate("input => input.select()")
    field.press("Backspace")
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
NOT_SENT: dict[str, str] = {}

# Media files a form reads, attached with it as an author would (the corpus ships the forms
# alone): pull_data's pulldata('fruits', 'name', 'name', 'mango') reads fruits.csv, in the
# engine (fetched through the round's media URL) and on the server when it checks the answers;
# the biomass form's required selects choose from CSV lists (a region's districts, a district's
# villages, a village's plots of a planting phase, the tree species) that are empty without them.
MEDIA: dict[str, list[tuple[str, bytes]]] = {
    "example_xls/pull_data.xlsx": [
        ("fruits.csv", "\ufeffname,label\nbanana,Banana\nmango,Mango\n".encode()),
    ],
    "bug_example_xls/UCL_Biomass_Plot_Form.xlsx": [
        ("UCL_regions.csv", b"name,label\nkagera,Kagera\n"),
        ("UCL_districts.csv", b"name,label,region_id\nkaragwe,Karagwe,kagera\n"),
        ("UCL_villages.csv", b"name,label,district_id\nbugene,Bugene,karagwe\n"),
        (
            "ULC_Biomass_Plots.csv",
            b"name,label,village,plant_phase\nbugene_1,Bugene 1,bugene,2022\n",
        ),
        ("species_names.csv", b"name,label\ngrevillea,Grevillea robusta\nother,Other\n"),
    ],
}

# Console errors a form causes that are the page's policy at work, not the engine failing.
# (None now: the geo questions' map draws the app's own tiles, where it once asked OpenStreetMap.)
EXPECTED_CONSOLE: dict[str, str] = {}


class OneRequestAtATime(ThreadedWSGIServer):
    """The live server, answering one request at a time. Its threads share the test's one
    connection to SQLite's in-memory database, which two requests at once misuse ("bad parameter
    or other API misuse"): the engine fetches a form's media files all at once."""

    def set_app(self, application: Any) -> None:
        lock = threading.Lock()

        def one_at_a_time(environ: Any, start_response: Any) -> Any:
            with lock:
                return application(environ, start_response)

        super().set_app(one_at_a_time)


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
    live_server = LiveServer("localhost", start=False)
    live_server.thread.server_class = OneRequestAtATime
    live_server.start()
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
    context = browser.new_context(
        viewport={"width": 1024, "height": 768},
        locale="en-GB",
        geolocation=GEOLOCATION,
        permissions=["geolocation"],
    )
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


# --- generated answers -------------------------------------------------------------------------

# Where the browser says it is when a geopoint question asks (the context grants the permission):
# Moc Bai, a few metres' accuracy, which the engine's geopoint widget saves without asking.
GEOLOCATION: Geolocation = {"latitude": 11.0745, "longitude": 106.1875, "accuracy": 3.0}

# Plain answers tried in order until the engine takes one: a word for text, a 10-digit number
# for a telephone pattern, a number for a text of digits, an e-mail address.
TEXT_ANSWERS = ("generated answer", "0123456789", "1", "generated@example.org")
NUMBER_ANSWERS = (Decimal(1), Decimal(10), Decimal(5), Decimal(0), Decimal(100))
# A constraint's literal numbers, outside the quoted strings it may hold (a regex, a date).
NUMBER_LITERAL = re.compile(r"(?<![\w.$/])-?\d+(?:\.\d+)?(?![\w.])")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def date_answers() -> list[datetime.date]:
    """Today, then a month ahead, then a month back: a constraint on a date is most often on which
    side of today() it falls."""
    today = datetime.datetime.now(datetime.UTC).date()
    return [today, today + datetime.timedelta(days=30), today - datetime.timedelta(days=30)]


def number_answers(questions: Sequence[Question]) -> list[str]:
    """Numbers around the literals of the questions' constraints (`. < 10`, `. > 10.51 and
    . < 18.39`: each literal, one on either side, the middle of each two), then plain ones; whole
    numbers only for an integer question."""
    literals: list[Decimal] = []
    for constraint in (q.constraint for q in questions if q.constraint):
        literals += [Decimal(n) for n in NUMBER_LITERAL.findall(QUOTED.sub("", constraint))]
    found: list[Decimal] = []
    for index, literal in enumerate(literals):
        found += [literal, literal + 1, literal - 1]
        found += [(literal + other) / 2 for other in literals[index + 1 :]]
    found += NUMBER_ANSWERS
    whole = any(q.bind_type == "int" for q in questions)
    answers: list[str] = []
    for number in found:
        if whole and number != number.to_integral_value():
            continue
        text = format(number.normalize(), "f")
        if text not in answers:
            answers.append(text)
    return answers


@dataclass
class Answering:
    """Answers a form's questions in the engine as a person would, value by value, keeping the
    first one the engine does not mark as wrong. The form (read by Liaison, from the same file)
    gives each question's constraint, found by the label the engine shows."""

    page: Page
    form: Form
    unmet: list[str] = field(default_factory=list)

    def questions(self, container: Locator) -> list[Question]:
        shown = " ".join(container.locator(".control-text label").first.inner_text().split())
        return [
            question
            for question in self.form.questions
            if any(" ".join(label.split()) == shown for label in question.labels.values())
        ]

    def wrong(self, container: Locator) -> bool:
        """Whether the engine marks the question's answer wrong (required, or its constraint):
        it does so once the answer changed or Send was pressed."""
        self.page.evaluate("() => new Promise(done => requestAnimationFrame(() => done(null)))")
        return "highlight" in (container.get_attribute("class") or "").split()

    def answered(self, container: Locator) -> bool:
        if container.locator(".get-location-button, .geopoint-value-container").count():
            return bool(container.locator(".geopoint-value-container").count())
        if container.locator("label.value-option").count():
            return bool(container.locator("input:checked").count())
        if container.locator(".p-select").count():
            return bool(container.locator(".p-select.p-inputwrapper-filled").count())
        inputs = container.locator("input.p-inputtext, textarea")
        return bool(inputs.count()) and bool(inputs.first.input_value())

    def answer(self, container: Locator) -> bool:
        """Give the question an answer the engine takes; whether one was given."""
        if container.locator(".get-location-button, .geopoint-value-container").count():
            return self.locate(container)
        if container.locator("label.value-option").count():
            return self.choose(container)
        if container.locator(".p-select").count():
            return self.pick(container)
        questions = self.questions(container)
        numeric = container.locator("input[inputmode=numeric], input[inputmode=decimal]")
        date = container.locator("input.p-datepicker-input")
        text = container.locator("input.p-inputtext:not([inputmode]), textarea")
        if numeric.count():
            return self.attempt(
                container, number_answers(questions), lambda v: type_number(container, v)
            )
        if date.count() and all(q.bind_type == "date" for q in questions):
            # PrimeVue's date picker reads what is typed in its own (US) format
            dates = [day.strftime("%m/%d/%Y") for day in date_answers()]
            return self.attempt(container, dates, lambda v: self.type_date(date.first, v))
        if text.count():
            return self.attempt(container, list(TEXT_ANSWERS), text.first.fill)
        return False

    def attempt(
        self, container: Locator, values: Sequence[str], enter: Callable[[str], None]
    ) -> bool:
        for value in values:
            enter(value)
            if not self.wrong(container):
                return True
        constraints = [q.constraint for q in self.questions(container) if q.constraint]
        self.unmet.append(
            f"no generated answer ({', '.join(values)}) meets"
            f" “{container.locator('.control-text label').first.inner_text().strip()[:80]}”"
            f" {' / '.join(constraints)}"
        )
        return False

    @staticmethod
    def type_date(field: Locator, value: str) -> None:
        field.fill(value)
        field.press("Escape")  # the calendar that opened on focus
        field.blur()

    def choose(self, container: Locator) -> bool:
        """The first option, or the first the constraint takes (alone, for a select multiple)."""
        options = container.locator("label.value-option")
        checked = container.locator("input:checked")
        if container.locator("input[type=checkbox]").count():
            for index in range(checked.count() - 1, -1, -1):
                checked.nth(index).click()
        for index in range(options.count()):
            options.nth(index).click()
            if not self.wrong(container):
                return True
            if container.locator("input[type=checkbox]").count():
                options.nth(index).click()
        self.unmet.append(
            f"no option meets “{container.locator('.control-text label').first.inner_text()}”"
        )
        return False

    def pick(self, container: Locator) -> bool:
        """The first choice of a dropdown (the autocomplete and minimal appearances)."""
        container.locator(".p-select").first.click()
        option = self.page.locator(".p-select-overlay .p-select-option").first
        try:
            option.click(timeout=3000)
        except PlaywrightTimeout:  # a list its filter left empty: nothing to pick
            self.page.keyboard.press("Escape")
            return False
        return not self.wrong(container)

    def locate(self, container: Locator) -> bool:
        """Record the browser's location (the context's) with the geopoint widget."""
        if container.locator(".geopoint-value-container").count():
            return False
        container.locator(".get-location-button").click()
        saved = container.locator(".geopoint-value-container")
        save = self.page.locator(".geo-dialog").get_by_role("button", name="Save location")
        expect(saved.or_(save.and_(self.page.locator(":enabled")))).to_be_visible()
        if not saved.count():
            save.click()
        expect(saved).to_be_visible()
        return True

    def required(self) -> None:
        """Answer each shown required question left blank; again while answers reveal more."""
        for _ in range(8):
            answered = 0
            for container in self.shown(".question-container:has(.control-text label.required)"):
                if not self.answered(container):
                    answered += self.answer(container)
            if not answered:
                return

    def marked(self) -> bool:
        """Answer again each question the engine marks wrong (after Send: a default value its
        constraint refuses, a required one left blank); whether any was changed."""
        changed = 0
        for container in self.shown(".question-container.highlight"):
            if self.wrong(container):
                changed += self.answer(container)
        return bool(changed)

    def shown(self, selector: str) -> list[Locator]:
        """The shown question containers matching now, each found by its id from here on (an
        answer changes what matches, and which question would be the n-th)."""
        ids = self.page.locator(selector).evaluate_all(
            "containers => containers.filter(c => c.checkVisibility()).map(c => c.id)"
        )
        return [self.page.locator(f"[id='{id_}']") for id_ in ids]


def outcome(page: Page) -> tuple[int | None, str]:
    """Press Send: the submission endpoint's status and text, or why the engine did not send."""
    responses: list[Response] = []

    def seen(response: Response) -> None:
        if response.url.endswith("/submission/"):
            responses.append(response)

    refused = page.locator(".form-error-message:visible")
    page.on("response", seen)
    try:
        page.get_by_role("button", name="Send").click()
        # the engine either sends or shows at once how many questions it finds wrong
        deadline = time.monotonic() + 10
        while not responses and not refused.count() and time.monotonic() < deadline:
            page.wait_for_timeout(50)
    finally:
        page.remove_listener("response", seen)
    if not responses:
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
    response = responses[0]
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
    answering = Answering(page, load_form(_examples_root() / key))
    answering.required()
    status, text = outcome(page)
    # what the engine still marks wrong once Send was pressed is answered again, a few times
    for _ in range(3):
        if status is not None or not answering.marked():
            break
        answering.required()
        status, text = outcome(page)
    if status is None and answering.unmet:
        text = f"{text}; {'; '.join(answering.unmet)}"
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
    if key == "bug_example_xls/UCL_Biomass_Plot_Form.xlsx":
        # the browser's location, a telephone number of ten digits, a tree inside the plot
        answers = submission.answers
        assert answers["center_point"].startswith("11.0745 106.1875"), answers
        assert answers["leader_number"] == "0123456789", answers
        tree = answers["trees"][0]
        assert Decimal(tree["tree_distance"]) < Decimal(answers["slope_radius"]), answers
    if key == "example_xls/widgets.xls":
        # its date takes only today or later: the form's default (2010) was answered again
        assert submission.answers["my_date"] >= date_answers()[0].isoformat(), submission.answers


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
