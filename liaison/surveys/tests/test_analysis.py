from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association

from liaison.surveys.analysis import (
    AnalysisError,
    analyze,
    as_percent_text,
    association_test,
    compare,
    respondent_scores,
)
from liaison.surveys.tests.builders import make_form

CONTRACT_KEYS = {"type", "label", "answered", "missing", "counts", "percent", "ci95"}


def wilson(count: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval, written out to check statsmodels' against."""
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half) * 100, (centre + half) * 100


def frame(**columns: Any) -> pd.DataFrame:
    return pd.DataFrame(columns)


@pytest.fixture
def respondents():
    return frame(
        agency=["police", "police", "customs", "army", "police", "", None, "customs"],
        years=["3", "12", "", "40", "7", "1", None, "2"],
        knows_ods=["yes", "yes", "no", "yes", "no", "", "yes", "no"],
        ods_list=["cfc halons", "cfc co2", "", "halons", "", "", "cfc halons lpg", ""],
        montreal=["ozone", "forests", "ozone", "", "ozone", "ozone", "", "forests"],
        seen=["never", "rarely", "often", "never", "", "rarely", "rarely", "never"],
    )


def test_percentages_are_over_the_respondents_who_answered(small_form, respondents):
    result = analyze(small_form, respondents)
    agency = result["questions"]["agency"]
    assert result["respondents"] == 8
    assert agency["answered"] == 6
    assert agency["missing"] == 2
    assert agency["counts"] == {"police": 3, "customs": 2, "army": 1}
    assert agency["percent"] == pytest.approx({"police": 50.0, "customs": 100 / 3, "army": 100 / 6})


def test_every_choice_appears_even_with_no_answer(small_form):
    result = analyze(small_form, frame(agency=["police", "police"]))
    agency = result["questions"]["agency"]
    assert agency["counts"] == {"police": 2, "customs": 0, "army": 0}
    assert agency["percent"]["army"] == 0.0
    interval = agency["ci95"]["army"]
    assert interval is not None
    assert interval[0] == 0.0


def test_select_multiple_is_the_share_of_answering_respondents_who_ticked(small_form, respondents):
    ods = analyze(small_form, respondents)["questions"]["ods_list"]
    assert ods["answered"] == 4
    assert ods["counts"] == {"cfc": 3, "halons": 3, "co2": 1, "lpg": 1}
    assert ods["percent"] == {"cfc": 75.0, "halons": 75.0, "co2": 25.0, "lpg": 25.0}


def test_every_proportion_carries_a_wilson_interval(small_form, respondents):
    agency = analyze(small_form, respondents)["questions"]["agency"]
    interval = agency["ci95"]["customs"]
    assert interval is not None
    low, high = interval
    assert low == pytest.approx(wilson(2, 6)[0])
    assert high == pytest.approx(wilson(2, 6)[1])


def test_the_json_payload_follows_the_contract(small_form, respondents):
    result = analyze(small_form, respondents, by="agency")
    text = json.dumps(result, allow_nan=False)
    payload = json.loads(text)
    assert {"form_id", "title", "respondents", "questions"} <= set(payload)
    for name, question in payload["questions"].items():
        assert set(question) >= CONTRACT_KEYS, name
        assert set(question["percent"]) == set(question["counts"]) == set(question["ci95"])
        assert "by" in question
        for group in question["by"].values():
            assert {"answered", "counts", "percent"} <= set(group)
    assert "intro" not in payload["questions"]
    without_by = analyze(small_form, respondents)
    assert all("by" not in question for question in without_by["questions"].values())


def test_a_cross_tab_by_a_select_one(small_form, respondents):
    result = analyze(small_form, respondents, by="agency")
    montreal = result["questions"]["montreal"]["by"]
    assert montreal["police"]["answered"] == 3
    assert montreal["police"]["counts"] == {"ozone": 2, "forests": 1}
    assert montreal["police"]["percent"] == pytest.approx({"ozone": 200 / 3, "forests": 100 / 3})
    assert montreal["army"]["answered"] == 0
    assert montreal["army"]["percent"] == {"ozone": None, "forests": None}
    assert result["by_groups"] == {"police": "Police", "customs": "Customs", "army": "Border Army"}


def test_a_cross_tab_by_a_calculation_missing_from_the_data(small_form, respondents):
    # the export has no cluster column: it is calculated from the agency as the form says
    result = analyze(small_form, respondents, by="cluster")
    assert result["questions"]["cluster"]["counts"] == {"north": 3, "south": 3}
    assert result["questions"]["knows_ods"]["by"]["north"]["counts"] == {"yes": 2, "no": 1}


