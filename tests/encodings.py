"""Test helpers that make files the way other software writes them."""

from __future__ import annotations

import unicodedata


def windows_1258(text: str) -> bytes:
    """Encode Vietnamese as Windows-1258 does: vowels with circumflex, breve or horn are single
    code points, tone marks are combining characters after them."""
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if char in "\u0302\u0306\u031b":
            base = max(i for i, c in enumerate(out) if not unicodedata.combining(c))
            out[base] = unicodedata.normalize("NFC", out[base] + char)
        else:
            out.append(char)
    return "".join(out).encode("cp1258")
