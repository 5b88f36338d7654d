from __future__ import annotations

import pytest
from django.test import Client

from liaison.audit.models import AuditAction, AuditEntry
from liaison.registry.models import BLO, CounterpartProposal, Crossing
from tests.builders import PASSWORD


def signed_in(user, language: str = "en") -> Client:
    user.preferred_language = language  # the user's own choice outranks the browser's
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_blo_page_shows_counterpart_across_the_border(world) -> None:
    response = signed_in(world.lan).get("/registry/blos/VN-MOCBAI/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bavet" in page
    assert 'class="counterpart"' in page
    # colleagues of both agencies at the post are listed
    assert "Nguyễn Thị Lan" in page or "Lan Nguyễn Thị" in page
    assert "Đỗ Văn" in page


def test_vietnamese_reader_sees_local_names(world) -> None:
    page = signed_in(world.lan, "vi").get("/registry/blos/VN-MOCBAI/").content.decode()
    assert "<h1>Mộc Bài</h1>" in page
    assert 'lang="vi"' in page


def test_cambodian_officer_is_refused_viet_nam_country_page(world) -> None:
    response = signed_in(world.dara).get("/registry/countries/VN/")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


def test_cambodian_officer_sees_counterpart_moc_bai_but_not_dien_bien(world) -> None:
    client = signed_in(world.dara)
    assert client.get("/registry/blos/VN-MOCBAI/").status_code == 200
    assert client.get("/registry/blos/VN-DIENBIEN/").status_code == 403
    network = client.get("/registry/").content.decode()
    assert "Moc Bai" in network
    assert "Dien Bien" not in network


def test_unknown_blo_is_not_found(world) -> None:
    assert signed_in(world.root).get("/registry/blos/XX-NOWHERE/").status_code == 404


def test_country_page_lists_staff_of_the_country_for_its_officer(world) -> None:
    page = signed_in(world.lan).get("/registry/countries/VN/").content.decode()
    assert "Moc Bai" in page and "Dien Bien" in page
    # Hùng works at another BLO: the staff directory shows only those in Lan's reach
    assert "Trần Văn" not in page


def test_head_of_blo_edits_own_post_and_change_is_audited(world) -> None:
    client = signed_in(world.tuan)
    form = client.get("/registry/blos/VN-MOCBAI/edit/")
    assert form.status_code == 200
    response = client.post(
        "/registry/blos/VN-MOCBAI/edit/",
        {
            "name_en": "Moc Bai",
            "name_local": "Mộc Bài",
            "country": world.vn.pk,
            "province": world.moc_bai.province_id,
            "cluster": world.moc_bai.cluster_id,
            "latitude": "11.07",
            "longitude": "106.19",
            "agencies": [world.vn_customs.pk, world.vn_police.pk],
            "notes": "Joint patrol schedule agreed with Bavet.",
            "active": "on",
            "version": world.moc_bai.version,
        },
    )
    assert response.status_code == 302, response.content.decode()
    world.moc_bai.refresh_from_db()
    assert world.moc_bai.notes == "Joint patrol schedule agreed with Bavet."
    entry = AuditEntry.objects.filter(
        action=AuditAction.CHANGE, object_id=str(world.moc_bai.pk)
    ).get()
    assert entry.actor == world.tuan
    assert entry.changes["notes"]["to"] == "Joint patrol schedule agreed with Bavet."


def test_head_of_blo_may_not_edit_another_post(world) -> None:
    assert signed_in(world.tuan).get("/registry/blos/VN-DIENBIEN/edit/").status_code == 403
    assert signed_in(world.dara).get("/registry/blos/VN-MOCBAI/edit/").status_code == 403


def test_counterpart_in_same_country_is_refused_and_nothing_saved(world) -> None:
    client = signed_in(world.huong)
    # the propose form does not offer a post of the same country …
    page = client.get("/registry/blos/VN-MOCBAI/").content.decode()
    assert 'id="propose-counterpart"' in page
    assert f'value="{world.dien_bien.pk}"' not in page
    # … and a forged choice is refused with a message, not a server error
    response = client.post(
        "/registry/blos/VN-MOCBAI/counterparts/propose/", {"to_blo": world.dien_bien.pk}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert list(world.moc_bai.counterparts.all()) == [world.bavet]
    assert not CounterpartProposal.objects.filter(to_blo=world.dien_bien).exists()


def test_coordinator_creates_a_blo_in_own_country_only(world) -> None:
    client = signed_in(world.huong)
    data = {"code": "VN-LAOBAO", "name_en": "Lao Bao", "name_local": "Lao Bảo", "active": "on"}
    response = client.post("/registry/blos/new/", {**data, "country": world.kh.pk})
    assert response.status_code == 200  # Cambodia is not a choice for her
    assert not BLO.objects.filter(code="VN-LAOBAO").exists()
    response = client.post("/registry/blos/new/", {**data, "country": world.vn.pk})
    assert response.status_code == 302
    assert BLO.objects.get(code="VN-LAOBAO").name_local == "Lao Bảo"


def test_officer_may_not_create_a_blo(world) -> None:
    assert signed_in(world.lan).get("/registry/blos/new/").status_code == 403


def test_head_adds_a_crossing_with_validation(world) -> None:
    client = signed_in(world.tuan)
    bad = client.post(
        "/registry/blos/VN-MOCBAI/crossings/new/",
        {"code": "VN-MOCBAI-X2", "name_en": "Phuoc Chi", "kind": "secondary", "latitude": "123"},
    )
    assert bad.status_code == 200
    assert not Crossing.objects.filter(code="VN-MOCBAI-X2").exists()
    good = client.post(
        "/registry/blos/VN-MOCBAI/crossings/new/",
        {
            "code": "VN-MOCBAI-X2",
            "name_en": "Phuoc Chi",
            "name_local": "Phước Chỉ",
            "kind": "secondary",
        },
    )
    assert good.status_code == 302
    assert Crossing.objects.get(code="VN-MOCBAI-X2").blo == world.moc_bai
    assert signed_in(world.lan).get("/registry/blos/VN-MOCBAI/crossings/new/").status_code == 403


@pytest.mark.parametrize("persona", ["lan", "dara", "ainsley"])
def test_audit_log_page_is_refused_to_others(world, persona: str) -> None:
    assert signed_in(getattr(world, persona)).get("/audit/").status_code == 403


def test_audit_log_page_shows_coordinator_own_country_entries(world) -> None:
    for user in (world.lan, world.dara):  # a Vietnamese and a Cambodian sign-in
        Client().post("/login/", {"username": user.username, "password": PASSWORD})
    page = signed_in(world.huong).get("/audit/").content.decode()
    assert "lan" in page
    assert "dara" not in page
