"""``liaison audit verify`` and ``liaison audit public-key``.

``verify`` exits 0 when the chain is intact, 1 naming the first entry (or checkpoint line) that
does not match, and 2 when it cannot check at all (a key is missing or unreadable).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from liaison.audit.keys import (
    AuditKeyError,
    load_public_key,
    public_key_pem,
    signing_key,
)
from liaison.audit.services import inspect_chain
from liaison.languages import in_terminal_language

CANNOT_CHECK = 2


class Command(BaseCommand):
    # verify explains a missing key itself, with its own exit status
    requires_system_checks: list[str] = []
    help = (
        "Work with the tamper-evident audit log: `liaison audit verify`, "
        "`liaison audit public-key`."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify", help="check the chain's hashes and MACs against the signed checkpoints"
        )
        verify.add_argument(
            "--public-key",
            type=Path,
            help="check the checkpoints with this copy of the public key (PEM) "
            "instead of the signing key on this machine",
        )
        verify.add_argument(
            "--checkpoints",
            type=Path,
            help="check against this copy of the checkpoint file instead of the one in "
            "LIAISON_AUDIT_DIR",
        )
        sub.add_parser("public-key", help="print the public key that checks the checkpoints (PEM)")

    @in_terminal_language
    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "public-key":
                self._public_key()
            else:
                self._verify(options["public_key"], options["checkpoints"])
        except AuditKeyError as error:
            raise CommandError(str(error), returncode=CANNOT_CHECK) from error

    def _public_key(self) -> None:
        # Before the first checkpoint there is nothing signed yet, so the key may be created.
        key = signing_key(create=not settings.AUDIT_CHECKPOINT_FILE.exists())
        self.stdout.write(public_key_pem(key.public), ending="")
        self.stdout.write(_("fingerprint: %(fingerprint)s") % {"fingerprint": key.fingerprint})

    def _verify(self, public_key_file: Path | None, checkpoint_file: Path | None) -> None:
        public_key = load_public_key(public_key_file) if public_key_file else None
        if checkpoint_file is not None and not checkpoint_file.is_file():
            raise AuditKeyError(
                _("The checkpoint file %(path)s does not exist.") % {"path": checkpoint_file}
            )
        report = inspect_chain(public_key=public_key, checkpoint_file=checkpoint_file)
        for note in report.notes:
            self.stderr.write(_("note: %(note)s") % {"note": note})
        broken = report.broken
        if broken is not None:
            if broken.entry_id is None:
                raise CommandError(_("audit chain broken: %(reason)s") % {"reason": broken.reason})
            raise CommandError(
                _("audit chain broken at entry %(entry)d: %(reason)s")
                % {"entry": broken.entry_id, "reason": broken.reason}
            )
        summary = _("audit chain intact: %(count)d entries") % {"count": report.entries}
        if report.last_checkpoint is not None:
            summary += "; " + _(
                "%(checkpoints)d signed checkpoints, the last at %(time)s counting %(count)d"
            ) % {
                "checkpoints": report.checkpoints,
                "time": report.last_checkpoint.time,
                "count": report.last_checkpoint.count,
            }
        self.stdout.write(summary)
