"""Sessions end after idle time without a write after every request, and a session write never
turns a committed record into an error; the database gives up before the server does."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from django.conf import settings as project_settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaison.operations.sessions import LAST_REFRESH
from liaison.registry.models import User

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.get("/")  # the first request after signing in sets the refresh time
    return client


def session_row(client: Client) -> Session:
    return Session.objects.get(
        session_key=client.cookies[project_settings.SESSION_COOKIE_NAME].value
    )


def test_a_signed_in_page_does_not_write_the_session(world) -> None:
    client = signed_in(world.lan)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/exchange/").status_code == 200
    writes = [
        q["sql"] for q in queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]
    ]
    assert writes == []


def test_the_session_expiry_moves_on_at_most_every_few_minutes(world) -> None:
    # given: a session last refreshed longer ago than the refresh interval
    client = signed_in(world.lan)
    store = SessionStore(session_key=session_row(client).session_key)
    store[LAST_REFRESH] = int(time.time()) - project_settings.SESSION_REFRESH_SECONDS - 5
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=60)  # about to run out
    )
    # when
    response = client.get("/exchange/")
    # then: a fresh expiry in the row and in the browser's cookie
    remaining = (session_row(client).expire_date - timezone.now()).total_seconds()
    assert remaining > project_settings.SESSION_COOKIE_AGE - 120
    cookie = response.cookies[project_settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == project_settings.SESSION_COOKIE_AGE
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_an_idle_session_ends(world) -> None:
    client = signed_in(world.lan)
    Session.objects.all().update(expire_date="2001-01-01T00:00:00Z")
    response = client.get("/exchange/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_session_that_cannot_be_written_never_fails_a_saved_change(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the refresh is due and the session table is locked (as SQLite says during a long
    # write by someone else: the db backend reports it as UpdateError)
    client = signed_in(world.lan)
    store = SessionStore(session_key=session_row(client).session_key)
    store[LAST_REFRESH] = 0
    store.save()

    def locked(self: SessionStore, must_create: bool = False) -> None:
        raise UpdateError

    monkeypatch.setattr(SessionStore, "save", locked)
    # when: Lan changes her language (a committed write of her account)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/exchange/"})
    # then: answered as saved, and saved; the next pages still work
    assert response.status_code == 302
    assert User.objects.get(pk=world.lan.pk).preferred_language == "en"
    assert client.get("/exchange/").status_code == 200


def test_database_gives_up_before_the_server_does() -> None:
    request_timeout = project_settings.REQUEST_TIMEOUT_SECONDS
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            lock_timeout = cursor.fetchone()[0]
            cursor.execute("SHOW statement_timeout")
            statement_timeout = cursor.fetchone()[0]
        assert lock_timeout == f"{project_settings.DATABASE_LOCK_TIMEOUT_SECONDS}s"
        assert statement_timeout == f"{project_settings.DATABASE_STATEMENT_TIMEOUT_SECONDS}s"
    else:
        options = connection.settings_dict["OPTIONS"]
        assert options["timeout"] == project_settings.DATABASE_LOCK_TIMEOUT_SECONDS
        assert "synchronous=FULL" in options["init_command"]
    assert (
        project_settings.DATABASE_LOCK_TIMEOUT_SECONDS
        < project_settings.DATABASE_STATEMENT_TIMEOUT_SECONDS
        < request_timeout
    )