def test_two_by_two_tables_use_fisher_and_larger_ones_chi_square():
    two = association_test([[8, 2], [1, 9]])
    assert two is not None
    assert two["test"] == "fisher"
    assert two["p_value"] == pytest.approx(stats.fisher_exact([[8, 2], [1, 9]]).pvalue)
    assert two["significant"]
    assert two["cramers_v"] == pytest.approx(association([[8, 2], [1, 9]], method="cramer"))
    table = np.array([[10, 4, 6], [3, 12, 5]])
    three = association_test(table)
    assert three is not None
    assert three["test"] == "chi2"
    assert three["dof"] == 2
    assert three["p_value"] == pytest.approx(stats.chi2_contingency(table).pvalue)
    assert three["cramers_v"] == pytest.approx(association(table, method="cramer"))
    wide = np.array([[10, 4, 6, 2], [3, 12, 5, 9], [7, 7, 1, 4]])
    four = association_test(wide)
    assert four is not None
    assert four["statistic"] == pytest.approx(stats.chi2_contingency(wide).statistic)
    assert four["cramers_v"] == pytest.approx(association(wide, method="cramer"))
    assert association_test([[3, 0], [4, 0]]) is None


def test_a_where_filter_keeps_matching_respondents(small_form, respondents):
    result = analyze(small_form, respondents, where="knows_ods = 'yes'")
    assert result["respondents"] == 4
    assert result["questions"]["knows_ods"]["counts"] == {"yes": 4, "no": 0}
    assert result["where"] == "knows_ods = 'yes'"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "years"}, "years is a integer question"),
        ({"by": "nobody"}, "nobody is not a question"),
        ({"where": "knows_ods = "}, "The filter knows_ods = +cannot be used: .*end of source"),
        ({"where": "colour = 'red'"}, "colour is not a question"),
    ],
)
def test_bad_requests_raise_analysis_errors(small_form, respondents, kwargs, message):
    with pytest.raises(AnalysisError, match=message):
        analyze(small_form, respondents, **kwargs)


def test_likert_questions_get_mean_and_median(small_form, respondents):
    likert = analyze(small_form, respondents)["questions"]["seen"]["likert"]
    # never=1, rarely=2, often=3: answers 1,2,3,1,2,2,1
    assert likert["scale"] == ["never", "rarely", "often"]
    assert likert["n"] == 7
    assert likert["mean"] == pytest.approx(12 / 7)
    assert likert["median"] == 2.0


def test_numeric_questions_get_a_summary(small_form, respondents):
    years = analyze(small_form, respondents)["questions"]["years"]
    assert years["answered"] == 6
    assert years["counts"] == {}
    assert years["numeric"]["mean"] == pytest.approx((3 + 12 + 40 + 7 + 1 + 2) / 6)
    assert years["numeric"]["median"] == 5.0
    assert years["numeric"]["max"] == 40.0


def test_numeric_questions_are_summarised_per_group(small_form, respondents):
    years = analyze(small_form, respondents, by="agency")["questions"]["years"]["by"]
    # police answered 3, 12 and 7; customs 2 (and one blank); army 40
    assert years["police"]["answered"] == 3
    assert years["police"]["numeric"]["mean"] == pytest.approx(22 / 3)
    assert years["police"]["numeric"]["median"] == 7.0
    assert years["customs"]["numeric"]["max"] == 2.0
    assert years["army"]["numeric"]["n"] == 1


def test_knowledge_scores_per_question_theme_and_cluster(small_form, respondents):
    result = analyze(small_form, respondents, by="cluster")
    scores = result["scores"]
    # select_multiple exact: only the first respondent ticked exactly cfc and halons
    assert scores["questions"]["ods_list"]["answered"] == 4
    assert scores["questions"]["ods_list"]["correct"] == 1
    # partial credit: share of the four options classified right, averaged
    assert scores["questions"]["ods_list"]["partial_mean"] == pytest.approx(
        (100 + 50 + 75 + 75) / 4
    )
    assert scores["questions"]["montreal"]["correct"] == 4
    assert scores["questions"]["montreal"]["percent_correct"] == pytest.approx(100 * 4 / 6)
    assert scores["themes"]["ods"]["respondents"] == 8
    per_respondent = respondent_scores(small_form, respondents)
    assert list(per_respondent["ods"].round(6).fillna(-1)) == [
        100.0,
        0.0,
        100.0,
        0.0,
        100.0,
        100.0,
        0.0,
        0.0,
    ]
    assert scores["cluster"] == "cluster"
    assert scores["by_cluster"]["north"]["ods"]["respondents"] == 3


