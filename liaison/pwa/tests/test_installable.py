"""The installable app: manifest, service worker and offline page, answered signed out; record
answers marked no-store and denied to the worker's caches."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any, cast

import pytest
from django.conf import settings
from django.test import Client

from liaison.pwa.offline import RECORD_PREFIXES, is_readable_path, is_record_path
from tests.builders import build_world
from tests.test_endpoints_denied import ENDPOINTS


@pytest.fixture
def world(db):
    return build_world()


def worker_config(body: str) -> dict[str, Any]:
    match = re.match(r"self\.__LIAISON_SW__=(\{.*?\});\n", body)
    assert match, body[:200]
    return cast(dict[str, Any], json.loads(match.group(1)))


def test_service_worker_is_served_from_the_root_with_its_scope_allowed(db) -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    config = worker_config(body)
    # the Workbox bundle follows its configuration
    assert "workbox:precaching" in body and "workbox:routing" in body
    assert config["recordPrefixes"] == list(RECORD_PREFIXES)
    assert config["searchPath"] == "/reference/search/"


def test_every_precached_file_is_served(db) -> None:
    config = worker_config(Client().get("/sw.js").content.decode())
    urls = [entry["url"] for entry in config["precache"]]
    assert "/static/liaison/liaison.css" in urls and "/static/pwa/icon-192.png" in urls
    for language, _name in settings.LANGUAGES:
        assert config["offlinePages"][language] in urls
    client = Client()
    for entry in config["precache"]:
        response = client.get(entry["url"])
        assert response.status_code == 200, entry["url"]
        assert len(entry["revision"]) == 16


def test_manifest_names_the_app_and_icons_that_exist(db) -> None:
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Liaison"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        served = Client().get(icon["src"])
        assert served.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            png = served.getvalue()
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = int.from_bytes(png[16:20]), int.from_bytes(png[20:24])
            assert f"{width}x{height}" == icon["sizes"]


def test_offline_page_speaks_the_language_it_is_asked_for(db) -> None:
    vietnamese = Client().get("/offline/vi/")
    english = Client().get("/offline/en/")
    assert vietnamese.status_code == english.status_code == 200
    assert '<html lang="vi">' in vietnamese.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert "No connection" in english.content.decode()
    assert Client().get("/offline/xx/").status_code == 404


def test_every_page_links_the_manifest_and_registers_the_worker(world) -> None:
    client = Client()
    client.force_login(world.lan)
    page = client.get("/reference/").content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert 'src="/static/pwa/register.js"' in page
    assert 'data-service-worker="/sw.js"' in page
    assert "data-forget-offline" in page  # the sign-out form forgets the reading cache


RECORD_PAGES = [
    url
    for name, url in ENDPOINTS
    if is_record_path(url) and name not in {"logout", "api:acknowledge"}
]


@pytest.mark.parametrize("url", RECORD_PAGES)
def test_every_record_answer_says_no_store(world, url: str) -> None:
    client = Client()
    client.force_login(world.tuan)
    response = client.get(url)
    assert "no-store" in response.get("Cache-Control", ""), (url, response.status_code)


def test_record_pages_with_content_say_no_store(world) -> None:
    # given a signed-in officer with pages that hold records
    client = Client()
    client.force_login(world.lan)
    for url in ["/", "/exchange/", "/exchange/incidents/", "/api/exchange/incidents", "/registry/"]:
        # when they open it
        response = client.get(url)
        # then no cache may keep it
        assert response.status_code in {200, 302}, url
        assert "no-store" in response["Cache-Control"], url


def test_reading_pages_may_be_kept(world) -> None:
    client = Client()
    client.force_login(world.lan)
    response = client.get("/reference/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    ("path", "readable"),
    [
        ("/reference/", True),
        ("/reference/search/", True),
        ("/reference/drugs/heroin/", True),
        ("/training/", True),
        ("/training/modules/precursors/", True),
        ("/training/modules/precursors/pages/2/", True),
        ("/training/modules/precursors/assets/label.png", True),
        ("/training/modules/precursors/quiz/", False),
        ("/training/attempts/3/", False),
        ("/exchange/incidents/1/", False),
        ("/api/incidents", False),
        ("/registry/officers/", False),
        ("/", False),
        # the questionnaire pages' static files and the form engine a questionnaire needs
        ("/static/surveys/vendor/odk-web-forms/odk-web-forms.js", True),
        ("/static/surveys/vendor/odk-web-forms/fonts/0c30666ba7bce92b.woff", True),
        ("/static/surveys/surveys.css", True),
        ("/static/exchange/vendor/autocompleter.min.js", False),
        ("/surveys/rounds/1/xform.xml", False),
    ],
)
def test_only_reading_paths_are_kept_offline(path: str, readable: bool) -> None:
    assert is_readable_path(path) is readable
    if readable:
        assert not is_record_path(path)


def test_html_is_compressed_for_a_browser_that_accepts_gzip(world) -> None:
    client = Client()
    client.force_login(world.lan)
    response = client.get("/reference/", headers={"accept-encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert b"Liaison" in gzip.decompress(response.content)
