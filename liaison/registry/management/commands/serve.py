"""``liaison serve [--port N] [--host H]``: run Liaison with gunicorn, never prompting."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import Error, connection
from gunicorn.app.base import BaseApplication

from liaison.catalogues import ensure_compiled
from liaison.operations.tasks import SupervisedWorker, uses_worker


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from liaison.wsgi import application

        return application


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="threads per worker process (2: more share one process's interpreter lock and make "
        "every request slower on two cores; slow clients are the reverse proxy's to buffer)",
    )
    parser.add_argument(
        "--no-task-worker",
        action="store_true",
        help="do not start the background task worker (run `liaison db_worker` elsewhere)",
    )


def startup_checks() -> None:
    """Stop with one line naming the database when it cannot be reached (the data folder was
    checked when the settings loaded)."""
    try:
        connection.ensure_connection()
    except Error as error:
        settings_dict = connection.settings_dict
        if connection.vendor == "sqlite":
            where = str(settings_dict["NAME"])
        else:
            where = f"{settings_dict.get('NAME')} on {settings_dict.get('HOST') or 'localhost'}"
            if settings_dict.get("PORT"):
                where += f":{settings_dict['PORT']}"
        detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CommandError(f"Cannot reach the database {where}: {detail}") from None


def run_server(
    command: BaseCommand,
    host: str,
    port: int,
    workers: int,
    *,
    threads: int = 2,
    task_worker: bool = True,
) -> None:
    """Serve with gunicorn, and run the background task worker beside it as a child process
    (restarted if it dies, stopped with the server)."""
    ensure_compiled()
    shown = "localhost" if host in {"127.0.0.1", "0.0.0.0"} else host  # noqa: S104
    worker = (
        SupervisedWorker(settings.WORKER_HEARTBEAT_FILE) if task_worker and uses_worker() else None
    )
    if worker is not None:
        worker.start()
        command.stdout.write("Background task worker started.")
    command.stdout.write(f"Liaison is running at http://{shown}:{port}/  (Ctrl+C stops it)")
    command.stdout.flush()
    try:
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": "-",
                # the database gives up on locks and statements before this (settings.py)
                "timeout": settings.REQUEST_TIMEOUT_SECONDS,
            }
        ).run()
    finally:
        if worker is not None:
            worker.stop()


class Command(BaseCommand):
    help = "Run Liaison on the given port (migrating the database first)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_server_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        startup_checks()
        call_command("migrate", interactive=False, verbosity=0)
        run_server(
            self,
            options["host"],
            options["port"],
            options["workers"],
            threads=options["threads"],
            task_worker=not options["no_task_worker"],
        )
