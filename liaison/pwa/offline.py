"""What the tablets may keep for offline reading, and what they must never keep.

One list feeds both sides: the server marks every record response ``Cache-Control: no-store``
(:class:`NoStoreRecordsMiddleware`), and the service worker receives the same prefixes in its
configuration and sends those requests to the network only (``frontend/entry-sw.js``). The
reading paths are the only pages the worker keeps: the reference library and the training
modules an officer has opened (module page, lesson pages, lesson images), never a quiz's
results. Form pages on one record (a questionnaire, an open quiz attempt, a Q&A session's notes)
are kept only as the copy the server renders for the tablet, without what was recorded (see
:data:`OFFLINE_COPY_PATTERNS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
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
# Static files kept like the reading paths once a page loaded them, under STATIC_URL: the
# questionnaire pages' scripts and styles and the form engine (ODK Web Forms: its modules and
# fonts), which a questionnaire opened offline needs; the app shell is precached instead. Their
# names carry a hash in production, so a new build is a new entry, never a stale one.
OFFLINE_STATIC_FOLDERS: tuple[str, ...] = ("surveys/",)


def readable_patterns() -> list[str]:
    """The reading paths and the static folders kept for offline, as the worker receives them."""
    static_url = str(settings.STATIC_URL or "/static/")
    if not static_url.startswith("/"):
        static_url = urlsplit(static_url).path  # served from another host: only its path counts
    folders = [f"^{re.escape(static_url + folder)}" for folder in OFFLINE_STATIC_FOLDERS]
    return [*READABLE_PATTERNS, *folders]


# The only pages under the record prefixes the worker keeps: the empty forms for a new record,
# which hold no record, so that a tablet that opened them once can fill them offline (the
# outbox sends them later, see keep.js). Only their bare address (no query) answered to a GET;
# never the form as answered to a POST, which holds what was typed. URL names.
OFFLINE_FORMS: tuple[str, ...] = ("exchange:incident_new", "exchange:intelligence_new")
FORMS_CACHE = "liaison-forms"

# Pages under the record prefixes that hold a form on one record the officer was given: a
# round's questionnaire, an open quiz attempt, a Q&A session's notes. The worker may keep one
# of them for offline (in FORMS_CACHE, under its bare address) only in the form its answer names
# in OFFLINE_COPY_HEADER: the same page rendered for the tablet (``?offline-copy=1``), without
# what was recorded — no draft answers, no notes of the session, no messages. A page answered
# without the header is never kept, and the copy kept of its address is dropped. Regular
# expressions on the path, read alike by Python and JavaScript.
OFFLINE_COPY_PATTERNS: tuple[str, ...] = (
    r"^/surveys/rounds/\d+/fill/$",
    r"^/surveys/rounds/\d+/fill/odk/$",
    r"^/surveys/qa/\d+/$",
    r"^/training/attempts/\d+/$",
)
OFFLINE_COPY_HEADER = "Liaison-Offline-Copy"
OFFLINE_COPY_PARAMETER = "offline-copy"
# The header's value on the copy itself.
OFFLINE_COPY_ITSELF = "this"
_OFFLINE_COPY = tuple(re.compile(pattern) for pattern in OFFLINE_COPY_PATTERNS)


def is_record_path(path: str) -> bool:
    return path in RECORD_PATHS or path.startswith(RECORD_PREFIXES)


def is_readable_path(path: str) -> bool:
    return not is_record_path(path) and any(re.search(p, path) for p in readable_patterns())


def wants_offline_copy(request: HttpRequest) -> bool:
    """Whether the worker asks for the copy of a form page it keeps for offline."""
    return request.method == "GET" and request.GET.get(OFFLINE_COPY_PARAMETER) == "1"


def offer_offline_copy(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Tell the worker which copy of this form page it may keep: the page itself when it was
    rendered as that copy, else the address of the copy. Only for the pages of
    OFFLINE_COPY_PATTERNS, answered to a GET with 200."""
    path = request.path_info
    if request.method != "GET" or response.status_code != 200:
        return response
    if not any(pattern.search(path) for pattern in _OFFLINE_COPY):
        return response
    if wants_offline_copy(request):
        response[OFFLINE_COPY_HEADER] = OFFLINE_COPY_ITSELF
    else:
        response[OFFLINE_COPY_HEADER] = f"{request.path}?{OFFLINE_COPY_PARAMETER}=1"
    return response


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
