"""Idle session expiry without a session write after the view.

Django's ``SESSION_SAVE_EVERY_REQUEST`` writes the session row after every view, once the view's
own transaction has committed: on SQLite, while an import or another writer holds the database,
that write fails with "database is locked" and the client is told that a save failed which is in
fact stored (a "ghost write"), and retries it. Here the session's expiry moves forward at most once
every ``SESSION_REFRESH_SECONDS``, *before* the view runs, and a refresh that cannot be written is
skipped (the next request tries again), so no session write can fail a request after its commit.
A session still ends ``SESSION_COOKIE_AGE`` seconds after its last refresh, hence at most
``SESSION_REFRESH_SECONDS`` early after the last request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase

LAST_REFRESH = "_liaison_refreshed"
"""Session key: when the session's expiry was last moved forward (Unix seconds)."""

logger = logging.getLogger(__name__)


class IdleSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        refreshed = self._refresh(request)
        response = self.get_response(request)
        if refreshed and not request.session.modified and request.session.session_key:
            # the browser's cookie ages with the session: send it again with a new max-age
            response.set_cookie(
                settings.SESSION_COOKIE_NAME,
                request.session.session_key,
                max_age=settings.SESSION_COOKIE_AGE,
                domain=settings.SESSION_COOKIE_DOMAIN,
                path=settings.SESSION_COOKIE_PATH,
                secure=bool(settings.SESSION_COOKIE_SECURE),
                httponly=bool(settings.SESSION_COOKIE_HTTPONLY),
                samesite=settings.SESSION_COOKIE_SAMESITE,  # type: ignore[arg-type]
            )
        return response

    def _refresh(self, request: HttpRequest) -> bool:
        session = request.session
        if session.session_key is None or session.is_empty():
            return False  # no session yet: signing in creates (and saves) it
        now = int(time.time())
        last = session.get(LAST_REFRESH)
        if isinstance(last, int) and 0 <= now - last < settings.SESSION_REFRESH_SECONDS:
            return False
        session[LAST_REFRESH] = now
        try:
            session.save()
        except (DatabaseError, UpdateError):  # the db backend reports "database is locked" as this
            logger.warning("session expiry not refreshed (database busy); next request retries")
            return False
        finally:
            session.modified = False  # nothing left for SessionMiddleware to write after the view
        return True
