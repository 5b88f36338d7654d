"""The server's expression engine agrees with the browser's on every expression.

ODK Web Forms (the committed bundle the questionnaire page loads, with its own XPath evaluator,
``@getodk/xpath`` inside ``@getodk/xforms-engine``) computes a corpus of expressions as the
``calculate`` of string fields of generated forms; the instance it sends is read back, and the
server (:mod:`liaison.surveys.xpath`) evaluates each expression over that same instance.

*Identical* means: the text ODK writes into the instance for the field (XPath ``string()`` of the
result, as the engine serialises it: numbers as JavaScript prints them, booleans as
``true``/``false``, NaN as empty) is exactly the string the server's ``to_string()`` gives.

The corpus: every ``calculate``, ``relevant``, ``constraint``, ``required`` and choice-filter
expression of pyxform's example forms (``.``, ``..`` and ``current()`` made absolute, so that the
expression reads what it read beside its question), each condition also as ``boolean(…)``, the
choice filters as the names they keep; and the expressions of :data:`OWN_EXPRESSIONS` over a form
of generated answers (dates, numbers, text in Vietnamese, selects, repeats, geo values). The
browser runs in Asia/Ho_Chi_Minh with its clock fixed at 06:30 on 16 March 2026 (still the 15th
in UTC); the server is given the same moment.

An expression the server cannot evaluate (``pulldata()`` without its file) must raise its
:class:`ExpressionError`, which a submission reports, and nothing else.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from lxml import etree  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, Route

import liaison
from liaison.surveys.xlsform import Form, FormError, load_form
from liaison.surveys.xpath import Environment, ExpressionError, evaluate, to_string

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 16, 6, 30, 15, 250000, tzinfo=ZONE)
ORIGIN = "https://expressions.test"
VENDOR = (
    Path(liaison.__file__).resolve().parent / "surveys" / "static" / "surveys" / "vendor"
) / "odk-web-forms"
EXAMPLES = Path(liaison.__file__).resolve().parents[2] / "shared" / "xlsform-examples"
XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"
JR = "http://openrosa.org/javarosa"
DIFF_GROUP = "x_diff"
LOAD_SECONDS = 40

# Functions the server cannot evaluate without what the browser fetched or held: the server
# raises ExpressionError for them (a submission reports it); the browser's value is not compared.
UNEVALUABLE = ("pulldata(",)


# --- the browser side ----------------------------------------------------------------------------

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/vendor/odk-web-forms.css"></head><body>{roots}
<script type="module" data-odk-web-forms src="/vendor/odk-web-forms.js"></script></body></html>"""
ROOT = """<div id="form-{index}" data-odk-web-form data-form-url="/form/{index}.xml"
 data-submit-url="/submit/{index}"><p data-odk-status hidden></p><div data-odk-mount></div></div>"""


@dataclass
class EngineRun:
    """What the engine sent for each form (instance XML), or why the form did not load."""

    instances: dict[int, bytes] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    page_errors: list[str] = field(default_factory=list)
    load_errors: list[str] = field(default_factory=list)


def _instance_file(body: bytes) -> bytes:
    found = re.search(rb"name=\"xml_submission_file\".*?\r\n\r\n(.*?)\r\n--", body, re.DOTALL)
    assert found is not None, body[:500]
    return found[1]


def run_in_engine(browser: Browser, forms: list[bytes]) -> EngineRun:
    """Open every form at once in ODK Web Forms (one page, one mount each), send each, and
    return the instances sent. The page is served by Playwright: no server, no database."""
    run = EngineRun()
    roots = "".join(ROOT.format(index=index) for index in range(len(forms)))

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/":
            route.fulfill(body=PAGE.format(roots=roots), content_type="text/html")
        elif path.startswith("/form/"):
            index = int(path.removeprefix("/form/").removesuffix(".xml"))
            route.fulfill(body=forms[index], content_type="application/xml")
        elif path.startswith("/submit/"):
            index = int(path.removeprefix("/submit/"))
            run.instances[index] = _instance_file(route.request.post_data_buffer or b"")
            route.fulfill(body="sent", content_type="text/plain")
        elif path.startswith("/vendor/") and ".." not in path:
            file = VENDOR / path.removeprefix("/vendor/")
            kind = {".js": "text/javascript", ".css": "text/css"}.get(file.suffix, "font/woff2")
            route.fulfill(body=file.read_bytes(), content_type=kind)
        else:
            route.fulfill(status=404, body="")

    # https: the engine's uuid() wants crypto.randomUUID, which only a secure context has
    context = browser.new_context(timezone_id="Asia/Ho_Chi_Minh", locale="en-GB")
    try:
        page = context.new_page()
        page.clock.set_fixed_time(NOW)
        page.on("pageerror", lambda error: run.page_errors.append(str(error)))
        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/")
        _send_all(page, len(forms), run)
    finally:
        context.close()
    return run


# Sends every form whose engine is ready, in the page itself (Playwright's own waits would
# race the forms that are still rendering); returns how each ended. The page's clock is fixed,
# so the wait counts rounds of setTimeout, which keeps running.
SEND_ALL = """async ([count, rounds]) => {
  const ended = {};
  const clicked = new Set();
  for (let round = 0; round < rounds && Object.keys(ended).length < count; round++) {
    for (let index = 0; index < count; index++) {
      if (index in ended) continue;
      const root = document.getElementById(`form-${index}`);
      // the failure's dialog is teleported to <body>; the mount point keeps an error status
      const failure = root.querySelector(".form-initialization-status.error");
      const status = root.querySelector("[data-odk-status]");
      const send = root.querySelector(".form-wrapper button[aria-label=Send]");
      if (root.dataset.submitted === "1") ended[index] = "sent";
      else if (failure) ended[index] = "failed to load";
      else if (status && !status.hidden && status.dataset.kind === "error")
        ended[index] = status.textContent;
      else if (send && !clicked.has(index)) {
        clicked.add(index);
        send.click();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (let index = 0; index < count; index++) {
    if (!(index in ended)) {
      const root = document.getElementById(`form-${index}`);
      ended[index] = `not sent within the time: ${root.innerText.slice(0, 1000)}`;
    }
  }
  const reasons = [...document.querySelectorAll(".form-load-failure-dialog [data-pc-section=text]")];
  return { ended, reasons: reasons.map((element) => element.textContent) };
}"""


