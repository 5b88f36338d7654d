"""Issue 9 regressions, through the entry points that existed before the fix."""

from __future__ import annotations

import contextlib

import pytest
from django.test import Client

from liaison.registry.models import BLO, Agency, User
from liaison.registry.services import do_import_registry
from liaison.registry.transfer import RegistryImportError
from tests.builders import PASSWORD


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_head_cannot_pair_his_post_by_editing_it(world) -> None:
    client = signed_in(world.tuan)
    client.post(
        "/registry/blos/VN-MOCBAI/edit/",
        {
            "name_en": "Moc Bai",
            "country": world.vn.pk,
            "counterparts": [world.bavet.pk, world.chrey_thom.pk],
            "active": "on",
        },
    )
    assert set(world.moc_bai.counterparts.all()) == {world.bavet}


def test_coordinator_import_cannot_rehome_a_foreign_blo(world) -> None:
    with pytest.raises(RegistryImportError):
        do_import_registry(
            b"code,country,name_en\nKH-BAVET,VN,Bavet\n", "blos.csv", actor=world.huong
        )
    world.bavet.refresh_from_db()
    assert world.bavet.country == world.kh


def test_coordinator_import_cannot_rehome_a_foreign_agency(world) -> None:
    raw = b"code,country,kind,name_en\nKH-POLICE,VN,provincial_police,Police\n"
    with pytest.raises(RegistryImportError):
        do_import_registry(raw, "agencies.csv", actor=world.huong)
    assert Agency.objects.get(code="KH-POLICE").country == world.kh


def test_coordinator_import_cannot_pair_posts(world) -> None:
    raw = b"code,country,name_en,counterparts\nVN-DIENBIEN,VN,Dien Bien,KH-CHREYTHOM LA-PANGHOK\n"
    with contextlib.suppress(RegistryImportError):
        do_import_registry(raw, "blos.csv", actor=world.huong)
    assert set(BLO.objects.get(code="VN-DIENBIEN").counterparts.all()) == {world.pang_hok}


def test_head_cannot_set_another_agencys_officer_password(world) -> None:
    client = signed_in(world.tuan)
    client.post(
        f"/registry/users/{world.lan.pk}/edit/",
        {
            "username": "lan",
            "role": "officer",
            "agency": world.vn_customs.pk,
            "password": "a-new-long-passphrase-9",
            "is_active": "on",
        },
    )
    world.lan.refresh_from_db()
    assert not world.lan.check_password("a-new-long-passphrase-9")
    assert world.lan.check_password(PASSWORD)


def test_coordinator_saves_officer_of_agency_stationed_at_several_posts(world) -> None:
    # VN-POLICE serves at Moc Bai and Dien Bien
    client = signed_in(world.huong)
    response = client.post(
        f"/registry/users/{world.hung.pk}/edit/",
        {
            "username": "hung",
            "role": "officer",
            "blo": world.dien_bien.pk,
            "agency": world.vn_police.pk,
            "rank": "Colonel",
            "is_active": "on",
            "version": world.hung.version,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=world.hung.pk).rank == "Colonel"
