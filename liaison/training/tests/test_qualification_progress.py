"""Progress towards a qualification counts what the officer holds: a certificate's own modules
count while it is valid; only a renewal (window open, expired or revoked) asks for new passes."""

from __future__ import annotations

import datetime

from django.utils import timezone

from liaison.training.models import Qualification
from liaison.training.services import (
    do_evaluate_qualifications,
    do_revoke_certificate,
    qualification_progress,
)
from liaison.training.tests.builders import complete, signed_in


def test_an_officer_holding_a_certificate_sees_its_requirement_done(catalogue, cau_treo):
    # given Mai passed precursor identification and holds the frontline certificate
    complete(cau_treo.mai, catalogue["precursor-identification"], score="90")
    (certificate,) = do_evaluate_qualifications(cau_treo.mai, actor=None)
    qualification = Qualification.objects.get(code="precursor-identification-frontline")
    # when her progress is read
    progress = qualification_progress(cau_treo.mai, qualification)
    # then the module she holds counts: 1 of 1, not 0 of 1
    assert progress.done == 1 and progress.met
    assert progress.held == certificate
    # and her pages say so
    client = signed_in(cau_treo.mai)
    page = client.get(f"/training/officers/{cau_treo.mai.pk}/")
    text = page.content.decode()
    assert "(1/1)" in text and "(0/1)" not in text
    listing = client.get("/training/qualifications/").content.decode()
    section = listing.split('id="qualification-precursor-identification-frontline"')[1]
    assert "0 of 1 done" not in section.split("</section>")[0]


def test_a_revoked_certificate_asks_for_the_modules_again(catalogue, cau_treo, world):
    complete(cau_treo.mai, catalogue["precursor-identification"], score="90")
    (certificate,) = do_evaluate_qualifications(cau_treo.mai, actor=None)
    do_revoke_certificate(certificate, reason="Exam fraud", actor=world.ainsley)
    qualification = Qualification.objects.get(code="precursor-identification-frontline")
    progress = qualification_progress(cau_treo.mai, qualification)
    assert progress.held is None
    assert progress.done == 0


def test_renewal_window_counts_only_new_passes(catalogue, cau_treo):
    complete(cau_treo.mai, catalogue["precursor-identification"], score="90")
    (certificate,) = do_evaluate_qualifications(cau_treo.mai, actor=None)
    qualification = Qualification.objects.get(code="precursor-identification-frontline")
    later = certificate.valid_until - datetime.timedelta(days=10)
    progress = qualification_progress(cau_treo.mai, qualification, today=later)
    # still held (valid), but the renewal needs the module again
    assert progress.held == certificate and progress.renewing
    assert progress.done == 0
    assert timezone.localdate() < later
