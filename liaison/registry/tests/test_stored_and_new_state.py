"""Every registry write authorises the stored row and the new one; the import goes through the
same services, row by row, all or nothing, with one audit diff per row."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model

from liaison.audit.models import AuditAction, AuditEntry
from liaison.registry.models import BLO, Agency, Crossing
from liaison.registry.services import (
    MoveDenied,
    do_import_registry,
    do_save_agency,
    do_save_blo,
    do_save_crossing,
)
from liaison.registry.transfer import RegistryImportError


def fresh[M: Model](model: type[M], pk: int) -> M:
    return model._default_manager.get(pk=pk)


def test_coordinator_import_of_a_foreign_row_names_the_row_and_saves_nothing(world) -> None:
    raw = b"code,country,name_en\nVN-LAOBAO,VN,Lao Bao\nKH-BAVET,VN,Bavet\n"
    with pytest.raises(RegistryImportError) as caught:
        do_import_registry(raw, "blos.csv", actor=world.huong)
    assert [(p.sheet, p.row, p.column) for p in caught.value.problems] == [("blos", 3, "code")]
    assert fresh(BLO, world.bavet.pk).country == world.kh
    assert not BLO.objects.filter(code="VN-LAOBAO").exists()  # the good row went back too
    assert not AuditEntry.objects.filter(object_type="registry.BLO").exists()


@pytest.mark.parametrize("persona", ["huong", "vanna", "tuan"])
def test_no_one_but_an_administrator_moves_a_blo_to_another_country(world, persona) -> None:
    actor = getattr(world, persona)
    blo = fresh(BLO, (world.bavet if persona != "tuan" else world.moc_bai).pk)
    target = world.vn if blo.country_id == world.kh.pk else world.kh
    # an unpaired post, so the refusal is the permission's and not the pairing's
    blo.counterparts.clear()
    blo.country = target
    blo.province = blo.cluster = None
    with pytest.raises(PermissionDenied):
        do_save_blo(blo, actor=actor)
    assert fresh(BLO, blo.pk).country != target


def test_administrator_moves_an_unpaired_blo_and_its_agencies_stay_home(world) -> None:
    chrey_thom = fresh(BLO, world.chrey_thom.pk)
    chrey_thom.country = world.la
    do_save_blo(chrey_thom, actor=world.root)
    moved = fresh(BLO, chrey_thom.pk)
    assert moved.country == world.la
    assert not moved.agencies.exists()  # Cambodia's police does not follow the post abroad


def test_blo_takes_only_agencies_of_its_own_country(world) -> None:
    moc_bai = fresh(BLO, world.moc_bai.pk)
    with pytest.raises(ValidationError, match="not of the BLO's country"):
        do_save_blo(moc_bai, agencies=[world.vn_police, world.kh_police], actor=world.tuan)
    assert world.kh_police not in world.moc_bai.agencies.all()


def test_head_may_not_move_a_crossing_to_another_post(world) -> None:
    crossing = fresh(Crossing, world.moc_bai.crossings.get().pk)
    crossing.blo = world.dien_bien
    with pytest.raises(MoveDenied):
        do_save_crossing(crossing, actor=world.tuan)
    assert fresh(Crossing, crossing.pk).blo == world.moc_bai
    # the coordinator keeps both posts, and may
    crossing = fresh(Crossing, crossing.pk)
    crossing.blo = world.dien_bien
    do_save_crossing(crossing, actor=world.huong)
    assert fresh(Crossing, crossing.pk).blo == world.dien_bien


def test_head_may_not_take_a_foreign_crossing_into_his_post(world) -> None:
    crossing = fresh(Crossing, world.bavet.crossings.get().pk)
    crossing.blo = world.moc_bai
    with pytest.raises(PermissionDenied):
        do_save_crossing(crossing, actor=world.tuan)
    with pytest.raises(RegistryImportError):
        do_import_registry(
            b"code,blo,kind,name_en\nKH-BAVET-X1,VN-MOCBAI,international,Bavet\n",
            "crossings.csv",
            actor=world.huong,
        )
    assert fresh(Crossing, crossing.pk).blo == world.bavet


def test_agency_moves_are_checked_as_moves(world) -> None:
    police = fresh(Agency, world.kh_police.pk)
    police.country = world.vn
    with pytest.raises(PermissionDenied):
        do_save_agency(police, actor=world.huong)  # not hers before
    police = fresh(Agency, world.kh_police.pk)
    police.country = world.vn
    with pytest.raises(PermissionDenied):
        do_save_agency(police, actor=world.vanna)  # not hers after
    police = fresh(Agency, world.kh_police.pk)
    police.country = world.vn
    with pytest.raises(ValidationError, match="has accounts"):
        do_save_agency(police, actor=world.root)  # Dara's agency cannot change country
    assert fresh(Agency, world.kh_police.pk).country == world.kh


def test_import_writes_one_audit_diff_per_row(world) -> None:
    raw = (
        "code,country,name_en,name_local\n"
        "VN-MOCBAI,VN,Moc Bai Border Gate,Mộc Bài\n"
        "VN-LAOBAO,VN,Lao Bao,Lao Bảo\n"
    ).encode()
    summary = do_import_registry(raw, "blos.csv", actor=world.huong)
    assert (summary.created, summary.updated) == ({"blos": 1}, {"blos": 1})
    change = AuditEntry.objects.get(
        object_type="registry.BLO", object_id=str(world.moc_bai.pk), action=AuditAction.CHANGE
    )
    assert change.actor == world.huong
    assert change.changes["name_en"] == {"from": "Moc Bai", "to": "Moc Bai Border Gate"}
    created = AuditEntry.objects.get(object_type="registry.BLO", action=AuditAction.CREATE)
    assert created.changes["name_local"] == "Lao Bảo"
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT, actor=world.huong).count() == 1
