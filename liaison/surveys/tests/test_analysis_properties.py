"""Properties of the analysis that hold for any answers (hypothesis draws the answers)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.surveys.analysis import analyze
from liaison.surveys.tests.builders import make_form

FORM = make_form()
AGENCIES = ["police", "customs", "army", "", None]
ODS = ["cfc", "halons", "co2", "lpg"]

answers = st.lists(
    st.tuples(
        st.sampled_from(AGENCIES),
        st.lists(st.sampled_from(ODS), unique=True, max_size=4),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(answers)
def test_counts_and_percentages_agree_with_the_answers(rows):
    frame = pd.DataFrame(
        {
            "agency": [agency for agency, _ticked in rows],
            "ods_list": [" ".join(ticked) for _agency, ticked in rows],
        }
    )
    result = analyze(FORM, frame, by="agency")
    agency = result["questions"]["agency"]
    given_agencies = [a for a, _t in rows if a]
    assert agency["answered"] == len(given_agencies)
    assert agency["answered"] + agency["missing"] == len(rows)
    for name in ("police", "customs", "army"):
        assert agency["counts"][name] == given_agencies.count(name)
    if agency["answered"]:
        assert sum(v for v in agency["percent"].values() if v is not None) == (pytest.approx(100.0))
    ods = result["questions"]["ods_list"]
    answering = [set(ticked) for _a, ticked in rows if ticked]
    assert ods["answered"] == len(answering)
    for option in ODS:
        assert ods["counts"][option] == sum(option in ticked for ticked in answering)
        interval = ods["ci95"][option]
        percent = ods["percent"][option]
        if interval is not None and percent is not None:
            assert interval[0] <= percent <= interval[1]
    by_group = ods["by"]
    assert sum(group["answered"] for group in by_group.values()) == sum(
        1 for a, ticked in rows if a and ticked
    )
