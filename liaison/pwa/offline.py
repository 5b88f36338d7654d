"""What the tablets may keep for offline reading, and what they must never keep.

One list feeds both sides: the server marks every record response ``Cache-Control: no-store``
(:class:`NoStoreRecordsMiddleware`), and the service worker receives the same prefixes in its
configuration and sends those requests to the network only (``frontend/entry-sw.js``). The
reading paths are the only pages the worker keeps: the reference library and the training
modules an officer has opened (module page, lesson pages, lesson images), never a quiz or an
attempt.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# Incidents, seizures, intelligence, alerts and requests (exchange), nominal data of officers
# (registry, training records), survey answers, the meeting log, the audit trail, accounts and
# every API answer.
RECORD_PREFIXES: tuple[str, ...] = (
    "/exchange/",
    "/api/",
    "/registry/",
    "/surveys/",
    "/meetings/",
    "/audit/",
    "/account/",
    "/training/me/",
    "/training/officers/",
    "/training/attempts/",
    "/training/certificates/",
    "/training/sessions/",
    "/training/coverage/",
    "/training/plans/",
    "/training/usage/",
    "/training/import/",
)
# The home page lists the officer's alerts and records: a record page too.
RECORD_PATHS: tuple[str, ...] = ("/",)

# Regular expressions on the path, written so that Python and JavaScript read them alike.
READABLE_PATTERNS: tuple[str, ...] = (
    r"^/reference/",
    r"^/training/$",
    r"^/training/modules/[^/]+/$",
    r"^/training/modules/[^/]+/pages/\d+/$",
    r"^/training/modules/[^/]+/assets/[^/]+$",
)
_READABLE = tuple(re.compile(pattern) for pattern in READABLE_PATTERNS)

# The only pages under the record prefixes the worker keeps: the empty forms for a new record,
# which hold no record, so that a tablet that opened them once can fill them offline (the
# outbox sends them later, see keep.js). Only their bare address (no query) answered to a GET;
# never the form as answered to a POST, which holds what was typed. URL names.
OFFLINE_FORMS: tuple[str, ...] = ("exchange:incident_new", "exchange:intelligence_new")
FORMS_CACHE = "liaison-forms"


def is_record_path(path: str) -> bool:
    return path in RECORD_PATHS or path.startswith(RECORD_PREFIXES)


def is_readable_path(path: str) -> bool:
    return not is_record_path(path) and any(p.search(path) for p in _READABLE)


class NoStoreRecordsMiddleware:
    """Record responses say ``no-store``: no cache (the service worker's, the browser's, a
    proxy's) keeps an incident, an officer's name or an API answer on a tablet."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_record_path(request.path_info):
            response.headers.pop("Cache-Control", None)
            patch_cache_control(response, no_store=True, private=True)
        return response
