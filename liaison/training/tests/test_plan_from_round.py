"""A training plan made from a survey round stored in the app (the command's --round)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from liaison.surveys.demo import load_demo_surveys
from liaison.surveys.models import SurveyRound
from liaison.training.models import TrainingPlan


def test_plan_from_the_stored_baseline_round_ranks_like_table_2(
    catalogue, settings, tmp_path
) -> None:
    # given the demo network's PATROL baseline round (33 respondents) and the catalogue
    settings.MEDIA_ROOT = tmp_path
    from liaison.registry.demo import load_demo_registry

    load_demo_registry()
    load_demo_surveys()
    baseline = SurveyRound.objects.get(title__icontains="baseline")
    # when a plan is made from it
    out = io.StringIO()
    call_command(
        "training",
        "plan",
        "--round",
        str(baseline.pk),
        "--title",
        "Plan 2011",
        "--source",
        "baseline",
        stdout=out,
    )
    # then the topics rank as in the report's Table 2 (require + more advanced)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("1. ")
    plan = TrainingPlan.objects.get(title="Plan 2011")
    assert plan.survey_round_id == baseline.pk
    top = plan.items.order_by("rank").first()
    assert top is not None and float(top.need_share) == pytest.approx(93.9, abs=0.05)


def test_plan_needs_a_csv_or_a_round(db) -> None:
    with pytest.raises(CommandError, match="either"):
        call_command("training", "plan", "--title", "x", "--source", "y")
