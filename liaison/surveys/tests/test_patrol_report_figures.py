"""``analyze`` on the rebuilt PATROL data reproduces the report's published tables to the printed
decimal (the report rounds half up: 5/16 = 31.25 % is printed 31.3 %)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from liaison.surveys.analysis import analyze
from liaison.surveys.tests import patrol_fixture


def printed(value: float | None) -> str:
    assert value is not None
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module", params=["kobo", "odk"])
def by_cluster(request, patrol_form, kobo_table, odk_table):
    table = kobo_table if request.param == "kobo" else odk_table
    return analyze(patrol_form, table.answers, by="cluster")


def test_33_respondents(by_cluster):
    assert by_cluster["respondents"] == 33


def test_participants_by_agency(by_cluster):
    agency = by_cluster["questions"]["agency"]
    assert agency["answered"] == 33
    assert agency["counts"] == {
        "provincial_police": 13,
        "border_army": 5,
        "customs": 5,
        "anti_narcotics": 8,
        "other": 2,
    }
    assert {k: printed(v) for k, v in agency["percent"].items()} == patrol_fixture.AGENCY_PERCENT


def test_table_1_meetings_by_cluster(by_cluster):
    meetings = by_cluster["questions"]["meet_crossborder"]["by"]
    for cluster, expected in patrol_fixture.TABLE_1.items():
        assert meetings[cluster]["answered"] == patrol_fixture.TABLE_1_N[cluster]
        assert {k: printed(v) for k, v in meetings[cluster]["percent"].items()} == expected


@pytest.mark.parametrize("name", list(patrol_fixture.TABLE_2))
def test_table_2_training_needs(by_cluster, name):
    question = by_cluster["questions"][name]
    assert question["answered"] == patrol_fixture.TABLE_2_N[name]
    assert question["missing"] == 33 - patrol_fixture.TABLE_2_N[name]
    cells = tuple(printed(question["percent"][c]) for c in patrol_fixture.TRAINING_NEED_CHOICES)
    assert cells == patrol_fixture.TABLE_2[name]


def test_table_3_integrity_scenario(by_cluster):
    integrity = by_cluster["questions"]["integrity"]
    assert integrity["answered"] == 33
    assert {k: printed(v) for k, v in integrity["percent"].items()} == patrol_fixture.TABLE_3


def test_the_sample_text_figures_hold_too(by_cluster):
    questions = by_cluster["questions"]
    # "73% … with the help of smugglers"; "48.5% … not aware of any regulation on presents"
    assert printed(questions["migrant_help"]["percent"]["with_smugglers"]) == "72.7"
    assert printed(questions["presents_regulation"]["percent"]["no"]) == "48.5"
    # "56% of the respondents [in the north] have come across cases … in the south (30%)"
    wildlife = questions["dealt_wildlife"]["by"]
    assert printed(wildlife["CL1"]["percent"]["yes"]) == "56.3"
    assert printed(wildlife["CL2"]["percent"]["yes"]) == "29.4"
    # "45% of the respondents have worked in the current border station for less than 3 years"
    years = questions["years_band"]["percent"]
    assert printed(years["lt1"] + years["y1_3"]) == "45.5"
