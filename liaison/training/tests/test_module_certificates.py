"""A passed module leaves something to show for it: one completion per passing attempt, with a
verification code, shown on the officer's and the module's pages, printable, as a PDF, and
verifiable by anyone at the certificates' verify page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from liaison.audit.models import AuditEntry
from liaison.training.models import Completion
from liaison.training.services import (
    do_enrol_officer,
    do_start_quiz_attempt,
    do_submit_quiz_attempt,
)
from liaison.training.tests.builders import signed_in
from liaison.training.tests.test_certificates import pdf_text
from liaison.training.tests.test_quiz import right_answers, wrong_answers


@pytest.fixture
def thao_passed(catalogue, cau_treo):
    """Thao, customs officer at Cau Treo, passed the CITES basics quiz at her second attempt."""
    module = catalogue["cites-basics"]
    enrolment = do_enrol_officer(cau_treo.thao, module, actor=cau_treo.thao)
    first = do_start_quiz_attempt(enrolment, language="vi", actor=cau_treo.thao)
    do_submit_quiz_attempt(first, wrong_answers(first), actor=cau_treo.thao)
    second = do_start_quiz_attempt(enrolment, language="vi", actor=cau_treo.thao)
    do_submit_quiz_attempt(second, right_answers(second), actor=cau_treo.thao)
    return Completion.objects.get(attempt=second)


def test_a_passed_attempt_records_one_completion_with_a_code(thao_passed, cau_treo):
    completion = thao_passed
    assert completion.officer == cau_treo.thao and completion.score == 100
    assert len(completion.code) == 14 and completion.code[4] == "-"
    # a failed attempt records nothing; the pass exactly one
    assert Completion.objects.filter(officer=cau_treo.thao).count() == 1
    # and submitting the passed attempt again saves nothing more
    with pytest.raises(ValidationError):
        do_submit_quiz_attempt(completion.attempt, {}, actor=cau_treo.thao)
    assert Completion.objects.filter(officer=cau_treo.thao).count() == 1
    assert AuditEntry.objects.filter(summary__contains="completed cites-basics").count() == 1


def test_module_and_officer_pages_show_the_module_certificate(thao_passed, cau_treo):
    client = signed_in(cau_treo.thao)
    module_page = client.get("/training/modules/cites-basics/").content.decode()
    assert 'id="module-completion"' in module_page and thao_passed.code in module_page
    record = client.get(f"/training/officers/{cau_treo.thao.pk}/").content.decode()
    assert f"/training/completions/{thao_passed.code}/" in record


def test_module_certificate_prints_and_verifies(thao_passed, cau_treo, tmp_path):
    client = signed_in(cau_treo.thao)
    page = client.get(f"/training/completions/{thao_passed.code}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Lê Thị Thảo" in text and thao_passed.code in text
    pdf = client.get(f"/training/completions/{thao_passed.code}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    printed = pdf_text(pdf.content, tmp_path)
    assert "Lê Thị Thảo" in printed and thao_passed.code in printed
    assert f"http://testserver/training/verify/{thao_passed.code}/" in printed
    # anyone, without an account, verifies it
    verified = Client().get(f"/training/verify/{thao_passed.code}/")
    assert verified.status_code == 200
    assert 'data-state="valid"' in verified.content.decode()
    assert "Lê Thị Thảo" in verified.content.decode()


def test_another_blos_officer_cannot_open_the_module_certificate(thao_passed, world):
    response = signed_in(world.dara).get(f"/training/completions/{thao_passed.code}/")
    assert response.status_code == 404
    response = signed_in(world.dara).get(f"/training/completions/{thao_passed.code}/pdf/")
    assert response.status_code == 404
