"""``Idempotency-Key``: a client that did not get an answer (a timeout, a dropped connection, a
tablet whose outbox sends again when the link returns) sends the same request again with the same
key, and gets the first answer instead of a second record.

Two kinds of endpoint take part, on one store: the API's create endpoints (JSON answers, see
:func:`idempotent_request`) and the HTML form posts the tablets' outbox replays
(:func:`idempotent_form`, a view decorator). The key is stored with the record, in the same
transaction, so a key is known exactly when its record is. Same key and same body: the stored
answer. Same key, another body or endpoint: 422. Keys are per user and kept for :data:`KEEP`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from liaison.exchange.models import IdempotencyKey
from liaison.registry.models import User

HEADER = "Idempotency-Key"
KEEP = datetime.timedelta(hours=24)
MAX_LENGTH = 200
# The form's CSRF token is not part of what is asked: a replay after the page was reloaded
# carries a fresh token (in the X-CSRFToken header) for the same submission.
CSRF_FIELD = "csrfmiddlewaretoken"
REDIRECTS = frozenset({301, 302, 303})
# A keyed form post that recorded answers 201 with the record's address instead of the view's
# redirect: the outbox's fetch would follow a redirect and could not tell it from the sign-in
# page's; it goes to the address itself, where the view's message ("Recorded as …") waits.
CREATED = 201

type View = Callable[..., HttpResponse]


class KeyRefused(Exception):
    """A malformed key (400) or a key already used for another request (422)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class IdempotentRequest:
    user: User
    key: str
    endpoint: str
    fingerprint: str


@dataclass(frozen=True)
class EarlierAnswer:
    status: int
    body: dict[str, Any]


def _key(request: HttpRequest) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise KeyRefused(400, f"{HEADER}: 1 to {MAX_LENGTH} visible ASCII characters (e.g. a UUID)")
    return key


def _earlier(request: IdempotentRequest) -> EarlierAnswer | None:
    cutoff = timezone.now() - KEEP
    stored = (
        IdempotencyKey.objects.filter(user=request.user, key=request.key, created_at__gte=cutoff)
        .only("endpoint", "fingerprint", "status", "response")
        .first()
    )
    if stored is None:
        return None
    if stored.endpoint != request.endpoint or stored.fingerprint != request.fingerprint:
        raise KeyRefused(
            422, f"{HEADER} was already used for a different request; use a new key for this one"
        )
    return EarlierAnswer(stored.status, dict(stored.response))


def idempotent_request(request: HttpRequest, user: User, endpoint: str) -> IdempotentRequest | None:
    """The API request's key, or None without the header; 400 for a key that is not 1–200
    visible ASCII characters."""
    try:
        key = _key(request)
    except KeyRefused as refused:
        raise HttpError(refused.status, refused.detail) from None
    if key is None:
        return None
    fingerprint = hashlib.sha256(request.body).hexdigest()
    return IdempotentRequest(user, key, endpoint, fingerprint)


def earlier_answer(request: IdempotentRequest) -> EarlierAnswer | None:
    """The answer given to this key before, if it is still kept; 422 if the key was used for
    another request."""
    try:
        return _earlier(request)
    except KeyRefused as refused:
        raise HttpError(refused.status, refused.detail) from None


def remember_answer(request: IdempotentRequest, status: int, body: dict[str, Any]) -> None:
    """Store the answer; call in the transaction that records what it answers for. A key used
    by a concurrent request makes this raise IntegrityError, rolling that transaction back."""
    cutoff = timezone.now() - KEEP
    IdempotencyKey.objects.filter(
        user=request.user, key=request.key, created_at__lt=cutoff
    ).delete()
    IdempotencyKey.objects.create(
        user=request.user,
        key=request.key,
        endpoint=request.endpoint,
        fingerprint=request.fingerprint,
        status=status,
        response=body,
    )


def _form_fingerprint(request: HttpRequest) -> str:
    fields = sorted((name, values) for name, values in request.POST.lists() if name != CSRF_FIELD)
    files = sorted(
        (name, [(f.name, f.size) for f in found]) for name, found in request.FILES.lists()
    )
    payload = json.dumps([fields, files], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _created(location: str) -> HttpResponse:
    response = HttpResponse(status=CREATED)
    response["Location"] = location
    return response


def _replay(request: HttpRequest, earlier: EarlierAnswer) -> HttpResponse:
    messages.info(request, _("This was already recorded; nothing was recorded twice."))
    return _created(str(earlier.body["location"]))


def _forget_messages(request: HttpRequest) -> None:
    # The messages of a view whose transaction was rolled back (iterating marks them read).
    for _message in messages.get_messages(request):
        pass


def idempotent_form(endpoint: str) -> Callable[[View], View]:
    """An HTML form post that honours ``Idempotency-Key``: a POST with the header runs the view
    in one transaction with the key, remembered when the view answers with a redirect (its
    success), which is answered as 201 with its ``Location``. A replay gets the same answer and
    records nothing; the same key with another body gets 422, a malformed key 400; the view's
    own answer otherwise (its form with errors, 403). A post without the header runs the view
    as before. Put it under ``login_required``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if (
                request.method != "POST"
                or HEADER not in request.headers
                or not isinstance(user, User)
            ):
                return view(request, *args, **kwargs)
            try:
                key = _key(request) or ""
                once = IdempotentRequest(user, key, endpoint, _form_fingerprint(request))
                earlier = _earlier(once)
            except KeyRefused as refused:
                return HttpResponse(
                    refused.detail, status=refused.status, content_type="text/plain"
                )
            if earlier is not None:
                return _replay(request, earlier)
            try:
                with transaction.atomic():
                    response = view(request, *args, **kwargs)
                    if response.status_code in REDIRECTS:
                        location = response["Location"]
                        remember_answer(once, CREATED, {"location": location})
                        response = _created(location)
            except IntegrityError:
                # the same key in a concurrent request, which recorded first
                try:
                    earlier = _earlier(once)
                except KeyRefused as refused:
                    earlier = None
                    detail = refused.detail
                else:
                    detail = ""
                if earlier is None and not detail:
                    raise
                _forget_messages(request)
                if earlier is None:
                    return HttpResponse(detail, status=422, content_type="text/plain")
                return _replay(request, earlier)
            return response

        return wrapper

    return decorate
