"""Checks a form asks for while it is filled: an identifier seen before, identity data in a
summary."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liaison.exchange import services
from liaison.exchange.correlation import seen_before
from liaison.exchange.identifiers import MAX_LENGTH as IDENTIFIER_MAX_LENGTH
from liaison.exchange.identifiers import IdentifierKind, identity_data_in, normalise
from liaison.exchange.selectors import (
    may_record_somewhere,
)
from liaison.exchange.views.shared import _user
from liaison.registry.models import User

SEEN_PER_MINUTE = 120
"""'Seen before' lookups one person may make in a minute (a form asks once a field rests)."""


def _within_lookup_rate(user: User) -> bool:
    key = f"exchange:identifier-seen:{user.pk}:{int(timezone.now().timestamp() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) <= SEEN_PER_MINUTE
    except ValueError:  # evicted between add and incr
        return True


@login_required
@require_GET
def identifier_seen(request: HttpRequest) -> HttpResponse:
    """'Seen before': how many records the reader may read name this plate, number, company or
    container (where the reader may read it), and the latest of them. For those who record; each
    answer that names a record is in the audit log (its kind and the references, not the value)."""
    user = _user(request)
    if not may_record_somewhere(user):
        raise PermissionDenied
    params = request.GET
    problems = [f"unknown parameter: {name}" for name in sorted(set(params) - {"kind", "value"})]
    kind, raw = params.get("kind", ""), params.get("value", "")
    value = ""
    if kind not in IdentifierKind.values:
        problems.append(f"kind: one of {', '.join(IdentifierKind.values)}")
    if not raw.strip():
        problems.append("value: required")
    elif len(raw) > IDENTIFIER_MAX_LENGTH:
        problems.append(f"value: at most {IDENTIFIER_MAX_LENGTH} characters")
    elif kind in IdentifierKind.values:
        region = user.country.code if user.country is not None else ""
        value = normalise(kind, raw, region=region)
        if not value:
            problems.append(f"value: not a {kind} in a form Liaison can compare")
    if problems:
        return JsonResponse({"errors": problems}, status=400)
    if not _within_lookup_rate(user):
        response = JsonResponse({"errors": ["too many lookups: wait a minute"]}, status=429)
        response["Retry-After"] = "60"
        return response
    answer = seen_before(user, IdentifierKind(kind), value)
    if answer["seen"]:
        services.record_bulk_read(
            user,
            "identifier seen before",
            filters={"kind": kind},
            count=answer["seen"],
            references=[r["reference"] for r in answer["records"]],
            request=request,
        )
    response = JsonResponse(answer)
    response["Cache-Control"] = "private, no-store"
    return response


SUMMARY_CHECKED_MAX = 20_000


@login_required
@require_POST
def summary_check(request: HttpRequest) -> HttpResponse:
    """What in a summary being typed looks like identity data (see
    :func:`liaison.exchange.identifiers.identity_data_in`): the form warns before it is saved.
    Nothing is stored."""
    user = _user(request)
    if not may_record_somewhere(user):
        raise PermissionDenied
    text = request.POST.get("summary", "")
    if len(text) > SUMMARY_CHECKED_MAX:
        return JsonResponse(
            {"errors": [f"summary: at most {SUMMARY_CHECKED_MAX} characters"]}, status=400
        )
    region = user.country.code if user.country is not None else "VN"
    hints = identity_data_in(text, region=region)
    return JsonResponse(
        {
            "hints": [
                {"kind": h.kind.value, "label": str(h.kind.label), "text": h.text} for h in hints
            ],
            "warning": _summary_warning(hints) if hints else "",
        }
    )


def _summary_warning(hints: list[Any]) -> str:
    kinds = ", ".join(dict.fromkeys(str(h.kind.label) for h in hints))
    return _(
        "The summary seems to hold identity data (%(kinds)s). The summary is read by everyone "
        "the record is shared with; names, plates and numbers belong in the nominal part, which "
        "is shared more narrowly."
    ) % {"kinds": kinds}


def _warn_identity_data(request: HttpRequest, summary: str, user: User) -> None:
    hints = identity_data_in(summary, region=user.country.code if user.country else "VN")
    if hints:
        messages.warning(request, _summary_warning(hints))
