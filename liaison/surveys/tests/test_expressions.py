from __future__ import annotations

from datetime import UTC, date, datetime
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from liaison.surveys import expressions
from liaison.surveys.expressions import (
    FieldErrorCode,
    evaluate_frame,
    evaluate_where,
    holds_frame,
    relevant_questions,
    to_xpath,
    validate_submission,
)
from liaison.surveys.xpath import (
    Environment,
    ExpressionError,
    compile_xpath,
    evaluate,
    to_boolean,
    to_string,
)

DOCUMENT = ET.fromstring(  # noqa: S314 - a literal of the test
    "<data><g><multi>cfc halons</multi><n>5</n><empty/><day>2010-08-18</day></g></data>"
)
NUMBER_NODE = DOCUMENT.find("g/n")
ON_18_AUGUST_2010 = Environment(
    today=date(2010, 8, 18),
    now=datetime(2010, 8, 18, 9, 30, tzinfo=UTC),
    choice_label=lambda value, path: f"label of {value} at {path}",
    instances={
        "colors": ET.fromstring(  # noqa: S314 - a literal of the test
            "<instance id='colors'><root><item><name>5</name><label>Five</label></item>"
            "</root></instance>"
        )
    },
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("selected(/data/g/multi, 'halons')", True),
        ("selected(/data/g/multi, 'co2')", False),
        ("count-selected(/data/g/multi)", 2),
        ("if(/data/g/n > 3, 'big', 'small')", "big"),
        ("coalesce(/data/g/empty, 'fallback')", "fallback"),
        ("concat('n=', /data/g/n)", "n=5"),
        ("string-length(/data/g/multi)", 10),
        ("regex(/data/g/n, '^[0-9]+$')", True),
        ("int(-3.7)", -3.0),
        ("number(/data/g/n) * 2", 10.0),
        ("round(2.345, 2)", 2.35),
        ("today()", "2010-08-18"),
        ("/data/g/day = today()", True),
        ("/data/g/day < '2024-01-01'", True),
        ("jr:choice-name(/data/g/n, '/data/g/n')", "label of 5 at /data/g/n"),
        ("instance('colors')/root/item[name = /data/g/n]/label", ["Five"]),
        ("/data/g/n = 5", True),
        ("/data/g/empty < 3", False),
        ("/data/g/empty != 0", True),
        (". >= 0 and . <= 45", True),
    ],
)
def test_openrosa_functions_and_xpath_1_comparisons(expression, expected):
    result = evaluate(expression, DOCUMENT, item=NUMBER_NODE, environment=ON_18_AUGUST_2010)
    if isinstance(expected, list):
        assert to_string(result) == expected[0]
    else:
        assert result == expected


def test_a_syntax_error_names_the_expression_and_the_reason():
    with pytest.raises(ExpressionError) as raised:
        compile_xpath("${age} >>> 3")
    assert "${age} >>> 3" in str(raised.value)
    assert raised.value.reason


def test_an_unknown_function_is_a_syntax_error():
    with pytest.raises(ExpressionError, match="unknown function"):
        compile_xpath("frobnicate(1)")


def test_server_side_functions_without_data_say_so_when_evaluated():
    assert compile_xpath("pulldata('list', 'a', 'b', 'c')") is not None
    with pytest.raises(ExpressionError, match="pulldata"):
        evaluate("pulldata('list', 'a', 'b', 'c')", DOCUMENT)


def test_a_required_answer_is_enforced_only_where_the_question_is_relevant(small_form):
    # given a respondent who knows what ODS are but did not say which
    errors = validate_submission(small_form, {"agency": "police", "knows_ods": "yes"})
    # then the list of ODS is required
    assert [(e.name, e.code) for e in errors] == [("ods_list", FieldErrorCode.REQUIRED)]
    assert "“Which are ODS?” (ods_list)" in errors[0].message
    # and for one who does not know, it does not apply
    assert validate_submission(small_form, {"agency": "police", "knows_ods": "no"}) == []


def test_an_answer_to_a_question_that_does_not_apply_is_reported(small_form):
    errors = validate_submission(
        small_form, {"agency": "police", "knows_ods": "no", "ods_list": ["cfc"]}
    )
    assert [(e.name, e.code) for e in errors] == [("ods_list", FieldErrorCode.NOT_RELEVANT)]


