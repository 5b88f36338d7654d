"""The two keys that make the audit chain tamper-evident, both kept outside the database.

- The **chain key** (HMAC-SHA256) seals every entry: from ``LIAISON_AUDIT_KEY``, or generated
  once into ``AUDIT_KEY_FILE``. Without it nobody can rewrite an entry and produce a valid MAC.
- The **signing key** (Ed25519) signs the checkpoints appended to ``AUDIT_CHECKPOINT_FILE``;
  its public half (``liaison audit public-key``) lets anyone check them without a secret.

A key is generated only when nothing has been sealed with it yet: a key that goes missing from
a sealed chain is reported, never silently replaced by a new one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from liaison.datafolder import read_or_create_secret_file, read_secret_file


class AuditKeyError(ImproperlyConfigured):
    """A key the audit chain needs is missing or unreadable; the message says where to put it."""


@dataclass(frozen=True)
class ChainKey:
    secret: bytes = b""

    @cached_property
    def key_id(self) -> str:
        """A short public name for the key, written into checkpoints: a changed key shows."""
        return hmac.new(self.secret, b"liaison audit chain key id", hashlib.sha256).hexdigest()[:16]

    def mac(self, message: bytes) -> str:
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


def _generate_chain_key() -> bytes:
    import secrets

    return secrets.token_hex(32).encode("ascii")


@lru_cache(maxsize=8)
def _chain_key_from(configured: str, path: Path, create: bool) -> ChainKey:
    if configured:
        return ChainKey(configured.encode("utf-8"))
    raw = (
        read_or_create_secret_file(path, _generate_chain_key) if create else read_secret_file(path)
    )
    if raw is None or not raw.strip():
        raise AuditKeyError(
            _(
                "The audit chain key was not found: set LIAISON_AUDIT_KEY or restore the file "
                "%(path)s from your backup. The entries already sealed cannot be checked, and no "
                "new entry can be sealed, without it."
            )
            % {"path": path}
        )
    return ChainKey(raw.strip())


def chain_key(*, create: bool) -> ChainKey:
    """The chain key; ``create`` allows generating it (only before anything was sealed)."""
    try:
        return _chain_key_from(settings.AUDIT_KEY, settings.AUDIT_KEY_FILE, create)
    except OSError as exc:
        raise AuditKeyError(
            _("The audit chain key at %(path)s cannot be read or written: %(error)s")
            % {"path": settings.AUDIT_KEY_FILE, "error": exc.strerror or exc}
        ) from exc


def _generate_signing_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    fingerprint: str  # written into each checkpoint as its ``signer``

    @classmethod
    def of(cls, private: Ed25519PrivateKey) -> SigningKey:
        public = private.public_key()
        return cls(private, public, public_key_fingerprint(public))


@lru_cache(maxsize=8)
def _signing_key_from(path: Path, create: bool) -> SigningKey:
    raw = (
        read_or_create_secret_file(path, _generate_signing_key)
        if create
        else read_secret_file(path)
    )
    if raw is None:
        raise AuditKeyError(
            _(
                "The audit checkpoint signing key was not found at %(path)s: restore it from your "
                "backup, or check the checkpoints with a copy of the public key "
                "(liaison audit verify --public-key FILE)."
            )
            % {"path": path}
        )
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise AuditKeyError(
            _("The audit checkpoint signing key at %(path)s is not an Ed25519 private key.")
            % {"path": path}
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(
            _("The audit checkpoint signing key at %(path)s is not an Ed25519 private key.")
            % {"path": path}
        )
    return SigningKey.of(key)


def signing_key(*, create: bool) -> SigningKey:
    try:
        return _signing_key_from(settings.AUDIT_SIGNING_KEY_FILE, create)
    except OSError as exc:
        raise AuditKeyError(
            _("The audit checkpoint signing key at %(path)s cannot be read or written: %(error)s")
            % {"path": settings.AUDIT_SIGNING_KEY_FILE, "error": exc.strerror or exc}
        ) from exc


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def public_key_fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, as written into each checkpoint (``signer``)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An auditor's copy of the public key (the PEM ``liaison audit public-key`` prints)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise AuditKeyError(
            _("The public key file %(path)s cannot be read: %(error)s")
            % {"path": path, "error": exc.strerror or exc}
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise AuditKeyError(_("%(path)s is not a PEM public key.") % {"path": path}) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError(_("%(path)s is not an Ed25519 public key.") % {"path": path})
    return key


def forget_loaded_keys() -> None:
    """Drop the keys this process has read, so the next use reads the files again."""
    _chain_key_from.cache_clear()
    _signing_key_from.cache_clear()
