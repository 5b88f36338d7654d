"""Who may open which survey page: every view's denials, and what each role is allowed.

The round covers Moc Bai only: Lan and Minh (officers there) fill it, Tuan (its head) reads its
results, Hương (Viet Nam's coordinator) reads the results of her country's rounds, Ainsley
(programme staff) runs it. Hùng and Bình (Dien Bien), Dara and Vanna (Cambodia) are outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from liaison.registry import permissions
from liaison.registry.models import User
from liaison.registry.permissions import Action
from liaison.surveys.access import rounds_with_results, visible_rounds
from liaison.surveys.models import ImportBatch, Questionnaire, Submission, SurveyRound
from liaison.surveys.services import do_save_submission
from liaison.surveys.tests.rounds import (
    PATROL_ANSWERS,
    import_kobo,
    make_round,
    signed_in,
    upload_patrol,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def moc_bai_round(world):
    return make_round(upload_patrol(world.ainsley), world.ainsley, [world.moc_bai])


@pytest.fixture
def lans_submission(world, moc_bai_round):
    return do_save_submission(
        moc_bai_round, PATROL_ANSWERS, submit=True, language="vi", actor=world.lan
    ).submission


def status(world: Any, persona: str, method: str, url: str) -> int:
    client = signed_in(getattr(world, persona))
    response = client.post(url) if method == "post" else client.get(url)
    return int(response.status_code)


# (persona, method, url template, expected status): 404 when the object is not theirs to see,
# 403 when they see it but may not do this.
DENIALS = [
    ("lan", "post", "/surveys/questionnaires/", 403),
    ("huong", "post", "/surveys/questionnaires/", 403),
    ("dara", "get", "/surveys/questionnaires/{questionnaire}/", 404),
    ("hung", "get", "/surveys/questionnaires/{questionnaire}/", 404),
    ("dara", "get", "/surveys/questionnaires/{questionnaire}/file/", 404),
    ("lan", "get", "/surveys/questionnaires/{questionnaire}/new-round/", 403),
    ("huong", "get", "/surveys/questionnaires/{questionnaire}/new-round/", 403),
    ("huong", "post", "/surveys/questionnaires/{questionnaire}/new-round/", 403),
    ("dara", "get", "/surveys/rounds/{round}/", 404),
    ("hung", "get", "/surveys/rounds/{round}/", 404),
    ("vanna", "get", "/surveys/rounds/{round}/", 404),
    ("lan", "get", "/surveys/rounds/{round}/edit/", 403),
    ("huong", "post", "/surveys/rounds/{round}/edit/", 403),
    ("tuan", "get", "/surveys/rounds/{round}/edit/", 403),
    ("huong", "get", "/surveys/rounds/{round}/fill/", 403),
    ("ainsley", "get", "/surveys/rounds/{round}/fill/", 403),
    ("hung", "get", "/surveys/rounds/{round}/fill/", 404),
    ("dara", "post", "/surveys/rounds/{round}/fill/", 404),
    ("lan", "get", "/surveys/rounds/{round}/import/", 403),
    ("tuan", "post", "/surveys/rounds/{round}/import/", 403),
    ("huong", "get", "/surveys/rounds/{round}/import/", 403),
    ("lan", "get", "/surveys/rounds/{round}/results/", 403),
    ("minh", "get", "/surveys/rounds/{round}/results/", 403),
    ("binh", "get", "/surveys/rounds/{round}/results/", 404),
    ("vanna", "get", "/surveys/rounds/{round}/results/", 404),
    ("lan", "get", "/surveys/rounds/{round}/report.html", 403),
    ("dara", "get", "/surveys/rounds/{round}/report.pdf", 404),
    ("minh", "get", "/surveys/submissions/{submission}/", 404),
    ("tuan", "get", "/surveys/submissions/{submission}/", 404),
    ("huong", "get", "/surveys/submissions/{submission}/", 404),
    ("lan", "get", "/surveys/compare/", 403),
    ("dara", "get", "/surveys/compare/", 403),
]


@pytest.mark.parametrize(
    ("persona", "method", "url", "expected"),
    DENIALS,
    ids=[f"{p}-{m}-{u}" for p, m, u, _e in DENIALS],
)
def test_denied(world, moc_bai_round, lans_submission, persona, method, url, expected):
    target = url.format(
        questionnaire=moc_bai_round.questionnaire_id,
        round=moc_bai_round.pk,
        submission=lans_submission.pk,
    )
    assert status(world, persona, method, target) == expected
    # nothing was written by a refused request
    assert Questionnaire.objects.count() == 1
    assert not ImportBatch.objects.exists()
    assert Submission.objects.count() == 1


ALLOWED = [
    ("lan", "/surveys/rounds/{round}/"),
    ("minh", "/surveys/rounds/{round}/fill/"),
    ("tuan", "/surveys/rounds/{round}/fill/"),
    ("tuan", "/surveys/rounds/{round}/results/"),
    ("huong", "/surveys/rounds/{round}/results/"),
    ("huong", "/surveys/questionnaires/{questionnaire}/"),
    ("lan", "/surveys/questionnaires/{questionnaire}/"),
    ("ainsley", "/surveys/rounds/{round}/import/"),
    ("ainsley", "/surveys/rounds/{round}/edit/"),
    ("root", "/surveys/rounds/{round}/results/"),
    ("lan", "/surveys/submissions/{submission}/"),
    ("ainsley", "/surveys/submissions/{submission}/"),
    ("tuan", "/surveys/compare/"),
]


@pytest.mark.parametrize(("persona", "url"), ALLOWED, ids=[f"{p}-{u}" for p, u in ALLOWED])
def test_allowed(world, moc_bai_round, lans_submission, persona, url):
    target = url.format(
        questionnaire=moc_bai_round.questionnaire_id,
        round=moc_bai_round.pk,
        submission=lans_submission.pk,
    )
    assert status(world, persona, "get", target) == 200


def test_visibility_filters_agree_with_the_rules(world, moc_bai_round):
    def names(queryset_for: Callable[[User], QuerySet[SurveyRound]]) -> set[str]:
        return {
            persona
            for persona in (
                "lan",
                "minh",
                "hung",
                "tuan",
                "binh",
                "huong",
                "dara",
                "vanna",
                "ainsley",
                "root",
            )
            if queryset_for(getattr(world, persona)).filter(pk=moc_bai_round.pk).exists()
        }

    assert names(visible_rounds) == {"lan", "minh", "tuan", "huong", "ainsley", "root"}
    assert names(rounds_with_results) == {"tuan", "huong", "ainsley", "root"}
    assert permissions.can(world.lan, Action.ANSWER, moc_bai_round)
    assert not permissions.can(world.lan, Action.EXPORT, moc_bai_round)


def test_an_officer_sees_only_her_own_submissions(world, moc_bai_round, lans_submission):
    mine = permissions.visible(world.lan, Submission)
    assert list(mine) == [lans_submission]
    assert not permissions.visible(world.minh, Submission).exists()
    assert not permissions.visible(world.tuan, Submission).exists()
    assert permissions.visible(world.ainsley, Submission).count() == 1


def test_import_batches_are_seen_by_those_who_read_results(world, moc_bai_round):
    import_kobo(moc_bai_round, world.ainsley)
    assert permissions.visible(world.huong, ImportBatch).count() == 1
    assert permissions.visible(world.tuan, ImportBatch).count() == 1
    assert not permissions.visible(world.lan, ImportBatch).exists()
    assert not permissions.visible(world.vanna, ImportBatch).exists()


@pytest.mark.parametrize("round_status", ["open", "closed"])
def test_the_administrator_runs_rounds_but_answers_none(world, moc_bai_round, round_status):
    # given the round open or closed
    SurveyRound.objects.filter(pk=moc_bai_round.pk).update(status=round_status)
    survey_round = SurveyRound.objects.get(pk=moc_bai_round.pk)

    # then the administrator still runs it as programme staff do, and may not answer it
    for action in (Action.CHANGE, Action.IMPORT, Action.EXPORT):
        assert permissions.can(world.root, action, survey_round)
    assert not permissions.can(world.root, Action.ANSWER, survey_round)

    # and her answers are refused by the service and by the page, nothing recorded
    with pytest.raises(PermissionDenied):
        do_save_submission(survey_round, {}, submit=False, language="en", actor=world.root)
    response = signed_in(world.root).post(
        f"/surveys/rounds/{survey_round.pk}/fill/", {"action": "save"}
    )
    assert response.status_code == 409
    assert not Submission.objects.exists()


def test_the_administrator_does_not_change_an_officers_draft(world, moc_bai_round):
    draft = do_save_submission(
        moc_bai_round, {}, submit=False, language="en", actor=world.lan
    ).submission
    assert permissions.can(world.lan, Action.CHANGE, draft)
    assert not permissions.can(world.root, Action.CHANGE, draft)
    assert permissions.visible(world.root, Submission).get() == draft
