"""Appending to and verifying the audit chain. Every write in Liaison records itself here, inside
the same transaction as the change it describes.

Three things make the chain tamper-evident against someone who can write to the database:

- each entry's SHA-256 covers its content and the hash of the entry before it;
- each entry's HMAC, with the chain key kept outside the database (``liaison.audit.keys``),
  covers its content, its number in the chain and the MAC before it: a rewritten, inserted,
  deleted or moved entry cannot be sealed again without the key;
- after every batch of entries commits, a checkpoint (entry count, last entry, head MAC),
  signed with an Ed25519 key, is appended to a file outside the database
  (``liaison.audit.checkpoints``): entries cut from the end are found against it.

Entries written before the chain was keyed carry no MAC; they are checked by hash only, and the
first sealed entry's MAC covers the last hash before it (see migration 0004).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    append_checkpoint,
    read_checkpoints,
)
from liaison.audit.keys import (
    AuditKeyError,
    ChainKey,
    SigningKey,
    chain_key,
    public_key_fingerprint,
    signing_key,
)
from liaison.audit.models import AuditAction, AuditChainHead, AuditEntry
from liaison.caching import data_changed

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
READS_AND_SIGN_INS = frozenset(
    {
        AuditAction.VIEW,
        AuditAction.EXPORT,
        AuditAction.LOGIN,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOGOUT,
    }
)
"""Entries that record no change to the data: they leave the cached reads as they are."""
_MAC_DOMAIN = b"liaison audit entry\n"


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


def compute_hash(entry: AuditEntry, canonical: bytes | None = None) -> str:
    return hashlib.sha256(canonical or _canonical(entry)).hexdigest()


def compute_mac(
    key: ChainKey, number: int, entry: AuditEntry, previous_mac: str, canonical: bytes | None = None
) -> str:
    """The entry's seal: its content (with the previous hash), its number in the chain (so it
    cannot be moved) and the MAC of the entry before it."""
    message = b"%s%d\n%s\n%s" % (
        _MAC_DOMAIN,
        number,
        previous_mac.encode("ascii"),
        canonical or _canonical(entry),
    )
    return key.mac(message)


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
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        # A key may be generated only while nothing is sealed with one: a sealed chain whose key
        # has gone missing stops writes with a message instead of starting a second key.
        key = chain_key(create=head.keyed_from is None)
        number = head.length + 1
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
        canonical = _canonical(entry)
        entry.entry_hash = compute_hash(entry, canonical)
        entry.entry_mac = compute_mac(key, number, entry, head.last_mac, canonical)
        entry.save()
        head.last_hash = entry.entry_hash
        head.last_mac = entry.entry_mac
        head.length = number
        head.last_entry_id = entry.pk
        if head.keyed_from is None:
            head.keyed_from = number
        head.save(update_fields=["last_hash", "last_mac", "length", "last_entry_id", "keyed_from"])
        _checkpoint_when_committed()
        if action not in READS_AND_SIGN_INS:
            # every write of every app records its entry here: cached reads go stale on commit
            data_changed()
    return entry


class _CheckpointAfterCommit:
    """The on-commit callback of one batch: writes one checkpoint, once."""

    def __init__(self) -> None:
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        _write_checkpoint()


def _checkpoint_when_committed() -> None:
    """One checkpoint per committed batch, however many entries the transaction appended.

    A callback is registered only when none is pending in this transaction. A pending one
    registered inside a savepoint that later rolls back is dropped by Django, and then so are
    the entries appended since (they were inside the same savepoint), so the next entry
    registers anew. The callback reads the committed head, so it never signs an entry that a
    rollback took away.
    """
    connection = transaction.get_connection()
    for _sids, func, _robust in connection.run_on_commit:
        if isinstance(func, _CheckpointAfterCommit) and not func.ran:
            return
    transaction.on_commit(_CheckpointAfterCommit(), robust=True)


def _checkpoint_signing_key() -> SigningKey:
    try:
        return signing_key(create=False)
    except AuditKeyError:
        if settings.AUDIT_CHECKPOINT_FILE.exists():
            raise  # checkpoints were signed with a key that is gone: say so, sign nothing
        return signing_key(create=True)


def _committed_head() -> tuple[int, int | None, str, str, int | None] | None:
    # Plain SQL: this runs after every committed batch, and the ORM would cost more than the
    # signature.
    connection = transaction.get_connection()
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT length, last_entry_id, last_hash, last_mac, keyed_from FROM {table} "  # noqa: S608
            "WHERE id = 1"
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3], row[4])


def _write_checkpoint() -> None:
    try:
        head = _committed_head()
        if head is None:
            return
        length, last_entry_id, last_hash, last_mac, keyed_from = head
        if length == 0 or last_entry_id is None:
            return
        signer = _checkpoint_signing_key()
        checkpoint = Checkpoint(
            count=length,
            last_id=last_entry_id,
            head_hash=last_hash,
            head_mac=last_mac,
            keyed_from=keyed_from,
            key_id=chain_key(create=False).key_id,
            signer=signer.fingerprint,
            time=timezone.now().isoformat(timespec="microseconds"),
        )
        append_checkpoint(settings.AUDIT_CHECKPOINT_FILE, checkpoint, signer.private)
    except (OSError, AuditKeyError):
        # The entries are committed whatever happens here; verify will find the checkpoints
        # behind the chain. The operator must hear of it, the user's request must not fail.
        logger.exception("audit checkpoint not written to %s", settings.AUDIT_CHECKPOINT_FILE)


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int | None  # None when the break is not at an entry (a checkpoint line)
    reason: str


@dataclass
class ChainReport:
    """What ``verify`` found: ``broken`` is None when the chain is intact."""

    entries: int = 0
    keyed_from: int | None = None
    checkpoints: int = 0
    last_checkpoint: Checkpoint | None = None
    notes: list[str] = field(default_factory=list)
    broken: ChainBreak | None = None


@contextmanager
def _consistent_snapshot() -> Iterator[None]:
    """Read the head and every entry as of one moment, while others go on appending.

    PostgreSQL: one REPEATABLE READ, READ ONLY transaction. SQLite: one read transaction
    (``BEGIN DEFERRED``, not the IMMEDIATE mode writes use, which would hold the write lock);
    in WAL mode it reads the database as of its first read and never blocks a writer.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # The caller's transaction (a test's, or a command run inside one) is the snapshot.
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")  # read only: nothing to keep
        return
    with transaction.atomic():
        yield