def _send_all(page: Page, count: int, run: EngineRun) -> None:
    outcome_of: dict[str, Any] = page.evaluate(SEND_ALL, [count, LOAD_SECONDS * 10])
    run.load_errors = list(outcome_of["reasons"])
    for key, outcome in outcome_of["ended"].items():
        if outcome != "sent" or int(key) not in run.instances:
            run.failures[int(key)] = outcome[:1500]


# --- forms made for the comparison ---------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One expression to compare: where it came from, and the XPath both engines evaluate."""

    origin: str
    expression: str


@dataclass
class DiffForm:
    """A form of the corpus turned into a comparison: its XForm with one string calculate per
    case under ``/<root>/x_diff/``, answers filled in, and everything else that could make a
    field differ removed (relevance, constraints, required, other calculations, preloads)."""

    form: Form
    cases: list[Case]
    refused: bool = False
    """The engine is expected to refuse the form (its one case is in ENGINE_REFUSES)."""
    xform: bytes = b""

    def build(self, answers: Callable[[etree._Element, str, str], str]) -> None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        doc = etree.fromstring(self.form.xform.encode(), parser)
        model = doc.find(f"{{{H}}}head/{{{XF}}}model")
        primary = model.find(f"{{{XF}}}instance")
        root = next(child for child in primary if isinstance(child.tag, str))
        binds = {bind.get("nodeset"): bind for bind in model.findall(f"{{{XF}}}bind")}
        for bind in binds.values():
            for name in ("relevant", "constraint", "required", "calculate"):
                bind.attrib.pop(name, None)
            if bind.get(f"{{{JR}}}preload") and not str(bind.get("nodeset")).endswith(
                "/instanceID"
            ):
                bind.attrib.pop(f"{{{JR}}}preload")
                bind.attrib.pop(f"{{{JR}}}preloadParams", None)
        for action in [*model.iter(f"{{{XF}}}setvalue"), *model.iter("{*}setgeopoint")]:
            action.getparent().remove(action)
        for path, bind in binds.items():
            node = _node_at(root, str(path))
            if node is not None and len(node) == 0:
                node.text = answers(doc, str(path), bind.get("type") or "string")
        holder = etree.Element(f"{{{XF}}}{DIFF_GROUP}")
        meta = root.find(f"{{{XF}}}meta")
        if meta is not None:
            meta.addprevious(holder)
        else:
            root.append(holder)
        base = f"/{etree.QName(root).localname}/{DIFF_GROUP}"
        for index, case in enumerate(self.cases):
            etree.SubElement(holder, f"{{{XF}}}e{index}")
            bind = etree.SubElement(model, f"{{{XF}}}bind")
            bind.set("nodeset", f"{base}/e{index}")
            bind.set("type", "string")
            bind.set("calculate", case.expression)
        self.xform = etree.tostring(doc, xml_declaration=True, encoding="utf-8")


def _node_at(root: etree._Element, path: str) -> etree._Element | None:
    steps = path.strip("/").split("/")
    if steps[0] != etree.QName(root).localname:
        return None
    node: etree._Element | None = root
    for step in steps[1:]:
        if node is None or not re.fullmatch(r"[A-Za-z_][\w.\-]*", step):
            return None
        node = node.find(f"{{{XF}}}{step}")
    return node


_TOKEN = re.compile(
    r"""'[^']*'|"[^"]*"|\d+(?:\.\d*)?|\.\d+|[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?"""
    r"""|\.\.|\.|\s+|."""
)


def absolute(expression: str, context: str) -> str:
    """The expression with ``.``, ``..`` and ``current()`` of the node at ``context`` spelled
    as absolute paths, so that it reads the same nodes from anywhere."""
    tokens = [match[0] for match in _TOKEN.finditer(expression)]
    out: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        before = "".join(out).rstrip()[-1:]
        if token == "current" and tokens[index + 1 : index + 3] == ["(", ")"]:
            out.append(context)
            index += 3
            continue
        if token == ".." and before != "/":
            out.append(f"{context}/..")
        elif token == "." and before != "/":
            out.append(context)
        else:
            out.append(token)
        index += 1
    return "".join(out)


def corpus_forms() -> Iterator[DiffForm]:
    """pyxform's example forms that Liaison loads, with their expressions as cases."""
    for path in sorted(EXAMPLES.glob("*/*.xls*")):
        try:
            form = load_form(path)
        except FormError:
            continue
        cases: list[Case] = []
        name = f"{path.parent.name}/{path.name}"
        xform = etree.fromstring(
            form.xform.encode(), etree.XMLParser(resolve_entities=False, no_network=True)
        )
        for bind in xform.iter(f"{{{XF}}}bind"):
            nodeset = str(bind.get("nodeset"))
            for kind in ("calculate", "relevant", "constraint", "required"):
                text = bind.get(kind)
                if not text or text.strip() in ("true()", "false()"):
                    continue
                expression = absolute(text, nodeset)
                cases.append(Case(f"{name} {nodeset} {kind}: {text}", expression))
                if kind != "calculate":
                    cases.append(Case(f"{name} {nodeset} {kind}: {text}", f"boolean({expression})"))
        for itemset in xform.iter(f"{{{XF}}}itemset"):
            control = itemset.getparent()
            nodeset, ref = str(itemset.get("nodeset")), str(control.get("ref"))
            value = itemset.find(f"{{{XF}}}value")
            value_ref = value.get("ref") if value is not None else "name"
            if "[" not in nodeset:
                continue
            expression = absolute(nodeset, ref)
            cases.append(Case(f"{name} {ref} itemset: {nodeset}", f"count({expression})"))
            cases.append(
                Case(f"{name} {ref} itemset: {nodeset}", f"join(' ', {expression}/{value_ref})")
            )
        if cases:
            yield DiffForm(form, cases)


