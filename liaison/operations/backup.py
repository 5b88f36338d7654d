"""``liaison backup`` and ``liaison restore``: one archive that brings a Liaison back whole.

An archive (a gzip'd tar, owner-only) holds:

``data/…``
    every file of the data folder — the secret key, the audit chain's keys and checkpoints,
    the uploads, whatever a later version keeps there — except the live database and the
    caches, so a file added by a future version is backed up without changing this module;
``database/liaison.sqlite3`` or ``database/liaison.pgdump``
    a consistent snapshot taken while the server runs: SQLite's online backup API (a copy of
    the file would miss the transactions still in its write-ahead log), or ``pg_dump``'s custom
    format on PostgreSQL;
``manifest.json`` (last)
    the Liaison version, the database kind, the migrations applied, the number of audit
    entries, the time, and the SHA-256 and size of every other member.

The order of the snapshot matters. The data folder's own files (the audit checkpoints among
them) are read *before* the database, so every checkpoint in the archive describes entries the
database snapshot holds; uploads are read *after* it, so every file a saved row names is there
(a file without a row, from an upload still under way, is harmless).

A restore goes only into an empty data folder and an empty database, checks every checksum
before it writes anything, and then runs ``liaison audit verify`` over what it restored.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypedDict

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader

FORMAT = "liaison-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARCHIVE_PREFIX = "liaison-backup-"
ARCHIVE_SUFFIX = ".tar.gz"
_CHUNK = 1024 * 1024

# Start-up writes these into a data folder by itself (settings.py): a restore may replace them.
STARTUP_FILES = ("secret_key",)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line for the operator."""


class Member(TypedDict):
    sha256: str
    size: int


class Manifest(TypedDict):
    format: str
    format_version: int
    liaison_version: str
    created_at: str
    database: str  # "sqlite" or "postgresql"
    migrations: dict[str, list[str]]
    audit_entries: int
    members: dict[str, Member]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    files: int


# --- what is where ------------------------------------------------------------------------------


def database_kind() -> str:
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _database_member(kind: str) -> str:
    return "database/liaison.sqlite3" if kind == "sqlite" else "database/liaison.pgdump"


def _sqlite_path() -> Path:
    return Path(str(settings.DATABASES["default"]["NAME"]))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _excluded_paths() -> list[Path]:
    """Parts of the data folder that are not data: the live database, caches, static files."""
    excluded: list[Path] = []
    if connection.vendor == "sqlite":
        database = _sqlite_path().resolve()
        excluded += [
            database,
            *(
                database.with_name(database.name + suffix)
                for suffix in ("-wal", "-shm", "-journal")
            ),
        ]
    for cache in settings.CACHES.values():
        if isinstance(cache, dict) and str(cache.get("BACKEND", "")).endswith("FileBasedCache"):
            excluded.append(Path(str(cache["LOCATION"])).resolve())
    # The data folder's cache/ holds caches only: the file caches' default locations and the
    # questionnaires `liaison survey` has converted (cache/forms), rebuilt when missing.
    excluded.append((Path(settings.DATA_DIR) / "cache").resolve())
    excluded.append(Path(settings.STATIC_ROOT).resolve())
    if settings.BACKUP_DIR is not None:
        excluded.append(Path(settings.BACKUP_DIR).resolve())
    return excluded


def _roots() -> list[tuple[str, Path]]:
    """The folders a backup holds, by archive prefix: the data folder, and the audit folder
    when LIAISON_AUDIT_DIR puts it elsewhere."""
    data = Path(settings.DATA_DIR).resolve()
    roots = [("data", data)]
    audit_dir = getattr(settings, "AUDIT_DIR", None)
    if audit_dir is not None and not _inside(Path(audit_dir).resolve(), data):
        roots.append(("audit", Path(audit_dir).resolve()))
    return roots


def _folder_files(media: bool) -> Iterator[tuple[Path, str]]:
    """The regular files of the backed-up folders (``media``: only the uploads; otherwise all
    but them), as (path, archive member name), in a stable order."""
    uploads = Path(settings.MEDIA_ROOT).resolve()
    excluded = _excluded_paths()
    for prefix, root in _roots():
        for folder, subfolders, files in os.walk(root):
            here = Path(folder)
            subfolders[:] = sorted(
                name
                for name in subfolders
                if not any(_inside(here / name, skip) for skip in excluded)
                and not name.startswith(".liaison-")  # a backup's or restore's work folder
            )
            for name in sorted(files):
                path = here / name
                if any(_inside(path, skip) for skip in excluded) or name.startswith(".liaison-"):
                    continue
                if _inside(path, uploads) != media or not path.is_file() or path.is_symlink():
                    continue
                yield path, f"{prefix}/{path.relative_to(root).as_posix()}"


