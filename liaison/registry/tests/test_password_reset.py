"""No one but the user sets their password: managers issue one-time, expiring sign-in links."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from liaison.audit.models import AuditEntry
from liaison.registry.models import PasswordReset, Role, User
from liaison.registry.services import (
    do_issue_password_reset,
    do_save_account,
)
from tests.builders import PASSWORD, make_user

NEW_PASSWORD = "river-lantern-quietly-42"


@pytest.fixture(autouse=True)
def _everyone_reads_english(world) -> None:
    # Pages and audit summaries are read in English here; the personas would otherwise read
    # (and write audit entries in) their country's language.
    User.objects.update(preferred_language="en")


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def link_path(page: str) -> str:
    found = re.search(r"https?://[^/]+(/account/reset/[^/<\s]+/)", page)
    assert found, page
    return found.group(1)


def test_account_form_has_no_password_and_service_keeps_the_stored_one(world) -> None:
    page = signed_in(world.tuan).get(f"/registry/users/{world.lan.pk}/edit/").content.decode()
    assert 'type="password"' not in page
    # a caller that sets a password on the instance does not get it saved
    lan = User.objects.get(pk=world.lan.pk)
    lan.set_password(NEW_PASSWORD)
    lan.rank = "Major"
    do_save_account(lan, actor=world.tuan)
    lan.refresh_from_db()
    assert lan.rank == "Major"
    assert lan.check_password(PASSWORD) and not lan.check_password(NEW_PASSWORD)


def test_head_cannot_reset_another_agencys_officer_by_any_path(world) -> None:
    # Tuấn (police) heads Moc Bai; Lan is customs there
    client = signed_in(world.tuan)
    assert client.post(f"/registry/users/{world.lan.pk}/password-reset/").status_code == 403
    with pytest.raises(PermissionDenied):
        do_issue_password_reset(world.lan, actor=world.tuan)
    users_page = client.get("/registry/users/").content.decode()
    assert f"/registry/users/{world.lan.pk}/password-reset/" not in users_page
    assert f"/registry/users/{world.minh.pk}/password-reset/" in users_page
    # nor move her into his own agency first, to reset her then: the form shows her agency
    # without letting him change it, and the service refuses the move
    response = client.post(
        f"/registry/users/{world.lan.pk}/edit/",
        {
            "username": "lan",
            "role": "officer",
            "agency": world.vn_police.pk,
            "is_active": "on",
            "version": world.lan.version,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=world.lan.pk).agency == world.vn_customs
    lan = User.objects.get(pk=world.lan.pk)
    lan.agency = world.vn_police
    with pytest.raises(PermissionDenied):
        do_save_account(lan, actor=world.tuan)
    world.lan.refresh_from_db()
    assert world.lan.agency == world.vn_customs
    assert world.lan.check_password(PASSWORD)
    assert not PasswordReset.objects.filter(user=world.lan).exists()


def test_reset_link_works_once_forces_a_new_password_and_ends_sessions(world) -> None:
    minh = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert minh.post("/login/", {"username": "minh", "password": PASSWORD}).status_code == 302
    assert minh.get("/registry/").status_code == 200
    # when the head of his agency at his post issues a link
    page = signed_in(world.tuan).post(f"/registry/users/{world.minh.pk}/password-reset/")
    assert page.status_code == 200
    path = link_path(page.content.decode())
    # then Minh's open session and his old password are gone
    assert minh.get("/registry/").status_code == 302
    assert Client().post("/login/", {"username": "minh", "password": PASSWORD}).status_code == 200
    # the link opens a form that asks for a new password, checked by the validators
    holder = Client(HTTP_ACCEPT_LANGUAGE="en")
    form = holder.get(path).content.decode()
    assert "new_password1" in form and "reset by" in form
    weak = holder.post(path, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 400
    done = holder.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert int(holder.session["_auth_user_id"]) == world.minh.pk
    world.minh.refresh_from_db()
    assert world.minh.check_password(NEW_PASSWORD)
    # and the link is dead
    again = Client().post(path, {"new_password1": "x" + NEW_PASSWORD, "new_password2": "x"})
    assert again.status_code == 404
    assert Client().get(path).status_code == 404


def test_reset_link_expires(world) -> None:
    issued = do_issue_password_reset(world.minh, actor=world.tuan)
    PasswordReset.objects.filter(pk=issued.reset.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/account/reset/{issued.token}/")
    assert response.status_code == 404
    assert "has expired" in response.content.decode()
    assert issued.reset.expires_at - issued.reset.issued_at == datetime.timedelta(hours=72)


def test_a_new_link_revokes_the_previous_one(world) -> None:
    first = do_issue_password_reset(world.minh, actor=world.tuan)
    do_issue_password_reset(world.minh, actor=world.huong)
    assert Client().get(f"/account/reset/{first.token}/").status_code == 404


def test_user_is_told_at_next_sign_in_who_reset_the_password(world) -> None:
    issued = do_issue_password_reset(world.minh, actor=world.tuan)
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/account/reset/{issued.token}/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/login/", {"username": "minh", "password": NEW_PASSWORD}, follow=True)
    page = response.content.decode()
    assert "Your password was reset by tuan" in page
    client.post("/logout/")
    later = client.post("/login/", {"username": "minh", "password": NEW_PASSWORD}, follow=True)
    assert "Your password was reset" not in later.content.decode()
    assert "Last reset by tuan" in client.get("/account/").content.decode()


def test_reset_is_audited_and_its_secret_stored_nowhere(world) -> None:
    issued = do_issue_password_reset(world.minh, actor=world.tuan)
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/account/reset/{issued.token}/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    entries = AuditEntry.objects.filter(
        object_type="registry.User", object_id=str(world.minh.pk)
    ).order_by("id")
    summaries = [(e.actor, e.summary) for e in entries]
    assert (world.tuan, "Password reset: one-time sign-in link issued") in summaries
    assert (world.minh, "Password set with a one-time sign-in link") in summaries
    assert not AuditEntry.objects.filter(changes__icontains=issued.token).exists()
    assert issued.token not in PasswordReset.objects.get().token_hash


def test_new_account_gets_a_sign_in_link_and_no_password(world) -> None:
    client = signed_in(world.huong)
    response = client.post(
        "/registry/users/new/",
        {
            "username": "quang",
            "role": "officer",
            "blo": world.dien_bien.pk,
            "agency": world.vn_police.pk,  # stationed at two posts: once a 500
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    quang = User.objects.get(username="quang")
    assert not quang.has_usable_password()
    path = link_path(response.content.decode())
    assert (
        Client()
        .post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        .status_code
        == 302
    )
    quang.refresh_from_db()
    assert quang.check_password(NEW_PASSWORD)


def test_head_creating_another_agencys_officer_gets_no_link(world) -> None:
    response = signed_in(world.tuan).post(
        "/registry/users/new/",
        {"username": "thao", "role": "officer", "agency": world.vn_customs.pk, "is_active": "on"},
        follow=True,
    )
    page = response.content.decode()
    assert "/account/reset/" not in page
    assert "national coordinator of its country issues its first sign-in link" in page
    thao = User.objects.get(username="thao")
    assert not thao.has_usable_password()
    assert not PasswordReset.objects.filter(user=thao).exists()


def test_head_creates_an_officer_of_an_agency_at_several_posts(world) -> None:
    # VN-POLICE serves at Moc Bai and Dien Bien: once a MultipleObjectsReturned
    response = signed_in(world.tuan).post(
        "/registry/users/new/",
        {"username": "khoa", "role": "officer", "agency": world.vn_police.pk, "is_active": "on"},
    )
    assert response.status_code == 200  # the page showing the new account's link
    khoa = User.objects.get(username="khoa")
    assert (khoa.blo, khoa.agency) == (world.moc_bai, world.vn_police)


def test_reset_endpoints_answer_bad_input_with_4xx(world) -> None:
    tuan = signed_in(world.tuan)
    assert tuan.get(f"/registry/users/{world.minh.pk}/password-reset/").status_code == 405
    assert tuan.post("/registry/users/999999/password-reset/").status_code == 404
    assert tuan.post(f"/registry/users/{world.tuan.pk}/password-reset/").status_code == 403
    assert Client().get("/account/reset/" + "A" * 500 + "/").status_code == 404
    assert Client().post("/account/reset/nonsense/", {}).status_code == 404
    issued = do_issue_password_reset(world.minh, actor=world.tuan)
    assert Client().post(f"/account/reset/{issued.token}/", {}).status_code == 400


def test_user_changes_own_password(world) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/login/", {"username": "lan", "password": PASSWORD})
    wrong = client.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200  # still signed in
    world.lan.refresh_from_db()
    assert world.lan.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(summary="Password changed by its user", actor=world.lan)


@pytest.mark.parametrize(
    ("persona", "may_reset"),
    [
        ("tuan", {"minh"}),  # his agency's officers at his post
        ("binh", {"hung"}),
        ("huong", {"lan", "minh", "hung", "tuan", "binh"}),  # her country, below her role
        ("vanna", {"dara", "sophea"}),
        ("root", {"lan", "minh", "hung", "tuan", "binh", "huong", "dara", "vanna", "ainsley"}),
        ("lan", set()),
        ("ainsley", set()),
    ],
)
def test_who_may_issue_a_reset(world, persona: str, may_reset: set[str]) -> None:
    from liaison.registry.permissions import may_issue_password_reset

    actor = getattr(world, persona)
    people = ["lan", "minh", "hung", "tuan", "binh", "huong", "dara", "sophea", "vanna"]
    people += ["ainsley", "root"]
    allowed = {p for p in people if may_issue_password_reset(actor, getattr(world, p))}
    expected = may_reset - {persona}
    if persona == "root":
        expected |= {"sophea"}
    assert allowed == expected
    second_coordinator = make_user("an", Role.NATIONAL_COORDINATOR, country=world.vn)
    assert not may_issue_password_reset(world.huong, second_coordinator)
