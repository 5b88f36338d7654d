"""`liaison backup` and `liaison restore`, run as an operator runs them: as commands, against a
data folder and a database of their own, while other processes write.

The suite's own database decides the kind: SQLite by default, PostgreSQL when DATABASE_URL
points there (a source and a target database are created for the module and dropped after).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

SUITE_DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SUITE_DATABASE_URL.startswith(("postgres://", "postgresql://"))

# A writer process: threads append audit entries (two of them with an uploaded file each),
# and print one line per write once its transaction has committed: "<unix time> <entry id>".
WRITER = r"""
import os, sys, threading, time
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from liaison.audit.models import AuditAction
from liaison.audit.services import record

stop_file = sys.argv[1]
lock = threading.Lock()

def write(thread: int) -> None:
    n = 0
    while not os.path.exists(stop_file):
        n += 1
        name = f"w{thread}-{n}"
        with transaction.atomic():
            if thread < 2:
                stored = default_storage.save(f"reliability/{name}.txt", ContentFile(name.encode()))
            else:
                stored = ""
            record(actor=None, action=AuditAction.CREATE, object_type="reliability",
                   object_id=name, summary=stored, username="writer")
        with lock:
            print(f"{time.time():.6f} {name} {stored}", flush=True)
    connection.close()

threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
for t in threads: t.start()
for t in threads: t.join()
"""


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@dataclass
class Site:
    """One Liaison install: a data folder and (on PostgreSQL) a database of its own."""

    data_dir: Path
    database: str | None = None
    environment: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [sys.executable, "-m", "liaison.cli", *args],
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def audit_object_ids(self) -> list[str]:
        query = "SELECT object_id FROM audit_auditentry WHERE object_type = 'reliability'"
        if self.database is None:
            with sqlite3.connect(self.data_dir / "liaison.sqlite3") as db:
                return [row[0] for row in db.execute(query)]
        import psycopg

        with psycopg.connect(self.environment["DATABASE_URL"]) as db:
            return [row[0] for row in db.execute(query)]

    def audit_entry_count(self) -> int:
        query = "SELECT COUNT(*) FROM audit_auditentry"
        if self.database is None:
            with sqlite3.connect(self.data_dir / "liaison.sqlite3") as db:
                return int(db.execute(query).fetchone()[0])
        import psycopg

        with psycopg.connect(self.environment["DATABASE_URL"]) as db:
            row = db.execute(query).fetchone()
            assert row is not None
            return int(row[0])


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(SUITE_DATABASE_URL, "postgres"), autocommit=True) as db:
        db.execute(statement)


def make_site(root: Path, label: str) -> Site:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LIAISON_", "DJANGO_")) and key != "DATABASE_URL"
    }
    data_dir = root / label
    environment["LIAISON_DATA_DIR"] = str(data_dir)
    environment["DJANGO_SETTINGS_MODULE"] = "liaison.settings"
    database = None
    if ON_POSTGRES:
        database = f"test_{label}_{uuid.uuid4().hex[:8]}"
        _admin(f'CREATE DATABASE "{database}"')
        environment["DATABASE_URL"] = _with_database(SUITE_DATABASE_URL, database)
    return Site(data_dir, database, environment)


def drop_site(site: Site) -> None:
    if site.database is not None:
        _admin(f'DROP DATABASE IF EXISTS "{site.database}" WITH (FORCE)')


@dataclass
class Backup:
    source: Site
    archive: Path
    confirmed_before: dict[str, str]  # entry id → stored file, confirmed before `backup` began
    confirmed_all: dict[str, str]
    backup_seconds: float


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Site]]:
    made: list[Site] = []
    yield made
    for site in made:
        drop_site(site)


def new_site(sites: list[Site], root: Path, label: str) -> Site:
    site = make_site(root, label)
    sites.append(site)
    return site


@pytest.fixture(scope="module")
def backup_under_writes(tmp_path_factory: pytest.TempPathFactory, sites: list[Site]) -> Backup:
    """Migrate a fresh install, start four writing threads, back up while they write."""
    root = tmp_path_factory.mktemp("backup")
    source = new_site(sites, root, "source")
    migrated = source.run("migrate", "--verbosity=0")
    assert migrated.returncode == 0, migrated.stderr

    stop_file = root / "stop"
    writer = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", WRITER, str(stop_file)],
        env=source.environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    confirmed: list[tuple[float, str, str]] = []

    def read_confirmations() -> None:
        assert writer.stdout is not None
        for line in writer.stdout:
            moment, name, *stored = line.split()
            confirmed.append((float(moment), name, stored[0] if stored else ""))

    reader = threading.Thread(target=read_confirmations)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while len(confirmed) < 60 and time.monotonic() < deadline and writer.poll() is None:
            time.sleep(0.05)
        assert len(confirmed) >= 60, _stderr(writer)
        # given: every write confirmed up to now
        began = time.time()
        # when: a backup is taken while the writers go on
        archive = root / "nightly.tar.gz"
        made = source.run("backup", str(archive))
        backup_seconds = time.time() - began
        assert made.returncode == 0, made.stderr
        time.sleep(0.5)  # the writers go on after the backup, too
    finally:
        stop_file.touch()
        writer.wait(timeout=60)
        reader.join(timeout=60)
    assert writer.returncode == 0, _stderr(writer)
    return Backup(
        source=source,
        archive=archive,
        confirmed_before={name: stored for moment, name, stored in confirmed if moment < began},
        confirmed_all={name: stored for _moment, name, stored in confirmed},
        backup_seconds=backup_seconds,
    )


def _stderr(process: subprocess.Popen[str]) -> str:
    if process.poll() is None or process.stderr is None:
        return ""
    return process.stderr.read()


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {
            info.name: tar.extractfile(info).read()  # type: ignore[union-attr]
            for info in tar.getmembers()
        }


def test_backup_archive_is_owner_only_with_a_manifest_of_every_member(
    backup_under_writes: Backup,
) -> None:
    archive = backup_under_writes.archive
    assert archive.stat().st_mode & 0o777 == 0o600
    members = _members(archive)
    manifest = json.loads(members["manifest.json"])
    assert manifest["database"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["liaison_version"]
    assert "0001_initial" in manifest["migrations"]["audit"]
    assert manifest["audit_entries"] >= len(backup_under_writes.confirmed_before)
    assert set(manifest["members"]) == set(members) - {"manifest.json"}
    # the keys the audit chain needs and the uploads travel with the database
    assert "data/secret_key" in members
    assert any(name.startswith("data/audit/") for name in members)
    assert any(name.startswith("data/uploads/reliability/") for name in members)
    # neither the live database nor its write-ahead log is copied as a file
    assert not any(name.startswith("data/liaison.sqlite3") for name in members)


def test_restore_brings_back_every_write_confirmed_before_the_backup(
    backup_under_writes: Backup, sites: list[Site], tmp_path: Path
) -> None:
    # given: an empty install
    target = new_site(sites, tmp_path, "restore")
    # when
    started = time.monotonic()
    restored = target.run("restore", str(backup_under_writes.archive))
    restore_seconds = time.monotonic() - started
    # then
    assert restored.returncode == 0, restored.stderr
    assert "audit chain intact" in restored.stdout
    ids = set(target.audit_object_ids())
    missing = set(backup_under_writes.confirmed_before) - ids
    assert not missing, f"{len(missing)} confirmed writes lost, e.g. {sorted(missing)[:5]}"
    # nothing that was never confirmed appears (the writers were stopped cleanly)
    assert ids <= set(backup_under_writes.confirmed_all)
    for name in ids:
        stored = backup_under_writes.confirmed_all[name]
        if stored:
            assert (target.data_dir / "uploads" / stored).read_bytes() == name.encode()
    manifest = json.loads(_members(backup_under_writes.archive)["manifest.json"])
    assert target.audit_entry_count() == manifest["audit_entries"]
    # the figures for the README (shown with pytest -s)
    print(
        f"\nbackup under writes ({manifest['database']}): "
        f"{len(backup_under_writes.confirmed_before)} writes confirmed before the backup began, "
        f"{len(backup_under_writes.confirmed_before) - len(missing)} of them restored; "
        f"{manifest['audit_entries']} entries in the archive, "
        f"{len(backup_under_writes.confirmed_all)} confirmed in all; "
        f"`liaison backup` {backup_under_writes.backup_seconds:.1f} s, "
        f"`liaison restore` (with its audit verify) {restore_seconds:.1f} s"
    )
    for command in (("audit", "verify"), ("check",)):
        outcome = target.run(*command)
        assert outcome.returncode == 0, (command, outcome.stdout, outcome.stderr)


def test_restore_refuses_a_data_folder_that_holds_data(backup_under_writes: Backup) -> None:
    source = backup_under_writes.source
    before = source.audit_entry_count()
    refused = source.run("restore", str(backup_under_writes.archive))
    assert refused.returncode != 0
    assert "nothing was restored" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert source.audit_entry_count() == before


def test_restore_refuses_a_data_folder_with_files_though_its_database_is_empty(
    backup_under_writes: Backup, sites: list[Site], tmp_path: Path
) -> None:
    target = new_site(sites, tmp_path, "leftover")
    (target.data_dir / "uploads").mkdir(parents=True)
    (target.data_dir / "uploads" / "earlier.pdf").write_bytes(b"%PDF")
    refused = target.run("restore", str(backup_under_writes.archive))
    assert refused.returncode != 0
    assert "empty data folder" in refused.stderr
    assert "uploads/earlier.pdf" in refused.stderr


def _rewrite(archive: Path, into: Path, change: dict[str, bytes]) -> None:
    """A copy of ``archive`` whose named members carry other bytes (the manifest unchanged)."""
    with tarfile.open(archive) as source, tarfile.open(into, "w:gz") as target:
        for info in source.getmembers():
            data = change.get(info.name)
            if data is None:
                data = source.extractfile(info).read()  # type: ignore[union-attr]
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))


def test_restore_refuses_an_archive_whose_member_does_not_match_its_checksum(
    backup_under_writes: Backup, sites: list[Site], tmp_path: Path
) -> None:
    # given: an archive in which one uploaded file was altered
    members = _members(backup_under_writes.archive)
    upload = next(name for name in members if name.startswith("data/uploads/"))
    damaged = tmp_path / "damaged.tar.gz"
    _rewrite(backup_under_writes.archive, damaged, {upload: b"not what was saved"})
    target = new_site(sites, tmp_path, "damaged")
    # when
    refused = target.run("restore", str(damaged))
    # then
    assert refused.returncode != 0
    assert f"{upload} does not match its checksum" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (target.data_dir / "uploads").exists()
    assert not (target.data_dir / "audit").exists()


def test_restore_refuses_a_truncated_archive(
    backup_under_writes: Backup, sites: list[Site], tmp_path: Path
) -> None:
    truncated = tmp_path / "truncated.tar.gz"
    data = backup_under_writes.archive.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    target = new_site(sites, tmp_path, "truncated")
    refused = target.run("restore", str(truncated))
    assert refused.returncode != 0
    assert "damaged or not a Liaison backup" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_scheduled_backups_keep_the_newest_n(backup_under_writes: Backup, tmp_path: Path) -> None:
    # given: a backup folder with last night's archive and a file of someone else's
    folder = tmp_path / "backups"
    folder.mkdir()
    oldest = folder / "liaison-backup-20250101T020000000000Z.tar.gz"
    oldest.write_bytes(backup_under_writes.archive.read_bytes())
    unrelated = folder / "notes.txt"
    unrelated.write_text("keep me")
    source = backup_under_writes.source
    # when: two scheduled runs keep 2
    written = []
    for _ in range(2):
        made = source.run("backup", "--dir", str(folder), "--keep", "2")
        assert made.returncode == 0, made.stderr
        written.append(Path(made.stdout.split("Backup written to ")[1].split(" in ")[0]).name)
    # then: the two new ones remain, the oldest went, the unrelated file stays
    assert sorted(path.name for path in folder.iterdir()) == sorted([*written, "notes.txt"])
    assert f"Deleted the older backup {oldest.name}" in made.stdout
    assert all((folder / name).stat().st_mode & 0o777 == 0o600 for name in written)


def test_backup_refuses_to_overwrite_an_existing_file(backup_under_writes: Backup) -> None:
    before = backup_under_writes.archive.read_bytes()
    refused = backup_under_writes.source.run("backup", str(backup_under_writes.archive))
    assert refused.returncode != 0
    assert "already exists" in refused.stderr
    assert backup_under_writes.archive.read_bytes() == before
