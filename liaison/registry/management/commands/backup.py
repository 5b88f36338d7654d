"""``liaison backup PATH`` or ``liaison backup --dir DIR [--keep N]``: a consistent snapshot of
the database and the data folder in one owner-only archive, taken while the server runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from liaison.languages import in_terminal_language
from liaison.operations.backup import BackupError, write_backup, write_scheduled_backup


class Command(BaseCommand):
    help = (
        "Write a backup archive (database snapshot, uploads, keys) to PATH, or a timestamped one "
        "into --dir (default LIAISON_BACKUP_DIR), keeping the newest --keep N there."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="the archive to write")
        parser.add_argument(
            "--dir",
            type=Path,
            help="write liaison-backup-<UTC time>.tar.gz into this folder (LIAISON_BACKUP_DIR)",
        )
        parser.add_argument(
            "--keep", type=int, help="with --dir: keep the newest N archives, delete older ones"
        )

    @in_terminal_language
    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["path"]
        folder: Path | None = options["dir"]
        keep: int | None = options["keep"]
        if path is not None and (folder is not None or keep is not None):
            raise CommandError("Give either PATH or --dir [--keep N], not both.")
        if path is None and folder is None:
            folder = settings.BACKUP_DIR
            if folder is None:
                raise CommandError("Name the archive (PATH), or a folder with --dir DIR.")
        try:
            if path is not None:
                result = write_backup(path)
                removed: list[Path] = []
            else:
                assert folder is not None  # noqa: S101 (set just above)
                result, removed = write_scheduled_backup(folder, keep)
        except BackupError as error:
            raise CommandError(str(error)) from None
        manifest = result.manifest
        self.stdout.write(
            f"Backup written to {result.path} in {result.seconds:.1f} s: "
            f"{manifest['database']} database with {manifest['audit_entries']} audit entries, "
            f"{sum(1 for name in manifest['members'] if not name.startswith('database/'))} "
            "data file(s)."
        )
        for old in removed:
            self.stdout.write(f"Deleted the older backup {old.name}")
