"""Secrets an install generates once into its data folder (the secret key, the audit keys).

A secret file is created owner-only (0600) from its first byte, in a folder only the owner may
enter (0700), and atomically: several server workers starting together all end up reading the
one file the first of them wrote, never a half-written one or each its own.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path


def read_secret_file(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def read_or_create_secret_file(path: Path, generate: Callable[[], bytes]) -> bytes:
    """Read ``path``; if it does not exist, write ``generate()`` to it first (mode 0600)."""
    existing = read_secret_file(path)
    if existing is not None:
        return existing
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(generate())
            handle.flush()
            os.fsync(handle.fileno())
        # link() refuses to replace: if another process got there first, its file stands.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path.read_bytes()
