"""/healthz: the load balancer's and the monitor's view of whether this server can take writes."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def probe() -> Any:
    return Client(raise_request_exception=False).get("/healthz")


def test_healthy_server_reports_each_part_as_json(settings: Any) -> None:
    settings.BACKUP_DIR = None
    response = probe()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"].startswith("max-age=0")
    report = response.json()
    assert report["status"] == "ok"
    assert report["database"]["ok"] is True
    assert report["database"]["vendor"] == connection.vendor
    assert report["database"]["latency_ms"] >= 0
    assert report["disk"]["ok"] is True
    assert report["disk"]["free_bytes"] > 0
    # the suite runs tasks in the request (tests/test_task_worker.py: the worker)
    assert report["worker"]["status"] == "immediate" and report["worker"]["ok"] is True
    assert report["backup"] == {"status": "not configured", "newest_age_seconds": None}


def test_probe_is_one_cheap_query() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert probe().status_code == 200
    assert [query["sql"] for query in queries] == ["SELECT 1"]


def test_age_of_the_newest_backup_is_reported(settings: Any, tmp_path: Path) -> None:
    settings.BACKUP_DIR = tmp_path
    older = tmp_path / "liaison-backup-20250101T020000000000Z.tar.gz"
    newer = tmp_path / "liaison-backup-20250102T020000000000Z.tar.gz"
    for path, age in ((older, 2 * 86400), (newer, 3600)):
        path.write_bytes(b"archive")
        moment = time.time() - age
        os.utime(path, (moment, moment))
    (tmp_path / "notes.txt").write_text("not a backup")
    report = probe().json()
    assert report["backup"]["status"] == "ok"
    assert 3600 <= report["backup"]["newest_age_seconds"] < 3700


def test_backup_folder_without_archives_says_none_yet(settings: Any, tmp_path: Path) -> None:
    settings.BACKUP_DIR = tmp_path
    assert probe().json()["backup"] == {"status": "none yet", "newest_age_seconds": None}


def test_unreachable_database_answers_503() -> None:
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        response = probe()
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "unavailable"
    assert report["database"] == {
        "ok": False,
        "vendor": connection.vendor,
        "latency_ms": None,
        "error": "connection refused",
    }


def test_nearly_full_disk_answers_503(settings: Any) -> None:
    settings.DISK_MIN_FREE_MB = 256
    nearly_full = shutil._ntuple_diskusage(
        total=100 * 2**30, used=100 * 2**30 - 100 * 2**20, free=100 * 2**20
    )
    with mock.patch("liaison.operations.health.shutil.disk_usage", return_value=nearly_full):
        response = probe()
    assert response.status_code == 503
    assert response.json()["disk"] == {
        "ok": False,
        "free_bytes": 100 * 2**20,
        "total_bytes": 100 * 2**30,
        "minimum_free_bytes": 256 * 2**20,
    }


def test_worker_check_is_pluggable(settings: Any) -> None:
    settings.HEALTH_WORKER_CHECK = "tests.test_healthz.stalled_worker"
    assert probe().json()["worker"] == {"status": "stalled", "ok": False, "detail": "no beat"}


def stalled_worker() -> dict[str, object]:
    return {"status": "stalled", "ok": False, "detail": "no beat"}
