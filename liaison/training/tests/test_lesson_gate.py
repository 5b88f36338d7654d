"""A module may ask for its lessons before its quiz: the quiz page and the quiz services refuse
(with a message in the officer's language, nothing saved) until every lesson page is opened."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from liaison.training.models import QuizAttempt
from liaison.training.services import (
    do_enrol_officer,
    do_start_quiz_attempt,
    do_submit_quiz_attempt,
    lessons_left,
)
from liaison.training.tests.builders import signed_in
from liaison.training.tests.test_quiz import right_answers

GATED = "ods-hazardous-waste"  # shipped with lessons_required_before_quiz: true


def test_the_shipped_ods_module_asks_for_its_lessons(catalogue):
    assert catalogue[GATED].lessons_required_before_quiz
    assert not catalogue["cites-basics"].lessons_required_before_quiz


def test_quiz_refused_until_every_lesson_is_opened(catalogue, cau_treo):
    # given Mai enrolled in the ODS module, one lesson read
    client = signed_in(cau_treo.mai, "vi")
    client.post(f"/training/modules/{GATED}/enrol/")
    client.get(f"/training/modules/{GATED}/pages/1/")
    # when she asks for the quiz
    response = client.post(f"/training/modules/{GATED}/quiz/", follow=True)
    # then she is sent back to the module, told in Vietnamese, and no attempt is drawn
    assert response.redirect_chain[-1][0] == f"/training/modules/{GATED}/"
    assert "bài học" in response.content.decode() or "lesson" in response.content.decode()
    assert not QuizAttempt.objects.filter(enrolment__officer=cau_treo.mai).exists()
    page = client.get(f"/training/modules/{GATED}/").content.decode()
    assert 'id="take-quiz" disabled' in page
    # when she opens every page
    count = catalogue[GATED].pages.count()
    for number in range(1, count + 1):
        client.get(f"/training/modules/{GATED}/pages/{number}/")
    # then the quiz opens
    response = client.post(f"/training/modules/{GATED}/quiz/")
    attempt = QuizAttempt.objects.get(enrolment__officer=cau_treo.mai)
    assert response["Location"] == attempt.get_absolute_url()


def test_submit_service_refuses_an_attempt_drawn_before_the_module_asked(catalogue, cau_treo):
    module = catalogue["cites-basics"]
    enrolment = do_enrol_officer(cau_treo.mai, module, actor=cau_treo.mai)
    attempt = do_start_quiz_attempt(enrolment, language="en", actor=cau_treo.mai)
    module.lessons_required_before_quiz = True
    module.save()
    assert lessons_left(enrolment, module)
    with pytest.raises(ValidationError, match="lesson"):
        do_submit_quiz_attempt(attempt, right_answers(attempt), actor=cau_treo.mai)
    attempt.refresh_from_db()
    assert attempt.is_open and attempt.score is None
    # the open quiz page sends her to the lessons too
    response = signed_in(cau_treo.mai).get(attempt.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == module.get_absolute_url()


def test_start_service_refuses_without_the_lessons(catalogue, cau_treo):
    enrolment = do_enrol_officer(cau_treo.mai, catalogue[GATED], actor=cau_treo.mai)
    with pytest.raises(ValidationError):
        do_start_quiz_attempt(enrolment, language="en", actor=cau_treo.mai)
