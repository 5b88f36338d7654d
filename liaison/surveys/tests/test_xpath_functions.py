"""The server's XPath on what field forms write: date arithmetic, checklist(), once()."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from xml.etree import ElementTree as ET

import pytest

from liaison.surveys.expressions import calculate
from liaison.surveys.imports import ExportRejected, read_export
from liaison.surveys.tests.builders import EN, VI, make_form
from liaison.surveys.xpath import Environment, evaluate

INSTANCE = ET.fromstring(  # noqa: S314 - a literal of the test
    "<data><dob>1990-05-01</dob><start>2024-05-01T08:00:00.000+07:00</start>"
    "<end>2024-05-01T09:30:00.000+07:00</end><a>yes</a><b>no</b><c>yes</c><empty/></data>"
)
ON_1_MAY_2024 = Environment(today=date(2024, 5, 1), now=datetime(2024, 5, 1, 2, tzinfo=UTC))


def _value(expression: str) -> object:
    return evaluate(expression, INSTANCE, environment=ON_1_MAY_2024)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("today() - /data/dob", 12419.0),
        ("int((today() - /data/dob) div 365.25)", 34.0),
        ("/data/end - /data/start", 0.0625),
        ("(/data/end - /data/start) * 24", 1.5),
        ("date('2024-05-01') - date('2024-04-01')", 30.0),
        ("-date('1970-01-11')", -10.0),
        ("/data/dob + 1", 7426.0),
        ("7 mod 3", 1.0),
        ("1 div 0", math.inf),
        ("checklist(1, 2, /data/a = 'yes', /data/b = 'yes', /data/c = 'yes')", True),
        ("checklist(3, -1, /data/a = 'yes', /data/b = 'yes', /data/c = 'yes')", False),
        ("checklist(-1, -1, /data/a = 'yes')", True),
        (
            "weighted-checklist(3, 5, /data/a = 'yes', 2, /data/b = 'yes', 4, /data/c = 'yes', 1)",
            True,
        ),
        ("weighted-checklist(4, -1, /data/a = 'yes', 2, /data/c = 'yes', 1)", False),
    ],
)
def test_date_arithmetic_and_checklists_are_evaluated_as_odk_does(expression, expected):
    assert _value(expression) == expected


@pytest.mark.parametrize(
    "expression",
    ["today() - /data/empty", "number('abc') + 1", "0 div 0", "5 mod 0"],
)
def test_arithmetic_on_nothing_is_nan_not_an_error(expression):
    assert math.isnan(float(str(_value(expression))))


SURVEY = [
    {"type": "date", "name": "dob", f"label::{EN}": "Ngày sinh", f"label::{VI}": "Ngày sinh"},
    {
        "type": "calculate",
        "name": "age",
        f"label::{EN}": "Age",
        "calculation": "int((today() - ${dob}) div 365.25)",
    },
    {"type": "calculate", "name": "stamp", f"label::{EN}": "Stamp", "calculation": "once(today())"},
    {"type": "date", "name": "start", f"label::{EN}": "Ngày bắt đầu tuần tra"},
    {
        "type": "date",
        "name": "end",
        f"label::{EN}": "Ngày kết thúc tuần tra",
        "constraint": ". - ${start} >= 0",
    },
]
SETTINGS = [{"form_id": "patrol_days", "form_title": "Ngày tuần tra", "default_language": EN}]


@pytest.fixture(scope="module")
def form():
    return make_form(survey=SURVEY, choices=None, settings=SETTINGS)


def test_a_calculation_of_age_from_a_date_of_birth_is_stored(form):
    answers = {"dob": "1990-05-01"}
    assert calculate(form, form.question("age"), answers, environment=ON_1_MAY_2024) == "34"


def test_once_keeps_the_value_a_submission_already_has(form):
    stamp = form.question("stamp")
    assert calculate(form, stamp, {}, environment=ON_1_MAY_2024) == "2024-05-01"
    kept = calculate(form, stamp, {"stamp": "2023-12-24"}, environment=ON_1_MAY_2024)
    assert kept == "2023-12-24"


def test_an_import_checks_a_constraint_on_the_difference_of_two_dates(form):
    good = b"dob,start,end\n1990-05-01,2024-05-01,2024-05-03\n1985-01-02,2024-05-01,2024-05-01\n"
    table = read_export(good, form, filename="tuan_tra.csv")
    assert list(table.answers["end"]) == ["2024-05-03", "2024-05-01"]
    bad = b"dob,start,end\n1990-05-01,2024-05-03,2024-05-01\n"
    with pytest.raises(ExportRejected) as raised:
        read_export(bad, form, filename="tuan_tra.csv")
    assert [(p.row, p.column) for p in raised.value.problems] == [(2, "end")]
