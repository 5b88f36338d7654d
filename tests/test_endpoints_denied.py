"""Every page and API endpoint refuses an anonymous visitor — except the few that are public.

The URL list is read from the resolver, so a new endpoint is covered the day it is added; one
that should be public must be named in PUBLIC with the reason.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {
    "login": "the sign-in page",
    "password_reset_use": "a one-time sign-in link: its secret is the credential (unknown → 404)",
    "healthz": "the load balancer's probe",
    "set_language": "the language switch works before sign-in (POST only)",
    "training:verify": "anyone may check a certificate's verification code",
    "training:verify_form": "the form where anyone types a verification code",
    "api:openapi-json": "the API's description (no data)",
    "api:openapi-view": "the API's documentation page (no data)",
    "api:api-root": "the API's root, which answers nothing",
    "pwa:service_worker": "the service worker installs before sign-in; it holds no data",
    "pwa:manifest": "the web-app manifest: browsers fetch it without cookies",
    "pwa:offline": "the offline page holds no record (precached at install)",
    "pwa:offline_language": "the offline page in one language (precached at install)",
}
POST_ONLY = {"logout", "api:acknowledge"}


def walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = (
                f"{namespace}:{pattern.name}"
                if namespace and pattern.name
                else (pattern.name or "")
            )
            yield name, prefix + str(pattern.pattern)


def concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:str:|slug:|path:)?\w+>", "X-1", route)
    return "/" + route.replace("\\", "")


ENDPOINTS = sorted({(name, concrete(route)) for name, route in walk(get_resolver().url_patterns)})


@pytest.mark.parametrize(("name", "url"), ENDPOINTS, ids=[f"{n or u}" for n, u in ENDPOINTS])
def test_anonymous_visitor_is_refused(db, name: str, url: str) -> None:
    if name in PUBLIC and PUBLIC[name] is not None:
        return  # public by design (listed above with the reason)
    if url.startswith("/static/"):
        return
    client = Client()
    if name in POST_ONLY:
        assert client.get(url).status_code == 405
        response = client.post(url)
        if url.startswith("/api/"):
            assert response.status_code == 401, (url, response.status_code)
        return
    response = client.get(url)
    if url.startswith("/api/"):
        assert response.status_code == 401, (url, response.status_code)
    else:
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith("/login/"), (url, response["Location"])


def test_the_list_of_endpoints_is_not_empty() -> None:
    names = {name for name, _url in ENDPOINTS}
    assert {"home", "registry:blo", "exchange:incident", "exchange:dashboard"} <= names
