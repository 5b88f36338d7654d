"""A BLO's trained-staff coverage per crime area rises with completions and drops with rotation;
the use of computer-based training is counted per BLO over 90 days."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from liaison.reference.models import CrimeArea
from liaison.registry.models import User
from liaison.training.models import DepartureReason, LearningActivity, Posting
from liaison.training.selectors import (
    AreaCoverage,
    BLOCoverage,
    cbt_usage,
    coverage_for_blo,
    coverage_for_blos,
)
from liaison.training.services import do_record_departure, do_transfer_officer
from liaison.training.tests.builders import complete
from tests.builders import make_blo


def area(coverage: BLOCoverage, value: str) -> AreaCoverage:
    found = coverage.area(value)
    assert found is not None, value
    return found


def test_coverage_counts_todays_staff_with_a_valid_completion(catalogue, cau_treo):
    # given Cau Treo's three staff, none trained
    before = coverage_for_blo(cau_treo.blo)
    assert before.staff == 3
    assert area(before, "precursors").trained == 0
    assert {a.area for a in before.warnings} >= {CrimeArea.PRECURSORS, CrimeArea.WILDLIFE}
    # when two of them complete modules (one completion has expired)
    complete(cau_treo.mai, catalogue["precursor-identification"])
    complete(cau_treo.thao, catalogue["precursor-identification"])
    complete(
        cau_treo.thao,
        catalogue["cites-basics"],
        completed_on=datetime.date(2019, 1, 1),
        completed_on_for_validity=datetime.date(2019, 1, 1),
    )
    after = coverage_for_blo(cau_treo.blo)
    # then precursors (and drugs, which the module also teaches) are covered at 2/3
    assert area(after, "precursors").trained == 2
    assert area(after, "precursors").percent == pytest.approx(66.67, abs=0.01)
    assert not area(after, "precursors").below_threshold
    assert area(after, "drugs").trained == 2
    # and the expired CITES completion does not count
    assert area(after, "wildlife").trained == 0
    assert area(after, "wildlife").below_threshold


def test_coverage_drops_when_a_trained_officer_leaves(catalogue, cau_treo, world):
    complete(cau_treo.mai, catalogue["precursor-identification"])
    complete(cau_treo.thao, catalogue["precursor-identification"])
    assert area(coverage_for_blo(cau_treo.blo), "precursors").trained == 2
    # when the head records that Thảo retired
    do_record_departure(
        cau_treo.thao, on=timezone.localdate(), reason=DepartureReason.RETIRED, actor=cau_treo.head
    )
    # then she is no longer staff, coverage drops, and the departure is shown with her training
    coverage = coverage_for_blo(cau_treo.blo)
    assert coverage.staff == 2
    assert area(coverage, "precursors").trained == 1
    assert area(coverage, "precursors").percent == 50.0
    departure = coverage.departures[0]
    assert departure.officer == cau_treo.thao and CrimeArea.PRECURSORS in departure.was_trained_in
    cau_treo.thao.refresh_from_db()
    assert cau_treo.thao.is_active is False  # deactivated, never deleted
    posting = Posting.objects.get(officer=cau_treo.thao)
    assert posting.blo == cau_treo.blo and posting.end_reason == "retired"


def test_a_transfer_moves_coverage_from_one_blo_to_the_other(catalogue, cau_treo, world):
    complete(cau_treo.mai, catalogue["cites-basics"])
    on = timezone.localdate()
    # when the coordinator transfers Mai from Cau Treo to Dien Bien
    posting = do_transfer_officer(cau_treo.mai, world.dien_bien, on=on, actor=world.huong)
    # then Cau Treo loses the coverage and Dien Bien gains it
    assert area(coverage_for_blo(cau_treo.blo), "wildlife").trained == 0
    assert area(coverage_for_blo(world.dien_bien), "wildlife").trained == 1
    cau_treo.mai.refresh_from_db()
    assert cau_treo.mai.blo == world.dien_bien and cau_treo.mai.at_station_since == on
    history = list(Posting.objects.filter(officer=cau_treo.mai).order_by("id"))
    assert [(p.blo.code, p.end_reason) for p in history] == [
        ("VN-CAUTREO", "transfer"),
        ("VN-DIENBIEN", ""),
    ]
    assert posting == history[1]


def test_transfers_are_recorded_by_whoever_keeps_the_account(catalogue, cau_treo, world):
    # the head of Cau Treo may not move his officer to another BLO (the registry's rule)
    with pytest.raises(PermissionDenied):
        do_transfer_officer(
            cau_treo.mai, world.dien_bien, on=timezone.localdate(), actor=cau_treo.head
        )
    # a head of another BLO may not record a departure at Cau Treo
    with pytest.raises(PermissionDenied):
        do_record_departure(
            cau_treo.mai, on=timezone.localdate(), reason=DepartureReason.RETIRED, actor=world.tuan
        )
    # a transfer stays within the country
    with pytest.raises(ValidationError):
        do_transfer_officer(cau_treo.mai, world.bavet, on=timezone.localdate(), actor=world.huong)
    cau_treo.mai.refresh_from_db()
    assert cau_treo.mai.blo == cau_treo.blo and cau_treo.mai.is_active


def test_coverage_table_covers_many_blos_in_two_queries(
    catalogue, cau_treo, world, django_assert_max_num_queries
):
    complete(world.lan, catalogue["ods-hazardous-waste"])
    blos = [cau_treo.blo, world.moc_bai, world.dien_bien]
    with django_assert_max_num_queries(3):
        rows = coverage_for_blos(blos)
    by_code = {row.blo.code: row for row in rows}
    assert area(by_code["VN-MOCBAI"], "ods").trained == 1
    assert by_code["VN-MOCBAI"].staff == 3  # Lan, Minh, Tuấn


def test_cbt_use_counts_officers_per_blo_in_the_last_90_days(catalogue, cau_treo, world):
    module = catalogue["precursor-identification"]
    today = timezone.localdate()
    for officer, days in ((cau_treo.mai, [1, 5]), (cau_treo.thao, [95]), (world.lan, [30])):
        for ago in days:
            LearningActivity.objects.create(
                officer=officer,
                module=module,
                blo=officer.blo,
                day=today - datetime.timedelta(days=ago),
            )
    quiet = make_blo(world.vn, "VN-SONGTIEN", "Song Tien")
    User.objects.create(username="idle", role="officer", country=world.vn, blo=quiet)
    rows = {r.blo.code: r for r in cbt_usage([cau_treo.blo, world.moc_bai, quiet])}
    assert (rows["VN-CAUTREO"].users, rows["VN-CAUTREO"].staff, rows["VN-CAUTREO"].days) == (
        1,
        3,
        2,
    )
    assert rows["VN-MOCBAI"].users == 1
    assert rows["VN-SONGTIEN"].users == 0 and rows["VN-SONGTIEN"].percent == 0.0
