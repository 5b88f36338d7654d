"""Other officers' writes while a large seizure file is imported, as an operator's server sees them:
``liaison serve`` (gunicorn and its background task worker) on a loopback port; one officer uploads
the file through the import page exactly as a browser does (the page's form, its CSRF token,
``multipart/form-data``) and follows the import's progress; officers at four other posts record
incidents through the API all the while, and a reader pages the incident list.

Every write is answered within 15 s, every confirmed write is saved once, no unconfirmed write is
saved, the import records every row, and no reader ever sees part of it. 4,000 rows at full size
(``LIAISON_RELIABILITY_SIZE`` scales it). SQLite by default, PostgreSQL when DATABASE_URL points
there (a database of its own).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from benchmarks.served import Officer, Server, form_fields, incident, post_of
from tests.reliability.conftest import size
from tests.reliability.test_backup_restore import Site, drop_site, make_site

ANSWER_WITHIN = 15.0
IMPORTER = "lan.customs.mocbai"
WRITERS = [
    "hung.police.dienbien",
    "mai.army.cautreo",
    "dara.police.bavet",
    "somphone.customs.dansavanh",
]
READER = "tuan.head.mocbai"  # the head of the importer's post: sees what she records
IMPORT_PAGE = "/exchange/incidents/import/"

SETUP = r"""
import django
django.setup()
from liaison.reference.services import ensure_reference_loaded
from liaison.registry.demo import load_demo_registry
load_demo_registry()
ensure_reference_loaded()
"""


@dataclass
class Writes:
    confirmed: list[str] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Reads:
    counts: Counter[int] = field(default_factory=Counter)
    errors: list[tuple[int, str]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Server]]:
    root = tmp_path_factory.mktemp("import-served")
    site = make_site(root, "importing")
    server = Server(site.environment, workers=2)
    try:
        migrated = site.run("migrate", "--verbosity=0", timeout=600)
        assert migrated.returncode == 0, migrated.stderr
        loaded = site.run("shell", "--no-startup", "--command", SETUP, timeout=600)
        assert loaded.returncode == 0, loaded.stderr
        server.start(root / "serve.log")
        yield site, server
    finally:
        server.stop()
        drop_site(site)


def seizure_file(rows: int, mark: str) -> bytes:
    header = "case,occurred_at,location,direction,crime_area,commodity,quantity,unit,summary\r\n"
    return (
        header
        + "".join(
            f"C{n},2026-03-14 08:30,international_checkpoint,entry,wildlife,"
            f"species:manis-javanica,{n % 50 + 1},kg,{mark}\r\n"
            for n in range(rows)
        )
    ).encode()


def _query(site: Site, query: str, *parameters: str) -> list[tuple[Any, ...]]:
    if site.database is None:
        with sqlite3.connect(site.data_dir / "liaison.sqlite3") as db:
            return list(db.execute(query.replace("%s", "?"), parameters))
    import psycopg

    with psycopg.connect(site.environment["DATABASE_URL"]) as db:
        return list(db.execute(query, parameters))


def test_writes_during_a_large_web_import_are_answered_in_time_and_none_is_lost_doubled_or_ghost(
    served: tuple[Site, Server],
) -> None:
    site, server = served
    rows = size(4000, least=400)
    mark = f"SEIZEDBATCH{uuid.uuid4().hex[:8]}"
    prefix = f"import-writer-{mark}"
    importing = threading.Event()
    importing.set()
    writes = Writes()
    reads = Reads()

    def writer(username: str) -> None:
        officer = Officer(server.port, username, timeout=60)
        officer.sign_in()
        n = 0
        while importing.is_set() or n < 3:
            n += 1
            summary = f"{prefix}-{username}-{n}"
            try:
                answer = officer.post_json(
                    "/api/exchange/incidents", incident(post_of(username), summary)
                )
            except OSError as error:
                with writes.lock:
                    writes.failed.append((summary, repr(error)))
                continue
            with writes.lock:
                writes.seconds.append(answer.seconds)
                if answer.status == 201:
                    writes.confirmed.append(summary)
                else:
                    writes.refused.append((summary, answer.status, answer.body[:200].decode()))
            time.sleep(0.05)

    def reader() -> None:
        officer = Officer(server.port, READER, timeout=60)
        officer.sign_in()
        page = 0
        # on until the import is over and the reader has seen it whole (or a minute more)
        deadline = float("inf")
        while importing.is_set() or (rows not in reads.counts and time.monotonic() < deadline):
            if not importing.is_set() and deadline == float("inf"):
                deadline = time.monotonic() + 60
            try:
                answer = officer.get(
                    f"/api/exchange/incidents?text={mark}&limit=50&offset={page * 50}"
                )
            except OSError as error:
                reads.errors.append((0, repr(error)))
                continue
            reads.seconds.append(answer.seconds)
            if answer.status != 200:
                reads.errors.append((answer.status, answer.body[:200].decode()))
                continue
            reads.counts[answer.json()["count"]] += 1
            page = (page + 1) % max(1, rows // 50)
            time.sleep(0.05)

    # given: four officers recording incidents at their posts and a reader paging the list
    threads = [threading.Thread(target=writer, args=(name,)) for name in WRITERS]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    importer = Officer(server.port, IMPORTER, timeout=60)
    importer.sign_in()
    time.sleep(1)

    # when: an officer uploads a large seizure file through the import page, as a browser does
    page = importer.get(IMPORT_PAGE)
    assert page.status == 200
    fields = form_fields(page.body)
    assert set(fields) == {"csrfmiddlewaretoken", "blo"}, fields
    began = time.monotonic()
    upload = importer.post_form(
        IMPORT_PAGE, fields, {"file": ("seizures.csv", seizure_file(rows, mark), "text/csv")}
    )
    try:
        assert upload.status == 302, upload.body[:2000]
        progress_path = urllib.parse.urlsplit(upload.location).path
        assert re.fullmatch(r"/exchange/incidents/import/\d+/", progress_path), upload.location
        progress_page = importer.get(progress_path)
        assert progress_page.status == 200
        assert b"data-import-progress" in progress_page.body
        # and follows it as the progress page does, until it finishes
        progress: dict[str, Any] = {}
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            progress = importer.get(f"{progress_path}?format=json").json()
            if progress["finished"]:
                break
            time.sleep(0.5)
        import_seconds = time.monotonic() - began
        time.sleep(1)  # the writers go on after the import, too
    finally:
        importing.clear()
        for thread in threads:
            thread.join(timeout=600)

    # then: the import recorded every row
    assert progress.get("status") == "done", progress
    assert progress["recorded"] == rows
    imported = _query(site, "SELECT COUNT(*) FROM exchange_incident WHERE summary = %s", mark)
    assert imported[0][0] == rows
    # every write was answered in time and confirmed
    assert not writes.failed, writes.failed[:5]
    assert not writes.refused, writes.refused[:5]
    assert len(writes.confirmed) >= 4 * len(WRITERS)
    assert max(writes.seconds) < ANSWER_WITHIN, max(writes.seconds)
    # every confirmed write is saved exactly once, and nothing unconfirmed was saved
    saved = Counter(
        row[0]
        for row in _query(
            site, "SELECT summary FROM exchange_incident WHERE summary LIKE %s", f"{prefix}-%"
        )
    )
    lost = set(writes.confirmed) - set(saved)
    doubled = {summary for summary, count in saved.items() if count > 1}
    ghosts = set(saved) - set(writes.confirmed)
    assert not lost, sorted(lost)[:5]
    assert not doubled, sorted(doubled)[:5]
    assert not ghosts, sorted(ghosts)[:5]
    # the reader was answered in time and saw none of the import or all of it, never a part
    assert not reads.errors, reads.errors[:5]
    assert max(reads.seconds) < ANSWER_WITHIN, max(reads.seconds)
    assert set(reads.counts) <= {0, rows}, sorted(reads.counts)
    assert reads.counts[rows] > 0  # and saw it whole once it was done
    final = importer.get(f"/api/exchange/incidents?text={mark}&limit=1").json()["count"]
    assert final == rows
    verified = site.run("audit", "verify", timeout=600)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    ordered = sorted(writes.seconds)
    print(  # figures for the README (pytest -s)
        f"\nwrites during a web import ({'PostgreSQL' if site.database else 'SQLite'}): "
        f"{rows}-row file uploaded through the import page, done in {import_seconds:.1f} s; "
        f"meanwhile {len(writes.confirmed)} incidents by {len(WRITERS)} officers, 0 lost, "
        f"0 doubled, 0 ghost; p50 {ordered[len(ordered) // 2] * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms; {sum(reads.counts.values())} list pages read, "
        f"counts seen {json.dumps(dict(sorted(reads.counts.items())))}, "
        f"slowest {max(reads.seconds) * 1000:.0f} ms"
    )
