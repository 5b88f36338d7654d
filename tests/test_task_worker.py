"""The background task worker: started and stopped with `liaison serve`, reported by /healthz."""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.tasks import task
from django.test import Client

from liaison.operations import tasks as worker_tasks
from liaison.operations.tasks import SupervisedWorker, worker_health
from liaison.registry.management.commands import serve

DATABASE_BACKEND = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}


@task
def nothing() -> None:
    """A task for the queue."""


def test_supervised_worker_beats_while_alive_and_is_stopped_with_the_server(
    tmp_path: Path,
) -> None:
    heartbeat = tmp_path / "worker.heartbeat"
    worker = SupervisedWorker(heartbeat, [sys.executable, "-c", "import time; time.sleep(120)"])
    worker.start()
    try:
        assert worker.process is not None and worker.process.poll() is None
        worker.beat()
        assert heartbeat.exists()
    finally:
        worker.stop(timeout=5)
    assert worker.process.poll() is not None
    assert not heartbeat.exists()


def test_a_worker_that_dies_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_tasks, "HEARTBEAT_SECONDS", 0.05)
    worker = SupervisedWorker(tmp_path / "beat", [sys.executable, "-c", "pass"])
    worker.start()
    try:
        first = worker.process
        deadline = time.monotonic() + 10
        while worker.process is first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.process is not first
    finally:
        worker.stop(timeout=5)


def test_serve_runs_the_worker_beside_gunicorn_and_stops_it(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given: the database backend, and gunicorn replaced by a recorder
    settings.TASKS = DATABASE_BACKEND
    settings.WORKER_HEARTBEAT_FILE = tmp_path / "worker.heartbeat"
    events: list[str] = []
    options: dict[str, Any] = {}

    class FakeWorker:
        def __init__(self, heartbeat: Path) -> None:
            events.append(f"made {heartbeat.name}")

        def start(self) -> None:
            events.append("worker started")

        def stop(self) -> None:
            events.append("worker stopped")

    class FakeGunicorn:
        def __init__(self, given: dict[str, Any]) -> None:
            options.update(given)

        def run(self) -> None:
            events.append("serving")
            raise SystemExit(0)  # what gunicorn's arbiter does on Ctrl+C

    monkeypatch.setattr(serve, "SupervisedWorker", FakeWorker)
    monkeypatch.setattr(serve, "_Gunicorn", FakeGunicorn)
    # when
    with pytest.raises(SystemExit):
        serve.run_server(serve.Command(), "127.0.0.1", 8000, 2)
    # then
    assert events == ["made worker.heartbeat", "worker started", "serving", "worker stopped"]
    assert options["timeout"] == settings.REQUEST_TIMEOUT_SECONDS


def test_healthz_reports_a_running_worker(db: None, settings: Any, tmp_path: Path) -> None:
    settings.TASKS = DATABASE_BACKEND
    settings.WORKER_HEARTBEAT_FILE = tmp_path / "worker.heartbeat"
    settings.WORKER_HEARTBEAT_FILE.touch()
    assert settings.HEALTH_WORKER_CHECK == "liaison.operations.tasks.worker_health"
    report = Client().get("/healthz").json()["worker"]
    assert report["status"] == "running" and report["ok"] is True


def test_a_task_waiting_with_no_worker_is_reported_stalled(
    db: None, settings: Any, tmp_path: Path
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_BACKEND
    settings.WORKER_HEARTBEAT_FILE = tmp_path / "worker.heartbeat"
    assert worker_health()["status"] == "not running"
    result = nothing.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(
        enqueued_at=DBTaskResult.objects.get(id=result.id).enqueued_at
        - datetime.timedelta(minutes=5)
    )
    report = worker_health()
    assert report["status"] == "stalled" and report["ok"] is False
    settings.WORKER_HEARTBEAT_FILE.touch()
    old = time.time() - 600
    os.utime(settings.WORKER_HEARTBEAT_FILE, (old, old))
    assert worker_health()["status"] == "stalled"


def test_an_import_left_by_a_killed_worker_is_discarded_before_a_new_worker_starts(
    world, tmp_path: Path
) -> None:
    # given: an import that was writing when its worker was killed (kill -9)
    from liaison.exchange.models import ImportStatus, Incident, SeizureImport
    from tests.builders import ensure_vocabulary, make_incident

    ensure_vocabulary()
    job = SeizureImport.objects.create(
        started_by=world.lan, blo=world.moc_bai, status=ImportStatus.WRITING
    )
    half = make_incident(world.lan, summary="IMPORTED")
    Incident.objects.filter(pk=half.pk).update(pending_import=job)
    # when: the server starts its worker
    worker = SupervisedWorker(tmp_path / "beat", [sys.executable, "-c", "pass"])
    worker.start()
    worker.stop(timeout=5)
    # then
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert not Incident.with_pending.filter(pk=half.pk).exists()