def _checkpoint_public_key(public_key: Ed25519PublicKey | None) -> Ed25519PublicKey:
    if public_key is not None:
        return public_key
    return signing_key(create=False).public


def inspect_chain(
    *, public_key: Ed25519PublicKey | None = None, checkpoint_file: Path | None = None
) -> ChainReport:
    """Walk the chain from the first entry against the checkpoints; the report names the first
    entry (or checkpoint line) that does not match, if any.

    Raises ``AuditKeyError`` when a key needed to check is missing: that is not a break.
    """
    report = ChainReport()
    path = checkpoint_file or settings.AUDIT_CHECKPOINT_FILE

    # The checkpoints are read before the snapshot: every one was written after its entries
    # committed, so the snapshot holds at least what each of them counts.
    checkpoints: list[tuple[int, Checkpoint]] = []
    if path.exists() and path.stat().st_size:
        checker = _checkpoint_public_key(public_key)
        try:
            checkpoints = read_checkpoints(path, checker, public_key_fingerprint(checker))
        except CheckpointError as error:
            report.broken = ChainBreak(None, error.reason)
            return report
    report.checkpoints = len(checkpoints)

    by_count: dict[int, tuple[int, Checkpoint]] = {}
    for line, checkpoint in checkpoints:
        seen = by_count.get(checkpoint.count)
        if seen is not None and (seen[1].last_id, seen[1].head_mac, seen[1].head_hash) != (
            checkpoint.last_id,
            checkpoint.head_mac,
            checkpoint.head_hash,
        ):
            report.broken = ChainBreak(
                None,
                _("checkpoint lines %(a)d and %(b)d disagree about entry number %(n)d")
                % {"a": seen[0], "b": line, "n": checkpoint.count},
            )
            return report
        by_count[checkpoint.count] = (line, checkpoint)
    signed_keyed_from = {c.keyed_from for _line, c in checkpoints}
    if len(signed_keyed_from) > 1:
        report.broken = ChainBreak(
            None, _("the checkpoints disagree about where the sealed chain begins")
        )
        return report
    latest = max((c for _line, c in checkpoints), key=lambda c: c.count, default=None)
    report.last_checkpoint = latest

    key: ChainKey | None = None
    if latest is not None:
        key = chain_key(create=False)
        if key.key_id != latest.key_id:
            raise AuditKeyError(
                _(
                    "The audit chain key in use (id %(current)s) is not the key that sealed the "
                    "chain (id %(sealed)s in the checkpoints): restore the original key."
                )
                % {"current": key.key_id, "sealed": latest.key_id}
            )

    with _consistent_snapshot():
        head = AuditChainHead.objects.filter(pk=1).first()
        keyed_from = latest.keyed_from if latest is not None else None
        if head is not None:
            if latest is not None and head.keyed_from != keyed_from:
                report.broken = ChainBreak(
                    None,
                    _(
                        "the chain head says entries are sealed from number %(head)s on, the "
                        "signed checkpoints say from number %(signed)s on"
                    )
                    % {"head": head.keyed_from, "signed": keyed_from},
                )
                return report
            keyed_from = head.keyed_from
        report.keyed_from = keyed_from
        walked = _Walked()
        broken = _walk(key, keyed_from, by_count, walked)
    number, last_id = walked.number, walked.last_id
    report.entries = number
    if broken is not None:
        report.broken = broken
        return report

    if latest is not None and latest.count > number:
        line = by_count[latest.count][0]
        report.broken = ChainBreak(
            last_id,
            _(
                "entries are missing from the end: checkpoint line %(line)d (%(time)s) counted "
                "%(count)d entries, up to entry %(last)d; the database holds %(held)d"
            )
            % {
                "line": line,
                "time": latest.time,
                "count": latest.count,
                "last": latest.last_id,
                "held": number,
            },
        )
        return report
    if head is None:
        if number:
            report.broken = ChainBreak(last_id, _("the chain head is missing"))
        return report
    if (head.length, head.last_hash, head.last_mac) != (
        number,
        walked.last_hash,
        walked.last_mac,
    ):
        report.broken = ChainBreak(
            last_id,
            _(
                "the chain head does not match the last entry: entries after this one are "
                "missing, or the head was changed"
            ),
        )
        return report

    if keyed_from is not None and keyed_from > 1:
        report.notes.append(
            _(
                "entries 1 to %(last)d were written before the chain was keyed: they are checked "
                "by their hashes only, as they stood when entry %(first)d was sealed"
            )
            % {"last": keyed_from - 1, "first": keyed_from}
        )
    if number and latest is None:
        report.notes.append(
            _(
                "no checkpoint found at %(path)s: entries cut from the end of the chain cannot "
                "be detected"
            )
            % {"path": path}
        )
    return report