def generated_answer(doc: etree._Element, path: str, kind: str) -> str:
    """An answer of the field's type (a select's first options, from its items or itemset)."""
    control = next(
        (
            element
            for element in doc.iter(f"{{{XF}}}select1", f"{{{XF}}}select")
            if element.get("ref") == path
        ),
        None,
    )
    if control is not None:
        values = [str(value.text) for value in control.iter(f"{{{XF}}}value") if value.text]
        if not values and control.find(f"{{{XF}}}itemset") is not None:
            names = doc.iter(f"{{{XF}}}name")
            values = [str(name.text) for name in names if name.text][:2]
        if control.tag == f"{{{XF}}}select":
            return " ".join(values[:2])
        return values[0] if values else ""
    return {
        "int": "7",
        "integer": "7",
        "decimal": "3.25",
        "date": "2024-02-29",
        "dateTime": "2026-03-15T22:45:30.250+07:00",
        "time": "08:30:00.000+07:00",
        "geopoint": "10.9842 106.1234 12 5",
        "boolean": "true",
    }.get(kind, "Nguyễn Thị Lan 42")


# --- the server side -----------------------------------------------------------------------------


def server_environment(form: Form) -> Environment:
    return replace(form.environment(), today=NOW.date(), now=NOW)


def _strip(element: ET.Element) -> ET.Element:
    for node in element.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]
        for key in [key for key in node.attrib if "}" in key]:
            node.attrib[key.split("}", 1)[1]] = node.attrib.pop(key)
    return element


@dataclass(frozen=True)
class Divergence:
    origin: str
    expression: str
    browser: str
    server: str


def compare(diff: DiffForm, instance_xml: bytes) -> list[Divergence]:
    """Evaluate every case on the server over the instance the engine sent: the divergences."""
    root = _strip(ET.fromstring(instance_xml))  # noqa: S314 - what the test's engine sent
    holder = root.find(DIFF_GROUP)
    assert holder is not None, instance_xml[:500]
    browser_values = {child.tag: child.text or "" for child in holder}
    for child in holder:
        child.text = None  # once() must not find the browser's value in its own node
    env = server_environment(diff.form)
    found: list[Divergence] = []
    for index, case in enumerate(diff.cases):
        node = holder.find(f"e{index}")
        browser_value = browser_values.get(f"e{index}", "<missing>")
        try:
            server_value = to_string(evaluate(case.expression, root, item=node, environment=env))
        except ExpressionError as error:
            if any(name in case.expression for name in UNEVALUABLE):
                continue
            server_value = f"ExpressionError: {error}"
        except Exception as error:  # any other exception is a server error
            server_value = f"{type(error).__name__}: {error}"
        else:
            if any(name in case.expression for name in UNEVALUABLE):
                server_value = f"evaluated an unevaluable function: {server_value}"
        deviation = ENGINE_DEVIATES.get(case.origin.removeprefix("own: "))
        if deviation is not None:
            # the server keeps XPath's value; the test notices when the engine comes round
            if server_value == browser_value:
                found.append(Divergence(case.origin, case.expression, browser_value, "agrees now"))
            continue
        if server_value != browser_value:
            found.append(Divergence(case.origin, case.expression, browser_value, server_value))
    return found


# --- the comparison ------------------------------------------------------------------------------


def test_the_server_evaluates_every_expression_as_odk_web_forms_does(browser: Browser) -> None:
    # given the corpus forms and the form of generated answers, each with its expressions
    forms = [*corpus_forms(), *own_forms()]
    for diff in forms:
        diff.build(_own_answers if diff.form.form_id == OWN_FORM_ID else generated_answer)
    total = sum(len(diff.cases) for diff in forms)
    assert total > 500, total

    # when ODK Web Forms computes them and sends its instances
    run = run_in_engine(browser, [diff.xform for diff in forms])

    # then every form loaded and was sent, but for those the engine refuses
    failures = {
        f"{forms[index].form.source_name} {forms[index].cases[0].origin}": text
        for index, text in run.failures.items()
        if not forms[index].refused
    }
    assert failures == {}, failures
    assert run.page_errors == []
    loaded = [
        diff.cases[0].origin
        for i, diff in enumerate(forms)
        if diff.refused and i not in run.failures
    ]
    assert loaded == [], f"the engine now loads these: compare them (off ENGINE_REFUSES) {loaded}"
    # and the server gives every expression the value the browser wrote
    divergences: list[Divergence] = []
    for index, diff in enumerate(forms):
        if diff.refused:
            divergences += server_refusal_problems(diff)
            continue
        divergences += compare(diff, run.instances[index])
    report = "\n".join(
        f"{d.origin}\n    {d.expression}\n    browser {d.browser!r}\n    server  {d.server!r}"
        for d in divergences
    )
    assert divergences == [], f"{len(divergences)} of {total} diverge:\n{report}"


