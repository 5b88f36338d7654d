"""A full disk and a read-only data folder under a real server, as an operator meets them.

The data folder is put on a small disk of its own (a tmpfs in a mount namespace of the server's
own, made with ``unshare``; no privilege needed beyond user namespaces) or bind-mounted read-only.
A full disk gives the page that says so (507) and saves nothing half-way: no row without its file,
no file without its row, no write confirmed that is not saved or saved that was not confirmed;
once there is room again the same upload goes through whole. A read-only data folder stops
``liaison serve`` and any other command with one line naming the folder, and changes nothing.

The unit suite (``tests/test_faults.py``) checks the same pages and messages with the faults
simulated; here they are real. SQLite by default, PostgreSQL when DATABASE_URL points there (the
database then lives elsewhere, and the full disk is that of the uploads and the cache).
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from benchmarks.served import Officer, Server, form_fields, incident, post_of
from liaison.surveys.tests.builders import make_workbook
from tests.reliability.test_backup_restore import Site, drop_site, make_site

DISK_FULL = "The server's disk is full; nothing was saved."
DISK_MB = 64
SETUP = r"""
import django
django.setup()
from liaison.registry.demo import load_demo_registry
load_demo_registry()
"""


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None or shutil.which("nsenter") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m probe /mnt"],  # noqa: S607
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not _namespaces_work(), reason="needs unshare with user and mount namespaces (util-linux)"
)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _query(site: Site, server: Server, data_dir: Path, query: str) -> list[Any]:
    """Rows of ``query`` from the served database. SQLite's file is read from inside the server's
    mount namespace: SQLite resolves the ``/proc/<pid>/root`` link to ``/``, our own root."""
    if site.database is None:
        assert server.process is not None
        read = subprocess.run(  # noqa: S603
            ["nsenter", "-t", str(server.process.pid), "-m", sys.executable, "-c",  # noqa: S607
             "import json, sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
             "print(json.dumps([list(row) for row in db.execute(sys.argv[2])]))",
             str(data_dir / "liaison.sqlite3"), query],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return [tuple(row) for row in json.loads(read.stdout)]
    import psycopg

    with psycopg.connect(site.environment["DATABASE_URL"]) as db:
        return list(db.execute(query))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated install with the demo accounts, its data folder ready to be copied."""
    site = make_site(tmp_path_factory.mktemp("faults"), "prepared")
    try:
        migrated = site.run("migrate", "--verbosity=0", timeout=600)
        assert migrated.returncode == 0, migrated.stderr
        loaded = site.run("shell", "--no-startup", "--command", SETUP, timeout=600)
        assert loaded.returncode == 0, loaded.stderr
        yield site
    finally:
        drop_site(site)


