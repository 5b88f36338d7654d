"""The training plan from an assessment round ranks the grid's topics like the report's Table 2
and proposes the modules of the catalogue that answer them."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from liaison.registry.models import User
from liaison.training.demo import GRID_FIXTURE
from liaison.training.models import GridTopic, PlanItem, PlanRanking, TrainingPlan
from liaison.training.planning import (
    PATROL_TNA_COLUMNS,
    PlanInputError,
    analyse_training_needs,
    read_respondents_csv,
    respondents_from_rows,
)
from liaison.training.services import do_create_training_plan
from liaison.training.tests.builders import complete, signed_in

# Report Table 2 (question 5.9), as printed: not needed for my position / not needed, already
# trained / received training but require more advanced training / require training.
TABLE_2 = {
    "investigation": (6.1, 0.0, 24.2, 69.7, 33),
    "checkpoint_anti_smuggling": (30.3, 6.1, 18.2, 45.5, 33),
    "intelligence": (12.1, 0.0, 18.2, 69.7, 33),
    "border_patrolling": (35.5, 9.7, 12.9, 41.9, 31),
    "toc_awareness": (3.1, 9.4, 25.0, 62.5, 32),
    "computer": (6.3, 3.1, 34.4, 56.3, 32),
}
ANSWERS = ("not_needed", "already_trained", "advanced", "required")
BLOS = (
    ["VN-DIENBIEN"] * 9
    + ["VN-MOCCHAU"] * 4
    + ["VN-CAUTREO"] * 3
    + ["VN-MOCBAI"] * 10
    + ["VN-SONGTIEN"] * 4
    + ["VN-LONGBINH"] * 3
)
AGENCIES = (
    ["VN-POLICE"] * 13
    + ["VN-ANTI-NARCOTICS"] * 8
    + ["VN-BORDER-ARMY"] * 5
    + ["VN-CUSTOMS"] * 5
    + ["VN-COMMUNITY-POLICE", "VN-PEOPLES-COMMITTEE"]
)


def as_printed(percent: float) -> float:
    """Rounded as the report prints: one decimal, halves up (6.25 → 6.3)."""
    return float(Decimal(repr(percent)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def table2_round() -> list[dict[str, str]]:
    """33 respondents consistent with the report: its BLOs, clusters, agencies and Table 2."""
    respondents = [
        {"blo": blo, "agency": AGENCIES[(i * 7) % 33], "cluster": "VN-CL1" if i < 16 else "VN-CL2"}
        for i, blo in enumerate(BLOS)
    ]
    for topic, (*shares, n) in TABLE_2.items():
        answers: list[str] = []
        for answer, share in zip(ANSWERS, shares, strict=True):
            answers += [answer] * round(share * n / 100)
        assert len(answers) == n, topic
        answers += [""] * (33 - n)  # the rows of 31 and 32: the others did not answer
        for i, respondent in enumerate(respondents):
            respondent[topic] = answers[(i * 5 + len(topic)) % 33]
    return respondents


def test_analysis_reproduces_table_2_to_the_printed_decimal():
    analysis = analyse_training_needs(table2_round())
    assert analysis["respondents"] == 33
    by_topic = {t["topic"]: t for t in analysis["overall"]}
    for topic, (*shares, n) in TABLE_2.items():
        result = by_topic[topic]
        assert result["answered"] == n
        printed = [as_printed(result["percent"][answer]) for answer in ANSWERS]
        assert printed == shares, topic


def test_topics_rank_by_the_share_needing_training():
    analysis = analyse_training_needs(table2_round())
    ranking = [t["topic"] for t in analysis["overall"]]
    # need = "require training" + "require more advanced training", as in Table 2:
    # investigation 93.9, computer 90.6, intelligence 87.9, awareness 87.5, checkpoint 63.6,
    # patrolling 54.8
    assert ranking == [
        "investigation",
        "computer",
        "intelligence",
        "toc_awareness",
        "checkpoint_anti_smuggling",
        "border_patrolling",
    ]
    assert [t["rank"] for t in analysis["overall"]] == [1, 2, 3, 4, 5, 6]
    assert round(analysis["overall"][0]["need"], 1) == 93.9


def test_ranking_by_require_training_alone_breaks_ties_by_the_advanced_share():
    analysis = analyse_training_needs(table2_round(), PlanRanking.REQUIRED)
    # investigation and intelligence both have 69.7% "require training"; investigation has more
    # "advanced" answers (24.2% against 18.2%)
    assert [t["topic"] for t in analysis["overall"]] == [
        "investigation",
        "intelligence",
        "toc_awareness",
        "computer",
        "checkpoint_anti_smuggling",
        "border_patrolling",
    ]


def test_needs_are_broken_down_per_cluster_agency_and_blo():
    analysis = analyse_training_needs(table2_round())
    assert set(analysis["by_cluster"]) == {"VN-CL1", "VN-CL2"}
    assert analysis["by_cluster"]["VN-CL1"]["respondents"] == 16
    assert analysis["by_cluster"]["VN-CL2"]["respondents"] == 17
    assert analysis["by_agency"]["VN-POLICE"]["respondents"] == 13
    assert analysis["by_blo"]["VN-MOCBAI"]["respondents"] == 10
    assert sum(g["respondents"] for g in analysis["by_blo"].values()) == 33
    # every group ranks all six topics
    assert all(len(g["topics"]) == 6 for g in analysis["by_blo"].values())


def test_shipped_fixture_round_is_the_report_round():
    respondents = read_respondents_csv(GRID_FIXTURE.read_text(encoding="utf-8"))
    shipped = analyse_training_needs(respondents)
    built = analyse_training_needs(table2_round())
    assert [(t["topic"], t["counts"]) for t in shipped["overall"]] == [
        (t["topic"], t["counts"]) for t in built["overall"]
    ]
    assert {k: v["respondents"] for k, v in shipped["by_cluster"].items()} == {
        "VN-CL1": 16,
        "VN-CL2": 17,
    }


def test_answers_may_come_with_the_reports_labels_and_from_survey_column_names():
    rows: list[dict[str, Any]] = [
        {
            "q_blo": "VN-MOCBAI",
            "q_agency": "VN-CUSTOMS",
            "cl": "VN-CL2",
            "q5_9_inv": "Require training",
        },
        {"q_blo": "VN-MOCBAI", "q_agency": "VN-POLICE", "cl": "VN-CL2", "q5_9_inv": float("nan")},
    ]
    columns = {"blo": "q_blo", "agency": "q_agency", "cluster": "cl", "investigation": "q5_9_inv"}
    analysis = analyse_training_needs(respondents_from_rows(rows, columns))
    investigation = next(t for t in analysis["overall"] if t["topic"] == "investigation")
    assert investigation["answered"] == 1 and investigation["required"] == 100.0


def test_unknown_answers_are_reported_with_row_and_column():
    text = (
        "blo,agency,cluster,"
        + ",".join(t.value for t in GridTopic)
        + "\nVN-MOCBAI,VN-POLICE,VN-CL2,maybe,,,,,\n"
    )
    with pytest.raises(PlanInputError) as caught:
        read_respondents_csv(text)
    assert str(caught.value.problems[0]) == "row 2, investigation: maybe is not a grid answer"
    with pytest.raises(PlanInputError, match="column missing"):
        read_respondents_csv("blo,agency\nx,y\n")


def test_plan_lists_matching_modules_and_tracks_completions(catalogue, cau_treo, world):
    # given the plan of the 2010 round for Viet Nam
    plan = do_create_training_plan(
        title="Plan 2010",
        country=world.vn,
        source="PATROL TNA 2010",
        respondents=table2_round(),
        starts_on=datetime.date(2020, 1, 1),
        actor=world.ainsley,
    )
    items = {i.topic: i for i in PlanItem.objects.filter(plan=plan).prefetch_related("modules")}
    assert items["investigation"].rank == 1
    assert float(items["investigation"].need_share) == pytest.approx(93.94, abs=0.01)
    # then each topic lists the catalogue modules that answer it, self-paced ones first
    awareness = [m.code for m in items["toc_awareness"].modules.all()]
    assert {"precursor-identification", "ods-hazardous-waste", "cites-basics"} <= set(awareness)
    assert [m.code for m in items["intelligence"].modules.all()] == [
        "intelligence-collection-analysis"
    ]
    assert "border-patrolling" in [m.code for m in items["border_patrolling"].modules.all()]
    # and the plan is tracked against completions at Cau Treo (3 respondents there)
    from liaison.training.selectors import plan_progress

    complete(cau_treo.mai, catalogue["cites-basics"])
    row = plan_progress(plan, [cau_treo.blo])[0]
    awareness_progress = next(t for t in row.topics if t.topic == GridTopic.AWARENESS)
    assert awareness_progress.staff == 3  # Mai, Thảo and the head
    assert awareness_progress.trained == 1
    assert awareness_progress.target >= 1


def test_plan_needs_programme_staff_or_the_countrys_coordinator(catalogue, world):
    round_2010 = table2_round()

    def plan_by(actor: User) -> TrainingPlan:
        return do_create_training_plan(
            title="x",
            source="y",
            respondents=round_2010,
            starts_on=datetime.date(2026, 1, 1),
            country=world.vn,
            actor=actor,
        )

    with pytest.raises(PermissionDenied):
        plan_by(world.tuan)
    with pytest.raises(PermissionDenied):
        plan_by(world.vanna)
    assert plan_by(world.huong).respondents == 33
    assert TrainingPlan.objects.count() == 1


def test_plan_command_prints_the_ranking(catalogue, tmp_path):
    out = StringIO()
    call_command(
        "training", "plan", str(GRID_FIXTURE), "--title", "2010", "--source", "PATROL", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("1. investigation\t93.94%")
    assert lines[-1].startswith("6. border_patrolling\t54.84%")


@pytest.fixture(scope="module")
def survey_round() -> list[dict[str, Any]]:
    """The survey module's own PATROL round: its questionnaire and its KoboToolbox export."""
    from liaison.surveys.imports import read_export
    from liaison.surveys.tests.patrol_fixture import FORM_PATH, KOBO_PATH
    from liaison.surveys.xlsform import load_form

    table = read_export(KOBO_PATH, load_form(FORM_PATH))
    return respondents_from_rows(table.answers.to_dict("records"), PATROL_TNA_COLUMNS)


