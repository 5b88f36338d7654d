"""Figures as people read them: one decimal mark per language (Django's formats), p-values
written as people write them."""

from __future__ import annotations

import pytest
from django.utils import translation

from liaison.surveys.figures import (
    decimal_text,
    p_number,
    p_text,
    percent_interval,
    percent_text,
    signed_interval,
    signed_text,
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("vi", ["12,5 %", "31,3 %", "6,3 %", "100,0 %", "0,0 %"]),
        ("en", ["12.5 %", "31.3 %", "6.3 %", "100.0 %", "0.0 %"]),
    ],
)
def test_percentages_take_the_languages_decimal_mark_and_round_half_up(language, expected):
    with translation.override(language):
        assert [percent_text(value) for value in (12.5, 100 * 5 / 16, 100 * 2 / 32, 100, 0)] == (
            expected
        )
        assert percent_text(None) == "–"
        assert percent_text(float("nan")) == "–"


def test_intervals_and_changes_share_the_decimal_mark():
    with translation.override("vi"):
        assert percent_interval([59.87, 74.9]) == "59,9 – 74,9 %"
        assert signed_text(2.55) == "+2,6"
        assert signed_text(-12.04) == "-12,0"
        assert signed_interval([-3.14, 12.0]) == "-3,1 – +12,0"
        assert decimal_text(0.256, 2) == "0,26"
    with translation.override("en"):
        assert percent_interval([59.87, 74.9]) == "59.9 – 74.9 %"
        assert signed_interval(None) == "–"
        assert decimal_text(0.256, 2) == "0.26"


@pytest.mark.parametrize(
    ("value", "english", "vietnamese"),
    [
        (3.2e-05, "p < 0.001", "p < 0,001"),
        (0.0009999, "p < 0.001", "p < 0,001"),
        (0.001, "p = 0.001", "p = 0,001"),
        (0.00123, "p = 0.0012", "p = 0,0012"),
        (0.0312, "p = 0.031", "p = 0,031"),
        (0.03, "p = 0.03", "p = 0,03"),
        (0.0499, "p = 0.0499", "p = 0,0499"),
        (0.456, "p = 0.46", "p = 0,46"),
        (0.1, "p = 0.1", "p = 0,1"),
        (0.999, "p = 1", "p = 1"),
        (1.0, "p = 1", "p = 1"),
        (None, "p = –", "p = –"),
    ],
)
def test_p_values_are_written_as_people_write_them(value, english, vietnamese):
    with translation.override("en"):
        assert p_text(value) == english
    with translation.override("vi"):
        assert p_text(value) == vietnamese
        assert "e-" not in p_text(value)


def test_a_p_value_in_a_column_headed_p_has_no_p():
    with translation.override("en"):
        assert p_number(0.00002) == "< 0.001"
        assert p_number(0.0312) == "0.031"
        assert p_number(None) == "–"


@pytest.mark.parametrize(
    ("value", "english"),
    [(0.0499, "p = 0.0499"), (0.0501, "p = 0.0501"), (0.0496, "p = 0.0496"), (0.05, "p = 0.05")],
)
def test_a_p_value_beside_the_significance_level_keeps_the_digit_that_decides(
    value: float, english: str
) -> None:
    # a result marked significant is never written "p = 0.05", nor one that is not
    with translation.override("en"):
        assert p_text(value) == english
