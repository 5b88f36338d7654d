"""Questionnaires, rounds, submissions and imports as the services write them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.audit.models import AuditEntry
from liaison.surveys.expressions import FieldErrorCode
from liaison.surveys.imports import ExportRejected, read_export
from liaison.surveys.models import (
    ImportBatch,
    Questionnaire,
    RoundStatus,
    Submission,
    SubmissionSource,
    SubmissionStatus,
    SurveyRound,
)
from liaison.surveys.selectors import round_answers, round_frame, round_progress
from liaison.surveys.services import (
    RoundData,
    SubmissionRejected,
    do_import_export,
    do_save_submission,
    do_update_round,
)
from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.builders import SMALL_SURVEY, kobo_export
from liaison.surveys.tests.rounds import (
    PATROL_ANSWERS,
    import_kobo,
    make_round,
    patrol_round,
    upload_patrol,
    upload_small,
)
from liaison.surveys.xlsform import FormError

pytestmark = pytest.mark.django_db


# --- questionnaires ---------------------------------------------------------------------------


def test_programme_staff_upload_a_questionnaire_kept_with_its_identity(world):
    questionnaire = upload_patrol(world.ainsley)
    assert questionnaire.form_id == "patrol_tna_vn"
    assert questionnaire.version == "2010-08"
    assert questionnaire.languages == ["en", "vi"]
    assert questionnaire.file.read().startswith(b"PK")
    assert questionnaire.form().question("years_border").constraint
    assert AuditEntry.objects.filter(object_type="surveys.Questionnaire").count() == 1


def test_a_bad_form_names_sheet_row_and_column_and_saves_nothing(world):
    survey = [dict(row) for row in SMALL_SURVEY]
    survey[2] = {**survey[2], "constraint": ". >= 0 and and . <= 45"}
    with pytest.raises(FormError) as raised:
        upload_small(world.ainsley, survey=survey)
    error = raised.value
    assert (error.sheet, error.row, error.column) == ("survey", 4, "constraint")
    assert "sheet “survey”, row 4, column “constraint”" in str(error)
    assert not Questionnaire.objects.exists()
    assert not AuditEntry.objects.filter(object_type="surveys.Questionnaire").exists()


def test_a_form_without_its_choices_sheet_is_refused(world):
    with pytest.raises(FormError) as raised:
        upload_small(world.ainsley, choices=None)
    assert raised.value.sheet == "survey" or "choices" in str(raised.value)
    assert not Questionnaire.objects.exists()


def test_the_same_file_is_not_uploaded_twice(world):
    upload_patrol(world.ainsley)
    with pytest.raises(ValidationError, match="already uploaded"):
        upload_patrol(world.root)
    assert Questionnaire.objects.count() == 1


@pytest.mark.parametrize("persona", ["lan", "tuan", "huong"])
def test_only_programme_staff_and_administrators_upload(world, persona):
    with pytest.raises(PermissionDenied):
        upload_patrol(getattr(world, persona))
    assert not Questionnaire.objects.exists()


# --- rounds and the sample plan ------------------------------------------------------------------


def test_a_round_maps_its_blos_and_plan_to_the_engines_sample_plan(world):
    survey_round = patrol_round(
        world,
        min_share=Decimal("8"),
        max_share=Decimal("25"),
        min_respondents=42,
        min_per_agency={"customs": 6, "border_army": 6},
    )
    plan = survey_round.sample_plan(survey_round.form())
    assert set(plan.sites) == {"moc_bai", "dien_bien"}
    assert (plan.min_share, plan.max_share, plan.min_respondents) == (8.0, 25.0, 42)
    assert plan.min_per_agency == {"customs": 6, "border_army": 6}


def test_a_round_refuses_blos_abroad_and_unknown_plan_questions(world):
    questionnaire = upload_patrol(world.ainsley)
    with pytest.raises(ValidationError) as raised:
        make_round(
            questionnaire,
            world.ainsley,
            [world.moc_bai, world.bavet],
            agency_question="service",
            min_per_agency={"navy": 2},
        )
    errors = raised.value.message_dict
    assert "Bavet" in errors["sites"][0]
    assert "service" in errors["agency_question"][0]
    assert not SurveyRound.objects.exists()


def test_a_round_is_changed_and_the_change_audited(world):
    survey_round = patrol_round(world)
    data = RoundData(
        title="Viet Nam 2026 (south)",
        country=world.vn,
        starts_on=datetime.date(2026, 3, 1),
        ends_on=None,
        status=RoundStatus.CLOSED,
        sites=[world.moc_bai],
    )
    do_update_round(survey_round, data, actor=world.ainsley)
    survey_round.refresh_from_db()
    assert survey_round.title == "Viet Nam 2026 (south)"
    assert list(survey_round.sites.all()) == [world.moc_bai]
    entry = AuditEntry.objects.filter(action="change", object_type="surveys.SurveyRound").get()
    assert entry.changes["status"] == ["open", "closed"]
    with pytest.raises(PermissionDenied):
        do_update_round(survey_round, data, actor=world.huong)


# --- submissions filled in the app ----------------------------------------------------------------


def test_an_officer_saves_a_draft_then_submits_it(world):
    survey_round = patrol_round(world)
    # given a draft with half the answers
    saved = do_save_submission(
        survey_round, {"agency": "customs"}, submit=False, language="vi", actor=world.lan
    )
    draft = saved.submission
    assert draft.status == SubmissionStatus.DRAFT
    assert draft.answers["agency"] == "customs"
    assert saved.warnings == []
    # when she completes and submits it
    done = do_save_submission(
        survey_round, PATROL_ANSWERS, submit=True, language="vi", actor=world.lan
    ).submission
    # then it is the same submission, submitted, with the calculations the form defines
    assert done.pk == draft.pk
    assert done.status == SubmissionStatus.SUBMITTED
    assert done.submitted_at is not None
    assert done.source == SubmissionSource.WEB
    assert done.answers["years_band"] == "y3_7"
    assert done.answers["cluster"] == "CL2"
    assert done.language == "vi"
    assert Submission.objects.count() == 1
    # and it cannot be changed any more
    with pytest.raises(PermissionDenied):
        do_save_submission(
            survey_round, PATROL_ANSWERS, submit=True, language="vi", actor=world.lan
        )


def test_the_server_rejects_a_constraint_violation_whatever_the_browser_did(world):
    survey_round = patrol_round(world)
    with pytest.raises(SubmissionRejected) as raised:
        do_save_submission(
            survey_round,
            {**PATROL_ANSWERS, "years_border": "60"},
            submit=True,
            language="vi",
            actor=world.lan,
        )
    (error,) = raised.value.errors
    assert (error.name, error.code) == ("years_border", FieldErrorCode.CONSTRAINT)
    assert error.message == "Nhập số năm từ 0 đến 45."  # the form's own message, in Vietnamese
    assert not Submission.objects.exists()


def test_the_server_rejects_a_missing_required_answer(world):
    survey_round = patrol_round(world)
    answers = {key: value for key, value in PATROL_ANSWERS.items() if key != "integrity"}
    with pytest.raises(SubmissionRejected) as raised:
        do_save_submission(survey_round, answers, submit=True, language="en", actor=world.lan)
    assert [(e.name, e.code) for e in raised.value.errors] == [
        ("integrity", FieldErrorCode.REQUIRED)
    ]
    assert not Submission.objects.exists()


def test_a_draft_keeps_a_bad_value_and_says_what_is_wrong(world):
    survey_round = patrol_round(world)
    saved = do_save_submission(
        survey_round, {"years_border": "60"}, submit=False, language="en", actor=world.lan
    )
    assert saved.submission.answers == {"years_border": "60", "years_band": "gt7"}
    assert [(w.name, w.code) for w in saved.warnings] == [
        ("years_border", FieldErrorCode.CONSTRAINT)
    ]


def test_answers_in_a_branch_that_does_not_apply_are_dropped(world):
    survey_round = patrol_round(world)
    answers = {
        **PATROL_ANSWERS,
        "heard_cites": "no",
        "cites_what": "convention",
        "agency_other": "x",
    }
    done = do_save_submission(
        survey_round, answers, submit=True, language="en", actor=world.lan
    ).submission
    assert "cites_what" not in done.answers
    assert "agency_other" not in done.answers


@pytest.mark.parametrize("persona", ["dara", "huong", "ainsley", "hung"])
def test_only_officers_of_the_rounds_blos_answer(world, persona):
    survey_round = make_round(upload_patrol(world.ainsley), world.ainsley, [world.moc_bai])
    with pytest.raises(PermissionDenied):
        do_save_submission(
            survey_round, PATROL_ANSWERS, submit=False, language="vi", actor=getattr(world, persona)
        )


def test_a_closed_round_takes_no_more_answers(world):
    survey_round = patrol_round(world, status=RoundStatus.CLOSED)
    with pytest.raises(PermissionDenied):
        do_save_submission(
            survey_round, PATROL_ANSWERS, submit=False, language="vi", actor=world.lan
        )


# --- imports ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "source"),
    [
        (patrol_fixture.KOBO_PATH, SubmissionSource.KOBO),
        (patrol_fixture.ODK_PATH, SubmissionSource.ODK),
    ],
)
def test_an_export_round_trips_through_the_round(world, patrol_form, path, source):
    survey_round = patrol_round(world)
    batch = do_import_export(
        survey_round, path.read_bytes(), file_name=path.name, actor=world.ainsley
    )
    assert (batch.rows_added, batch.rows_skipped) == (33, 0)
    assert Submission.objects.filter(round=survey_round, source=source).count() == 33
    # the stored round is the same data as the file
    table = read_export(path, patrol_form)
    stored = round_frame(survey_round).sort_index(axis=1)
    expected = table.answers.astype(object)
    for column in expected.columns:
        assert list(stored[column]) == list(expected[column]), column


def test_reimporting_the_same_file_adds_nothing_twice(world):
    survey_round = patrol_round(world)
    import_kobo(survey_round, world.ainsley)
    again = import_kobo(survey_round, world.ainsley)
    assert (again.rows_added, again.rows_skipped) == (0, 33)
    # the ODK Central export of the same submissions carries the same instance IDs
    odk = do_import_export(
        survey_round,
        patrol_fixture.ODK_PATH.read_bytes(),
        file_name="odk.csv",
        actor=world.ainsley,
    )
    assert (odk.rows_added, odk.rows_skipped) == (0, 33)
    assert Submission.objects.filter(round=survey_round).count() == 33
    assert ImportBatch.objects.filter(round=survey_round).count() == 3


def test_a_file_with_bad_rows_is_rejected_whole_and_nothing_saved(world):
    survey_round = patrol_round(world)
    columns = ["profile/agency", "profile/blo", "profile/years_border", "operations/integrity"]
    rows = [
        {
            "profile/agency": "customs",
            "profile/blo": "moc_bai",
            "profile/years_border": "3",
            "operations/integrity": "refuse",
        },
        {
            "profile/agency": "navy",
            "profile/blo": "moc_bai",
            "profile/years_border": "60",
            "operations/integrity": "refuse",
        },
    ]
    with pytest.raises(ExportRejected) as raised:
        do_import_export(
            survey_round,
            kobo_export(rows, columns).encode(),
            file_name="bad.csv",
            actor=world.ainsley,
        )
    problems = {(p.row, p.column) for p in raised.value.problems}
    assert (3, "profile/agency") in problems
    assert not Submission.objects.exists()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("persona", ["lan", "tuan", "huong"])
def test_only_programme_staff_import(world, persona):
    survey_round = patrol_round(world)
    with pytest.raises(PermissionDenied):
        import_kobo(survey_round, getattr(world, persona))
    assert not Submission.objects.exists()


# --- reads for other modules ------------------------------------------------------------------------


def test_round_answers_give_the_training_planner_its_rows(world):
    from liaison.training.planning import analyse_training_needs, respondents_from_rows

    survey_round = patrol_round(world)
    import_kobo(survey_round, world.ainsley)
    do_save_submission(survey_round, PATROL_ANSWERS, submit=True, language="vi", actor=world.lan)
    # a draft is not data yet
    do_save_submission(
        survey_round, {"agency": "customs"}, submit=False, language="vi", actor=world.minh
    )
    rows = round_answers(survey_round)
    assert len(rows) == 34
    lan = next(
        row
        for row in rows
        if row["years_border"] == "4"
        and row["agency"] == "customs"
        and row["integrity"] == "refuse"
        and row["tr_investigation"] == ""
    )
    assert (lan["blo"], lan["agency"], lan["cluster"]) == ("moc_bai", "customs", "CL2")
    analysis = analyse_training_needs(respondents_from_rows(rows))
    assert analysis["respondents"] == 34
    assert {k: v["respondents"] for k, v in analysis["by_cluster"].items()} == {
        "CL1": 16,
        "CL2": 18,
    }


def test_progress_counts_blos_and_computes_the_limitations_of_the_sample(world):
    survey_round = patrol_round(
        world,
        min_share=Decimal("30"),
        max_share=Decimal("40"),
        min_respondents=42,
        min_per_agency={"customs": 6},
    )
    import_kobo(survey_round, world.ainsley)
    progress = round_progress(survey_round, language="en")
    assert progress.submitted == 33
    sites = {site.blo.code: site for site in progress.sites}
    assert sites["VN-MOCBAI"].submitted == 9
    assert sites["VN-DIENBIEN"].submitted == 10
    assert progress.elsewhere == 14
    assert (sites["VN-MOCBAI"].state, sites["VN-DIENBIEN"].state) == ("under", "ok")
    kinds = [shortfall.kind for shortfall in progress.shortfalls]
    assert "size" in kinds and "agency_under" in kinds and "site_under" in kinds
    messages = " ".join(shortfall.message for shortfall in progress.shortfalls)
    assert "fewer than the 42 planned" in messages
    assert "Customs: 5 respondents, fewer than the 6 planned." in messages
