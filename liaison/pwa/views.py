"""The installable app's own addresses: the manifest, the service worker, the offline page.

All three answer signed out: the browser fetches the manifest without cookies, installs the
worker before anyone signs in, and precaches the offline pages, which hold no record.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import TypedDict

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from liaison.pwa.offline import (
    FORMS_CACHE,
    OFFLINE_COPY_HEADER,
    OFFLINE_COPY_ITSELF,
    OFFLINE_COPY_PATTERNS,
    OFFLINE_FORMS,
    RECORD_PREFIXES,
    readable_patterns,
)

THEME_COLOUR = "#0b5563"
BACKGROUND_COLOUR = "#f4f6f7"
READING_CACHE = "liaison-reading"
WORKER_FILE = Path(__file__).resolve().parent / "static" / "pwa" / "service-worker.js"

# The app shell, precached at install: what every page needs to draw itself.
SHELL_FILES: tuple[str, ...] = (
    "liaison/liaison.css",
    "liaison/liaison.js",
    "liaison/favicon.svg",
    "pwa/register.js",
    "pwa/keep.js",
    "pwa/keep.css",
    "pwa/icon.svg",
    "pwa/icon-192.png",
    "pwa/icon-512.png",
    "pwa/icon-maskable-512.png",
    "reference/reference.css",
    "reference/offline-search.js",
    "training/training.css",
    # the new-incident form, kept for offline (OFFLINE_FORMS), draws its sections, pickers and
    # place map with these
    "exchange/incident-form.css",
    "exchange/incident-form.js",
    "exchange/vendor/autocompleter.min.js",
    "exchange/identifiers.js",
    "exchange/place-map.js",
    "exchange/gms.svg",
)


class PrecacheEntry(TypedDict):
    url: str
    revision: str


class WorkerConfig(TypedDict):
    precache: list[PrecacheEntry]
    offlinePages: dict[str, str]
    defaultLanguage: str
    recordPrefixes: list[str]
    readablePatterns: list[str]
    readingCache: str
    searchPath: str
    formPages: list[str]
    formsCache: str
    offlineCopyPatterns: list[str]
    offlineCopyHeader: str
    offlineCopyItself: str


def _language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@cache
def _file_revision(name: str) -> str:
    found = finders.find(name)
    if not isinstance(found, str):
        raise FileNotFoundError(name)
    return hashlib.sha256(Path(found).read_bytes()).hexdigest()[:16]


def _offline_page(language: str) -> str:
    with translation.override(language):
        return render_to_string(
            "pwa/offline.html", {"language": language, "home_url": reverse("home")}
        )


def worker_config() -> WorkerConfig:
    precache = [
        PrecacheEntry(url=static(name), revision=_file_revision(name)) for name in SHELL_FILES
    ]
    offline_pages = {}
    for language in _language_codes():
        url = reverse("pwa:offline_language", args=[language])
        revision = hashlib.sha256(_offline_page(language).encode()).hexdigest()[:16]
        precache.append(PrecacheEntry(url=url, revision=revision))
        offline_pages[language] = url
    return WorkerConfig(
        precache=precache,
        offlinePages=offline_pages,
        defaultLanguage=settings.LANGUAGE_CODE,
        recordPrefixes=[*RECORD_PREFIXES],
        readablePatterns=readable_patterns(),
        readingCache=READING_CACHE,
        searchPath=reverse("reference:search"),
        formPages=[reverse(name) for name in OFFLINE_FORMS],
        formsCache=FORMS_CACHE,
        offlineCopyPatterns=[*OFFLINE_COPY_PATTERNS],
        offlineCopyHeader=OFFLINE_COPY_HEADER,
        offlineCopyItself=OFFLINE_COPY_ITSELF,
    )


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The Workbox bundle with its configuration, from the root so that it controls every page."""
    config = json.dumps(worker_config(), separators=(",", ":"))
    body = f"self.__LIAISON_SW__={config};\n{WORKER_FILE.read_text(encoding='utf-8')}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # The browser checks for a new worker on every visit; never a stale copy of this file.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    language = translation.get_language() or settings.LANGUAGE_CODE
    data = {
        "name": "Liaison",
        "short_name": "Liaison",
        "description": _("Border Liaison Offices of the Greater Mekong Sub-region"),
        "lang": language,
        "id": reverse("home"),
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static("pwa/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("pwa/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("pwa/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("pwa/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def offline(request: HttpRequest, language: str | None = None) -> HttpResponse:
    """The page the worker shows when a page cannot be reached, in the reader's language."""
    if language is None:
        language = translation.get_language() or settings.LANGUAGE_CODE
    if language not in _language_codes():
        raise Http404(_("No such language."))
    return HttpResponse(_offline_page(language))
