"""``verify`` while others write: it must read one moment of the chain and never report a break
that is not there (a commit landing between reading the entries and reading the head did)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.utils import load_backend

from liaison.audit.models import AuditAction, AuditChainHead, AuditEntry
from liaison.audit.services import ChainBreak, verify_chain

VERIFICATIONS = 40
WRITERS = 2


@dataclass
class SharedDatabase:
    """The database every thread of the test writes to: the test database on PostgreSQL; on
    SQLite a WAL file like a deployment's (the in-memory test database has no WAL, and there
    a reader locks writers out instead of reading a snapshot)."""

    settings_dict: dict[str, Any] | None = None

    def enter_thread(self) -> None:
        if self.settings_dict is not None:
            backend = load_backend(self.settings_dict["ENGINE"])
            connections["default"] = backend.DatabaseWrapper(dict(self.settings_dict), "default")

    def leave_thread(self) -> None:
        connection.close()


@pytest.fixture
def shared_database(django_db_blocker: Any, tmp_path: Path) -> Iterator[SharedDatabase]:
    if connection.vendor != "sqlite":
        yield SharedDatabase()
        return
    shared = SharedDatabase(
        settings_dict={**connection.settings_dict, "NAME": str(tmp_path / "liaison.sqlite3")}
    )
    with django_db_blocker.unblock():
        test_database = connections["default"]
        shared.enter_thread()
        try:
            with connection.schema_editor() as editor:
                editor.create_model(AuditChainHead)
                editor.create_model(AuditEntry)
            yield shared
        finally:
            shared.leave_thread()
            connections["default"] = test_database


@pytest.mark.django_db(transaction=True)
def test_verify_reports_no_break_while_two_writers_append(shared_database: SharedDatabase) -> None:
    # given: two writers appending batches of one to three entries as fast as they can
    stop = threading.Event()
    failures: list[BaseException] = []
    appended = [0] * WRITERS

    def writer(number: int) -> None:
        shared_database.enter_thread()
        try:
            batch = 0
            while not stop.is_set():
                with transaction.atomic():
                    for _ in range(1 + batch % 3):
                        record_view(number)
                        appended[number] += 1
                batch += 1
                time.sleep(0.002)  # a busy server, not a benchmark: verify gets the CPU too
        except BaseException as error:  # reported by the test below
            failures.append(error)
        finally:
            shared_database.leave_thread()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()

    # when: verify runs again and again meanwhile
    false_alarms: list[ChainBreak] = []
    try:
        while sum(appended) < 20 and not failures:
            time.sleep(0.01)
        for _ in range(VERIFICATIONS):
            broken = verify_chain()
            if broken is not None:
                false_alarms.append(broken)
        during = sum(appended)
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    # then: the writers wrote throughout, and verify never cried wolf
    assert failures == []
    assert during > VERIFICATIONS
    assert false_alarms == []
    assert verify_chain() is None


def record_view(writer: int) -> None:
    from liaison.audit.services import record

    record(
        actor=None,
        username=f"writer-{writer}",
        action=AuditAction.VIEW,
        object_type="exchange.Intelligence",
        object_id=str(writer),
    )