def _member_destination(name: str) -> Path:
    prefix, _, relative = name.partition("/")
    if prefix == "audit":  # backed up from a separate LIAISON_AUDIT_DIR: back to this one's
        return Path(settings.AUDIT_DIR).resolve() / PurePosixPath(relative)
    return dict(_roots())[prefix] / PurePosixPath(relative)


def _applied_migrations(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(rows):
        applied.setdefault(app, []).append(name)
    return applied


def _audit_table() -> str:
    from liaison.audit.models import AuditEntry

    return AuditEntry._meta.db_table


def liaison_version() -> str:
    try:
        return metadata.version("liaison")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- writing an archive -------------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """Reads at most ``size`` bytes of a file, hashing what it hands on."""

    def __init__(self, source: IO[bytes], size: int) -> None:
        self.source = source
        self.remaining = size
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self.remaining:
            size = self.remaining
        chunk = self.source.read(size)
        self.remaining -= len(chunk)
        self.digest.update(chunk)
        return chunk


class _ArchiveWriter:
    def __init__(self, archive: tarfile.TarFile) -> None:
        self.archive = archive
        self.members: dict[str, Member] = {}

    def add_file(self, path: Path, name: str, mode: int = 0o600) -> None:
        try:
            source = path.open("rb")
        except FileNotFoundError:  # deleted since the folder was listed
            return
        with source:
            # The size as of opening: a file appended to meanwhile (the audit checkpoints) is
            # taken up to there, which is a whole number of its lines.
            size = os.fstat(source.fileno()).st_size
            info = tarfile.TarInfo(name)
            info.size = size
            info.mode = mode
            info.mtime = int(path.stat().st_mtime)
            reader = _HashingReader(source, size)
            self.archive.addfile(info, reader)
            if reader.remaining:
                raise BackupError(f"{path} shrank while it was being backed up; try again.")
            self.members[name] = {"sha256": reader.digest.hexdigest(), "size": size}

    def add_bytes(self, data: bytes, name: str) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o600
        info.mtime = int(datetime.now(UTC).timestamp())
        self.archive.addfile(info, io.BytesIO(data))


def _snapshot_sqlite(into: Path) -> tuple[dict[str, list[str]], int]:
    source_path = _sqlite_path()
    if not source_path.exists():
        raise BackupError(f"There is no database at {source_path} to back up.")
    source = sqlite3.connect(source_path, timeout=60)
    target = sqlite3.connect(into)
    try:
        # One step (pages=-1) copies every page inside one read transaction: the snapshot is
        # the database as of one commit, the write-ahead log's committed pages included, and
        # writers carry on meanwhile.
        source.backup(target)
        # The copy inherits WAL mode; an archived database is one self-contained file.
        target.execute("PRAGMA journal_mode=DELETE")
        if target.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise BackupError("The database snapshot failed SQLite's integrity check.")
        migrations = target.execute("SELECT app, name FROM django_migrations").fetchall()
        count = target.execute(f'SELECT COUNT(*) FROM "{_audit_table()}"').fetchone()[0]  # noqa: S608
    except sqlite3.DatabaseError as error:
        raise BackupError(f"Could not read the database {source_path}: {error}.") from None
    finally:
        target.close()
        source.close()
    return _applied_migrations(migrations), int(count)


def _pg_environment() -> dict[str, str]:
    """libpq's environment for the configured database: the password never on a command line."""
    database = settings.DATABASES["default"]
    environment = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        value = database.get(key)
        if value:
            environment[variable] = str(value)
    sslmode = database.get("OPTIONS", {}).get("sslmode")
    if sslmode:
        environment["PGSSLMODE"] = str(sslmode)
    return environment


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} is not installed; it comes with PostgreSQL's client tools "
            "(Debian: apt install postgresql-client)."
        )
    return tool


