"""A training plan made from a survey round stored in the app: in the page (only from a round
whose results the maker reads) and with the command's --round; its BLOs named by the registry."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from liaison.audit.models import AuditEntry
from liaison.registry.models import Country, User
from liaison.surveys.demo import BASELINE_TITLE, SITES, load_demo_surveys
from liaison.surveys.models import SurveyRound
from liaison.training.demo import GRID_FIXTURE
from liaison.training.models import TrainingPlan
from liaison.training.planning import CSV_COLUMNS
from liaison.training.selectors import respondents_from_round
from liaison.training.services import do_create_training_plan_from_round
from liaison.training.tests.builders import signed_in


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


# --- the page: a plan from a stored round ---------------------------------------------------------


@pytest.fixture
def demo_rounds(catalogue, settings, tmp_path) -> SurveyRound:
    """The demo registry and its surveys; the PATROL baseline round (33 respondents)."""
    from liaison.registry.demo import load_demo_registry

    settings.MEDIA_ROOT = tmp_path
    load_demo_registry()
    load_demo_surveys()
    return SurveyRound.objects.get(title=BASELINE_TITLE)


def plan_form(**fields: object) -> dict[str, object]:
    return {
        "title": "Plan from the baseline",
        "starts_on": "2026-01-01",
        "ranking": "need",
    } | fields


def test_trainer_makes_a_plan_from_the_baseline_round_in_the_page(demo_rounds) -> None:
    # given programme staff (the trainer) on the plan form
    trainer = User.objects.get(username="programme")
    client = signed_in(trainer)
    form = client.get("/training/plans/new/").content.decode()
    assert BASELINE_TITLE in form
    # when she chooses the stored baseline round and nothing else
    response = client.post(
        "/training/plans/new/", plan_form(survey_round=demo_rounds.pk), follow=True
    )
    # then the plan ranks the round's 33 respondents like Table 2, for the round's country
    plan = TrainingPlan.objects.get()
    assert response.redirect_chain[-1][0] == plan.get_absolute_url()
    assert plan.survey_round_id == demo_rounds.pk
    assert plan.respondents == 33
    assert plan.source == BASELINE_TITLE
    assert plan.country == demo_rounds.country
    first = plan.items.get(rank=1)
    assert first.topic == "investigation"
    assert float(first.need_share) == pytest.approx(93.94, abs=0.005)
    # and the respondents' BLOs are the registry's, not the questionnaire's choices
    assert set(plan.analysis["by_blo"]) <= set(SITES)
    assert sum(g["respondents"] for g in plan.analysis["by_blo"].values()) == 33
    assert "VN-MOCBAI" in plan.analysis["by_blo"]
    page = client.get(plan.get_absolute_url(), {"by": "blo"}).content.decode()
    assert "Moc Bai" in page and "moc_bai" not in page
    # and the creation is audited with the trainer's name
    entry = AuditEntry.objects.filter(object_id=str(plan.pk), summary__contains="Training plan")
    assert entry.get().actor_username == "programme"


def test_coordinator_of_another_country_cannot_plan_from_the_round(demo_rounds) -> None:
    # given Cambodia's coordinator, who makes plans for Cambodia but reads no Vietnamese round
    vanna = User.objects.get(username="vanna.nacd")
    client = signed_in(vanna)
    form = client.get("/training/plans/new/").content.decode()
    assert BASELINE_TITLE not in form
    # when she posts the baseline round's id anyway, and an id that names no round
    for round_id in (demo_rounds.pk, 999_999):
        response = client.post(
            "/training/plans/new/",
            plan_form(
                title="Cambodia 2026",
                survey_round=round_id,
                country=Country.objects.get(code="KH").pk,
            ),
        )
        # then the form refuses it, names nothing of the round, and no plan is made
        assert response.status_code == 200
        assert response.context["form"].errors["survey_round"]
        page = response.content.decode()
        assert "Select a valid choice" in page
        assert BASELINE_TITLE not in page and "baseline" not in page.casefold()
    assert not TrainingPlan.objects.exists()


def test_service_refuses_a_round_the_actor_may_not_read(demo_rounds) -> None:
    vanna = User.objects.get(username="vanna.nacd")
    with pytest.raises(PermissionDenied):
        do_create_training_plan_from_round(
            demo_rounds,
            title="x",
            country=Country.objects.get(code="KH"),
            source="x",
            starts_on=datetime.date(2026, 1, 1),
            actor=vanna,
        )
    assert not TrainingPlan.objects.exists()


def test_plan_needs_a_round_or_a_csv_not_both(demo_rounds) -> None:
    client = signed_in(User.objects.get(username="programme"))
    csv_file = SimpleUploadedFile("r.csv", GRID_FIXTURE.read_bytes(), content_type="text/csv")
    both = client.post(
        "/training/plans/new/", plan_form(survey_round=demo_rounds.pk, file=csv_file)
    )
    neither = client.post("/training/plans/new/", plan_form(source="x"))
    for response in (both, neither):
        assert "Choose a stored survey round or upload a CSV" in response.content.decode()
    assert not TrainingPlan.objects.exists()


def comparable(plan: TrainingPlan) -> tuple[object, ...]:
    items = [
        (i.rank, i.topic, i.answered, i.need_share, i.required_share, i.advanced_share,
         sorted(m.code for m in i.modules.all()))
        for i in plan.items.order_by("rank")
    ]  # fmt: skip
    return plan.respondents, plan.analysis, items


def test_plan_from_the_round_equals_the_plan_from_the_same_answers_as_csv(demo_rounds) -> None:
    # given the baseline round's answers written out as the planner's CSV
    respondents = respondents_from_round(demo_rounds)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for respondent in respondents:
        writer.writerow({key: respondent[key] or "" for key in CSV_COLUMNS})
    client = signed_in(User.objects.get(username="programme"))
    # when one plan is made from the round and one from the CSV, in the page
    client.post("/training/plans/new/", plan_form(title="round", survey_round=demo_rounds.pk))
    upload = SimpleUploadedFile("r.csv", text.getvalue().encode(), content_type="text/csv")
    client.post(
        "/training/plans/new/",
        plan_form(title="csv", source="x", country=demo_rounds.country_id, file=upload),
    )
    # then they are the same plan
    from_round = TrainingPlan.objects.get(title="round")
    from_csv = TrainingPlan.objects.get(title="csv")
    assert comparable(from_round) == comparable(from_csv)
    assert "VN-MOCBAI" in from_csv.analysis["by_blo"]


def test_command_names_the_rounds_blos_through_the_registry(demo_rounds) -> None:
    call_command(
        "training", "plan", "--round", str(demo_rounds.pk), "--title", "cli", stdout=io.StringIO()
    )
    plan = TrainingPlan.objects.get(title="cli")
    assert plan.source == BASELINE_TITLE
    assert plan.country == demo_rounds.country
    assert set(plan.analysis["by_blo"]) <= set(SITES)
    assert "VN-MOCBAI" in plan.analysis["by_blo"]
