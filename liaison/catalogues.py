"""Compiling the translation catalogues (.po → .mo) without GNU gettext.

CI runs Django's ``compilemessages`` (which needs gettext's msgfmt); a laptop or tablet that only
has Python gets the same .mo files from polib when ``liaison demo`` or ``liaison serve`` starts.
"""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.utils.translation.reloader import translation_file_changed


def ensure_compiled() -> list[Path]:
    """Compile every catalogue whose .mo is missing or older than its .po; return those written."""
    written: list[Path] = []
    for root in settings.LOCALE_PATHS:
        for po_path in Path(root).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written.append(mo_path)
    if written:
        # A catalogue Django had already looked for (and missed) is cached as missing; forget
        # the cache the way Django's autoreloader does when a .mo file changes.
        translation_file_changed(sender=None, file_path=written[0])
    return written
