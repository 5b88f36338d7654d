"""Appending to and verifying the audit chain. Every write in Liaison records itself here, inside
the same transaction as the change it describes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from liaison.audit.models import AuditAction, AuditChainHead, AuditEntry

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "created_at": entry.created_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "summary": entry.summary,
        "changes": entry.changes,
        "remote_addr": entry.remote_addr,
        "previous_hash": entry.previous_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def record(
    *,
    actor: Any,
    action: AuditAction,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    summary: str = "",
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    username: str = "",
) -> AuditEntry:
    """Append one entry to the chain. Call inside the transaction of the change it records."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        entry = AuditEntry(
            created_at=timezone.now(),
            actor=actor if authenticated else None,
            actor_username=(actor.get_username() if authenticated else username)[:150],
            action=action,
            object_type=object_type[:100],
            object_id=object_id[:100],
            summary=summary[:500],
            changes=json.loads(json.dumps(changes or {}, default=str)),
            remote_addr=client_address(request),
            previous_hash=head.last_hash,
        )
        entry.entry_hash = compute_hash(entry)
        entry.save()
        head.last_hash = entry.entry_hash
        head.save(update_fields=["last_hash"])
    return entry


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


def verify_chain() -> ChainBreak | None:
    """Walk the chain from the first entry; return the first entry that does not match, if any."""
    expected_previous = GENESIS
    last_id = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.previous_hash != expected_previous:
            return ChainBreak(entry.pk, "previous hash does not match the entry before it")
        if compute_hash(entry) != entry.entry_hash:
            return ChainBreak(entry.pk, "content does not match its hash")
        expected_previous = entry.entry_hash
        last_id = entry.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != expected_previous:
        return ChainBreak(last_id + 1, "entries after this one are missing")
    return None