def test_a_constraint_failure_uses_the_forms_message_in_the_language(small_form):
    errors = validate_submission(small_form, {"agency": "army", "years": 50}, language="vi")
    assert [(e.name, e.code, e.message) for e in errors] == [
        ("years", FieldErrorCode.CONSTRAINT, "Từ 0 đến 45 năm.")
    ]
    assert validate_submission(small_form, {"agency": "army", "years": 45}) == []


@pytest.mark.parametrize(
    ("answers", "name", "code"),
    [
        ({"agency": "police", "years": "twelve"}, "years", FieldErrorCode.INVALID),
        ({"agency": "police", "years": "4.5"}, "years", FieldErrorCode.INVALID),
        ({"agency": "navy"}, "agency", FieldErrorCode.UNKNOWN_CHOICE),
        (
            {"agency": "police", "knows_ods": "yes", "ods_list": "cfc ozone"},
            "ods_list",
            FieldErrorCode.UNKNOWN_CHOICE,
        ),
        ({"agency": "police", "favourite": "x"}, "favourite", FieldErrorCode.UNKNOWN_QUESTION),
        ({}, "agency", FieldErrorCode.REQUIRED),
    ],
)
def test_type_and_choice_checks_name_the_field(small_form, answers, name, code):
    errors = validate_submission(small_form, answers)
    assert [(e.name, e.code) for e in errors] == [(name, code)]
    assert name in errors[0].message


def test_relevant_questions_follow_the_branch(small_form):
    knows = [q.name for q in relevant_questions(small_form, {"knows_ods": "yes"})]
    does_not = [q.name for q in relevant_questions(small_form, {"knows_ods": "no"})]
    assert "ods_list" in knows
    assert "ods_list" not in does_not


def test_calculations_settle_before_relevance(small_form):
    instance, _relevance = expressions.settle(small_form, {"agency": "police"})
    assert instance.value("cluster") == "north"
    instance, _relevance = expressions.settle(small_form, {"agency": "customs"})
    assert instance.value("cluster") == "south"


def test_a_filter_accepts_bare_names_and_pyxform_references(small_form):
    bare = to_xpath(small_form, "knows_ods = 'yes' and years > 3")
    assert bare == "/data/ods/knows_ods = 'yes' and /data/profile/years > 3"
    braced = to_xpath(small_form, "${knows_ods} = 'yes'")
    assert "/data/ods/knows_ods" in braced
    # a question name inside a string literal stays text
    assert to_xpath(small_form, "agency = 'years'") == "/data/profile/agency = 'years'"
    assert evaluate_where(small_form, bare, {"knows_ods": "yes", "years": "7"})
    assert not evaluate_where(small_form, bare, {"knows_ods": "yes", "years": "2"})


def test_a_filter_naming_no_question_is_refused(small_form):
    with pytest.raises(ExpressionError, match="knows_odz is not a question"):
        to_xpath(small_form, "knows_odz = 'yes'")
    with pytest.raises(ExpressionError, match="not valid XPath"):
        to_xpath(small_form, "knows_ods = ")


def test_frame_evaluation_runs_once_per_distinct_combination(small_form, monkeypatch):
    calls = []
    real = expressions.SubmissionInstance.evaluate

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(expressions.SubmissionInstance, "evaluate", counting)
    frame = pd.DataFrame(
        {"knows_ods": ["yes", "no", "yes", None] * 500, "years": ["3", "9", "9", "3"] * 500}
    )
    xpath = to_xpath(small_form, "knows_ods = 'yes' and years > 5")
    result = evaluate_frame(small_form, xpath, frame, to_boolean)
    assert list(result[:4]) == [False, False, True, False]
    assert len(result) == 2000
    assert len(calls) == 4


def test_conditions_over_a_frame_come_back_as_booleans_for_the_selected_rows(small_form):
    frame = pd.DataFrame(
        {"knows_ods": ["yes", "no", "yes", None] * 50, "years": ["3", "9", "9", "3"] * 50}
    )
    xpath = to_xpath(small_form, "knows_ods = 'yes' and years > 5")
    held = holds_frame(small_form, xpath, frame)
    assert held.dtype == bool
    assert list(held[:4]) == [False, False, True, False]
    assert int(held.sum()) == 50
    rows = np.array([False, True, True, False] * 50)
    assert list(holds_frame(small_form, xpath, frame, rows=rows)[:2]) == [False, True]
    assert len(holds_frame(small_form, xpath, frame.iloc[:0])) == 0
