"""The data folder's start-up check, run by the settings before anything is written there.

Every command, the server and the tests read the settings first, so a folder that cannot be
used stops them all with one line naming the folder and what is wrong, instead of the traceback
of whichever write happened to fail first. This module imports nothing from Django: the
settings are not loaded yet when it runs.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

_REASONS = {
    errno.EROFS: "it is on a read-only file system",
    errno.EACCES: "this user may not write there",
    errno.EPERM: "this user may not write there",
    errno.ENOTDIR: "part of its path is a file, not a folder",
    errno.ENOENT: "it does not exist and cannot be created",
}


_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


class DataFolderUnusable(Exception):
    """The data folder is missing, read-only or not a folder; the message is the one line to print."""

    def __init__(self, folder: Path, reason: str) -> None:
        self.folder = folder
        self.reason = reason
        super().__init__(
            f"Liaison cannot use its data folder {folder} (LIAISON_DATA_DIR): {reason}."
        )


def _reason(error: OSError) -> str:
    return _REASONS.get(error.errno or 0, error.strerror or str(error))


def ensure_data_folder_usable(folder: Path) -> None:
    """Create ``folder`` if it is missing, then prove it takes a write (create, write, delete).

    ``os.access`` is not enough: it says yes to root on a read-only mount, and knows nothing of a
    full disk.
    """
    if folder.exists() and not folder.is_dir():
        raise DataFolderUnusable(folder, "it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataFolderUnusable(folder, _reason(error)) from None
    probe = folder / f".liaison-write-probe-{os.getpid()}"  # backups skip ".liaison-" names
    try:
        descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, b"liaison")
        finally:
            os.close(descriptor)
    except OSError as error:
        # A full disk is not a reason to refuse to start: reads still work, `liaison backup`
        # may be what makes room, and a write that fails says so on its own page.
        if error.errno not in _DISK_FULL:
            raise DataFolderUnusable(folder, _reason(error)) from None
    finally:
        # after a failed write there may be nothing to delete; the error above says what is wrong
        with contextlib.suppress(OSError):
            probe.unlink()
