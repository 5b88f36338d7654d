"""``liaison webpush keys``: a new VAPID key pair (P-256) for Web Push, printed as the two
environment variables to set (LIAISON_VAPID_PUBLIC_KEY, LIAISON_VAPID_PRIVATE_KEY)."""

from __future__ import annotations

import base64
from argparse import ArgumentParser
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_vapid_keys() -> tuple[str, str]:
    """(public, private): the public key as browsers take it (the uncompressed point), the
    private key as pywebpush takes it (the raw 32-byte scalar), both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(public), _b64url(private)


class Command(BaseCommand):
    help = "Web Push: 'keys' prints a new VAPID key pair to put in the environment."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["keys"])

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = new_vapid_keys()
        self.stdout.write(f"LIAISON_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"LIAISON_VAPID_PRIVATE_KEY={private}")
