"""The audit keys outside the database, the checkpoint file, and what verify says about them."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import transaction

from liaison.audit.keys import (
    AuditKeyError,
    chain_key,
    forget_loaded_keys,
    public_key_pem,
)
from liaison.audit.models import AuditAction, AuditChainHead, AuditEntry
from liaison.audit.services import compute_hash, inspect_chain, record, verify_chain
from liaison.datafolder import read_or_create_secret_file

Capture = Callable[..., object]


def _view(number: int) -> AuditEntry:
    return record(
        actor=None,
        username="lan",
        action=AuditAction.VIEW,
        object_type="exchange.Incident",
        object_id=str(number),
    )


@pytest.fixture
def own_audit_folder(settings, tmp_path: Path) -> Iterator[Path]:
    """Keys and checkpoints in a folder of this test's own (the chain key stays the session's:
    the database already holds entries sealed with it)."""
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "audit" / "checkpoint-signing.key"
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit" / "checkpoints.jsonl"
    forget_loaded_keys()
    yield tmp_path / "audit"
    forget_loaded_keys()


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- keys -------------------------------------------------------------------------------------


def test_generated_secret_is_owner_only_and_the_same_for_every_worker(tmp_path: Path) -> None:
    # given: eight workers starting at once, each ready to generate its own key
    path = tmp_path / "audit" / "chain.key"
    results: list[bytes] = []
    start = threading.Barrier(8)

    def worker(number: int) -> None:
        start.wait()
        results.append(read_or_create_secret_file(path, lambda: f"key-{number}".encode()))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: one key, read by all, readable by its owner only, no drafts left behind
    assert len(set(results)) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["chain.key"]


def test_chain_key_from_the_environment_is_used_as_given(settings) -> None:
    settings.AUDIT_KEY = "k" * 40
    try:
        assert chain_key(create=False).secret == b"k" * 40
    finally:
        forget_loaded_keys()


def test_missing_chain_key_stops_verify_with_a_message_not_a_traceback(
    db: None, settings, tmp_path: Path
) -> None:
    # given: a sealed chain, and its key gone from the data folder
    _view(1)
    settings.AUDIT_KEY_FILE = tmp_path / "gone" / "chain.key"
    forget_loaded_keys()
    try:
        # when
        with pytest.raises(CommandError) as raised:
            call_command("audit", "verify")

        # then: exit status 2 (cannot check), and where the key should be
        assert raised.value.returncode == 2
        assert "LIAISON_AUDIT_KEY" in str(raised.value)
        assert str(settings.AUDIT_KEY_FILE) in str(raised.value)
        # and no new key was made up in its place
        assert not settings.AUDIT_KEY_FILE.exists()
    finally:
        forget_loaded_keys()


def test_missing_chain_key_refuses_new_entries_instead_of_starting_a_second_key(
    db: None, settings, tmp_path: Path
) -> None:
    _view(1)
    settings.AUDIT_KEY_FILE = tmp_path / "gone" / "chain.key"
    forget_loaded_keys()
    try:
        with pytest.raises(AuditKeyError, match="LIAISON_AUDIT_KEY"):
            _view(2)
        assert not settings.AUDIT_KEY_FILE.exists()
    finally:
        forget_loaded_keys()


def test_a_different_chain_key_is_named_as_such(
    db: None, settings, own_audit_folder: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        _view(1)
    settings.AUDIT_KEY = "another key, at least thirty-two characters"
    forget_loaded_keys()
    with pytest.raises(CommandError, match="not the key that sealed the chain") as raised:
        call_command("audit", "verify")
    assert raised.value.returncode == 2


# --- checkpoints ------------------------------------------------------------------------------


def test_one_checkpoint_per_committed_batch(
    db: None, settings, own_audit_folder: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    # when: one transaction appends three entries
    with (
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[attr-defined]
        transaction.atomic(),
    ):
        entries = [_view(n) for n in range(3)]

    # then: one checkpoint, for the last of them, in an owner-only file
    lines = _lines(settings.AUDIT_CHECKPOINT_FILE)
    head = AuditChainHead.objects.get(pk=1)
    assert len(lines) == 1
    assert lines[0]["count"] == head.length
    assert lines[0]["last_id"] == entries[-1].pk
    assert lines[0]["head_mac"] == entries[-1].entry_mac
    assert stat.S_IMODE(settings.AUDIT_CHECKPOINT_FILE.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.AUDIT_SIGNING_KEY_FILE.stat().st_mode) == 0o600
    assert verify_chain() is None


def test_checkpoint_never_counts_an_entry_a_savepoint_rolled_back(
    db: None, settings, own_audit_folder: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    # given: a batch whose first entry is rolled back with its savepoint, and one whose
    # middle entry is
    with (
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[attr-defined]
        transaction.atomic(),
    ):
        with pytest.raises(RuntimeError), transaction.atomic():
            _view(1)
            raise RuntimeError
        kept = _view(2)
    with (
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[attr-defined]
        transaction.atomic(),
    ):
        _view(3)
        with pytest.raises(RuntimeError), transaction.atomic():
            _view(4)
            raise RuntimeError
        last = _view(5)

    # then: each batch left one checkpoint, of what was kept, and the chain verifies
    lines = _lines(settings.AUDIT_CHECKPOINT_FILE)
    assert [line["last_id"] for line in lines] == [kept.pk, last.pk]
    assert not AuditEntry.objects.filter(
        object_type="exchange.Incident", object_id__in=["1", "4"]
    ).exists()
    assert verify_chain() is None


def test_auditor_checks_checkpoints_with_a_copy_of_the_public_key(
    db: None,
    settings,
    own_audit_folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    # given: the public key printed for the auditor, and a chain with checkpoints
    call_command("audit", "public-key")
    printed = capsys.readouterr().out
    assert "BEGIN PUBLIC KEY" in printed
    copy = tmp_path / "liaison-audit.pub"
    copy.write_text(printed.split("fingerprint:")[0], encoding="ascii")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        _view(1)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        _view(2)

    # when / then: the copy checks them
    call_command("audit", "verify", "--public-key", str(copy))
    assert "2 signed checkpoints" in capsys.readouterr().out

    # and: checkpoints re-signed with a key the attacker made do not pass the auditor's copy
    settings.AUDIT_SIGNING_KEY_FILE.unlink()
    settings.AUDIT_CHECKPOINT_FILE.unlink()
    forget_loaded_keys()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        _view(3)
    with pytest.raises(CommandError, match="signature") as raised:
        call_command("audit", "verify", "--public-key", str(copy))
    assert raised.value.returncode == 1


def test_checkpoint_signed_by_a_foreign_key_is_refused(
    db: None, settings, own_audit_folder: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    # given: a valid line, and one appended by someone with write access to the file only
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        _view(1)
    from liaison.audit.checkpoints import Checkpoint

    genuine = _lines(settings.AUDIT_CHECKPOINT_FILE)[0]
    forged = Checkpoint(
        count=int(str(genuine["count"])) + 5,
        last_id=999,
        head_hash="0" * 64,
        head_mac="0" * 64,
        keyed_from=genuine["keyed_from"],  # type: ignore[arg-type]
        key_id=str(genuine["key_id"]),
        signer=str(genuine["signer"]),
        time=str(genuine["time"]),
    ).to_line(Ed25519PrivateKey.generate())
    with settings.AUDIT_CHECKPOINT_FILE.open("ab") as handle:
        handle.write(forged)

    # when / then
    with pytest.raises(CommandError, match="line 2 does not match its signature"):
        call_command("audit", "verify")


def test_public_key_pem_round_trips() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    assert public_key_pem(key).startswith("-----BEGIN PUBLIC KEY-----")


# --- entries from before the key ---------------------------------------------------------------


def _make_legacy(entries: list[AuditEntry]) -> None:
    """The chain as the previous release left it: hashes, no MACs, no count in the head."""
    AuditEntry.objects.update(entry_mac="")
    AuditChainHead.objects.filter(pk=1).update(last_mac="", keyed_from=None)


def test_entries_before_the_key_are_hash_checked_and_reported_as_such(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: entries written by the previous release, then one by this one
    old = [_view(n) for n in range(3)]
    _make_legacy(old)
    legacy_count = AuditEntry.objects.count()
    first_sealed = _view(99)

    # when
    report = inspect_chain()

    # then: intact, and it says which entries rest on hashes only
    assert report.broken is None
    assert report.keyed_from == legacy_count + 1
    assert first_sealed.entry_mac
    call_command("audit", "verify")
    assert f"entries 1 to {legacy_count} were written before the chain was keyed" in (
        capsys.readouterr().err
    )


def test_entries_before_the_key_cannot_be_rewritten_once_a_sealed_entry_follows(db: None) -> None:
    # given: a legacy chain anchored by the first sealed entry
    old = [_view(n) for n in range(3)]
    _make_legacy(old)
    sealed = _view(99)

    # when: a legacy entry is rewritten and every SHA after it recomputed, the sealed one too
    victim = AuditEntry.objects.get(pk=old[1].pk)
    victim.summary = "nothing to see"
    previous = victim.previous_hash
    for entry in AuditEntry.objects.filter(id__gte=victim.pk).order_by("id"):
        if entry.pk == victim.pk:
            entry.summary = victim.summary
        entry.previous_hash = previous
        entry.entry_hash = compute_hash(entry)
        entry.save()
        previous = entry.entry_hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous)

    # then: the sealed entry's MAC covered the old hash
    broken = verify_chain()
    assert broken is not None
    assert broken.entry_id == sealed.pk


def test_blanking_macs_to_pass_sealed_entries_off_as_old_ones_is_found(
    db: None, settings, own_audit_folder: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    # given: a sealed chain with a checkpoint; the attacker blanks every MAC and the head's
    # start of the sealed chain, rewrites an entry and recomputes the hashes
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        entries = [_view(n) for n in range(3)]
    _make_legacy(entries)

    # when / then: the signed checkpoint still says where sealing began
    broken = verify_chain()
    assert broken is not None
    assert "signed checkpoints say" in broken.reason


def test_start_up_check_names_a_key_missing_from_a_sealed_chain(settings, tmp_path: Path) -> None:
    from liaison.audit.checks import audit_keys_present

    # given: checkpoints on disk, neither key beside them
    settings.AUDIT_KEY = ""
    settings.AUDIT_KEY_FILE = tmp_path / "chain.key"
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "checkpoint-signing.key"
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "checkpoints.jsonl"
    assert audit_keys_present() == []  # nothing sealed yet: the keys will be generated
    settings.AUDIT_CHECKPOINT_FILE.write_text("{}\n", encoding="utf-8")

    # when / then
    errors = audit_keys_present()
    assert [error.id for error in errors] == ["audit.W001", "audit.W002"]
    assert str(settings.AUDIT_KEY_FILE) in str(errors[0].hint)
