"""``liaison load_reference``: load or update the reference library from its data files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liaison.reference.services import DATA_DIR, ReferenceDataError, do_load_reference


class Command(BaseCommand):
    help = (
        "Load the reference vocabularies (precursors, ODS, wastes, species…) from the data files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=DATA_DIR,
            help="Folder of the data files (default: the files shipped with Liaison).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = do_load_reference(data_dir=options["data_dir"])
        except ReferenceDataError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        for kind, counts in report.counts.items():
            self.stdout.write(
                f"{kind:12} {counts.total:4} entries "
                f"({counts.created} new, {counts.updated} updated, {counts.retired} retired)"
            )
        if report.changed:
            self.stdout.write(self.style.SUCCESS("Reference library updated."))
        else:
            self.stdout.write("Reference library already up to date.")
