"""Upgrading a deployment whose chain was written before the key existed."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from liaison.audit.models import AuditAction, AuditChainHead, AuditEntry
from liaison.audit.services import GENESIS, inspect_chain, record

BEFORE = [("audit", "0003_remote_addr_label")]
AFTER = [("audit", "0004_keyed_chain")]


def _old_hash(fields: dict[str, object]) -> str:
    """The previous release's hash, written out here so the test does not lean on today's."""
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    ).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_existing_chain_is_counted_then_anchored_by_the_first_sealed_entry() -> None:
    # given: the database as the previous release left it, three entries and the head
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    state = executor.loader.project_state(BEFORE)
    old_entry = state.apps.get_model("audit", "AuditEntry")
    old_head = state.apps.get_model("audit", "AuditChainHead")
    old_entry.objects.all().delete()
    old_head.objects.all().delete()
    previous = GENESIS
    for number in range(3):
        created_at = timezone.now()
        fields: dict[str, object] = {
            "created_at": created_at.isoformat(),
            "actor_id": None,
            "actor_username": "lan",
            "action": "view",
            "object_type": "exchange.Incident",
            "object_id": str(number),
            "summary": "",
            "changes": {},
            "remote_addr": "",
            "previous_hash": previous,
        }
        entry_hash = _old_hash(fields)
        old_entry.objects.create(
            created_at=created_at,
            actor_username="lan",
            action="view",
            object_type="exchange.Incident",
            object_id=str(number),
            previous_hash=previous,
            entry_hash=entry_hash,
        )
        previous = entry_hash
    old_head.objects.create(pk=1, last_hash=previous)
    last_id = old_entry.objects.order_by("-id").first().pk

    # when: migrated, and a new entry appended by this release
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    head = AuditChainHead.objects.get(pk=1)
    assert (head.length, head.last_entry_id, head.keyed_from) == (3, last_id, None)
    assert inspect_chain().broken is None
    sealed = record(
        actor=None, username="lan", action=AuditAction.VIEW, object_type="exchange.Incident"
    )

    # then: the old entries are hash-only, the new one is sealed and covers them
    report = inspect_chain()
    assert report.broken is None
    assert report.keyed_from == 4
    assert report.entries == 4
    assert AuditEntry.objects.get(pk=sealed.pk).previous_hash == previous
    assert any("entries 1 to 3 were written before the chain was keyed" in n for n in report.notes)
