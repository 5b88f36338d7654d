"""``liaison restore PATH``: bring a backup archive back into an empty data folder and database,
then check the audit chain there."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liaison.languages import in_terminal_language
from liaison.operations.backup import BackupError, restore_backup, verify_restored_audit_chain


class Command(BaseCommand):
    help = (
        "Restore a backup archive into an EMPTY data folder (LIAISON_DATA_DIR) and an EMPTY "
        "database; checks every checksum first, runs `liaison audit verify` after."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="the archive `liaison backup` wrote")

    @in_terminal_language
    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore_backup(options["path"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        manifest = result.manifest
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} (Liaison "
            f"{manifest['liaison_version']}): {manifest['database']} database with "
            f"{manifest['audit_entries']} audit entries, {result.files} data file(s)."
        )
        intact, message = verify_restored_audit_chain()
        if not intact:
            raise CommandError(f"Restored, but `liaison audit verify` fails there: {message}")
        self.stdout.write(f"liaison audit verify: {message}")
