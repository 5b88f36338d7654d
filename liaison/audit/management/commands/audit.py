from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liaison.audit.services import verify_chain


class Command(BaseCommand):
    help = "Work with the tamper-evident audit log: `liaison audit verify`."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check that the hash chain is intact")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            broken = verify_chain()
            if broken is None:
                self.stdout.write("audit chain intact")
                return
            raise CommandError(f"audit chain broken at entry {broken.entry_id}: {broken.reason}")
