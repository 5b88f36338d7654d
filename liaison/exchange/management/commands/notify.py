"""``liaison notify overdue``: tell the posts whose requests for information are now past their
deadline (each request once). Run it every few minutes from cron or a systemd timer."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Send the notifications of periodic checks: 'overdue' (requests past their deadline)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("check", choices=["overdue"])

    def handle(self, *args: Any, **options: Any) -> None:
        from liaison.exchange.services import announce_overdue_requests

        count = announce_overdue_requests()
        self.stdout.write(f"{count} overdue request(s) announced")
