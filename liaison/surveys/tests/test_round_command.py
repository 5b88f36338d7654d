"""``liaison survey analyze|compare --round ID``: the command on rounds stored in the app; and the
demo rounds."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from liaison.registry.demo import load_demo_registry
from liaison.surveys.demo import BASELINE_TITLE, FOLLOWUP_TITLE, load_demo_surveys
from liaison.surveys.models import Questionnaire, RoundStatus, Submission, SurveyRound
from liaison.surveys.services import do_save_submission
from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.builders import make_workbook
from liaison.surveys.tests.rounds import PATROL_ANSWERS, import_kobo, patrol_round

pytestmark = pytest.mark.django_db

FORM = str(patrol_fixture.FORM_PATH)


def run(*args: str) -> str:
    out = StringIO()
    call_command("survey", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_analyze_a_stored_round_gives_the_same_json_as_its_export(world):
    survey_round = patrol_round(world)
    import_kobo(survey_round, world.ainsley)
    stored = json.loads(run("analyze", FORM, "--round", str(survey_round.pk), "--json", "-"))
    exported = json.loads(run("analyze", FORM, str(patrol_fixture.KOBO_PATH), "--json", "-"))
    assert stored == exported
    assert stored["respondents"] == 33


def test_analyze_a_round_by_cluster_counts_its_web_submissions(world):
    survey_round = patrol_round(world)
    import_kobo(survey_round, world.ainsley)
    do_save_submission(survey_round, PATROL_ANSWERS, submit=True, language="vi", actor=world.lan)
    payload = json.loads(
        run("analyze", FORM, "--round", str(survey_round.pk), "--by", "cluster", "--json", "-")
    )
    assert payload["respondents"] == 34
    assert payload["questions"]["meet_crossborder"]["by"]["CL2"]["answered"] == 17
    assert payload["questions"]["agency"]["by"]["CL2"]["answered"] == 18


def test_compare_two_stored_rounds_or_a_file_and_a_round(world):
    survey_round = patrol_round(world)
    import_kobo(survey_round, world.ainsley)
    followup = SurveyRound.objects.create(
        questionnaire=survey_round.questionnaire,
        title="Follow-up",
        country=world.vn,
        starts_on=survey_round.starts_on,
        status=RoundStatus.OPEN,
    )
    followup.sites.set([world.moc_bai])
    do_save_submission(followup, PATROL_ANSWERS, submit=True, language="vi", actor=world.lan)
    rounds = json.loads(
        run(
            "compare",
            FORM,
            "--round",
            str(survey_round.pk),
            "--round",
            str(followup.pk),
            "--json",
            "-",
        )
    )
    mixed = json.loads(
        run(
            "compare",
            FORM,
            str(patrol_fixture.KOBO_PATH),
            "--round",
            str(followup.pk),
            "--json",
            "-",
        )
    )
    assert rounds == mixed
    refuse = rounds["questions"]["integrity"]["choices"]["refuse"]
    assert refuse["baseline"] == pytest.approx(100 * 9 / 33)
    assert refuse["followup"] == 100.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("analyze", FORM, "--round", "999"), "There is no survey round 999."),
        (("analyze", FORM), "Give 1 data source"),
        (("analyze", FORM, "data.csv", "--round", "1"), "Give 1 data source"),
        (("compare", FORM, "--round", "1"), "Give 2 data source"),
    ],
)
def test_round_arguments_that_do_not_fit_end_with_a_message(world, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_round_of_another_questionnaire_is_refused(world, tmp_path):
    survey_round = patrol_round(world)
    small = tmp_path / "small.xlsx"
    small.write_bytes(make_workbook())
    with pytest.raises(CommandError, match="answers the questionnaire patrol_tna_vn, not small"):
        run("analyze", str(small), "--round", str(survey_round.pk))


def test_the_demo_rounds_are_loaded_once():
    load_demo_registry()
    load_demo_surveys()
    load_demo_surveys()
    assert Questionnaire.objects.count() == 1
    baseline = SurveyRound.objects.get(title=BASELINE_TITLE)
    followup = SurveyRound.objects.get(title=FOLLOWUP_TITLE)
    assert Submission.objects.filter(round=baseline).count() == 33
    assert baseline.status == RoundStatus.CLOSED and followup.accepts_answers
    assert baseline.sites.count() == 7
    plan = baseline.sample_plan(baseline.form())
    assert set(plan.sites) == {
        "dien_bien",
        "moc_chau",
        "cau_treo",
        "lao_bao",
        "moc_bai",
        "song_tien",
        "long_binh",
    }
    assert plan.min_per_agency["customs"] == 6
