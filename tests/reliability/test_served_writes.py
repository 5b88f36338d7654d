"""Concurrent writers through ``liaison serve`` (gunicorn, on a loopback port) while ``liaison
audit verify`` runs again and again: every confirmed write is saved once, no unconfirmed write
is saved, every write is answered within 15 s, and verify never reports a break.

SQLite by default, PostgreSQL when DATABASE_URL points there (a database of its own).
"""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from benchmarks.served import OFFICERS, Officer, Server, incident, post_of
from tests.reliability.conftest import size
from tests.reliability.test_backup_restore import Site, drop_site, make_site

ANSWER_WITHIN = 15.0


@dataclass
class Outcome:
    confirmed: list[str] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Server]]:
    root = tmp_path_factory.mktemp("served")
    site = make_site(root, "served")
    server = Server(site.environment, workers=2)
    try:
        loaded = site.run("demo", "--no-serve", timeout=900)
        assert loaded.returncode == 0, loaded.stderr
        server.start(root / "serve.log")
        yield site, server
    finally:
        server.stop()
        drop_site(site)


def summaries(site: Site) -> Counter[str]:
    query = "SELECT summary FROM exchange_incident WHERE summary LIKE 'reliability-%'"
    if site.database is None:
        with sqlite3.connect(site.data_dir / "liaison.sqlite3") as db:
            return Counter(row[0] for row in db.execute(query))
    import psycopg

    with psycopg.connect(site.environment["DATABASE_URL"]) as db:
        return Counter(row[0] for row in db.execute(query))


def test_concurrent_writers_lose_nothing_double_nothing_and_verify_raises_no_false_alarm(
    served: tuple[Site, Server],
) -> None:
    site, server = served
    writes_each = size(40, least=8)
    outcome = Outcome()
    writing = threading.Event()
    writing.set()

    def writer(username: str, copy: int) -> None:
        officer = Officer(server.port, username, timeout=60)
        officer.sign_in()
        for n in range(writes_each):
            summary = f"reliability-{username}-{copy}-{n}"
            try:
                answer = officer.post_json(
                    "/api/exchange/incidents", incident(post_of(username), summary)
                )
            except OSError as error:
                with outcome.lock:
                    outcome.failed.append((summary, repr(error)))
                continue
            with outcome.lock:
                outcome.seconds.append(answer.seconds)
                if answer.status == 201:
                    outcome.confirmed.append(summary)
                else:
                    outcome.refused.append((summary, answer.status))

    verifications: list[subprocess.CompletedProcess[str]] = []

    def verifier() -> None:
        while writing.is_set():
            verifications.append(site.run("audit", "verify", timeout=300))

    # given: writers at five posts, two sessions each (ten at once), and an auditor verifying
    threads = [
        threading.Thread(target=writer, args=(username, copy))
        for username in OFFICERS[:5]
        for copy in range(2)
    ]
    auditor = threading.Thread(target=verifier)
    began = time.monotonic()
    auditor.start()
    # when: they all write at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    writing.clear()
    auditor.join(timeout=600)
    elapsed = time.monotonic() - began

    # then: every answer came in time and every write was confirmed
    assert not outcome.failed, outcome.failed[:5]
    assert not outcome.refused, outcome.refused[:5]
    assert max(outcome.seconds) < ANSWER_WITHIN, max(outcome.seconds)
    # every confirmed write is saved exactly once, and nothing else was saved
    saved = summaries(site)
    lost = set(outcome.confirmed) - set(saved)
    doubled = {summary for summary, count in saved.items() if count > 1}
    ghosts = set(saved) - set(outcome.confirmed)
    assert not lost, sorted(lost)[:5]
    assert not doubled, sorted(doubled)[:5]
    assert not ghosts, sorted(ghosts)[:5]
    # verify, run while they wrote, never cried wolf
    alarms = [v for v in verifications if v.returncode != 0]
    assert verifications
    assert not alarms, (alarms[0].stdout + alarms[0].stderr)[-2000:]
    final = site.run("audit", "verify")
    assert final.returncode == 0, final.stdout + final.stderr
    ordered = sorted(outcome.seconds)
    print(  # figures for the README (pytest -s)
        f"\nserved writes ({'PostgreSQL' if site.database else 'SQLite'}): "
        f"{len(outcome.confirmed)} incidents by {len(threads)} clients in {elapsed:.1f} s, "
        f"0 lost, 0 doubled, 0 ghost; p50 {ordered[len(ordered) // 2] * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms; audit verify {len(verifications)} runs during "
        "the writes, 0 false alarms"
    )