def test_scores_follow_the_patrol_answer_key(patrol_form, kobo_table):
    result = analyze(patrol_form, kobo_table.answers)
    precursors = result["scores"]["questions"]["precursors"]
    exact = [
        set(value.split()) == patrol_form.question("precursors").correct_names
        for value in kobo_table.answers["precursors"]
        if value
    ]
    assert precursors["answered"] == len(exact) == 30
    assert precursors["correct"] == sum(exact) == 3
    assert result["scores"]["cluster"] == "cluster"
    assert set(result["scores"]["by_cluster"]) == {"CL1", "CL2"}


def test_compare_reports_the_change_interval_and_fisher_p_value(small_form):
    baseline = frame(knows_ods=["yes"] * 3 + ["no"] * 17)
    followup = frame(knows_ods=["yes"] * 14 + ["no"] * 6)
    result = compare(small_form, baseline, followup)
    yes = result["questions"]["knows_ods"]["choices"]["yes"]
    assert yes["baseline"] == 15.0
    assert yes["followup"] == 70.0
    assert yes["change_pp"] == pytest.approx(55.0)
    assert yes["p_value"] == pytest.approx(stats.fisher_exact([[14, 6], [3, 17]]).pvalue)
    assert yes["significant"]
    assert yes["ci95_pp"] is not None
    low, high = yes["ci95_pp"]
    assert low < 55.0 < high
    assert low > 0
    json.dumps(result, allow_nan=False)


def test_compare_reports_the_knowledge_score_change_per_theme(small_form):
    baseline = frame(montreal=["forests"] * 8 + ["ozone"] * 2)
    followup = frame(montreal=["ozone"] * 9 + ["forests"])
    scores = compare(small_form, baseline, followup)["scores"]
    assert scores["ods"]["baseline"] == 20.0
    assert scores["ods"]["followup"] == 90.0
    assert scores["ods"]["change_pp"] == pytest.approx(70.0)
    assert scores["ods"]["significant"]


def test_percentages_print_half_up_like_the_report():
    assert as_percent_text(100 * 5 / 16) == "31.3%"
    assert as_percent_text(100 * 2 / 32) == "6.3%"
    assert as_percent_text(None) == "–"


def test_a_large_analysis_stays_vectorised(small_form):
    # 200,000 respondents must not take a per-respondent loop: well under a few seconds
    import time

    rng = np.random.default_rng(1)
    n = 200_000
    data = frame(
        agency=rng.choice(["police", "customs", "army", ""], n),
        knows_ods=rng.choice(["yes", "no"], n),
        ods_list=rng.choice(["cfc", "cfc halons", "co2 lpg", ""], n),
        years=rng.integers(0, 45, n).astype(str),
    )
    started = time.perf_counter()
    result = analyze(small_form, data, by="agency")
    elapsed = time.perf_counter() - started
    assert result["respondents"] == n
    assert sum(result["questions"]["agency"]["counts"].values()) == (data["agency"] != "").sum()
    assert elapsed < 10


def test_nan_from_a_calculation_over_missing_answers_counts_as_missing():
    """ODK records NaN for ``${a} + ${b}`` when an answer is empty: no value, not a category
    (by itself or as a --by group)."""
    form = make_form(
        survey=[
            {"type": "integer", "name": "a", "label::English (en)": "A"},
            {"type": "integer", "name": "b", "label::English (en)": "B"},
            {"type": "calculate", "name": "total", "calculation": "${a} + ${b}"},
            {"type": "select_one yes_no", "name": "seized", "label::English (en)": "Seized?"},
        ],
        choices=[
            {"list_name": "yes_no", "name": "yes", "label::English (en)": "Yes"},
            {"list_name": "yes_no", "name": "no", "label::English (en)": "No"},
        ],
    )
    answers = frame(
        a=["1", "2", "", "4"],
        b=["1", "", "3", "1"],
        total=["2", "NaN", "NaN", "5"],
        seized=["yes", "no", "yes", "no"],
    )
    result = analyze(form, answers, by="total")
    total = result["questions"]["total"]
    assert total["counts"] == {"2": 1, "5": 1}
    assert (total["answered"], total["missing"]) == (2, 2)
    assert set(result["by_groups"]) == {"2", "5"}
    assert result["questions"]["seized"]["by"]["5"]["counts"] == {"yes": 0, "no": 1}
