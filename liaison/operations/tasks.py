"""The background worker (Django's Tasks framework, ``django-tasks-db``): its supervision by
``liaison serve``/``liaison demo`` and its line in ``/healthz``.

The worker is ``liaison db_worker``, run as a child process of the server command. While the child
lives, the supervising thread touches ``WORKER_HEARTBEAT_FILE`` every few seconds and starts a new
worker if the child has died; ``/healthz`` reads the heartbeat's age and the oldest task still
waiting to be picked up.
"""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import Error
from django.utils import timezone
from django.utils.module_loading import import_string

from liaison.operations.health import WorkerHealth

HEARTBEAT_SECONDS = 5
STALE_AFTER_SECONDS = 60
"""A heartbeat older than this, or a task waiting longer than this, makes the worker unwell."""

logger = logging.getLogger(__name__)


def worker_command() -> list[str]:
    return [sys.executable, "-m", "liaison.cli", "db_worker", "--queue-name", "*", "--no-reload"]


def tidy_before_worker_starts() -> None:
    """Run each ``TASK_WORKER_STARTUP`` function (dotted paths): what a worker killed mid-task
    left behind is tidied before a new worker starts (e.g. an import's pending rows)."""
    for path in getattr(settings, "TASK_WORKER_STARTUP", []):
        try:
            tidy: Callable[[], object] = import_string(path)
            tidy()
        except Exception:
            logger.exception("%s failed before the task worker started", path)


def uses_worker() -> bool:
    """Whether tasks wait in the database for a worker (not run at once in the request)."""
    backend = str(settings.TASKS["default"]["BACKEND"])
    return backend == "django_tasks_db.DatabaseBackend"


class SupervisedWorker:
    """The task worker as a child process: started with the server, restarted if it dies,
    stopped (terminate, then kill) when the server stops."""

    def __init__(self, heartbeat: Path, command: list[str] | None = None) -> None:
        self.heartbeat = heartbeat
        self.command = command or worker_command()
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        tidy_before_worker_starts()
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="task-worker", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen(self.command, env=os.environ.copy())  # noqa: S603

    def _watch(self) -> None:
        while not self._stopping.wait(HEARTBEAT_SECONDS):
            if self.process is not None and self.process.poll() is not None:
                logger.warning(
                    "task worker exited (%s); starting a new one", self.process.returncode
                )
                self._spawn()
            self.beat()

    def beat(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.heartbeat.touch()
            except OSError:
                logger.warning("cannot write the worker heartbeat %s", self.heartbeat)

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.heartbeat.unlink(missing_ok=True)


def worker_health() -> WorkerHealth:
    """ "running" while the heartbeat is fresh and no task waits too long; "stalled" (not ok)
    when a task has waited over a minute; "not running" when there is no worker and nothing
    waits; "immediate" when tasks run inside the request that enqueues them."""
    from django_tasks_db.models import DBTaskResult

    if not uses_worker():
        return {"status": "immediate", "ok": True, "detail": "tasks run in the request"}
    heartbeat: Path = settings.WORKER_HEARTBEAT_FILE
    try:
        age = time.time() - heartbeat.stat().st_mtime
    except OSError:
        age = None
    try:
        oldest = (
            DBTaskResult.objects.ready()
            .order_by("enqueued_at")
            .values_list("enqueued_at", flat=True)
            .first()
        )
    except Error:
        return {"status": "unknown", "ok": False, "detail": "task table unreadable"}
    waiting = (
        int((timezone.now() - oldest).total_seconds())
        if isinstance(oldest, datetime.datetime)
        else 0
    )
    if age is not None and age < STALE_AFTER_SECONDS:
        if waiting > STALE_AFTER_SECONDS:
            return {"status": "stalled", "ok": False, "detail": f"oldest task waits {waiting} s"}
        return {"status": "running", "ok": True, "detail": f"heartbeat {int(age)} s ago"}
    if waiting > STALE_AFTER_SECONDS:
        return {
            "status": "stalled",
            "ok": False,
            "detail": f"no worker; oldest task waits {waiting} s",
        }
    return {"status": "not running", "ok": True, "detail": "no worker, no task waiting"}
