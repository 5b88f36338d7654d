"""``/healthz``: is this server able to take writes right now?

A load balancer or an uptime monitor polls it, and the load test uses it as its baseline, so it
stays cheap: one ``SELECT 1``, one ``statvfs``, one folder listing. It answers 503 when the
database cannot be reached or the data folder's disk is nearly full, 200 otherwise; the body
says which part is unwell. Paths are left out: the probe is public.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import Any, TypedDict

from django.conf import settings
from django.db import Error, connection
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from liaison.operations.backup import newest_backup


class DatabaseHealth(TypedDict):
    ok: bool
    vendor: str
    latency_ms: float | None
    error: str | None


class DiskHealth(TypedDict):
    ok: bool
    free_bytes: int
    total_bytes: int
    minimum_free_bytes: int


class WorkerHealth(TypedDict, total=False):
    status: str  # "not configured", "running", "stalled" …
    ok: bool
    detail: str


class BackupHealth(TypedDict):
    status: str  # "not configured", "none yet", "ok"
    newest_age_seconds: int | None


class Health(TypedDict):
    status: str  # "ok" or "unavailable"
    database: DatabaseHealth
    disk: DiskHealth
    worker: WorkerHealth
    backup: BackupHealth


def check_database() -> DatabaseHealth:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return {"ok": False, "vendor": connection.vendor, "latency_ms": None, "error": first_line}
    latency = round((time.perf_counter() - started) * 1000, 2)
    return {"ok": True, "vendor": connection.vendor, "latency_ms": latency, "error": None}


def check_disk() -> DiskHealth:
    usage = shutil.disk_usage(settings.DATA_DIR)
    minimum = settings.DISK_MIN_FREE_MB * 1024 * 1024
    return {
        "ok": usage.free >= minimum,
        "free_bytes": usage.free,
        "total_bytes": usage.total,
        "minimum_free_bytes": minimum,
    }


def check_worker() -> WorkerHealth:
    """The background worker, through the check named by ``HEALTH_WORKER_CHECK`` (a dotted path
    to a function returning a :class:`WorkerHealth`); "not configured" while there is none."""
    path = getattr(settings, "HEALTH_WORKER_CHECK", "")
    if not path:
        return {"status": "not configured"}
    check: Callable[[], WorkerHealth] = import_string(path)
    return check()


def check_backup() -> BackupHealth:
    folder = settings.BACKUP_DIR
    if folder is None:
        return {"status": "not configured", "newest_age_seconds": None}
    newest = newest_backup(folder)
    if newest is None:
        return {"status": "none yet", "newest_age_seconds": None}
    age = max(0, int(time.time() - newest.stat().st_mtime))
    return {"status": "ok", "newest_age_seconds": age}


def health() -> Health:
    database = check_database()
    disk = check_disk()
    healthy = database["ok"] and disk["ok"]
    return {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "disk": disk,
        "worker": check_worker(),
        "backup": check_backup(),
    }


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report: dict[str, Any] = dict(health())
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
