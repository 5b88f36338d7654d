"""Every page and API endpoint answers with the Content-Security-Policy and the other security
headers, signed in or not, found or not; pages carry no inline style or event handler, and any
inline <script>/<style> carries the nonce the header names.

The URL list is read from the resolver (as in test_endpoints_denied), so a new page is covered
the day it is added.
"""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from liaison.csp import allow_document_styles, style_hashes
from tests.builders import build_world
from tests.test_endpoints_denied import ENDPOINTS

POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PAGES = [(name, url) for name, url in ENDPOINTS if not url.startswith("/static/")]


def directives(header: str) -> dict[str, str]:
    found = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        found[name] = value
    return found


def assert_secure_headers(response, url: str) -> dict[str, str]:
    assert "Content-Security-Policy" in response, (url, response.status_code)
    policy = directives(response["Content-Security-Policy"])
    for directive, value in POLICY.items():
        assert policy.get(directive) == value, (url, directive, policy.get(directive))
    # scripts and styles: the app's own files, plus this response's nonce at most
    for directive in ("script-src", "style-src"):
        sources = policy[directive].split()
        assert sources[0] == "'self'", (url, directive, sources)
        assert all(s.startswith(("'nonce-", "'sha256-")) for s in sources[1:]), (url, sources)
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    return policy


INLINE_STYLE = re.compile(r"""<[a-zA-Z][^>]*\sstyle\s*=""")
INLINE_HANDLER = re.compile(r"""<[a-zA-Z][^>]*\son[a-z]+\s*=""")
INLINE_BLOCK = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def assert_no_inline_code(response, url: str, policy: dict[str, str]) -> None:
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    page = response.content.decode()
    assert not INLINE_STYLE.search(page), (url, INLINE_STYLE.search(page))
    assert not INLINE_HANDLER.search(page), (url, INLINE_HANDLER.search(page))
    for tag, attributes in INLINE_BLOCK.findall(page):
        if "src=" in attributes or 'type="application/json"' in attributes:
            continue  # a file of the app, or data (json_script) that never runs
        nonce = re.search(r'nonce="([^"]+)"', attributes)
        assert nonce is not None, (url, tag, attributes)
        sources = policy["script-src" if tag.lower() == "script" else "style-src"]
        assert f"'nonce-{nonce.group(1)}'" in sources, (url, tag)


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize(("name", "url"), PAGES, ids=[f"{n or u}" for n, u in PAGES])
def test_every_page_sends_the_policy_to_a_signed_in_officer(world, name, url):
    client = Client()
    client.force_login(world.lan)
    response = client.get(url)
    policy = assert_secure_headers(response, url)
    assert_no_inline_code(response, url, policy)


@pytest.mark.parametrize(("name", "url"), PAGES[:: max(len(PAGES) // 12, 1)])
def test_anonymous_answers_send_the_policy_too(db, name, url):
    response = Client().get(url)
    assert_secure_headers(response, url)


def test_pages_a_head_of_blo_opens_carry_no_inline_code(world):
    client = Client()
    client.force_login(world.tuan)
    for url in ["/", "/exchange/", "/training/", "/meetings/", "/registry/", "/reference/"]:
        response = client.get(url, follow=True)
        policy = assert_secure_headers(response, url)
        assert_no_inline_code(response, url, policy)


def fail(request):
    raise RuntimeError("a fault")


urlpatterns = [path("fault/", fail)]


def test_a_server_error_page_sends_the_policy(world, settings):
    # given a view that fails; Django draws liaison/templates/500.html
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    client.force_login(world.lan)
    response = client.get("/fault/")
    assert response.status_code == 500
    policy = assert_secure_headers(response, "500")
    assert_no_inline_code(response, "500", policy)


def test_a_cached_report_allows_exactly_its_own_style_blocks():
    document = "<html><head><style>\nbody { color: #222; }\n</style></head><body>x</body></html>"
    response = allow_document_styles(HttpResponse(document), document)
    # plain str names: the WSGI server refuses a header named by an enum member
    assert all(type(name) is str for name in response.headers)
    policy = directives(response["Content-Security-Policy"])
    (expected,) = style_hashes(document)
    assert policy["style-src"].split() == ["'self'", expected]
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    # a block added later (not drawn by the app) has another hash
    assert style_hashes("<style>body{}</style>") != [expected]
