"""The commodity and country pickers the forms fill as the user types."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET

from liaison.exchange.forms import (
    commodity_vocabulary,
    country_vocabulary,
    reference_version,
)
from liaison.exchange.selectors import (
    may_record_somewhere,
)
from liaison.exchange.shape import commodity_kind
from liaison.exchange.views.shared import _user


def picker_urls() -> dict[str, str]:
    """The addresses of the pickers' vocabularies for the reader's language (and the reference
    data's version), so that a browser keeps each until either changes."""
    lang = translation.get_language() or settings.LANGUAGE_CODE
    commodities_query = urlencode({"lang": lang, "v": reference_version()})
    return {
        "commodities": f"{reverse('commodities')}?{commodities_query}",
        "countries": f"{reverse('countries')}?{urlencode({'lang': lang})}",
    }


PICKER_QUERY_MAX = 60


def _picker_request(request: HttpRequest, extra: set[str]) -> tuple[str, str, list[str]]:
    """Who may read a picker's vocabulary (whoever may record an incident) and its parameters:
    the language, the words searched, and what is wrong with the request."""
    user = _user(request)
    if not may_record_somewhere(user):
        raise PermissionDenied
    params = request.GET
    lang = params.get("lang") or translation.get_language() or settings.LANGUAGE_CODE
    query = params.get("q", "")
    problems = [
        f"unknown parameter: {name}" for name in sorted(set(params) - {"lang", "q", *extra})
    ]
    if lang not in dict(settings.LANGUAGES):
        problems.append("lang: not a language of the site")
    if len(query) > PICKER_QUERY_MAX:
        problems.append(f"q: at most {PICKER_QUERY_MAX} characters")
    return lang, query, problems


def _picker_response(lang: str, entries: list[Any]) -> JsonResponse:
    response = JsonResponse({"language": lang, "entries": entries})
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Language"] = lang
    return response


@login_required
@require_GET
def commodities(request: HttpRequest) -> HttpResponse:
    """The commodity vocabulary for the incident form's picker, in the reader's language (or
    ``lang``), all of it or filtered (``kind``, ``q``, accent-blind)."""
    lang, query, problems = _picker_request(request, {"kind", "v"})
    kind = request.GET.get("kind", "")
    if kind and commodity_kind(kind) is None:
        problems.append("kind: not a vocabulary")
    if not request.GET.get("v", "0").isdigit():
        problems.append("v: a number")
    if problems:
        return JsonResponse({"errors": problems}, status=400)
    return _picker_response(lang, commodity_vocabulary(lang, kind=kind, query=query))


@login_required
@require_GET
def countries(request: HttpRequest) -> HttpResponse:
    """The countries for the incident form's country picker, named in the reader's language
    (or ``lang``), the network's first; all of them or those matching ``q`` (accent-blind)."""
    lang, query, problems = _picker_request(request, set())
    if problems:
        return JsonResponse({"errors": problems}, status=400)
    return _picker_response(lang, country_vocabulary(lang, query=query))
