"""kill -9 of a ``liaison`` process in the middle of an import: nothing of the import is saved,
the audit chain verifies, and the next process starts clean and imports the same file whole.

The import is the registry's (a crossings file, one audited row per crossing, all or nothing),
run through its service by a separate process as the import page runs it; the process is killed
at a random moment of the import's duration, measured first. SQLite by default, PostgreSQL when
DATABASE_URL points there (a database of its own, dropped after).
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.reliability.conftest import size
from tests.reliability.test_backup_restore import Site, drop_site, make_site

IMPORTER = r"""
import sys
import django
django.setup()
from liaison.registry.models import User
from liaison.registry.services import do_import_registry

rows, tag = int(sys.argv[1]), sys.argv[2]
raw = "code,blo,kind,name_en\n" + "".join(
    f"{tag}-{n:05d},VN-MOCBAI,secondary,Track {n}\n" for n in range(rows)
)
admin = User.objects.get(username="admin")
print("importing", flush=True)
do_import_registry(raw.encode(), "crossings.csv", actor=admin)
print("done", flush=True)
"""

SETUP = r"""
import django
django.setup()
from liaison.registry.demo import load_demo_registry
load_demo_registry()
"""


def _python(site: Site, script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", script, *args],
        env=site.environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def crossings_tagged(site: Site, tag: str) -> int:
    query = "SELECT COUNT(*) FROM registry_crossing WHERE code LIKE %s"
    if site.database is None:
        with sqlite3.connect(site.data_dir / "liaison.sqlite3") as db:
            return int(db.execute(query.replace("%s", "?"), (f"{tag}-%",)).fetchone()[0])
    import psycopg

    with psycopg.connect(site.environment["DATABASE_URL"]) as db:
        row = db.execute(query, (f"{tag}-%",)).fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = make_site(tmp_path_factory.mktemp("kill"), "kill")
    try:
        migrated = made.run("migrate", "--verbosity=0")
        assert migrated.returncode == 0, migrated.stderr
        setup = _python(made, SETUP)
        _out, err = setup.communicate(timeout=300)
        assert setup.returncode == 0, err
        yield made
    finally:
        drop_site(made)


def _import(site: Site, rows: int, tag: str) -> float:
    """Import to the end; the seconds the import itself took."""
    process = _python(site, IMPORTER, str(rows), tag)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "importing"
    began = time.monotonic()
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert out.strip() == "done"
    return time.monotonic() - began


def test_kill_9_mid_import_leaves_nothing_half_saved_and_restarts_clean(site: Site) -> None:
    rows = size(3000, least=300)
    kills = size(4, least=2)
    rng = random.Random(2026)

    # given: how long a whole import of the file takes
    duration = _import(site, rows, "WHOLE")
    assert crossings_tagged(site, "WHOLE") == rows
    entries_before = site.audit_entry_count()

    # when: the same kind of import is killed with SIGKILL at random moments of its run
    killed_at = []
    for n in range(kills):
        tag = f"KILL{n}"
        process = _python(site, IMPORTER, str(rows), tag)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "importing"
        moment = rng.uniform(0.1, 0.6) * duration
        time.sleep(moment)
        assert process.poll() is None, "the import ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert process.returncode == -signal.SIGKILL
        # then: the import is all there or not at all, and so are its audit entries (a busy
        # machine may let it commit before the kill lands: then it is whole)
        saved = crossings_tagged(site, tag)
        entries = site.audit_entry_count()
        assert saved in {0, rows}, f"kill {n} at {moment:.2f} s left {saved} of {rows} rows"
        if saved == 0:
            assert entries == entries_before, f"kill {n} at {moment:.2f} s left audit entries"
            killed_at.append(round(moment, 2))
        else:
            assert entries > entries_before
        entries_before = entries
    assert killed_at, "no kill landed before the import committed"

    # and the next process starts clean: the chain verifies, the database checks, and the
    # same import runs to its end
    verified = site.run("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    checked = site.run("check")
    assert checked.returncode == 0, checked.stderr
    if site.database is None:
        with sqlite3.connect(site.data_dir / "liaison.sqlite3") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    _import(site, rows, "AFTER")
    assert crossings_tagged(site, "AFTER") == rows
    verified = site.run("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(  # figures for the README (pytest -s)
        f"\nkill -9 mid-import: {len(killed_at)} of {kills} kills landed inside a {rows}-row "
        f"import ({duration:.1f} s), at {killed_at} s: 0 rows and 0 audit entries left, "
        "audit verify passes, the same import then completes"
    )
