"""The analysis computes its intervals and χ² itself (importing statsmodels and scipy.stats takes
longer than the analysis): they must agree with the libraries' own. And what it counts once per
distinct answer must be what a count per respondent gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association
from statsmodels.stats.proportion import proportion_confint

from liaison.surveys.analysis import _t_interval, _wilson, analyze, association_test
from liaison.surveys.tests.builders import make_form


def test_wilson_intervals_agree_with_statsmodels():
    # given every count out of small samples, and a few out of large ones
    pairs = [(count, n) for n in (1, 2, 3, 7, 30) for count in range(n + 1)]
    pairs += [(0, 100_000), (1, 100_000), (49_999, 100_000), (100_000, 100_000), (37, 4_096)]
    counts = np.array([count for count, _n in pairs])
    nobs = np.array([n for _count, n in pairs])
    # when
    low, high = _wilson(counts, nobs)
    # then
    expected_low, expected_high = proportion_confint(counts, nobs, alpha=0.05, method="wilson")
    assert low == pytest.approx(np.asarray(expected_low) * 100, rel=1e-12, abs=1e-12)
    assert high == pytest.approx(np.asarray(expected_high) * 100, rel=1e-12, abs=1e-12)


def test_a_wilson_interval_out_of_no_answer_is_none():
    low, high = _wilson([0, 3], [0, 5])
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert not np.isnan(low[1])


def test_chi_square_and_cramers_v_agree_with_scipy_on_tables_of_every_shape():
    rng = np.random.default_rng(12)
    tables = [rng.integers(1, 400, size=shape) for shape in [(2, 3), (3, 2), (4, 6), (6, 4)]]
    tables += [np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]]), np.array([[5000, 1], [2, 7000]])]
    for table in tables:
        result = association_test(table)
        assert result is not None
        assert result["cramers_v"] == pytest.approx(association(table, method="cramer"))
        if table.shape == (2, 2):
            assert result["test"] == "fisher"  # its χ² serves only Cramér's V
            continue
        expected = stats.chi2_contingency(table, correction=False)
        assert result["test"] == "chi2"
        assert result["statistic"] == pytest.approx(expected.statistic, rel=1e-12)
        assert result["dof"] == expected.dof
        assert result["p_value"] == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_t_intervals_agree_with_scipy():
    rng = np.random.default_rng(12)
    for values in (np.array([0.0, 100.0]), rng.uniform(0, 100, 7), rng.uniform(0, 100, 50_000)):
        expected = stats.t.interval(
            0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values)
        )
        assert _t_interval(values) == pytest.approx(expected, rel=1e-12)


def test_a_text_question_counts_the_respondents_who_wrote_something():
    # given a text question answered with text, blanks, spaces, None and NaN
    survey = [{"type": "text", "name": "remarks", "label::English (en)": "Remarks"}]
    form = make_form(survey=survey, choices=None)
    answers = pd.DataFrame(
        {"remarks": ["cần thêm", "", "   ", None, float("nan"), " x ", "cần thêm"]}
    )
    # when
    remarks = analyze(form, answers)["questions"]["remarks"]
    # then
    assert (remarks["answered"], remarks["missing"]) == (3, 4)
