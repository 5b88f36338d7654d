"""Compiling the translation catalogues (.po → .mo) without GNU gettext.

CI runs Django's ``compilemessages`` (which needs gettext's msgfmt); a laptop or tablet that only
has Python gets the same .mo files from polib when any ``liaison`` command starts (``demo`` and
``serve`` included), so a terminal in Vietnamese reads Vietnamese from the first command on.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def ensure_compiled() -> list[Path]:
    """Compile every catalogue whose .mo is missing or older than its .po; return those written."""
    written: list[Path] = []
    for root in settings.LOCALE_PATHS:
        for po_path in Path(root).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            import polib  # only when a catalogue needs compiling

            # Written beside, then renamed: a command starting meanwhile reads the old or the new.
            partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
            polib.pofile(str(po_path)).save_as_mofile(str(partial))
            os.replace(partial, mo_path)
            written.append(mo_path)
    if written:
        from django.utils.translation.reloader import translation_file_changed

        # A catalogue Django had already looked for (and missed) is cached as missing; forget
        # the cache the way Django's autoreloader does when a .mo file changes.
        translation_file_changed(sender=None, file_path=written[0])
    return written
