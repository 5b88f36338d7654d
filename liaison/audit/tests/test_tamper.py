"""Someone who can write to the database tries to hide what happened; ``verify`` must notice.

Each attack recomputes everything that can be recomputed without the audit key: the SHA-256
chain, the head row. What it cannot forge is the keyed MAC of each entry and the signed
checkpoints kept outside the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command

from liaison.audit.models import AuditAction, AuditChainHead, AuditEntry
from liaison.audit.services import compute_hash, record, verify_chain


@pytest.fixture
def chain(db: None, django_capture_on_commit_callbacks: Callable[..., object]) -> list[AuditEntry]:
    """Five entries, each appended in its own committed batch (so each leaves a checkpoint)."""
    entries = []
    for number in range(5):
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
            entries.append(
                record(
                    actor=None,
                    username="mallory" if number == 2 else "lan",
                    action=AuditAction.VIEW,
                    object_type="exchange.Intelligence",
                    object_id=str(number),
                    summary=f"viewed report {number}",
                )
            )
    return entries


def _rehash_from(first: AuditEntry) -> None:
    """What an attacker without the key can do: recompute every SHA hash from ``first`` on and
    point the head at the new last hash."""
    previous = first.previous_hash
    for entry in AuditEntry.objects.filter(id__gte=first.pk).order_by("id"):
        entry.previous_hash = previous
        entry.entry_hash = compute_hash(entry)
        entry.save(update_fields=["previous_hash", "entry_hash"])
        previous = entry.entry_hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous)


def test_rewritten_entry_is_found_even_with_the_sha_chain_recomputed(chain) -> None:
    # given: the attacker changes who looked at report 2 and repairs every SHA-256 after it
    victim = AuditEntry.objects.get(pk=chain[2].pk)
    victim.actor_username = "lan"
    victim.save(update_fields=["actor_username"])
    _rehash_from(victim)

    # when
    broken = verify_chain()

    # then: the MAC, which needs the key, gives it away at the rewritten entry
    assert broken is not None
    assert broken.entry_id == chain[2].pk
    with pytest.raises(CommandError, match=f"entry {chain[2].pk}"):
        call_command("audit", "verify")


def test_reordered_entries_are_found_even_with_the_sha_chain_recomputed(chain) -> None:
    # given: entries 1 and 2 swap places (their content is exchanged), hashes recomputed
    first = AuditEntry.objects.get(pk=chain[1].pk)
    second = AuditEntry.objects.get(pk=chain[2].pk)
    fields = ["created_at", "actor_username", "object_id", "summary", "entry_mac"]
    for name in fields:
        a, b = getattr(first, name), getattr(second, name)
        setattr(first, name, b)
        setattr(second, name, a)
    first.save(update_fields=fields)
    second.save(update_fields=fields)
    _rehash_from(first)

    # when / then
    broken = verify_chain()
    assert broken is not None
    assert broken.entry_id == chain[1].pk


def test_deleted_newest_entries_are_found_against_the_last_checkpoint(chain) -> None:
    # given: the last two entries deleted, and the head moved back to the new last entry
    counted = AuditChainHead.objects.get(pk=1).length
    AuditEntry.objects.filter(pk__in=[chain[3].pk, chain[4].pk]).delete()
    survivor = chain[2]
    AuditChainHead.objects.filter(pk=1).update(
        last_hash=survivor.entry_hash,
        last_mac=survivor.entry_mac,
        length=counted - 2,
        last_entry_id=survivor.pk,
    )

    # when
    broken = verify_chain()

    # then: the signed checkpoint outside the database counted every entry
    assert broken is not None
    assert f"counted {counted} entries, up to entry {chain[4].pk}" in broken.reason
    with pytest.raises(CommandError, match="missing"):
        call_command("audit", "verify")


def test_forged_checkpoint_line_is_refused(chain, settings) -> None:
    # given: someone with the file (not the key) edits the last checkpoint's count
    path = settings.AUDIT_CHECKPOINT_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    last["count"] = 3
    lines[-1] = json.dumps(last)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # when / then
    broken = verify_chain()
    assert broken is not None
    assert "signature" in broken.reason
    with pytest.raises(CommandError, match="signature"):
        call_command("audit", "verify")
