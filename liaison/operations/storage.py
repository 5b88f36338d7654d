"""Uploaded files that are whole or absent, and never outlive the row that names them.

Django's file storage writes straight into the final name: a disk that fills up mid-write
leaves a truncated (often 0-byte) file behind, and a row whose transaction rolls back after its
file was written leaves the file orphaned. Here a file is written to a hidden temporary name in
its folder, flushed to disk, then linked into place under a free name; and a service can ask
for its files to be removed again if its transaction does not commit.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.db.models.fields.files import FieldFile


class WholeFileStorage(FileSystemStorage):
    """FileSystemStorage whose saved files are complete and durable, or not there at all."""

    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as target:
                for chunk in content.chunks():
                    target.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
                target.flush()
                os.fsync(target.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            while True:
                try:
                    # a hard link never replaces an existing file: two uploads of the same
                    # name cannot overwrite each other
                    os.link(temporary, full_path)
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
                else:
                    break
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        return str(name).replace("\\", "/")


@contextlib.contextmanager
def files_removed_unless_committed() -> Iterator[Callable[[FieldFile], None]]:
    """Around a service's ``transaction.atomic()``: files it registers are deleted again when
    the block raises, the commit included, so a failed save leaves no orphan file.

    ``with files_removed_unless_committed() as keep, transaction.atomic(): ...; keep(obj.file)``
    """
    written: list[FieldFile] = []
    try:
        yield written.append
    except BaseException:
        for field_file in written:
            if field_file.name:
                with contextlib.suppress(OSError):
                    field_file.storage.delete(field_file.name)
        raise


def delete_files_after_commit(names: Iterable[str]) -> None:
    """Delete these stored files once the current transaction commits (at once outside one); a
    rolled-back deletion keeps them. For the ``post_delete`` receivers that make a stored file
    follow its row (exchange attachments, survey answer files)."""
    stored = [name for name in names if name]
    if not stored:
        return

    def delete_files() -> None:
        for name in stored:
            with contextlib.suppress(OSError):
                default_storage.delete(name)

    transaction.on_commit(delete_files)
