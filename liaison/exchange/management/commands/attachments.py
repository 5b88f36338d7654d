"""``liaison attachments orphans [--remove] [--older-than HOURS]``: the files of the attachment
store (the data folder's uploads/attachments) that no attachment names any more — left by a
restore of an older database or a crash between a removal's commit and its file deletion.
Listed by default; deleted, with an audit entry, with ``--remove``."""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from liaison.languages import in_terminal_language


class Command(BaseCommand):
    help = (
        "Attachment files without an attachment: `liaison attachments orphans` lists them, "
        "`--remove` deletes them."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        orphans = sub.add_parser(
            "orphans", help="list (or with --remove delete) files no attachment names"
        )
        orphans.add_argument(
            "--remove", action="store_true", help="delete them (an audit entry names them)"
        )
        orphans.add_argument(
            "--older-than",
            type=float,
            default=1.0,
            metavar="HOURS",
            help="only files last written longer ago than this (default 1): an upload under "
            "way writes its files before its attachment is saved",
        )

    @in_terminal_language
    def handle(self, *args: Any, **options: Any) -> None:
        from liaison.exchange.attachments import orphan_files, remove_orphan_files

        older_than = datetime.timedelta(hours=max(options["older_than"], 0.0))
        if options["remove"]:
            found = remove_orphan_files(older_than=older_than)
        else:
            found = orphan_files(older_than=older_than)
        for orphan in found:
            self.stdout.write(f"{orphan.name}\t{orphan.size}\t{orphan.modified:%Y-%m-%d %H:%M}")
        total = sum(orphan.size for orphan in found)
        if options["remove"]:
            message = _("%(count)s file(s) without an attachment removed (%(size)s bytes).")
        else:
            message = _(
                "%(count)s file(s) without an attachment (%(size)s bytes); --remove deletes them."
            )
        self.stdout.write(message % {"count": len(found), "size": total})
