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
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from liaison.languages import interface_languages
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

# The base map of the survey engine's geo questions (the tiles ODK Web Forms' map reads, drawn by
# liaison/exchange/mapdata/build_tiles.py). The map asks for a tile by its own name (a URL
# template: never the hashed name of production). The overview, up to BASE_MAP_PRECACHED_ZOOM,
# is precached so that a map opened offline shows the region; a closer tile is kept once shown,
# in a cache named after the tile set (a new set starts a new cache). None holds a record:
# sign-out leaves them.
BASE_MAP_TILES = "surveys/tiles"
BASE_MAP_PRECACHED_ZOOM = 6
BASE_MAP_CACHE = "liaison-base-map"


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
    baseMapPrefix: str
    baseMapCache: str


@cache
def _file_revision(name: str) -> str:
    found = finders.find(name)
    if not isinstance(found, str):
        raise FileNotFoundError(name)
    return hashlib.sha256(Path(found).read_bytes()).hexdigest()[:16]


def _static_path(name: str) -> str:
    """The file's path under STATIC_URL by its own name, as a page asks for it by a template."""
    static_url = str(settings.STATIC_URL or "/static/")
    return f"{urlsplit(static_url).path}{name}"


@cache
def _base_map_tiles() -> tuple[str, ...]:
    found = finders.find(BASE_MAP_TILES)
    if not isinstance(found, str):
        raise FileNotFoundError(BASE_MAP_TILES)
    folder = Path(found)
    return tuple(
        sorted(
            f"{BASE_MAP_TILES}/{path.relative_to(folder).as_posix()}"
            for path in folder.rglob("*.png")
        )
    )


def _tile_zoom(name: str) -> int:
    return int(name.removeprefix(f"{BASE_MAP_TILES}/").split("/")[0])


@cache
def _base_map_cache() -> str:
    tiles = hashlib.sha256()
    for name in _base_map_tiles():
        tiles.update(f"{name} {_file_revision(name)}\n".encode())
    return f"{BASE_MAP_CACHE}-{tiles.hexdigest()[:16]}"


def _offline_page(language: str) -> str:
    with translation.override(language):
        return render_to_string(
            "pwa/offline.html", {"language": language, "home_url": reverse("home")}
        )


def worker_config() -> WorkerConfig:
    precache = [
        PrecacheEntry(url=static(name), revision=_file_revision(name)) for name in SHELL_FILES
    ]
    precache += [
        PrecacheEntry(url=_static_path(name), revision=_file_revision(name))
        for name in _base_map_tiles()
        if _tile_zoom(name) <= BASE_MAP_PRECACHED_ZOOM
    ]
    offline_pages = {}
    for language in interface_languages():
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
        baseMapPrefix=_static_path(f"{BASE_MAP_TILES}/"),
        baseMapCache=_base_map_cache(),
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
    if language not in interface_languages():
        raise Http404(_("No such language."))
    return HttpResponse(_offline_page(language))