def server_refusal_problems(diff: DiffForm) -> list[Divergence]:
    """An expression the engine refuses: the server evaluates it or raises ExpressionError
    (which a submission reports), never another exception."""
    root = _strip(ET.fromstring(diff.xform))  # noqa: S314 - the test's own XForm
    instance = next(iter(root.iter("instance")))
    data = next(iter(instance))
    holder = data.find(DIFF_GROUP)
    case = diff.cases[0]
    try:
        evaluate(case.expression, data, item=holder, environment=server_environment(diff.form))
    except ExpressionError:
        return []
    except Exception as error:  # any other exception is a server error
        return [Divergence(case.origin, case.expression, "refused", f"{type(error).__name__}")]
    return []


# --- the expressions of our own ------------------------------------------------------------------

OWN_FORM_ID = "expressions"
OWN_BATCH = 40

OWN_SURVEY: list[tuple[str, str, str]] = [
    # (type, name, label)
    ("text", "name", "Name"),
    ("text", "spaced", "Spaced"),
    ("text", "code", "Code"),
    ("text", "empty", "Empty"),
    ("text", "numtext", "Number-looking text"),
    ("text", "padded_number", "Padded number"),
    ("text", "truth", "Truth"),
    ("integer", "age", "Age"),
    ("integer", "neg", "Negative"),
    ("integer", "zero", "Zero"),
    ("integer", "big", "Big"),
    ("decimal", "price", "Price"),
    ("decimal", "tiny", "Tiny"),
    ("decimal", "third", "Third"),
    ("date", "dob", "Date of birth"),
    ("date", "leap", "Leap day"),
    ("date", "empty_date", "No date"),
    ("dateTime", "arrival", "Arrival"),
    ("dateTime", "arrival_utc", "Arrival in UTC"),
    ("time", "shift", "Shift"),
    ("select_one agencies", "agency", "Agency"),
    ("select_multiple goods", "goods", "Goods"),
    ("select_one countries", "country", "Country"),
    ("geopoint", "location", "Location"),
    ("geotrace", "route", "Route"),
    ("geoshape", "plot", "Plot"),
    ("begin_repeat", "seizures", "Seizures"),
    ("text", "item", "Item"),
    ("integer", "qty", "Quantity"),
    ("decimal", "weight", "Weight"),
    ("date", "seized_on", "Seized on"),
    ("end_repeat", "", ""),
]
OWN_CHOICES: list[tuple[str, str, str, str, str]] = [
    # (list, name, English label, Vietnamese label, country)
    ("agencies", "customs", "Customs", "Hải quan", ""),
    ("agencies", "police", "Police", "Công an", ""),
    ("agencies", "border_guard", "Border guard", "Bộ đội biên phòng", ""),
    ("goods", "wildlife", "Wildlife", "Động vật hoang dã", ""),
    ("goods", "timber", "Timber", "Gỗ", ""),
    ("goods", "drugs", "Drugs", "Ma túy", ""),
    ("goods", "cigarettes", "Cigarettes", "Thuốc lá", ""),
    ("countries", "vn", "Viet Nam", "Việt Nam", ""),
    ("countries", "kh", "Cambodia", "Campuchia", ""),
    ("sites", "moc_bai", "Moc Bai", "Mộc Bài", "vn"),
    ("sites", "dien_bien", "Dien Bien", "Điện Biên", "vn"),
    ("sites", "bavet", "Bavet", "Bavet", "kh"),
]
OWN_VALUES: dict[str, str] = {
    "name": "Nguyễn Thị Lan",
    "spaced": "  Mộc   Bài \t border  ",
    "code": "VN-2024-007",
    "empty": "",
    "numtext": "42abc",
    "padded_number": " 12.50 ",
    "truth": "true",
    "age": "34",
    "neg": "-7",
    "zero": "0",
    "big": "2000000000",
    "price": "1234.5678",
    "tiny": "0.000123",
    "third": "0.1",
    "dob": "1990-05-17",
    "leap": "2024-02-29",
    "empty_date": "",
    "arrival": "2026-03-15T22:45:30.250+07:00",
    "arrival_utc": "2026-03-15T20:00:00.000Z",
    "shift": "08:30:00.000+07:00",
    "agency": "border_guard",
    "goods": "wildlife drugs cigarettes",
    "country": "vn",
    "location": "10.9842 106.1234 12 5",
    "route": "10.98 106.12 0 0;10.99 106.13 0 0;11.0 106.15 0 0",
    "plot": "10.0 106.0 0 0;10.0 106.01 0 0;10.01 106.01 0 0;10.01 106.0 0 0;10.0 106.0 0 0",
}
SEIZURES: list[dict[str, str]] = [
    {"item": "pangolin scales", "qty": "12", "weight": "3.5", "seized_on": "2026-01-04"},
    {"item": "rosewood", "qty": "3", "weight": "120.25", "seized_on": "2025-12-30"},
    {"item": "Thuốc lá", "qty": "200", "weight": "0.75", "seized_on": "2026-02-28"},
]