def _snapshot_postgresql(into: Path) -> tuple[dict[str, list[str]], int]:
    pg_dump = _pg_tool("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        # pg_dump joins this transaction's snapshot: the dump, the migration list and the
        # entry count all describe the same instant.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        cursor.execute("SELECT app, name FROM django_migrations")
        migrations = [(str(app), str(name)) for app, name in cursor.fetchall()]
        cursor.execute(f'SELECT COUNT(*) FROM "{_audit_table()}"')  # noqa: S608
        count = int(cursor.fetchone()[0])
        finished = subprocess.run(  # noqa: S603
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={into}"],
            env=_pg_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
    if finished.returncode != 0:
        detail = (finished.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"pg_dump failed: {detail}")
    return _applied_migrations(migrations), count


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_backup(target: Path) -> BackupResult:
    """Write a backup archive to ``target`` (which must not exist yet), owner-only."""
    started = datetime.now(UTC)
    kind = database_kind()
    target = target.expanduser().resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; name a new file.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    # Written under a hidden name and renamed when complete: an interrupted backup never
    # looks like a good one.
    partial = target.with_name(f".liaison-partial-{os.getpid()}-{target.name}")
    work = Path(tempfile.mkdtemp(prefix=".liaison-backup-", dir=target.parent))
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as archive:
                writer = _ArchiveWriter(archive)
                for path, name in _folder_files(media=False):
                    writer.add_file(path, name, path.stat().st_mode & 0o700 or 0o600)
                snapshot = work / "database"
                if kind == "sqlite":
                    migrations, audit_entries = _snapshot_sqlite(snapshot)
                else:
                    migrations, audit_entries = _snapshot_postgresql(snapshot)
                writer.add_file(snapshot, _database_member(kind))
                for path, name in _folder_files(media=True):
                    writer.add_file(path, name, path.stat().st_mode & 0o700 or 0o600)
                manifest: Manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "liaison_version": liaison_version(),
                    "created_at": started.isoformat(),
                    "database": kind,
                    "migrations": migrations,
                    "audit_entries": audit_entries,
                    "members": writer.members,
                }
                writer.add_bytes(
                    json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"), MANIFEST
                )
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
        _fsync_folder(target.parent)
    except OSError as error:
        raise BackupError(
            f"Could not write the backup {target}: {error.strerror or error}."
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    seconds = (datetime.now(UTC) - started).total_seconds()
    return BackupResult(target, manifest, seconds)


# --- scheduled backups --------------------------------------------------------------------------


def scheduled_archives(folder: Path) -> list[Path]:
    """The archives ``backup --dir`` wrote into ``folder``, oldest first (names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.startswith(ARCHIVE_PREFIX)
        and path.name.endswith(ARCHIVE_SUFFIX)
        and path.is_file()
    )


def newest_backup(folder: Path) -> Path | None:
    archives = scheduled_archives(folder)
    return archives[-1] if archives else None


def write_scheduled_backup(folder: Path, keep: int | None) -> tuple[BackupResult, list[Path]]:
    """A timestamped archive in ``folder``; then, if ``keep`` is given, the oldest archives
    beyond the newest ``keep`` are deleted (never before the new one is safely written)."""
    if keep is not None and keep < 1:
        raise BackupError("--keep must be 1 or more.")
    folder = folder.expanduser().resolve()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"Cannot create the backup folder {folder}: {error.strerror}.") from None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    result = write_backup(folder / f"{ARCHIVE_PREFIX}{stamp}{ARCHIVE_SUFFIX}")
    removed: list[Path] = []
    if keep is not None:
        archives = scheduled_archives(folder)
        for old in archives[: max(0, len(archives) - keep)]:
            old.unlink()
            removed.append(old)
    return result, removed


# --- restoring ----------------------------------------------------------------------------------


def _database_is_empty() -> bool:
    if connection.vendor == "sqlite":
        path = _sqlite_path()
        if not path.exists() or path.stat().st_size == 0:
            return True
        probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = probe.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        finally:
            probe.close()
        return int(tables) == 0
    return not connection.introspection.table_names()


def _data_folder_leftovers() -> list[str]:
    """Files in the data folder a restore would have to overwrite or mix with."""
    root = Path(settings.DATA_DIR).resolve()
    startup = {root / name for name in STARTUP_FILES}
    leftovers = [
        name
        for path, name in (*_folder_files(media=False), *_folder_files(media=True))
        if path not in startup
    ]
    return leftovers


def check_restore_target() -> None:
    if not _database_is_empty():
        where = (
            _sqlite_path() if connection.vendor == "sqlite" else connection.settings_dict["NAME"]
        )
        raise BackupError(
            f"Restore goes into an empty database only, and {where} already holds data; "
            "nothing was restored."
        )
    leftovers = _data_folder_leftovers()
    if leftovers:
        raise BackupError(
            f"Restore goes into an empty data folder only, and {settings.DATA_DIR} already holds "
            f"{len(leftovers)} file(s) ({leftovers[0]} …); nothing was restored."
        )


def _safe_member_name(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    prefixes = {"database", "data", "audit"}
    if name == MANIFEST or (path.parts[0] in prefixes and len(path.parts) > 1):
        return path
    return None


def _unpack(archive_path: Path, into: Path) -> tuple[Manifest, dict[str, Path]]:
    """Unpack every member into ``into``, hashing as it goes; check them against the manifest."""
    digests: dict[str, Member] = {}
    unpacked: dict[str, Path] = {}
    manifest_bytes: bytes | None = None
    try:
        with tarfile.open(archive_path, mode="r:*") as archive:
            for info in archive:
                path = _safe_member_name(info.name)
                if path is None or not info.isfile():
                    raise BackupError(
                        f"{archive_path} is not a Liaison backup: it holds {info.name!r}; "
                        "nothing was restored."
                    )
                source = archive.extractfile(info)
                if source is None:
                    raise BackupError(f"{archive_path}: {info.name} cannot be read.")
                if info.name == MANIFEST:
                    manifest_bytes = source.read()
                    continue
                destination = into / path
                destination.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as target:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        target.write(chunk)
                    target.flush()
                    os.fsync(target.fileno())
                destination.chmod((info.mode & 0o700) or 0o600)
                digests[info.name] = {"sha256": digest.hexdigest(), "size": info.size}
                unpacked[info.name] = destination
    except (tarfile.TarError, EOFError, OSError) as error:
        if isinstance(error, FileNotFoundError) and not archive_path.exists():
            raise BackupError(f"There is no file {archive_path}.") from None
        raise BackupError(
            f"{archive_path} is damaged or not a Liaison backup ({error}); nothing was restored."
        ) from None
    if manifest_bytes is None:
        raise BackupError(f"{archive_path} has no manifest: it is not a Liaison backup.")
    try:
        manifest: Manifest = json.loads(manifest_bytes)
        members = manifest["members"]
        if manifest["format"] != FORMAT:
            raise ValueError(manifest["format"])
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{archive_path} has no readable Liaison manifest.") from None
    if manifest["format_version"] > FORMAT_VERSION:
        raise BackupError(
            f"{archive_path} was written by a newer Liaison ({manifest['liaison_version']}); "
            "restore it with that version or later."
        )
    for name, expected in sorted(members.items()):
        got = digests.get(name)
        if got is None:
            raise BackupError(
                f"{archive_path} is incomplete: {name} is missing; nothing was restored."
            )
        if got["sha256"] != expected["sha256"] or got["size"] != expected["size"]:
            raise BackupError(
                f"{archive_path} is damaged: {name} does not match its checksum; "
                "nothing was restored."
            )
    extra = sorted(set(digests) - set(members))
    if extra:
        raise BackupError(
            f"{archive_path} holds {extra[0]}, which its manifest does not list; "
            "nothing was restored."
        )
    return manifest, unpacked


def _check_migrations(manifest: Manifest) -> None:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    for app, names in sorted(manifest["migrations"].items()):
        for name in names:
            if (app, name) not in known:
                raise BackupError(
                    f"The backup's database has the migration {app}.{name}, which this Liaison "
                    f"({liaison_version()}) does not know: restore it with the version that wrote "
                    f"it ({manifest['liaison_version']}) or later."
                )


def _restore_postgresql(dump: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    connections.close_all()
    finished = subprocess.run(  # noqa: S603
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={settings.DATABASES['default']['NAME']}",
            str(dump),
        ],
        env=_pg_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        detail = (finished.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"pg_restore failed, nothing was restored: {detail}")


def restore_backup(archive_path: Path) -> RestoreResult:
    """Restore ``archive_path`` into this (empty) data folder and database."""
    kind = database_kind()
    archive_path = archive_path.expanduser().resolve()
    check_restore_target()
    root = Path(settings.DATA_DIR).resolve()
    work = Path(tempfile.mkdtemp(prefix=".liaison-restore-", dir=root))
    try:
        manifest, unpacked = _unpack(archive_path, work)
        if manifest["database"] != kind:
            raise BackupError(
                f"{archive_path} holds a {manifest['database']} database, and this Liaison is "
                f"set up for {kind}; nothing was restored."
            )
        _check_migrations(manifest)
        database_file = unpacked.pop(_database_member(kind), None)
        if database_file is None:
            raise BackupError(f"{archive_path} holds no database; nothing was restored.")
        # The database first: if pg_restore refuses, the data folder is still untouched.
        if kind == "postgresql":
            _restore_postgresql(database_file)
        files = 0
        for name, staged in sorted(unpacked.items()):
            destination = _member_destination(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, destination)
            files += 1
        if kind == "sqlite":
            connections.close_all()
            database = _sqlite_path()
            for suffix in ("-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    database.with_name(database.name + suffix).unlink()
            os.replace(database_file, database)
        _fsync_folder(root)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RestoreResult(manifest, files)


def verify_restored_audit_chain() -> tuple[bool, str]:
    """Run ``liaison audit verify`` in a new process: this one read its keys from the data
    folder before the restore replaced them."""
    finished = subprocess.run(
        [sys.executable, "-m", "liaison.cli", "audit", "verify"],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )
    output = (finished.stdout + finished.stderr).strip()
    return finished.returncode == 0, output.splitlines()[-1] if output else ""


def describe(manifest: Manifest) -> dict[str, Any]:
    return {
        "made": manifest["created_at"],
        "version": manifest["liaison_version"],
        "database": manifest["database"],
        "audit entries": manifest["audit_entries"],
        "files": sum(1 for name in manifest["members"] if not name.startswith("database/")),
    }
