"""What a person sees when the machine fails under them: a full disk, an unreachable database.

Django turns any exception that escapes a view *or a middleware* (a session that cannot be
loaded because the database is down, a session that cannot be saved because the disk is full)
into a call of the 500 handler, inside the ``except`` block that caught it; so the handler can
look at the exception and answer with the page that says what happened, instead of a generic
error. Both pages stand alone: they need neither the database nor a signed-in user.
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Iterator

from django.db import Error, InterfaceError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
# PostgreSQL's SQLSTATE for "disk full", and the classes that mean the server is out of reach:
# 08 connection exceptions, 57P0x the server shutting down or starting up.
_PG_DISK_FULL = "53100"
_PG_UNREACHABLE_PREFIXES = ("08", "57P")
_SQLITE_UNREACHABLE = ("unable to open database file", "disk i/o error")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_disk_full(error: BaseException) -> bool:
    """A write failed because the disk (or the user's quota) is full, at any layer."""
    for link in _chain(error):
        if isinstance(link, OSError) and link.errno in _DISK_FULL_ERRNOS:
            return True
        if isinstance(link, sqlite3.OperationalError) and "disk is full" in str(link):
            return True
        if getattr(link, "sqlstate", None) == _PG_DISK_FULL:
            return True
    return False


def is_database_unreachable(error: BaseException) -> bool:
    """The database could not be reached at all (refused, shut down, its file not openable)."""
    if not isinstance(error, Error):
        return False
    for link in _chain(error):
        if isinstance(link, InterfaceError):
            return True
        if isinstance(link, sqlite3.OperationalError):
            return str(link).lower().startswith(_SQLITE_UNREACHABLE)
        module = type(link).__module__
        if module.startswith("psycopg") and type(link).__name__ == "OperationalError":
            state = getattr(link, "sqlstate", None)
            # a failed connection attempt carries no SQLSTATE: the server never answered
            return state is None or state.startswith(_PG_UNREACHABLE_PREFIXES)
    return False


def _page(template: str, status: int) -> HttpResponse:
    # Rendered without a request: no context processor runs, so nothing here touches the
    # database; the language is the one the request's middleware activated.
    response = HttpResponse(render_to_string(template), status=status)
    if status == 503:
        response["Retry-After"] = "60"
    return response


def disk_full_response() -> HttpResponse:
    return _page("disk_full.html", 507)


def maintenance_response() -> HttpResponse:
    return _page("maintenance.html", 503)


def server_error(request: HttpRequest) -> HttpResponse:
    """The project's 500 handler: a full disk and an unreachable database get their own pages."""
    error = sys.exc_info()[1]
    if error is not None:
        if is_disk_full(error):
            return disk_full_response()
        if is_database_unreachable(error):
            return maintenance_response()
    return _page("500.html", 500)
