"""Drafts and the outbox (keep.js): which pages load it and with what, and the only record-prefix
pages the worker may keep — the two empty new-record forms, and the copies without records that
the questionnaire, quiz attempt and Q&A session pages name."""

from __future__ import annotations

import json
import re
from typing import Any, cast

import pytest
from django.test import Client

from liaison.pwa.offline import (
    FORMS_CACHE,
    OFFLINE_COPY_HEADER,
    OFFLINE_COPY_ITSELF,
    OFFLINE_COPY_PATTERNS,
    is_record_path,
)
from tests.builders import build_world


@pytest.fixture
def world(db):
    return build_world()


def signed_in(user: Any) -> Client:
    user.preferred_language = "en"
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def keep_script(page: str) -> str:
    found = re.search(r'<script src="/static/pwa/keep\.js"[^>]*>', page)
    return found.group(0) if found else ""


def test_a_signed_in_page_loads_keep_js_with_its_user_and_the_words_it_shows(world) -> None:
    page = signed_in(world.lan).get("/exchange/incidents/new/").content.decode()
    script = keep_script(page)
    assert f'data-user="{world.lan.pk}"' in script
    assert 'data-csrf-cookie="csrftoken"' in script and 'data-login="/login/"' in script
    assert f'data-forms-cache="{FORMS_CACHE}"' in script
    assert 'id="keep-messages"' in page and "Draft restored from this tablet" in page
    assert 'data-keep="incident"' in page and "data-keep-sensitive" in page
    assert "data-keep-queue" in page


def test_a_signed_out_page_tells_keep_js_to_forget_what_the_session_sealed(db) -> None:
    page = Client().get("/login/").content.decode()
    script = keep_script(page)
    assert "data-signed-out" in script and "data-user" not in script
    assert 'id="keep-messages"' not in page


def test_the_offline_page_does_not_load_keep_js(db) -> None:
    # rendered ahead for the worker, without a request: it must not wipe a signed-in tablet
    assert keep_script(Client().get("/offline/en/").content.decode()) == ""


def test_the_worker_keeps_only_the_two_empty_new_record_forms(db) -> None:
    body = Client().get("/sw.js").content.decode()
    match = re.match(r"self\.__LIAISON_SW__=(\{.*?\});\n", body)
    assert match
    config = cast(dict[str, Any], json.loads(match.group(1)))
    assert config["formPages"] == ["/exchange/incidents/new/", "/exchange/intelligence/new/"]
    assert config["formsCache"] == FORMS_CACHE
    assert all(is_record_path(path) for path in config["formPages"])
    precached = [entry["url"] for entry in config["precache"]]
    assert "/static/pwa/keep.js" in precached and "/static/pwa/keep.css" in precached


def test_the_exchange_overview_has_the_outbox_list(world) -> None:
    page = signed_in(world.lan).get("/exchange/").content.decode()
    assert '<div data-keep-queue="all" hidden></div>' in page


def test_the_worker_keeps_form_pages_on_one_record_only_as_the_copies_they_name(db) -> None:
    body = Client().get("/sw.js").content.decode()
    match = re.match(r"self\.__LIAISON_SW__=(\{.*?\});\n", body)
    assert match
    config = cast(dict[str, Any], json.loads(match.group(1)))
    assert config["offlineCopyPatterns"] == [*OFFLINE_COPY_PATTERNS]
    assert config["offlineCopyHeader"] == OFFLINE_COPY_HEADER
    assert config["offlineCopyItself"] == OFFLINE_COPY_ITSELF
    # the questionnaire, a Q&A session, an open attempt; never a result, a submission, a list
    examples = {
        "/surveys/rounds/7/fill/": True,
        "/surveys/qa/3/": True,
        "/training/attempts/12/": True,
        "/surveys/rounds/7/": False,
        "/surveys/rounds/7/results/": False,
        "/surveys/submissions/4/": False,
        "/surveys/qa/3/notes/2/": False,
        "/training/attempts/": False,
    }
    for path, kept in examples.items():
        assert any(re.search(p, path) for p in OFFLINE_COPY_PATTERNS) is kept, path
        assert is_record_path(path)


def test_the_kept_incident_form_has_its_scripts_styles_and_map_kept_too(world) -> None:
    # given the new-incident form as a tablet keeps it
    page = signed_in(world.lan).get("/exchange/incidents/new/").content.decode()
    body = Client().get("/sw.js").content.decode()
    match = re.match(r"self\.__LIAISON_SW__=(\{.*?\});\n", body)
    assert match
    precached = {entry["url"] for entry in json.loads(match.group(1))["precache"]}
    # then every script, style sheet and map of the app that it loads is precached
    loaded = set(re.findall(r'(?:src|href)="(/static/exchange/[^"#?]+)', page))
    assert loaded, "the form loads its own files"
    assert loaded <= precached, sorted(loaded - precached)