def _fill(folder: Path) -> Path:
    """Fill the disk under ``folder`` to the last byte; the file that fills it."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        for size in (1024 * 1024, 4096, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
    return filler


def test_a_full_disk_answers_507_saves_nothing_half_way_and_recovers_when_there_is_room(
    prepared: Site, tmp_path: Path
) -> None:
    # given: the server's data folder on a 64 MB disk of its own, a copy of the prepared one
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    environment = dict(prepared.environment)
    environment["LIAISON_DATA_DIR"] = str(mount_point)
    environment["LIAISON_DISK_MIN_FREE_MB"] = "1"
    small_disk = (
        "unshare", "-rm", "sh", "-c",
        f'mount -t tmpfs -o size={DISK_MB}m liaison-disk "$1" && cp -a "$2/." "$1/" '
        '&& shift 2 && exec "$@"',
        "sh", str(mount_point), str(prepared.data_dir),
    )  # fmt: skip
    server = Server(environment, workers=1, wrapper=small_disk)
    server.start(tmp_path / "serve.log")
    try:
        assert server.process is not None
        disk = Path(f"/proc/{server.process.pid}/root{mount_point}")
        staff = Officer(server.port, "programme", language="en")
        staff.sign_in()
        officer = Officer(server.port, "lan.customs.mocbai", language="en")
        officer.sign_in()
        assert staff.get("/healthz").status == 200
        summaries = {"confirmed": [], "refused": []}  # type: dict[str, list[str]]
        before = _files(disk / "uploads") if (disk / "uploads").exists() else set()
        questionnaires = _query(
            prepared, server, mount_point, "SELECT COUNT(*) FROM surveys_questionnaire"
        )[0][0]

        # when: the disk fills up
        filler = _fill(disk)
        # then: the health probe says so
        health = staff.get("/healthz")
        assert health.status == 503
        assert health.json()["disk"]["ok"] is False
        # an upload is refused with the page that says so, and leaves neither file nor row
        upload_page = staff.get("/surveys/questionnaires/")
        assert upload_page.status == 200
        workbook = make_workbook()
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        refused = staff.post_form(
            "/surveys/questionnaires/",
            form_fields(upload_page.body),
            {"file": ("border-survey.xlsx", workbook, xlsx)},
        )
        assert refused.status == 507, refused.body[:2000]
        assert DISK_FULL in refused.body.decode()
        assert "Traceback" not in refused.body.decode()
        now = _files(disk / "uploads") if (disk / "uploads").exists() else set()
        assert now == before
        count = _query(prepared, server, mount_point, "SELECT COUNT(*) FROM surveys_questionnaire")[
            0
        ][0]
        assert count == questionnaires
        # incidents are either confirmed and saved, or refused as a full disk and not saved
        for n in range(10):
            summary = f"full-disk-{n}"
            answer = officer.post_json(
                "/api/exchange/incidents", incident(post_of(officer.username), summary)
            )
            assert answer.status in {201, 507}, (answer.status, answer.body[:500])
            if answer.status == 507:  # in her own language, Vietnamese
                with translation.override("vi"):
                    assert answer.json() == {"detail": gettext(DISK_FULL)}
            summaries["confirmed" if answer.status == 201 else "refused"].append(summary)

        # when: room is made again
        filler.unlink()
        # then: the same upload goes through whole, one row and one file
        upload_page = staff.get("/surveys/questionnaires/")
        accepted = staff.post_form(
            "/surveys/questionnaires/",
            form_fields(upload_page.body),
            {"file": ("border-survey.xlsx", workbook, xlsx)},
        )
        assert accepted.status == 302, accepted.body[:2000]
        count = _query(prepared, server, mount_point, "SELECT COUNT(*) FROM surveys_questionnaire")[
            0
        ][0]
        assert count == questionnaires + 1
        added = _files(disk / "uploads") - before
        assert len(added) == 1, added
        assert (disk / "uploads" / added.pop()).read_bytes() == workbook
        after = officer.post_json(
            "/api/exchange/incidents", incident(post_of(officer.username), "full-disk-after")
        )
        assert after.status == 201
        summaries["confirmed"].append("full-disk-after")
        saved = [
            row[0]
            for row in _query(
                prepared,
                server,
                mount_point,
                "SELECT summary FROM exchange_incident WHERE summary LIKE 'full-disk-%'",
            )
        ]
        assert sorted(saved) == sorted(summaries["confirmed"])  # none lost, doubled or ghost
        assert staff.get("/healthz").status == 200
        # and the audit chain of what was saved verifies
        verified = subprocess.run(  # noqa: S603
            ["nsenter", "-t", str(server.process.pid), "-m",  # noqa: S607
             sys.executable, "-m", "liaison.cli", "audit", "verify"],
            env=environment, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert verified.returncode == 0, verified.stdout + verified.stderr
        if prepared.database is None:
            checked = _query(prepared, server, mount_point, "PRAGMA integrity_check")
            assert checked == [("ok",)]
        print(  # figures for the README (pytest -s)
            f"\nfull disk ({'PostgreSQL' if prepared.database else 'SQLite'}): questionnaire "
            f"upload 507, 0 files and 0 rows left; incidents {len(summaries['confirmed']) - 1} "
            f"confirmed and saved, {len(summaries['refused'])} refused with 507 and not saved; "
            "after room was made the upload went through whole; audit verify passes"
        )
    finally:
        server.stop()


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("command", [("serve", "--port", "0"), ("audit", "verify")])
def test_a_read_only_data_folder_stops_serve_and_commands_with_one_line_and_changes_nothing(
    prepared: Site, command: tuple[str, ...]
) -> None:
    # given: the prepared data folder, bind-mounted read-only in the command's own namespace
    folder = prepared.data_dir
    before = _digest(folder)
    read_only = (
        "unshare", "-rm", "sh", "-c",
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"',
        "sh", str(folder),
    )  # fmt: skip
    # when
    finished = subprocess.run(  # noqa: S603
        [*read_only, sys.executable, "-m", "liaison.cli", *command],
        env=prepared.environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then: one line naming the folder and what is wrong, and nothing written
    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert finished.stderr == (
        f"Liaison cannot use its data folder {folder} (LIAISON_DATA_DIR): "
        "it is on a read-only file system.\n"
    )
    assert _digest(folder) == before
