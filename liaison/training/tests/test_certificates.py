"""Certificates: bilingual PDF with a verification code, public verification without an account,
expiry, renewal and revocation, and the ``liaison training certificates`` listing."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from liaison.training.models import Certificate, CertificateState, Qualification, add_months
from liaison.training.services import (
    do_evaluate_qualifications,
    do_revoke_certificate,
    holder_name,
    new_verification_code,
    normalise_code,
)
from liaison.training.tests.builders import complete, signed_in


@pytest.fixture
def mai_certificate(catalogue, cau_treo):
    complete(cau_treo.mai, catalogue["precursor-identification"], score="90")
    (certificate,) = do_evaluate_qualifications(cau_treo.mai, actor=None)
    return certificate


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603 - a fixed local tool on a file we wrote
        [shutil.which("pdftotext") or "pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def test_certificate_pdf_carries_holder_qualification_and_verification_url(
    mai_certificate, cau_treo, tmp_path
):
    response = signed_in(cau_treo.mai).get(f"/training/certificates/{mai_certificate.code}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "Hoàng Thị Mai" in text
    assert mai_certificate.code in text
    assert f"http://testserver/training/verify/{mai_certificate.code}/" in text
    # both languages of the qualification's title, Vietnamese with its diacritics
    assert "Nhận biết tiền chất ở tuyến đầu" in text
    assert "Frontline precursor identification" in text
    assert "Cầu Treo" in text  # the BLO as Vietnamese readers write it


def test_anyone_verifies_a_certificate_without_signing_in(mai_certificate):
    anonymous = Client()
    response = anonymous.get(f"/training/verify/{mai_certificate.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-state="valid"' in page
    assert "Hoàng Thị Mai" in page
    assert (
        "Nhận biết tiền chất ở tuyến đầu" in page and "Frontline precursor identification" in page
    )
    # a code typed in small letters without dashes finds it too
    typed = anonymous.get(
        "/training/verify/", {"code": mai_certificate.code.replace("-", " ").lower()}
    )
    assert (
        typed.status_code == 302
        and typed["Location"] == f"/training/verify/{mai_certificate.code}/"
    )


def test_an_unknown_code_is_not_verified(db):
    response = Client().get("/training/verify/ABCD-EFGH-JKLM/")
    assert response.status_code == 404
    assert 'id="verdict"' in response.content.decode()


def test_a_revoked_certificate_no_longer_verifies(mai_certificate, world):
    do_revoke_certificate(mai_certificate, reason="Quiz taken by someone else", actor=world.ainsley)
    page = Client().get(f"/training/verify/{mai_certificate.code}/").content.decode()
    assert 'data-state="revoked"' in page
    # and a new award needs the modules taken again after the revocation
    assert do_evaluate_qualifications(mai_certificate.officer, actor=None) == []


def test_expiry_and_renewal_by_taking_the_modules_again(catalogue, cau_treo):
    module = catalogue["precursor-identification"]
    qualification = Qualification.objects.get(code="precursor-identification-frontline")
    today = timezone.localdate()
    # given a certificate issued 35 months ago on a completion of that time
    issued_on = add_months(today, -35)
    old_completion = complete(
        cau_treo.mai, module, completed_on=issued_on, completed_on_for_validity=issued_on
    )
    issued_at = timezone.make_aware(datetime.datetime.combine(issued_on, datetime.time(12)))
    old_completion.created_at = issued_at - datetime.timedelta(hours=1)
    old_completion.save()
    old = Certificate.objects.create(
        code=new_verification_code(),
        qualification=qualification,
        officer=cau_treo.mai,
        holder_name=holder_name(cau_treo.mai),
        issued_on=issued_on,
        issued_at=issued_at,
        valid_until=add_months(issued_on, 36),
    )
    # then it is valid but due for renewal, and the old completion does not renew it
    assert old.state() == CertificateState.VALID and old.renewal_due()
    assert old.state(today=add_months(today, 2)) == CertificateState.EXPIRED
    assert do_evaluate_qualifications(cau_treo.mai, actor=None) == []
    # when she passes the module again
    complete(cau_treo.mai, module, score="100")
    (renewal,) = do_evaluate_qualifications(cau_treo.mai, actor=None)
    # then a new certificate renews the old one, valid three more years
    assert renewal.renewal_of == old
    assert renewal.valid_until == add_months(today, 36)
    old.refresh_from_db()
    assert old.state() == CertificateState.RENEWED
    assert Client().get(f"/training/verify/{old.code}/").content.decode().count(renewal.code) >= 1


def test_codes_typed_by_hand_are_normalised():
    assert normalise_code("abcd efgh-jkmn") == "ABCD-EFGH-JKMN"
    assert normalise_code("abcdefghjkmn") == "ABCD-EFGH-JKMN"


@pytest.mark.django_db
def test_generated_codes_avoid_letters_read_alike(cau_treo):
    for _ in range(50):
        code = new_verification_code()
        assert len(code) == 14 and code[4] == code[9] == "-"
        assert not set(code) & set("0O1I")


def test_command_lists_certificates_with_their_verification_urls(mai_certificate):
    out = StringIO()
    call_command(
        "training", "certificates", "--base-url", "https://liaison.example.org/", stdout=out
    )
    line = out.getvalue().strip()
    assert line.startswith(mai_certificate.code)
    assert "Hoàng Thị Mai\tVN-CAUTREO\tprecursor-identification-frontline" in line
    assert line.endswith(f"https://liaison.example.org/training/verify/{mai_certificate.code}/")
    default = StringIO()
    call_command("training", "certificates", stdout=default)
    assert f"http://localhost:8000/training/verify/{mai_certificate.code}/" in default.getvalue()
