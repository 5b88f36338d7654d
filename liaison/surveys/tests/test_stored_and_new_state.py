"""Survey writes authorise the stored round and the new one: a round's country, sites and status
decide who reads it and who answers it, so a change is asked of the permission layer as the round
is and as it would be, and an answer is checked against the stored round. And every page answers
bad input with a 4xx."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from liaison.registry.models import BLO, User
from liaison.registry.permissions import Action
from liaison.surveys.access import SurveyRoundPolicy
from liaison.surveys.models import ImportBatch, RoundStatus, Submission, SurveyRound
from liaison.surveys.services import (
    RoundData,
    do_create_round,
    do_import_export,
    do_save_submission,
    do_update_round,
)
from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.rounds import patrol_round, signed_in, upload_patrol

pytestmark = pytest.mark.django_db


def data_for(country_blos: list[BLO], **changes: Any) -> RoundData:
    values: dict[str, Any] = {
        "title": "Assessment 2026",
        "country": country_blos[0].country,
        "starts_on": datetime.date(2026, 3, 1),
        "ends_on": datetime.date(2026, 5, 31),
        "status": RoundStatus.OPEN,
        "sites": country_blos,
        "min_share": Decimal(0),
        "max_share": Decimal(100),
    }
    values.update(changes)
    return RoundData(**values)


@pytest.fixture
def rounds_kept_by_country(monkeypatch):
    """A country-scoped rule for changing rounds — a coordinator keeps her country's rounds —
    so that the stored and the new state of a round can differ in who may change it. (Today's
    rule gives rounds to programme staff, network-wide, for whom both states are alike.)"""
    standard = SurveyRoundPolicy.allows

    def allows(self: SurveyRoundPolicy, user: User, action: Action, obj: SurveyRound) -> bool:
        if action in {Action.CREATE, Action.CHANGE} and user.country_id is not None:
            return obj.country_id == user.country_id
        return standard(self, user, action, obj)

    monkeypatch.setattr(SurveyRoundPolicy, "allows", allows)


def test_coordinator_may_not_move_her_countrys_round_to_another_country(
    world, rounds_kept_by_country
):
    # given a Vietnamese round Hương may change
    survey_round = patrol_round(world)
    # when she moves it to Cambodia, over Bavet
    with pytest.raises(PermissionDenied):
        do_update_round(survey_round, data_for([world.bavet]), actor=world.huong)
    # then it stays Vietnamese, over its own sites
    stored = SurveyRound.objects.get(pk=survey_round.pk)
    assert stored.country_id == world.vn.pk
    assert set(stored.sites.values_list("code", flat=True)) == {"VN-MOCBAI", "VN-DIENBIEN"}


def test_coordinator_may_not_take_another_countrys_round(world, rounds_kept_by_country):
    # given a Cambodian round, which Hương may not change
    questionnaire = upload_patrol(world.ainsley)
    survey_round = do_create_round(questionnaire, data_for([world.bavet]), actor=world.ainsley)
    # when she hands the service that round with Viet Nam as its country in memory
    survey_round.country = world.vn
    with pytest.raises(PermissionDenied):
        do_update_round(survey_round, data_for([world.moc_bai]), actor=world.huong)
    stored = SurveyRound.objects.get(pk=survey_round.pk)
    assert stored.country_id == world.kh.pk
    assert list(stored.sites.values_list("code", flat=True)) == ["KH-BAVET"]


def test_coordinator_changes_her_countrys_round_within_it(world, rounds_kept_by_country):
    survey_round = patrol_round(world)
    do_update_round(survey_round, data_for([world.moc_bai], title="South"), actor=world.huong)
    assert SurveyRound.objects.get(pk=survey_round.pk).title == "South"


def test_a_round_the_actor_may_not_create_leaves_nothing(world, rounds_kept_by_country):
    questionnaire = upload_patrol(world.ainsley)
    with pytest.raises(PermissionDenied):
        do_create_round(questionnaire, data_for([world.bavet]), actor=world.huong)
    assert not SurveyRound.objects.exists()


def test_coordinator_may_not_change_a_round_under_todays_rule(world):
    survey_round = patrol_round(world)
    with pytest.raises(PermissionDenied):
        do_update_round(survey_round, data_for([world.moc_bai], title="x"), actor=world.huong)
    assert SurveyRound.objects.get(pk=survey_round.pk).title != "x"


def test_an_answer_is_checked_against_the_stored_round(world):
    # given a closed round over Moc Bai
    survey_round = patrol_round(world, status=RoundStatus.CLOSED)
    # when Lan submits through the round re-opened in memory
    survey_round.status = RoundStatus.OPEN
    with pytest.raises(PermissionDenied):
        do_save_submission(survey_round, {"agency": "customs"}, submit=False, language="vi",
                           actor=world.lan)  # fmt: skip
    # then nothing is saved
    assert not Submission.objects.exists()


def test_an_import_is_checked_against_the_stored_round(world, rounds_kept_by_country):
    questionnaire = upload_patrol(world.ainsley)
    survey_round = do_create_round(questionnaire, data_for([world.bavet]), actor=world.ainsley)
    survey_round.country = world.vn

    def imports_by_country(self, user, action, obj):
        return action == Action.IMPORT and obj.country_id == user.country_id

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SurveyRoundPolicy, "allows", imports_by_country)
        with pytest.raises(PermissionDenied):
            do_import_export(
                survey_round,
                patrol_fixture.KOBO_PATH.read_bytes(),
                file_name="kobo.csv",
                actor=world.huong,
            )
    assert not ImportBatch.objects.exists()
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/surveys/rounds/abc/",
        "/surveys/rounds/999999/",
        "/surveys/rounds/999999/edit/",
        "/surveys/rounds/999999/fill/",
        "/surveys/rounds/999999/import/",
        "/surveys/rounds/999999/results/?by=%00&where=)))",
        "/surveys/rounds/999999/report.pdf",
        "/surveys/rounds/999999/report.exe",
        "/surveys/questionnaires/999999/",
        "/surveys/questionnaires/999999/file/",
        "/surveys/questionnaires/999999/new-round/",
        "/surveys/submissions/999999/",
        "/surveys/compare/?a=abc&b=999999",
        "/surveys/compare/?a=-1&b=99999999999999999999999&format=x&lang=%00",
    ],
)
def test_survey_pages_answer_bad_input_with_a_4xx(world, path):
    for user in (world.ainsley, world.huong, world.lan):
        response = signed_in(user).get(path)
        assert response.status_code in {200, 302, 400, 403, 404}, (user, response.status_code)
