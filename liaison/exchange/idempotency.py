"""``Idempotency-Key`` on the API's create endpoints: a client that did not get an answer (a
timeout, a dropped connection) sends the same request again with the same key, and gets the first
answer instead of a second record.

The key is stored with the record, in the same transaction, so a key is known exactly when its
record is. Same key and same body: the stored answer. Same key, another body or endpoint: 422.
Keys are per user and kept for :data:`KEEP`.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError

from liaison.exchange.models import IdempotencyKey
from liaison.registry.models import User

HEADER = "Idempotency-Key"
KEEP = datetime.timedelta(hours=24)
MAX_LENGTH = 200


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


def idempotent_request(request: HttpRequest, user: User, endpoint: str) -> IdempotentRequest | None:
    """The request's key, or None without the header; 400 for a key that is not 1–200 visible
    ASCII characters."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise HttpError(400, f"{HEADER}: 1 to {MAX_LENGTH} visible ASCII characters (e.g. a UUID)")
    fingerprint = hashlib.sha256(request.body).hexdigest()
    return IdempotentRequest(user, key, endpoint, fingerprint)


def earlier_answer(request: IdempotentRequest) -> EarlierAnswer | None:
    """The answer given to this key before, if it is still kept; 422 if the key was used for
    another request."""
    cutoff = timezone.now() - KEEP
    stored = (
        IdempotencyKey.objects.filter(user=request.user, key=request.key, created_at__gte=cutoff)
        .only("endpoint", "fingerprint", "status", "response")
        .first()
    )
    if stored is None:
        return None
    if stored.endpoint != request.endpoint or stored.fingerprint != request.fingerprint:
        raise HttpError(
            422, f"{HEADER} was already used for a different request; use a new key for this one"
        )
    return EarlierAnswer(stored.status, dict(stored.response))


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
