from __future__ import annotations

from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison.audit.models import AuditAction, AuditEntry
from liaison.registry.models import Role, RoleSecurityPolicy, User
from tests.builders import PASSWORD


def login(client: Client, username: str, password: str = PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(world, settings) -> None:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    world.lan.set_password("a-long-enough-passphrase")
    world.lan.save()
    assert identify_hasher(world.lan.password).algorithm == "argon2"


def test_login_and_failed_login_are_audited(world) -> None:
    client = Client()
    assert login(client, "lan", "wrong").status_code == 200
    assert login(client, "lan").status_code == 302
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor_username"))
    assert (AuditAction.LOGIN_FAILED, "lan") in actions
    assert (AuditAction.LOGIN, "lan") in actions


def test_login_is_throttled_after_repeated_failures(world, settings) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "lan", "wrong")
    # even the right password is refused while the lock-out lasts
    response = login(client, "lan")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_session_expires_when_idle(settings) -> None:
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    # refreshed before the view at most every few minutes (tests/test_sessions.py), not saved
    # after every request
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "liaison.operations.sessions.IdleSessionMiddleware" in settings.MIDDLEWARE
    assert 0 < settings.SESSION_REFRESH_SECONDS <= 600


def test_before_login_pages_follow_accept_language() -> None:
    vietnamese = Client(HTTP_ACCEPT_LANGUAGE="vi,en;q=0.5").get("/login/").content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").get("/login/").content.decode()
    assert "Đăng nhập" in vietnamese
    assert 'lang="vi"' in vietnamese
    assert "Sign in" in english
    assert 'lang="en"' in english


def test_vietnamese_is_default_for_users_in_viet_nam(world) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, "lan")
    page = client.get("/").content.decode()
    assert 'lang="vi"' in page
    assert "Trang chủ" in page


def test_language_switch_sticks_to_the_user_across_sessions(world) -> None:
    client = Client()
    login(client, "lan")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    world.lan.refresh_from_db()
    assert world.lan.preferred_language == "en"
    # a new device, whose browser asks for Vietnamese, still gets the user's choice
    other = Client(HTTP_ACCEPT_LANGUAGE="vi")
    login(other, "lan")
    assert 'lang="en"' in other.get("/").content.decode()


def test_language_switch_refuses_unknown_language_and_foreign_redirect(world) -> None:
    client = Client()
    login(client, "lan")
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    world.lan.refresh_from_db()
    assert world.lan.preferred_language == ""


def test_role_requiring_two_factor_sends_user_to_set_it_up(world, settings) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code would otherwise delay the next try
    RoleSecurityPolicy.objects.create(role=Role.HEAD_OF_BLO, require_two_factor=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, "tuan")
    response = client.get("/registry/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/"
    # when the user confirms a code from the authenticator app
    setup = client.get("/account/two-factor/")
    assert "data:image/svg+xml;base64," in setup.content.decode()
    device = TOTPDevice.objects.get(user=world.tuan)
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    bad = client.post("/account/two-factor/", {"token": "000000" if token != 0 else "111111"})
    assert (
        "Mã không hợp lệ" in bad.content.decode()
    )  # Tuấn reads Vietnamese, his country's language
    response = client.post("/account/two-factor/", {"token": f"{token:06d}"})
    # then the pages open, and the device is confirmed for the next sign-in
    assert response.status_code == 302
    assert client.get("/registry/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_officers_are_not_asked_for_two_factor_unless_their_role_requires_it(world) -> None:
    RoleSecurityPolicy.objects.create(role=Role.HEAD_OF_BLO, require_two_factor=True)
    client = Client()
    login(client, "lan")
    assert client.get("/registry/").status_code == 200


def test_administrator_sets_role_policy_and_it_is_audited(world) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, "root")
    response = client.post("/registry/security/", {Role.PROGRAMME_STAFF.value: "on"})
    assert response.status_code == 302
    assert RoleSecurityPolicy.objects.get(role=Role.PROGRAMME_STAFF).require_two_factor
    assert AuditEntry.objects.filter(action=AuditAction.TWO_FACTOR).exists()
    other = Client()
    login(other, "huong")
    assert other.get("/registry/security/").status_code == 403


def test_head_of_blo_creates_an_officer_at_own_post_only(world) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, "tuan")
    data = {
        "username": "quang",
        "first_name": "Quang",
        "last_name": "Võ",
        "role": "officer",
        "agency": world.vn_customs.pk,
        "password": "a-long-enough-passphrase",
        "is_active": "on",
    }
    response = client.post("/registry/users/new/", data)
    assert response.status_code == 302, response.content.decode()
    quang = User.objects.get(username="quang")
    assert quang.blo == world.moc_bai and quang.country == world.vn
    # a head cannot make a national coordinator
    response = client.post(
        "/registry/users/new/", {**data, "username": "x", "role": "national_coordinator"}
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="x").exists()
    # nor manage an officer of another BLO
    assert client.get(f"/registry/users/{world.hung.pk}/edit/").status_code in {403, 404}


def test_officer_may_not_open_account_management(world) -> None:
    client = Client()
    login(client, "lan")
    assert client.get("/registry/users/").status_code == 403
    assert client.get("/registry/users/new/").status_code == 403
    assert client.get(f"/registry/users/{world.minh.pk}/edit/").status_code in {403, 404}


def test_officer_updates_own_profile_but_not_role(world) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, "lan")
    response = client.post(
        "/account/",
        {
            "first_name": "Lan",
            "last_name": "Nguyễn Thị",
            "rank": "Major",
            "role": "system_administrator",
            "languages_spoken": ["vi", "km", "en"],
            "preferred_language": "en",
            "version": world.lan.version,
        },
    )
    assert response.status_code == 302
    world.lan.refresh_from_db()
    assert world.lan.rank == "Major"
    assert world.lan.languages_spoken == ["vi", "km", "en"]
    assert world.lan.role == Role.OFFICER
    change = AuditEntry.objects.filter(action=AuditAction.CHANGE, object_id=str(world.lan.pk)).get()
    assert change.changes["rank"] == {"from": "", "to": "Major"}
    assert "password" not in change.changes
