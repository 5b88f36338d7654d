"""Quizzes: drawing, scoring, attempts, completion and the certificate it earns."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.audit.models import AuditEntry
from liaison.training import quiz
from liaison.training.models import (
    Certificate,
    Completion,
    EnrolmentStatus,
    LearningActivity,
    QuizAttempt,
)
from liaison.training.services import (
    do_enrol_officer,
    do_record_lesson_progress,
    do_start_quiz_attempt,
    do_submit_quiz_attempt,
)

BANK = [
    quiz.BankQuestion("q1", "single", ("a", "b", "c"), frozenset({"b"})),
    quiz.BankQuestion("q2", "multiple", ("a", "b", "c", "d"), frozenset({"a", "c"})),
    quiz.BankQuestion("q3", "single", ("a", "b"), frozenset({"a"})),
    quiz.BankQuestion("q4", "single", ("a", "b"), frozenset({"b"})),
    quiz.BankQuestion("q5", "single", ("a", "b"), frozenset({"a"})),
]


def right_answers(attempt: QuizAttempt) -> dict[str, list[str]]:
    return {q["code"]: list(q["correct"]) for q in attempt.questions}


def wrong_answers(attempt: QuizAttempt) -> dict[str, list[str]]:
    return {
        q["code"]: [next(c for c in q["choices"] if c not in q["correct"])]
        for q in attempt.questions
    }


def test_draw_takes_the_asked_number_of_questions_with_shuffled_options():
    drawn = quiz.draw(BANK, 3, rng=random.Random(7))
    assert len(drawn) == 3
    assert len({q["code"] for q in drawn}) == 3
    for question in drawn:
        source = next(b for b in BANK if b.code == question["code"])
        assert sorted(question["choices"]) == sorted(source.choices)
        assert set(question["correct"]) == source.correct
    assert len(quiz.draw(BANK, None)) == len(BANK)


def test_multiple_answer_question_is_right_only_with_exactly_the_keyed_set():
    drawn = quiz.draw(BANK, None, rng=random.Random(1))
    answers = {q["code"]: list(q["correct"]) for q in drawn}
    answers["q2"] = ["a"]  # one of the two correct options only
    result = quiz.score(drawn, answers, pass_mark=80)
    assert result.score == Decimal("80.00")
    assert "q2" not in result.correct
    assert result.passed  # 4 of 5 = 80% reaches the pass mark
    answers["q2"] = ["a", "c", "d"]  # one too many
    assert quiz.score(drawn, answers, pass_mark=81).passed is False


def test_score_needs_questions():
    with pytest.raises(ValueError, match="without questions"):
        quiz.score([], {}, pass_mark=80)


def test_officer_fails_then_passes_and_earns_the_certificate(catalogue, cau_treo):
    module = catalogue["precursor-identification"]
    mai = cau_treo.mai
    # given Mai enrolled and read the first page
    enrolment = do_enrol_officer(mai, module, actor=mai)
    do_record_lesson_progress(enrolment, module.pages.get(position=1), actor=mai)
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.IN_PROGRESS
    # when she takes the quiz in Vietnamese and gets everything wrong
    first = do_start_quiz_attempt(enrolment, language="vi", actor=mai)
    assert len(first.questions) == module.questions_per_attempt == 10
    do_submit_quiz_attempt(first, wrong_answers(first), actor=mai)
    first.refresh_from_db()
    # then she has not passed and nothing is completed
    assert first.passed is False and first.score == Decimal("0.00")
    assert not Completion.objects.filter(officer=mai).exists()
    # when she tries again and answers right
    second = do_start_quiz_attempt(enrolment, language="vi", actor=mai)
    assert second.number == 2
    do_submit_quiz_attempt(second, right_answers(second), actor=mai)
    second.refresh_from_db()
    # then the module is completed, with her score and two attempts
    assert second.passed and second.score == Decimal("100.00")
    completion = Completion.objects.get(officer=mai, module=module)
    assert completion.attempts == 2 and completion.score == Decimal("100.00")
    assert completion.blo == cau_treo.blo and completion.method == "elearning"
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.COMPLETED
    # and the frontline precursor qualification is awarded (the level-1 one needs two more modules)
    certificate = Certificate.objects.get(officer=mai)
    assert certificate.qualification.code == "precursor-identification-frontline"
    assert certificate.holder_name == "Hoàng Thị Mai"  # family name first, as in Viet Nam
    assert certificate.blo == cau_treo.blo
    assert certificate.scores == {"precursor-identification": "100.00"}
    assert LearningActivity.objects.filter(officer=mai, blo=cau_treo.blo).count() == 1
    assert AuditEntry.objects.filter(object_type="training.Certificate").exists()


def test_an_open_attempt_is_resumed_not_redrawn(catalogue, cau_treo):
    module = catalogue["cites-basics"]
    enrolment = do_enrol_officer(cau_treo.mai, module, actor=cau_treo.mai)
    first = do_start_quiz_attempt(enrolment, language="en", actor=cau_treo.mai)
    again = do_start_quiz_attempt(enrolment, language="en", actor=cau_treo.mai)
    assert again.pk == first.pk
    assert QuizAttempt.objects.count() == 1


def test_a_submitted_attempt_cannot_be_submitted_again(catalogue, cau_treo):
    module = catalogue["cites-basics"]
    enrolment = do_enrol_officer(cau_treo.mai, module, actor=cau_treo.mai)
    attempt = do_start_quiz_attempt(enrolment, language="en", actor=cau_treo.mai)
    do_submit_quiz_attempt(attempt, right_answers(attempt), actor=cau_treo.mai)
    with pytest.raises(ValidationError, match="already submitted"):
        do_submit_quiz_attempt(attempt, right_answers(attempt), actor=cau_treo.mai)


def test_answers_outside_the_drawn_options_count_for_nothing(catalogue, cau_treo):
    module = catalogue["cites-basics"]
    enrolment = do_enrol_officer(cau_treo.mai, module, actor=cau_treo.mai)
    attempt = do_start_quiz_attempt(enrolment, language="en", actor=cau_treo.mai)
    answers = {q["code"]: ["invented"] for q in attempt.questions}
    answers["not-a-question"] = ["a"]
    do_submit_quiz_attempt(attempt, answers, actor=cau_treo.mai)
    attempt.refresh_from_db()
    assert attempt.score == Decimal("0.00")
    assert "not-a-question" not in attempt.answers


def test_nobody_else_takes_an_officers_quiz(catalogue, cau_treo, world):
    module = catalogue["cites-basics"]
    enrolment = do_enrol_officer(cau_treo.mai, module, actor=cau_treo.mai)
    attempt = do_start_quiz_attempt(enrolment, language="en", actor=cau_treo.mai)
    with pytest.raises(PermissionDenied):
        do_submit_quiz_attempt(attempt, right_answers(attempt), actor=cau_treo.head)
    with pytest.raises(PermissionDenied):
        do_start_quiz_attempt(enrolment, language="en", actor=world.ainsley)


def test_officers_enrol_themselves_heads_their_blo_and_not_others(catalogue, cau_treo, world):
    module = catalogue["cites-basics"]
    assert do_enrol_officer(cau_treo.thao, module, actor=cau_treo.head).enrolled_by == cau_treo.head
    with pytest.raises(PermissionDenied):
        do_enrol_officer(world.lan, module, actor=cau_treo.head)  # Moc Bai is not his BLO
    with pytest.raises(PermissionDenied):
        do_enrol_officer(world.lan, module, actor=cau_treo.mai)  # an officer enrols only herself
    assert do_enrol_officer(world.lan, module, actor=world.huong).officer == world.lan