def test_the_survey_modules_round_ranks_like_table_2(survey_round):
    analysis = analyse_training_needs(survey_round)
    assert analysis["respondents"] == 33
    by_topic = {t["topic"]: t for t in analysis["overall"]}
    for topic, (*shares, n) in TABLE_2.items():
        assert by_topic[topic]["answered"] == n, topic
        assert [as_printed(by_topic[topic]["percent"][a]) for a in ANSWERS] == shares, topic
    assert [t["topic"] for t in analysis["overall"]] == [
        "investigation",
        "computer",
        "intelligence",
        "toc_awareness",
        "checkpoint_anti_smuggling",
        "border_patrolling",
    ]
    assert {k: v["respondents"] for k, v in analysis["by_cluster"].items()} == {
        "CL1": 16,
        "CL2": 17,
    }


def test_plan_from_the_survey_round_names_blos_and_lists_modules(catalogue, survey_round, world):
    plan = do_create_training_plan(
        title="From the stored round",
        country=world.vn,
        source="PATROL TNA Viet Nam 2010 (survey module)",
        respondents=survey_round,
        starts_on=datetime.date(2026, 1, 1),
        actor=world.huong,
    )
    first = plan.items.get(rank=1)
    assert first.topic == "investigation"
    assert "transnational-crime-investigation" in [m.code for m in first.modules.all()]
    # the survey's BLO choices (moc_bai…) meet the registry's BLOs
    from liaison.training.selectors import plan_progress

    (row,) = plan_progress(plan, [world.moc_bai])
    moc_bai = {t["topic"]: t["need"] for t in plan.analysis["by_blo"]["moc_bai"]["topics"]}
    assert {t.topic.value: t.need_percent for t in row.topics} == moc_bai
    page = signed_in(world.huong).get(plan.get_absolute_url(), {"by": "blo"}).content.decode()
    assert "Moc Bai" in page and "moc_bai" not in page
