"""A quiz attempt on a field tablet: the page kept for offline carries the questions and never
which answers are right, a keyed submission sent again is scored once, and answers that arrive
after the attempt was submitted are not counted (409)."""

from __future__ import annotations

import re

import pytest

from liaison.audit.models import AuditEntry
from liaison.exchange.models import IdempotencyKey
from liaison.pwa.offline import OFFLINE_COPY_HEADER, OFFLINE_COPY_PATTERNS
from liaison.training.models import QuizAttempt, TrainingModule
from liaison.training.tests.builders import signed_in
from liaison.training.tests.test_views import answers_for, start_quiz

pytestmark = pytest.mark.django_db


def test_the_quiz_page_kept_for_the_tablet_carries_no_answer_key(catalogue, world) -> None:
    # given Lan started the precursor quiz
    lan = signed_in(world.lan)
    attempt = start_quiz(lan)
    path = attempt.get_absolute_url()
    assert any(re.search(pattern, path) for pattern in OFFLINE_COPY_PATTERNS)
    # when the worker fetches the copy the page names
    page = lan.get(path)
    copy = lan.get(page[OFFLINE_COPY_HEADER])
    assert copy[OFFLINE_COPY_HEADER] == "this"
    body = copy.content.decode()
    # then it is the keep-and-send quiz, with every option and no trace of the key
    assert 'data-keep="quiz"' in body and body.count("<fieldset") == 10
    for drawn in attempt.questions:
        for choice in drawn["choices"]:
            assert f'value="{choice}"' in body
    assert (
        re.search(r"correct[^ ]", body) is None
    )  # only the instruction "Tick every correct answer"
    assert "data-correct" not in body and '"correct"' not in body
    # nor the explanations shown with the result
    module = TrainingModule.objects.get(code="precursor-identification")
    for question in module.questions.all():
        for text in (question.explanation or {}).values():
            if text:
                assert text not in body


def test_a_quiz_sent_twice_with_one_key_is_scored_once(catalogue, world) -> None:
    lan = signed_in(world.lan)
    attempt = start_quiz(lan)
    path = attempt.get_absolute_url()
    data = answers_for(attempt, right=True)
    first = lan.post(path, data, headers={"Idempotency-Key": "quiz-1"})
    again = lan.post(path, data, headers={"Idempotency-Key": "quiz-1"})
    assert first.status_code == again.status_code == 201
    assert first["Location"] == again["Location"] == path
    attempt.refresh_from_db()
    assert attempt.submitted_at is not None and attempt.passed and attempt.score == 100
    assert QuizAttempt.objects.filter(enrolment__officer=world.lan).count() == 1
    scored = AuditEntry.objects.filter(object_id=str(attempt.pk), summary__contains="scored")
    assert scored.count() == 1
    assert IdempotencyKey.objects.filter(user=world.lan).count() == 1
    # the attempt's result is no page the tablet keeps
    assert OFFLINE_COPY_HEADER not in lan.get(path)


def test_answers_sent_to_a_submitted_attempt_are_not_counted(catalogue, world) -> None:
    # given Lan's attempt was submitted wrong from another device
    lan = signed_in(world.lan)
    attempt = start_quiz(lan)
    path = attempt.get_absolute_url()
    assert lan.post(path, answers_for(attempt, right=False)).status_code == 302
    attempt.refresh_from_db()
    score = attempt.score
    # when her tablet sends the right answers late
    late = lan.post(path, answers_for(attempt, right=True), headers={"Idempotency-Key": "q-2"})
    # then they are refused as a conflict and the score stands
    assert late.status_code == 409
    assert "not counted" in late.content.decode()
    attempt.refresh_from_db()
    assert attempt.score == score and not attempt.passed


def test_an_attempt_sent_with_nothing_ticked_is_scored(catalogue, world) -> None:
    lan = signed_in(world.lan)
    attempt = start_quiz(lan)
    sent = lan.post(attempt.get_absolute_url(), {}, headers={"Idempotency-Key": "quiz-empty"})
    assert sent.status_code == 201
    attempt.refresh_from_db()
    assert attempt.submitted_at is not None and attempt.score == 0


def test_another_officers_attempt_is_refused(catalogue, world) -> None:
    attempt = start_quiz(signed_in(world.lan))
    other = signed_in(world.hung).post(
        attempt.get_absolute_url(),
        answers_for(attempt, right=True),
        headers={"Idempotency-Key": "x"},
    )
    assert other.status_code in (403, 404)
    attempt.refresh_from_db()
    assert attempt.submitted_at is None