def _own_xlsx() -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)", "label::Tiếng Việt (vi)"])
    for kind, name, label in OWN_SURVEY:
        survey.append([kind, name, label, label])
    survey.append(["select_one sites", "site", "Site", "Trạm"])
    survey.cell(row=survey.max_row, column=5, value="country = ${country}")
    survey.cell(row=1, column=5, value="choice_filter")
    choices = book.create_sheet("choices")
    choices.append(
        ["list_name", "name", "label::English (en)", "label::Tiếng Việt (vi)", "country"]
    )
    for row in OWN_CHOICES:
        choices.append(list(row))
    settings = book.create_sheet("settings")
    settings.append(["form_id", "form_title", "default_language", "version"])
    settings.append([OWN_FORM_ID, "Expressions", "Tiếng Việt (vi)", "1"])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _own_answers(doc: etree._Element, path: str, kind: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name == "site":
        return "dien_bien"
    if "/seizures/" in path:
        return SEIZURES[0].get(name, "")
    return OWN_VALUES.get(name, generated_answer(doc, path, kind))


def _repeat_instances(diff: DiffForm) -> None:
    """Three seizures after the repeat's template, each with its own values."""
    doc = etree.fromstring(diff.xform)
    primary = doc.find(f"{{{H}}}head/{{{XF}}}model/{{{XF}}}instance")
    root = next(child for child in primary if isinstance(child.tag, str))
    for node in root.findall(f"{{{XF}}}seizures"):
        if node.get(f"{{{JR}}}template") is None:
            root.remove(node)
    position = list(root).index(root.find(f"{{{XF}}}seizures")) + 1
    for offset, values in enumerate(SEIZURES):
        node = etree.Element(f"{{{XF}}}seizures")
        for key, value in values.items():
            etree.SubElement(node, f"{{{XF}}}{key}").text = value
        root.insert(position + offset, node)
    diff.xform = etree.tostring(doc, xml_declaration=True, encoding="utf-8")


def _xpath(form: Form, expression: str) -> str:
    def path(match: re.Match[str]) -> str:
        group = next((group for group in form.groups if group.name == match[1]), None)
        return f" {group.path if group else form.question(match[1]).path} "

    return re.sub(r"\$\{(\w+)\}", path, expression).strip()


def own_forms() -> Iterator[DiffForm]:
    form = load_form(_own_xlsx(), filename="expressions.xlsx")
    compared = [
        Case(f"own: {text}", _xpath(form, text))
        for text in OWN_EXPRESSIONS
        if text not in ENGINE_REFUSES
    ]
    # several forms, so that an expression the engine starts refusing names a small batch
    for start in range(0, len(compared), OWN_BATCH):
        yield _OwnDiffForm(form, compared[start : start + OWN_BATCH])
    # the engine fails to load a form with any of these: one form each, to see each fail
    for text in ENGINE_REFUSES:
        yield _OwnDiffForm(form, [Case(f"own: {text}", _xpath(form, text))], refused=True)


class _OwnDiffForm(DiffForm):
    def build(self, answers: Callable[[etree._Element, str, str], str]) -> None:
        super().build(answers)
        _repeat_instances(self)


def _numbers() -> list[str]:
    literals = [
        "0",
        "-0",
        "1",
        "-1",
        "0.1",
        "0.5",
        "1.5",
        "2.5",
        "-2.5",
        "123456789012345678901234567890",
        "0.000001",
        "0.0000001",
        "1 div 3",
        "2 div 3",
        "10 div 4",
        "1 div 0",
        "-1 div 0",
        "0 div 0",
        "0.1 + 0.2",
        "1.1 * 1.1",
        "100 * 1.1",
        "3 - 2.9",
        "7 mod 3",
        "-7 mod 3",
        "7 mod -3",
        "7.5 mod 2",
        "5 mod 0",
        "2147483647 + 1",
        "9007199254740993",
        "1000000 * 1000000",
        "1000000 * 1000000 * 1000000 * 1000",
        "1 div 1000000000",
    ]
    out: list[str] = list(literals)
    out += [f"number('{text}')" for text in ("abc", "", " 12 ", "1e3", "12.", ".5", "-.5", "+5")]
    out += [f"number('{text}')" for text in ("0x10", "Infinity", "-Infinity", "NaN", "1,5")]
    out += [f"round({value})" for value in ("2.5", "-2.5", "3.49999", "-0.4", "1 div 0", "0 div 0")]
    out += [f"round({value}, 2)" for value in ("1.005", "2.675", "1234.5678", "-1.235", "0.125")]
    out += ["round(1234.5678, -2)", "round(${price}, 1)", "round(${tiny}, 5)", "round('abc')"]
    out += [f"int({value})" for value in ("2.9", "-2.9", "'7.8'", "'abc'", "1 div 0", "${price}")]
    out += [f"floor({value})" for value in ("2.5", "-2.5", "${neg} div 2")]
    out += [f"ceiling({value})" for value in ("2.1", "-2.1", "${price}")]
    out += [
        "${price} * 100",
        "${price} div 7",
        "${third} * 3",
        "${third} + ${third} + ${third}",
        "${tiny} * ${tiny}",
        "${big} * ${big}",
        "${big} * 1000",
        "${age} div ${zero}",
        "${zero} div ${zero}",
        "${age} + ${empty}",
        "${age} + ${numtext}",
        "${age} + ${padded_number}",
        "${neg} - ${neg}",
        "-${neg}",
        "${age} mod 5",
        "${price} mod 1",
        "sum(${age})",
        "pow(2, 10)",
        "pow(2, 0.5)",
        "pow(-8, 1 div 3)",
        "pow(0, 0)",
        "pow(${third}, 2)",
        "abs(${neg})",
        "abs(-0.5)",
        "sqrt(2)",
        "sqrt(-1)",
        "exp(1)",
        "exp10(3)",
        "log(10)",
        "log(0)",
        "log10(1000)",
        "log10(-1)",
        "sin(pi() div 2)",
        "cos(0)",
        "tan(1)",
        "asin(2)",
        "acos(0.5)",
        "atan(1)",
        "atan2(1, 1)",
        "pi()",
        "max(3, 7, 1)",
        "min(3, 7, 1)",
        "max(${age}, ${neg}, ${price})",
        "min(${age}, ${empty})",
        "max(${numtext}, 1)",
        "string(1 div 3)",
        "string(2.0)",
        "string(-0)",
        "string(1e21)",
        "string(1e-7)",
        "string(0.1 + 0.2)",
        "string(number('abc'))",
        "concat(1 div 3, '')",
        "concat(${price} * 3, '')",
        "number(true())",
        "number(false())",
        "number(${dob})",
        "number(${arrival})",
        "number(${shift})",
        "number(${code})",
    ]
    return out


def _dates() -> list[str]:
    out = [
        "today()",
        "today() - ${dob}",
        "(today() - ${dob}) div 365.25",
        "int((today() - ${dob}) div 365.25)",
        "floor((today() - ${dob}) div 365.25)",
        "today() - ${leap}",
        "${leap} - ${dob}",
        "${dob} + 30",
        "${dob} - 1",
        "date(${dob} + 30)",
        "date(${dob} - 365)",
        "date(${leap} + 365)",
        "date(today() + 1)",
        "date(today())",
        "date('2026-03-16')",
        "date('2024-02-30')",
        "date('2026-03-16T01:00:00Z')",
        "date('2026-03-15T20:00:00+07:00')",
        "date('not a date')",
        "date('')",
        "date(0)",
        "date(1)",
        "date(-1)",
        "date(19797)",
        "date(19797.75)",
        "date(${age})",
        "date(${empty})",
        "date(${arrival})",
        "date(${arrival_utc})",
        "date(${price})",
        "date(true())",
        "decimal-date-time(${dob})",
        "decimal-date-time(${arrival})",
        "decimal-date-time(${arrival_utc})",
        "decimal-date-time('2026-03-16')",
        "decimal-date-time('2026-03-16T12:00:00')",
        "decimal-date-time('2026-03-16T12:00:00Z')",
        "decimal-date-time('1969-12-31')",
        "decimal-date-time('garbage')",
        "decimal-date-time(today())",
        "decimal-date-time(now())",
        "decimal-date-time(${empty})",
        "decimal-date-time(19797)",
        "decimal-time(${shift})",
        "decimal-time('12:00:00.000+07:00')",
        "decimal-time('00:00:00')",
        "decimal-time('23:59:59.999Z')",
        "decimal-time('25:00:00')",
        "decimal-time('')",
        "now()",
        "string(now())",
        "now() - ${arrival}",
        "today() = '2026-03-16'",
        "today() > ${dob}",
        "today() < ${dob}",
        "${dob} < '2000-01-01'",
        "${dob} = '1990-05-17'",
        "${dob} != '1990-05-17'",
        "${dob} <= ${leap}",
        "${dob} > 7000",
        "${dob} < 8000",
        "${arrival} > ${arrival_utc}",
        "${arrival} < ${dob}",
        "${empty_date} < today()",
        "${empty_date} = ''",
        "${empty_date} > '2000-01-01'",
        "${leap} = date('2024-02-29')",
        "${dob} = date(7441)",
        "${dob} + 1 = date('1990-05-18')",
        "date(${dob} + 1) = date('1990-05-18')",
        "${seized_on} > '2026-01-01'",
        "${arrival} - ${arrival_utc}",
        "today() - date('2026-01-01')",
        "(today() - date('2026-01-01')) * 24",
        "once(today())",
        "once(${dob})",
        "once(${empty})",
    ]
    for pattern in (
        "%Y-%m-%d",
        "%y/%n/%e",
        "%d.%m.%Y",
        "%a %b %d",
        "%H:%M:%S",
        "%h %M",
        "%3",
        "%Y%%",
        "week %W",
        "plain",
        "",
    ):
        for value in ("${dob}", "${arrival}", "${arrival_utc}", "${leap}"):
            out.append(f"format-date({value}, '{pattern}')")
    for value in ("today()", "now()", "${empty}", "'garbage'", "19797", "19797.6", "${shift}"):
        out.append(f"format-date({value}, '%Y-%m-%d %H:%M')")
        out.append(f"format-date-time({value}, '%Y-%m-%d %H:%M:%S')")
    out += [
        "format-date-time(${arrival}, '%Y-%m-%dT%H:%M:%S.%3')",
        "format-date-time(${arrival_utc}, '%H:%M')",
        "format-date-time(${shift}, '%H:%M')",
        "format-date-time(decimal-date-time(${arrival}) + 0.5, '%e %b %Y %H:%M')",
        "format-date(date(${dob} + 10000), '%e %n %y')",
    ]
    return out


def _strings() -> list[str]:
    out = [
        "concat(${name}, ' – ', ${code})",
        "concat('a', 1, true(), 2.50, ${empty})",
        "concat(${item})",
        "concat(${age})",
        "string-length(${name})",
        "string-length(${spaced})",
        "string-length('Thuốc lá')",
        "string-length('')",
        "string-length(${empty})",
        "normalize-space(${spaced})",
        "normalize-space('  ')",
        "string-length(normalize-space(${spaced}))",
        "substr(${name}, 0, 6)",
        "substr(${name}, 7)",
        "substr(${name}, -3)",
        "substr(${name}, 2, 1)",
        "substr(${name}, 100)",
        "substr(${code}, 3, 7)",
        "substring(${name}, 1, 6)",
        "substring(${name}, 0)",
        "substring(${name}, 1.5, 2.6)",
        "substring(${name}, 0 div 0, 3)",
        "substring(${name}, -42, 1 div 0)",
        "substring(${code}, 4)",
        "substring-before(${code}, '-')",
        "substring-after(${code}, '-')",
        "substring-before(${code}, 'x')",
        "substring-after(${code}, '')",
        "substring-after(${name}, 'Thị ')",
        "translate(${code}, '-', '/')",
        "translate(${name}, 'ễị', 'ei')",
        "translate('abc', 'abc', 'AB')",
        "contains(${name}, 'Thị')",
        "contains(${name}, 'thi')",
        "contains(${name}, '')",
        "starts-with(${code}, 'VN')",
        "starts-with(${code}, 'vn')",
        "ends-with(${code}, '007')",
        "ends-with(${code}, '')",
        "uppercase(${name})",
        "lowercase(${code})",
        "regex(${code}, '^[A-Z]{2}-\\d{4}-\\d{3}$')",
        "regex(${code}, '^vn')",
        "regex(${name}, 'Thị')",
        "regex(${name}, '^\\w+')",
        "regex(${empty}, '^$')",
        "regex(${age}, '^[0-9]+$')",
        "regex(${spaced}, '\\s{2,}')",
        "regex(${code}, '[0-9]{3}$')",
        "regex('a.b', 'a\\.b')",
        "join(', ', ${item})",
        "join(' ', ${goods})",
        "join('', ${qty})",
        "join('-', 'a', 'b', ${age})",
        "selected(${goods}, 'drugs')",
        "selected(${goods}, 'timber')",
        "selected(${goods}, ' drugs ')",
        "selected(${goods}, '')",
        "selected(${agency}, 'border_guard')",
        "selected(${empty}, 'x')",
        "count-selected(${goods})",
        "count-selected(${empty})",
        "count-selected(${agency})",
        "selected-at(${goods}, 0)",
        "selected-at(${goods}, 2)",
        "selected-at(${goods}, 3)",
        "selected-at(${goods}, -1)",
        "selected-at(${goods}, 1.7)",
        "jr:choice-name(${agency}, '${agency}')",
        "jr:choice-name(${country}, '${country}')",
        "jr:choice-name(selected-at(${goods}, 1), '${goods}')",
        "jr:choice-name('police', '${agency}')",
        "jr:choice-name('nothing', '${agency}')",
        "jr:choice-name(${empty}, '${agency}')",
        "jr:choice-name(${site}, '${site}')",
        "coalesce(${empty}, ${name})",
        "coalesce(${name}, 'x')",
        "coalesce(${empty}, ${empty_date})",
        "coalesce(${empty}, 0)",
        "if(${age} >= 18, 'adult', 'minor')",
        "if(${empty}, 'yes', 'no')",
        "if(${name}, 'yes', 'no')",
        "if(${zero}, 'yes', 'no')",
        "if('false', 'yes', 'no')",
        "if(${age} > 100, ${name}, ${code})",
        "if(true(), 1 div 3, 0)",
        "if(false(), 1, ${price} * 2)",
        "once(${name})",
        "once(concat(${name}, '!'))",
        "boolean-from-string(${truth})",
        "boolean-from-string('1')",
        "boolean-from-string('yes')",
        "boolean-from-string('')",
        "string(${empty})",
        "string(${item})",
        "string(${seizures})",
        "string(true())",
        "string(1 = 1)",
        "digest('abc', 'MD5', 'hex')",
        "digest('abc', 'SHA-1', 'hex')",
        "digest('abc', 'SHA-256', 'hex')",
        "digest(${name}, 'SHA-256', 'base64')",
        "digest(${name}, 'SHA-384', 'hex')",
        "digest(${name}, 'SHA-512')",
        "digest('', 'MD5')",
        "base64-decode('VGh14buRYyBsw6E=')",
        "base64-decode('')",
        "string-length(uuid())",
        "string-length(uuid(12))",
        "regex(uuid(), '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')",
        "random() >= 0 and random() < 1",
        "count-non-empty(${item})",
        "count-non-empty(${empty})",
    ]
    return out


def _logic() -> list[str]:
    out = [
        "true()",
        "false()",
        "not(${empty})",
        "not(${name})",
        "not(${zero})",
        "not('false')",
        "not('')",
        "boolean(${empty})",
        "boolean(${zero})",
        "boolean(${neg})",
        "boolean('0')",
        "boolean(0 div 0)",
        "boolean(${seizures})",
        "boolean(${seizures}/nothing)",
        "${age} > 18 and ${agency} = 'border_guard'",
        "${age} < 18 or ${agency} = 'police'",
        "${age} > 18 and (${neg} > 0 or ${zero} = 0)",
        "1 = 1.0",
        "'1' = 1",
        "'1.0' = 1",
        "'1.0' = '1'",
        "'abc' = 'ABC'",
        "'abc' < 'abd'",
        "'b' > 'a'",
        "'10' > '9'",
        "10 > '9'",
        "${age} = '34'",
        "${age} = 34.0",
        "${age} > ${price}",
        "${age} < ${numtext}",
        "${age} != ${empty}",
        "${empty} = ''",
        "${empty} = 0",
        "${empty} != 0",
        "${empty} < 1",
        "${empty} >= 0",
        "${zero} = false()",
        "${name} = true()",
        "${empty} = false()",
        "true() = 'false'",
        "false() = 0",
        "true() > false()",
        "true() = 1",
        "${price} >= 1234.5678",
        "${price} = '1234.5678'",
        "${third} * 3 = 0.3",
        "0.1 + 0.2 = 0.3",
        "${qty} > 100",
        "${qty} = 3",
        "${qty} != 3",
        "${item} = 'rosewood'",
        "${qty} = ${weight}",
        "${weight} < 1",
        "not(${qty} = 3)",
        "${agency} = 'border_guard' and selected(${goods}, 'wildlife')",
        "checklist(1, 2, ${name}, ${empty}, ${age})",
        "checklist(-1, 1, ${name}, ${empty})",
        "weighted-checklist(1, 5, ${name}, 2, ${empty}, 3, ${age}, 4)",
        "1 and 0",
        "'a' or 0",
        "boolean(1 and 0)",
        "boolean('a' or 0)",
        "concat(1 and 1, '')",
        "if(1 and 0, 'y', 'n')",
        "1 < 2 < 3",
        "3 > 2 > 1",
        "1 = 1 = 1",
        "-${age} < ${neg}",
        "${big} > 2147483647",
        "1 div 0 > 1000000",
        "0 div 0 = 0 div 0",
        "0 div 0 != 0 div 0",
    ]
    return out


def _nodes() -> list[str]:
    out = [
        "count(${seizures})",
        "count(${qty})",
        "count(${seizures}[qty > 5])",
        "count(${item}[. = 'rosewood'])",
        "count(${goods})",
        "count(/data/nothing)",
        "sum(${qty})",
        "sum(${weight})",
        "sum(${item})",
        "sum(${weight}) div count(${seizures})",
        "sum(${seizures}/nothing)",
        "max(${qty})",
        "min(${weight})",
        "max(${seized_on})",
        "min(${item})",
        "max(/data/nothing)",
        "${seizures}[1]/item",
        "${seizures}[2]/qty",
        "${seizures}[last()]/item",
        "${seizures}[position() = 2]/weight",
        "${seizures}[qty = 200]/item",
        "${seizures}[weight > 1][1]/item",
        "${seizures}[seized_on < '2026-01-01']/item",
        "${seizures}[4]/item",
        "position(${seizures}[2])",
        "position(${seizures}[qty = 200])",
        "position(..)",
        "position(${seizures})",
        "indexed-repeat(${item}, ${seizures}, 2)",
        "indexed-repeat(${qty}, ${seizures}, 3)",
        "indexed-repeat(${item}, ${seizures}, 1 + 1)",
        "indexed-repeat(${weight}, ${seizures}, 9)",
        "indexed-repeat(${seized_on}, ${seizures}, count(${seizures}))",
        "${seizures}[2]/qty * ${seizures}[3]/weight",
        "count(${seizures}[selected('rosewood pangolin', item)])",
        "concat(${seizures}[1]/item, '/', ${seizures}[3]/item)",
        "count(instance('agencies')/root/item)",
        "instance('agencies')/root/item[name = ${agency}]/label",
        "instance('sites')/root/item[country = ${country}]/name",
        "join(' ', instance('sites')/root/item[country = ${country}]/name)",
        "count(instance('sites')/root/item[country = 'kh'])",
        "join(' ', instance('goods')/root/item[selected(${goods}, name)]/name)",
        "count(instance('goods')/root/item[selected(${goods}, name)])",
        "instance('countries')/root/item[2]/name",
        "/data/name",
        "../name",
        "../../data/age + 1",
        "name(/data/*[1])",
        "local-name(${seizures})",
        "count(/data/*)",
        "count(${seizures}/*)",
        "count(//item)",
        "count(.)",
        "count(..)",
    ]
    return out


def _geo() -> list[str]:
    return [
        "area(${plot})",
        "round(area(${plot}), 2)",
        "distance(${route})",
        "round(distance(${route}), 3)",
        "distance(${plot})",
        "area(${route})",
        "distance(${location})",
        "area('')",
        "distance('')",
        "distance(concat(${location}, ';', '11.0 106.2 0 0'))",
        "round(distance('0 0 0 0;0 1 0 0'), 1)",
        "round(area('0 0 0 0;0 1 0 0;1 1 0 0;1 0 0 0;0 0 0 0'))",
        "selected-at(${location}, 0)",
        "selected-at(${location}, 1)",
        "number(selected-at(${location}, 2)) + 1",
        "substring-before(${location}, ' ')",
        "string-length(${route})",
        "count-selected(${route})",
    ]


OWN_EXPRESSIONS: list[str] = [*_numbers(), *_dates(), *_strings(), *_logic(), *_nodes(), *_geo()]


# Expressions ODK Web Forms 0.22.0 refuses: a form holding one does not load (the reason is the
# engine's). No submission can come from such a form, so there is no value to agree on; the
# server evaluates them or raises ExpressionError, never anything else. The test fails when the
# engine starts loading one of them (then compare it: take it off this list).
ENGINE_REFUSES: dict[str, str] = {
    "string(1e21)": "Expression has syntax error (no exponents in XPath 1.0)",
    "string(1e-7)": "Expression has syntax error (no exponents in XPath 1.0)",
    "date('2024-02-30')": "Invalid isoDay: 30; must be between 1-29",
    "date(${age})": "Invalid input type for date function: expected STRING or NUMBER.",
    "date(${empty})": "Invalid input type for date function: expected STRING or NUMBER.",
    "date(${arrival})": "Invalid input type for date function: expected STRING or NUMBER.",
    "date(${arrival_utc})": "Invalid input type for date function: expected STRING or NUMBER.",
    "date(${price})": "Invalid input type for date function: expected STRING or NUMBER.",
    "decimal-date-time(${dob})": "Expected a NUMBER or STRING evaluation type …",
    "decimal-date-time(${arrival})": "Expected a NUMBER or STRING evaluation type …",
    "decimal-date-time(${arrival_utc})": "Expected a NUMBER or STRING evaluation type …",
    "decimal-date-time(${empty})": "Expected a NUMBER or STRING evaluation type …",
    "format-date-time(decimal-date-time(${arrival}) + 0.5, '%e %b %Y %H:%M')": (
        "Expected a NUMBER or STRING evaluation type …"
    ),
    "uppercase(${name})": "Function 'uppercase' is not defined.",
    "lowercase(${code})": "Function 'lowercase' is not defined.",
    "position(${seizures})": "Expected a single node for position function …",
    "distance(${location})": "The function 'distance' received a value that does not represent GPS coordinates",
    "distance('')": "The function 'distance' received a value that does not represent GPS coordinates",
}

# Where ODK Web Forms 0.22.0 departs from XPath 1.0 and the server does not follow it, and why.
# Each is still compared: the test fails when the two agree (take it off the list).
ENGINE_DEVIATES: dict[str, str] = {
    "substring-after(${name}, 'Thị ')": (
        "the engine cuts at the wrong place after a Vietnamese letter ('hị Lan'); XPath gives 'Lan'"
    ),
    "1 and 0": "the engine writes the last operand ('0'), not the boolean (the same truth)",
    "'a' or 0": "the engine writes the first true operand ('a'), not the boolean (the same truth)",
    "concat(1 and 1, '')": "the engine's 'and' gives its last operand ('1'), not true",
}
