"""Signed checkpoints of the audit chain, appended to a file outside the database.

Certificate Transparency's signed tree heads are the model: after every batch of entries
commits, one JSON line records how long the chain was and what its newest entry's MAC was,
signed with the Ed25519 checkpoint key. Someone who can write to the database can delete the
newest entries and move the head back, but cannot make the chain agree with a checkpoint it no
longer reaches, nor sign a new checkpoint without the private key.

The file is append-only by convention and locked (``flock``) so that several server workers
write whole lines and ``verify`` never reads half of one.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.utils.translation import gettext as _

FORMAT = 1
_DOMAIN = b"liaison audit checkpoint\n"


@dataclass(frozen=True)
class Checkpoint:
    count: int  # entries in the chain, the first one being number 1
    last_id: int  # database id of entry number ``count``
    head_hash: str  # its SHA-256
    head_mac: str  # its HMAC (empty while the chain holds only entries from before the key)
    keyed_from: int | None  # the number of the first entry sealed with a MAC
    key_id: str  # which chain key sealed it (see ChainKey.key_id)
    signer: str  # fingerprint of the public key that signs this line
    time: str  # ISO 8601, UTC

    def _signed_bytes(self) -> bytes:
        fields = {"v": FORMAT, **asdict(self)}
        return _DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def to_line(self, key: Ed25519PrivateKey) -> bytes:
        signature = base64.b64encode(key.sign(self._signed_bytes())).decode("ascii")
        fields = {"v": FORMAT, **asdict(self), "sig": signature}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


class CheckpointError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def append_checkpoint(path: Path, checkpoint: Checkpoint, key: Ed25519PrivateKey) -> None:
    line = checkpoint.to_line(key)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.write(descriptor, line)
    finally:
        os.close(descriptor)  # releases the lock


def _parse(number: int, raw: bytes, public_key: Ed25519PublicKey, signer: str) -> Checkpoint:
    def refuse(reason: str) -> CheckpointError:
        return CheckpointError(number, reason)

    try:
        fields: dict[str, Any] = json.loads(raw)
    except ValueError as exc:
        raise refuse(_("checkpoint line %(line)d is not JSON") % {"line": number}) from exc
    if not isinstance(fields, dict) or fields.get("v") != FORMAT:
        raise refuse(_("checkpoint line %(line)d is not a checkpoint") % {"line": number})
    try:
        signature = base64.b64decode(str(fields.pop("sig")), validate=True)
        fields.pop("v")
        checkpoint = Checkpoint(**fields)
        valid_numbers = (
            isinstance(checkpoint.count, int)
            and isinstance(checkpoint.last_id, int)
            and (checkpoint.keyed_from is None or isinstance(checkpoint.keyed_from, int))
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise refuse(_("checkpoint line %(line)d is not a checkpoint") % {"line": number}) from exc
    if not valid_numbers:
        raise refuse(_("checkpoint line %(line)d is not a checkpoint") % {"line": number})
    if checkpoint.signer != signer:
        raise refuse(
            _(
                "checkpoint line %(line)d was signed by key %(found)s, not by the checkpoint "
                "key %(expected)s (signature)"
            )
            % {"line": number, "found": checkpoint.signer, "expected": signer}
        )
    try:
        public_key.verify(signature, checkpoint._signed_bytes())
    except InvalidSignature as exc:
        raise refuse(
            _("checkpoint line %(line)d does not match its signature: it was edited or forged")
            % {"line": number}
        ) from exc
    return checkpoint


def read_checkpoints(
    path: Path, public_key: Ed25519PublicKey, signer: str
) -> list[tuple[int, Checkpoint]]:
    """Every checkpoint in the file with its line number; raise ``CheckpointError`` at the
    first line that is not a checkpoint signed by ``public_key``. No file: no checkpoints."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return []
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        content = handle.read()
    checkpoints = []
    for number, raw in enumerate(content.split(b"\n"), start=1):
        if raw.strip():
            checkpoints.append((number, _parse(number, raw, public_key, signer)))
    return checkpoints
