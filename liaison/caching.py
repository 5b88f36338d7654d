"""Cached reads that stay exact: every entry is keyed by the data version, and every committed
write turns the version over.

Two kinds of things are cached with Django's cache framework (``CACHES["default"]``: a file cache
in the data folder on one machine, shared by the server's workers; Redis where
``LIAISON_CACHE_URL`` names one):

- what does not depend on the reader (labels of the registry, such as which language a post's
  local name is written in): ``shared(name, compute)``;
- what depends on the reader's audience (the dashboard's counts and map markers, the home page's
  cards): ``for_reader(user, name, compute)``. The key holds the reader's account and every
  attribute their audience is drawn from (role, country, post, agency), so two readers never
  share an entry; a reader whose role or post changes gets new keys at once.

The version is a random token, not a counter: two writes that commit at the same moment on two
workers each write their own token, so no reader keeps counts that one of them made stale (a
counter read-and-incremented by both could land on the same number twice). The token is turned
over by ``data_changed`` when a write is made and again in its ``transaction.on_commit``; the
audit log calls it for every entry that records a change, so every service that writes
invalidates without naming the caches it affects. Entries also expire after ``TIMEOUT`` seconds, a bound on any change made
outside the services (a database restored underneath the running server).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

VERSION_KEY = "liaison:data-version"
TIMEOUT = 300
"""Seconds an entry is kept at most."""


def data_version() -> str:
    version = cache.get(VERSION_KEY)
    if not isinstance(version, str):
        version = secrets.token_hex(8)
        # add, not set: of two workers starting at once, both keep the first token
        if not cache.add(VERSION_KEY, version, timeout=None):
            stored = cache.get(VERSION_KEY)
            version = stored if isinstance(stored, str) else version
    return version


def turn_over_version() -> None:
    cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)


def data_changed() -> None:
    """Call inside a write's transaction: every cached read is recomputed from now on.

    The version turns over at once, so that reads later in the same transaction (which see its
    rows) are not answered from the cache, and again once the transaction commits, so that an
    entry another worker computed in between, from the rows before the commit, is never read."""
    turn_over_version()
    forget_request_memo()
    transaction.on_commit(turn_over_version, robust=True)


def _key(*parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"liaison:{digest}"


def _cached(key: str) -> Any:
    """The entry under ``key``, or None: an entry that no longer reads back (written by another
    version of the code, whose classes have moved or changed) is a miss, never an error."""
    try:
        return cache.get(key)
    except (AttributeError, ImportError, TypeError, ValueError, EOFError, pickle.UnpicklingError):
        logger.warning("cache entry %s could not be read; recomputed", key, exc_info=True)
        return None


def shared[T](name: str, compute: Callable[[], T]) -> T:
    """A value that is the same for every reader, recomputed after any write."""
    key = _key("shared", name, data_version())
    found: Any = _cached(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, timeout=TIMEOUT)
    return value


def reader_key(user: Any) -> tuple[object, ...]:
    """Everything a reader's audience is drawn from, besides the rows themselves."""
    return (
        user.pk,
        getattr(user, "role", ""),
        getattr(user, "country_id", None),
        getattr(user, "blo_id", None),
        getattr(user, "agency_id", None),
        getattr(user, "is_superuser", False),
    )


def for_reader[T](user: Any, name: str, compute: Callable[[], T], *extra: object) -> T:
    """A value computed for this reader's audience (counts, markers), recomputed after any write.

    ``extra`` names what else the value depends on (the page's language, a BLO shown)."""
    key = _key("reader", name, *reader_key(user), *extra, data_version())
    found: Any = _cached(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, timeout=TIMEOUT)
    return value


# --- once per request ---------------------------------------------------------------------------
#
# A page asks "which groups is this reader in, which posts are paired with theirs" once for every
# list, record, count and panel it shows: ten times over on a record page. The answers are kept
# for the length of one request only, and forgotten at the first write in it (``data_changed``
# is called by every write), so no read after a change in the same request sees the earlier
# answer. Outside a request (commands, tasks, tests calling the services) nothing is kept.

_request_memo: ContextVar[dict[tuple[object, ...], Any] | None] = ContextVar(
    "liaison_request_memo", default=None
)


def per_request[T](key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """``compute()``, once per request for ``key`` (and again after any write in it)."""
    memo = _request_memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


def forget_request_memo() -> None:
    memo = _request_memo.get()
    if memo is not None:
        memo.clear()


class RequestMemoMiddleware:
    """Opens the request's memo (see :func:`per_request`) and closes it with the answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_memo.set({})
        try:
            return self.get_response(request)
        finally:
            _request_memo.reset(token)
