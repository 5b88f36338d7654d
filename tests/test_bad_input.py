"""No input breaks the server: every page and API endpoint answers junk with a 4xx (or a page
that says what is wrong), never a 5xx.

The URL list is read from the resolver, so a new endpoint is covered the day it is added. Each is
asked, as an officer, a coordinator and the administrator, with junk in the query string, in a
form body and in an uploaded file — on its placeholder address (mostly "not found") and, where a
route names a record of the exchange or the registry, on a real one, so the junk reaches the form
and the filters behind it.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver

from tests.builders import ensure_vocabulary, make_incident
from tests.test_endpoints_denied import ENDPOINTS, POST_ONLY, concrete, walk

JUNK_VALUES = [
    "-1",
    "abc",
    "99999999999999999999999",
    "1e999",
    "NaN",
    "0001-01-01",
    "9999-99-99",
    "\x00",
    "\ud800",
    "<script>x</script>",
    "' OR 1=1 --",
    "x" * 5000,
]
JUNK_KEYS = [
    "page",
    "offset",
    "limit",
    "q",
    "text",
    "area",
    "blo",
    "country",
    "agency",
    "date_from",
    "date_to",
    "round",
    "action",
    "version",
    "expected_version",
    "distribution",
    "tlp",
    "group",
    "id",
    "pk",
    "next",
    "language",
]
SKIP = {"logout"}  # signing out is not an input to break


def junk_query(i: int) -> dict[str, str]:
    return {key: JUNK_VALUES[(i + n) % len(JUNK_VALUES)] for n, key in enumerate(JUNK_KEYS)}


def safe(value: str) -> str:
    # The test client encodes a query string itself; a lone surrogate cannot be encoded as UTF-8
    # by any client, so it travels percent-encoded as its replacement.
    return value.encode("utf-8", "replace").decode("utf-8")


def real_addresses(world) -> list[tuple[str, str]]:
    """Routes that name a record, filled with a real one of this world."""
    incident = make_incident(world.lan, distribution="blo", tlp="GREEN", summary="junk probe")
    values = {
        "reference": incident.reference,
        "code": world.moc_bai.code,
        "blo_code": world.moc_bai.code,
        "pk": str(world.lan.pk),
    }
    found = []
    for name, route in walk(get_resolver().url_patterns):
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if names and all(n in values for n in names):
            url = route
            for n in names:
                url = re.sub(rf"<(?:\w+:)?{n}>", values[n], url)
            found.append((name, concrete(url)))
    return found


@pytest.mark.parametrize("persona", ["lan", "huong", "root"])
def test_no_endpoint_answers_junk_with_a_server_error(world, persona: str) -> None:
    # given every address of the resolver, placeholders and real records alike
    ensure_vocabulary()
    addresses = [(n, u) for n, u in ENDPOINTS if not u.startswith("/static/")]
    real = real_addresses(world)
    assert {"exchange:incident", "registry:blo", "registry:user_edit"} <= {n for n, _u in real}
    addresses += real
    client = Client(raise_request_exception=False)
    client.force_login(getattr(world, persona))
    failures = []
    for i, (name, url) in enumerate(addresses):
        if name in SKIP:
            continue
        query = {k: safe(v) for k, v in junk_query(i).items()}
        # when it is asked with junk in the query, the form body and an upload
        answers = []
        if name not in POST_ONLY:
            answers.append(("GET", client.get(url, query)))
        answers.append(("POST", client.post(url, query)))
        upload = SimpleUploadedFile("junk.xlsx", b"PK\x03\x04" + b"\xff" * 64)
        answers.append(("POST file", client.post(url, {**query, "file": upload})))
        answers.append(
            (
                "POST json",
                client.post(url, data=b'{"x": [1e999, null', content_type="application/json"),
            )
        )
        # then no answer is a server error
        for how, response in answers:
            if response.status_code >= 500:
                failures.append((how, url, response.status_code))
    assert not failures, failures
