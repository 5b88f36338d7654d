from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from liaison.audit.models import AuditAction, AuditEntry
from liaison.audit.services import record, verify_chain


@pytest.fixture
def entries(world):
    return [
        record(actor=world.lan, action=AuditAction.VIEW, obj=world.moc_bai, summary="view"),
        record(
            actor=world.tuan,
            action=AuditAction.CHANGE,
            obj=world.moc_bai,
            changes={"notes": {"from": "", "to": "x"}},
        ),
        record(
            actor=world.huong, action=AuditAction.EXPORT, object_type="registry", summary="workbook"
        ),
    ]


def test_each_entry_carries_the_hash_of_the_one_before(entries) -> None:
    assert entries[1].previous_hash == entries[0].entry_hash
    assert entries[2].previous_hash == entries[1].entry_hash
    assert verify_chain() is None


def test_verify_command_exits_zero_when_intact(entries, capsys) -> None:
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out


def test_changed_entry_is_named_by_verify(entries) -> None:
    AuditEntry.objects.filter(pk=entries[1].pk).update(summary="nothing happened")
    broken = verify_chain()
    assert broken is not None and broken.entry_id == entries[1].pk
    with pytest.raises(CommandError, match=f"entry {entries[1].pk}"):
        call_command("audit", "verify")


def test_deleted_entry_breaks_the_chain(entries) -> None:
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    broken = verify_chain()
    assert broken is not None and broken.entry_id == entries[2].pk


def test_removed_last_entry_is_noticed(entries) -> None:
    AuditEntry.objects.filter(pk=entries[2].pk).delete()
    assert verify_chain() is not None
