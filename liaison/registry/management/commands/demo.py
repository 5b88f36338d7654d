"""``liaison demo [--port N] [--no-serve]``: set up the database with the demo data and run."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from liaison.catalogues import ensure_compiled
from liaison.exchange.demo import load_demo_exchange
from liaison.meetings.demo import load_demo_meetings
from liaison.reference.services import ensure_reference_loaded
from liaison.registry.demo import DEMO_PASSWORD, USERS, load_demo_registry
from liaison.registry.management.commands.serve import (
    add_server_arguments,
    run_server,
    startup_checks,
)
from liaison.surveys.demo import load_demo_surveys
from liaison.training.demo import load_demo_training


class Command(BaseCommand):
    help = "Load the demo network and accounts into the database, print the logins, and serve."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_server_arguments(parser)
        parser.add_argument("--no-serve", action="store_true", help="load the demo data and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_compiled()
        startup_checks()
        call_command("migrate", interactive=False, verbosity=0)
        load_demo_registry()
        load_demo_surveys()
        ensure_reference_loaded()
        load_demo_exchange()
        load_demo_training()
        load_demo_meetings()
        self.stdout.write(f"Data folder (LIAISON_DATA_DIR): {settings.DATA_DIR}")
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for person in USERS:
            self.stdout.write(f"  {person.username:<28} {person.about}")
        if not options["no_serve"]:
            run_server(
                self,
                options["host"],
                options["port"],
                options["workers"],
                threads=options["threads"],
                task_worker=not options["no_task_worker"],
            )