@dataclass
class _Walked:
    """How far the walk got: the last entry that matched."""

    number: int = 0
    last_hash: str = GENESIS
    last_mac: str = ""
    last_id: int | None = None


def _walk(
    key: ChainKey | None,
    keyed_from: int | None,
    by_count: dict[int, tuple[int, Checkpoint]],
    walked: _Walked,
) -> ChainBreak | None:
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        number = walked.number + 1
        sealed = keyed_from is not None and number >= keyed_from
        if sealed and key is None:
            key = chain_key(create=False)
        fault = _entry_fault(entry, number, walked, key if sealed else None, keyed_from)
        if fault is None and number in by_count:
            line, checkpoint = by_count[number]
            if (checkpoint.last_id, checkpoint.head_hash, checkpoint.head_mac) != (
                entry.pk,
                entry.entry_hash,
                entry.entry_mac,
            ):
                fault = _("the entry does not match checkpoint line %(line)d") % {"line": line}
        if fault is not None:
            return ChainBreak(entry.pk, fault)
        walked.number = number
        walked.last_hash = entry.entry_hash
        walked.last_mac = entry.entry_mac
        walked.last_id = entry.pk
    return None


def _entry_fault(
    entry: AuditEntry,
    number: int,
    walked: _Walked,
    key: ChainKey | None,
    keyed_from: int | None,
) -> str | None:
    """Why entry ``number`` does not follow the entries walked so far; ``key`` is given for
    the entries that must carry a MAC."""
    if entry.previous_hash != walked.last_hash:
        return _("previous hash does not match the entry before it")
    canonical = _canonical(entry)
    if compute_hash(entry, canonical) != entry.entry_hash:
        return _("content does not match its hash")
    if key is None:
        if entry.entry_mac:
            return _("the entry carries a MAC, though it comes before the sealed chain")
        return None
    if not entry.entry_mac:
        return _("the entry has no MAC, though entries are sealed from number %(n)d on") % {
            "n": keyed_from
        }
    if not hmac.compare_digest(
        compute_mac(key, number, entry, walked.last_mac, canonical), entry.entry_mac
    ):
        return _(
            "MAC does not match: the entry was rewritten, moved or inserted "
            "(it is number %(n)d in the chain)"
        ) % {"n": number}
    return None


def verify_chain(
    *, public_key: Ed25519PublicKey | None = None, checkpoint_file: Path | None = None
) -> ChainBreak | None:
    """The first entry (or checkpoint) that does not match, or None when the chain is intact."""
    return inspect_chain(public_key=public_key, checkpoint_file=checkpoint_file).broken
