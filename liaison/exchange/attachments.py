"""Attachments of incidents, intelligence reports and requests: what an upload must be, what is
kept of it, and the two writes (add, remove).

An upload is checked from its bytes, never from what the browser says it is: its size, its type
(JPEG, PNG, WebP or PDF, sniffed), and for a photo that it opens and decodes whole within the
pixel limit. A photo is stored re-encoded without its metadata (EXIF, XMP: the place it was
taken, the device), the orientation applied — unless the uploader keeps the location on purpose,
when the bytes are kept as sent and the audit entry says so. Each photo gets a thumbnail, always
without metadata.

The services live here rather than in ``services.py`` because the checks and the photo handling
are one unit with them; they follow the same rules: authorised against the stored record (locked),
one transaction with the audit entry, files written before the commit and removed again if it
fails (:func:`liaison.operations.storage.files_removed_unless_committed`), removed files deleted
only once the removal has committed.

An attachment's files go with its row however the row goes: removed on its own, or with its
incident, report or request when that is deleted (a cascade, which runs no service). The one
place Django runs for every row a cascade deletes is the ``post_delete`` signal, so the file
deletion is a receiver (:func:`delete_files_of_removed_attachment`, connected in the app's
``ready``) rather than a step of each service: this is housekeeping of the storage, not a rule of
the exchange. Files that lost their row anyway (a restore of an older database, a crash between
commit and deletion) are found by :func:`orphan_files` (``liaison attachments orphans``).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import struct
import threading
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.exchange.access import may_attach, may_remove_attachment
from liaison.exchange.models import (
    Attachment,
    Incident,
    InformationRequest,
    IntelligenceReport,
    NominalEntry,
)
from liaison.operations.storage import delete_files_after_commit, files_removed_unless_committed
from liaison.registry.models import User
from liaison.registry.permissions import visible

AttachedRecord = Incident | IntelligenceReport | InformationRequest

# Pillow's format names, and the one extension each type is stored and named with.
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
TYPE_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "application/pdf": "PDF",
}
NAME_LENGTH = 200


@dataclass(frozen=True)
class CheckedFile:
    """What is stored of an accepted upload."""

    content: bytes
    content_type: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes = b""
    had_location: bool = False


def allowed_types() -> list[str]:
    return [t for t in settings.ATTACHMENT_TYPES if t in EXTENSIONS]


def _refuse(message: str, name: str, **values: Any) -> ValidationError:
    return ValidationError(message % {"name": name, **values}, code="attachment")


def clean_file_name(raw: str, content_type: str) -> str:
    """The name an upload is listed and downloaded under: its last path part, without control
    or separator characters, ending with its type's extension."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if _allowed_in_name(ch)).strip(" .")
    extension = EXTENSIONS[content_type]
    stem = name[: -len(extension)] if name.lower().endswith(extension) else name
    if content_type == "image/jpeg" and stem.lower().endswith(".jpeg"):
        stem = stem[:-5]
    stem = stem[: NAME_LENGTH - len(extension)].strip(" .") or "attachment"
    return stem + extension


def _allowed_in_name(ch: str) -> bool:
    # no control, format or separator characters (but the plain space), nor those a file system
    # or a Content-Disposition header reads specially
    return (ch == " " or unicodedata.category(ch)[0] not in {"C", "Z"}) and ch not in '"<>:|?*;'


def read_upload(upload: IO[bytes], name: str, size: int | None) -> bytes:
    """The upload's bytes, refusing an empty or oversized one before reading it all."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if size is not None and size > limit:
        raise _too_big(name, size)
    data = upload.read(limit + 1)
    if not data:
        raise _refuse(_("“%(name)s” is empty: nothing was attached."), name)
    if len(data) > limit:
        raise _too_big(name, len(data))
    return data


def _too_big(name: str, size: int) -> ValidationError:
    return _refuse(
        _("“%(name)s” is %(size)s MB: attachments may be at most %(limit)s MB."),
        name,
        size=f"{size / 1_048_576:.1f}",
        limit=f"{settings.ATTACHMENT_MAX_BYTES / 1_048_576:g}",
    )


def check_file(data: bytes, name: str, *, keep_location: bool) -> CheckedFile:
    """Sniff, check and (for a photo) clean an upload's bytes; a ValidationError naming the file
    when it may not be attached."""
    allowed = allowed_types()
    wrong_type = _refuse(
        _("“%(name)s” is not a file that may be attached: only %(types)s are accepted."),
        name,
        types=", ".join(TYPE_NAMES[t] for t in allowed),
    )
    if data.startswith(b"%PDF-"):
        if "application/pdf" not in allowed:
            raise wrong_type
        if b"%%EOF" not in data[-2048:]:
            raise _refuse(_("“%(name)s” is not a whole PDF document (damaged or cut short)."), name)
        return CheckedFile(content=data, content_type="application/pdf")
    return _check_photo(data, name, allowed, wrong_type, keep_location=keep_location)


_STRICT_DECODING = threading.Lock()


@contextlib.contextmanager
def _truncated_photos_refused() -> Iterator[None]:
    """Decode with Pillow's module-wide tolerance of cut-off photos turned off: WeasyPrint turns
    it on when it is imported (for the images of PDFs), and a cut-off upload would then be
    stored with its missing half painted grey instead of refused."""
    with _STRICT_DECODING:
        tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


def _check_photo(
    data: bytes,
    name: str,
    allowed: list[str],
    wrong_type: ValidationError,
    *,
    keep_location: bool,
) -> CheckedFile:
    damaged = _refuse(_("“%(name)s” is damaged: the photo cannot be opened."), name)
    too_large = _refuse(
        _("“%(name)s” has too many pixels (at most %(limit)s million): it was not opened."),
        name,
        limit=f"{settings.ATTACHMENT_MAX_PIXELS / 1_000_000:g}",
    )
    try:
        with Image.open(io.BytesIO(data), formats=list(PHOTO_FORMATS)) as probe:
            content_type = PHOTO_FORMATS[str(probe.format)]
            if content_type not in allowed:
                raise wrong_type
            width, height = probe.size
            if width * height > settings.ATTACHMENT_MAX_PIXELS:
                raise too_large
            probe.verify()
    except Image.DecompressionBombError:
        raise too_large from None
    except UnidentifiedImageError:
        raise wrong_type from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise damaged from None
    try:
        with Image.open(io.BytesIO(data), formats=list(PHOTO_FORMATS)) as photo:
            with _truncated_photos_refused():
                photo.load()
            had_location = _has_location(photo)
            upright = ImageOps.exif_transpose(photo)
            stored = data if keep_location else _reencode(upright, photo, content_type)
            thumbnail = _thumbnail(upright)
            width, height = upright.size
    except Image.DecompressionBombError:
        raise too_large from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise damaged from None
    return CheckedFile(
        content=stored,
        content_type=content_type,
        width=width,
        height=height,
        thumbnail=thumbnail,
        had_location=had_location,
    )


def _has_location(photo: Image.Image) -> bool:
    with contextlib.suppress(Exception):
        if photo.getexif().get_ifd(ExifTags.IFD.GPSInfo):
            return True
    xmp = photo.info.get("xmp") or photo.info.get("XML:com.adobe.xmp") or b""
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "replace")
    return b"GPS" in xmp


def _reencode(upright: Image.Image, original: Image.Image, content_type: str) -> bytes:
    """The photo as Pillow writes it afresh: pixels and colour profile, no EXIF, XMP or text."""
    output = io.BytesIO()
    icc = original.info.get("icc_profile")
    options: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if content_type == "image/jpeg":
        image = upright if upright.mode in {"RGB", "L", "CMYK"} else upright.convert("RGB")
        image.save(output, "JPEG", quality=90, optimize=True, exif=b"", **options)
    elif content_type == "image/png":
        clean = upright.copy()
        clean.info = {}
        clean.save(output, "PNG", optimize=True, exif=b"", **options)
    else:
        upright.save(output, "WEBP", quality=90, exif=b"", xmp=b"", **options)
    return output.getvalue()


def _thumbnail(upright: Image.Image) -> bytes:
    size = settings.ATTACHMENT_THUMBNAIL_PIXELS
    small = upright.copy()
    small.thumbnail((size, size))
    if small.mode not in {"RGB", "L"}:
        background = Image.new("RGB", small.size, "white")
        rgba = small.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        small = background
    output = io.BytesIO()
    small.save(output, "JPEG", quality=80)
    return output.getvalue()


# --- the writes ---------------------------------------------------------------------------------


def _locked(record_obj: AttachedRecord) -> AttachedRecord:
    """The stored record, locked until the commit (published incidents only)."""
    return type(record_obj)._default_manager.select_for_update().get(pk=record_obj.pk)


def _record_field(record_obj: AttachedRecord) -> str:
    if isinstance(record_obj, Incident):
        return "incident"
    if isinstance(record_obj, IntelligenceReport):
        return "intelligence"
    return "information_request"


def _storage_name(content_type: str, suffix: str = "") -> str:
    today = timezone.localdate()
    extension = ".jpg" if suffix else EXTENSIONS[content_type]
    return f"attachments/{today:%Y/%m}/{uuid.uuid4().hex}{suffix}{extension}"


def do_add_attachment(
    record_obj: AttachedRecord,
    upload: IO[bytes],
    *,
    name: str,
    size: int | None = None,
    of_person: bool = False,
    nominal_entry: NominalEntry | None = None,
    keep_location: bool = False,
    actor: User,
    request: HttpRequest | None = None,
) -> Attachment:
    """Attach an uploaded file to a record. Refused (ValidationError naming the file, nothing
    saved) when it is empty, too large, of a type not accepted, damaged or too many pixels, or
    when the record already has as many attachments as allowed; PermissionDenied for one who may
    not attach to the stored record."""
    shown = (name or "").strip() or _("the file")
    data = read_upload(upload, shown, size)
    checked = check_file(data, shown, keep_location=keep_location)
    field = _record_field(record_obj)
    with files_removed_unless_committed() as keep, transaction.atomic():
        current = _locked(record_obj)
        if not visible(actor, type(current)).filter(pk=current.pk).exists():
            raise PermissionDenied
        if not may_attach(actor, current):
            raise PermissionDenied(_("You may not add attachments to this record."))
        if nominal_entry is not None:
            readable = visible(actor, NominalEntry).filter(pk=nominal_entry.pk)
            if not (
                of_person
                and isinstance(current, Incident)
                and nominal_entry.incident_id == current.pk
                and readable.exists()
            ):
                raise ValidationError(
                    _("The person shown must be one of this incident's nominal entries."),
                    code="attachment",
                )
        count = Attachment.objects.filter(**{field: current}).count()
        if count >= settings.ATTACHMENT_MAX_PER_RECORD:
            raise _refuse(
                _("“%(name)s” was not attached: a record may have at most %(limit)s attachments."),
                shown,
                limit=settings.ATTACHMENT_MAX_PER_RECORD,
            )
        location_kept = keep_location and checked.content_type != "application/pdf"
        attachment = Attachment(
            **{field: current},
            original_name=clean_file_name(shown, checked.content_type),
            content_type=checked.content_type,
            size=len(checked.content),
            sha256=hashlib.sha256(checked.content).hexdigest(),
            width=checked.width,
            height=checked.height,
            of_person=of_person,
            nominal_entry=nominal_entry if of_person else None,
            location_kept=location_kept,
            uploaded_by=actor,
        )
        attachment.file.save(
            _storage_name(checked.content_type), ContentFile(checked.content), save=False
        )
        keep(attachment.file)
        if checked.thumbnail:
            attachment.thumbnail.save(
                _storage_name(checked.content_type, "-thumb"),
                ContentFile(checked.thumbnail),
                save=False,
            )
            keep(attachment.thumbnail)
        attachment.full_clean(exclude=["file", "thumbnail"])
        attachment.save()
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=attachment,
            summary=f"attachment {attachment.original_name} to {_reference(current)}",
            changes={
                "record": _reference(current),
                "name": attachment.original_name,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "of_person": of_person,
                "nominal_entry": attachment.nominal_entry_id,
                "location_kept": location_kept,
                "had_location": checked.had_location,
            },
            request=request,
        )
    return attachment


def _reference(record_obj: AttachedRecord) -> str:
    return record_obj.reference


def do_remove_attachment(
    attachment: Attachment, *, actor: User, request: HttpRequest | None = None
) -> None:
    """Remove an attachment and, once that has committed, its files."""
    with transaction.atomic():
        # locked alone: PostgreSQL locks no row of an outer join's nullable side
        current = Attachment.objects.select_for_update().get(pk=attachment.pk)
        _locked(current.record)
        if not visible(actor, Attachment).filter(pk=current.pk).exists():
            raise PermissionDenied
        if not may_remove_attachment(actor, current):
            raise PermissionDenied(_("You may not remove this attachment."))
        record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=current,
            summary=f"attachment {current.original_name} of {_reference(current.record)}",
            changes={
                "record": _reference(current.record),
                "name": current.original_name,
                "sha256": current.sha256,
            },
            request=request,
        )
        # the files go once the deletion has committed (delete_files_of_removed_attachment)
        current.delete()


# --- files without their row --------------------------------------------------------------------

ATTACHMENTS_FOLDER = "attachments"


def delete_files_of_removed_attachment(
    sender: type[Attachment], instance: Attachment, **kwargs: Any
) -> None:
    """``post_delete`` receiver: a deleted attachment's file and thumbnail follow it after the
    commit, whether it was removed alone or with its record."""
    delete_files_after_commit([instance.file.name or "", instance.thumbnail.name or ""])


@dataclass(frozen=True)
class OrphanFile:
    name: str  # the storage name, as a row would hold it
    size: int
    modified: datetime.datetime


def orphan_files(*, older_than: datetime.timedelta) -> list[OrphanFile]:
    """Files of the attachment store (the data folder's uploads/attachments) that no attachment
    names as its file or thumbnail, last written longer ago than ``older_than``. The age keeps
    out an upload under way: its files are written before its row is committed."""
    root = Path(settings.MEDIA_ROOT) / ATTACHMENTS_FOLDER
    if not root.is_dir():
        return []
    cutoff = timezone.now() - older_than
    on_disk: list[OrphanFile] = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        stat = path.stat()
        modified = datetime.datetime.fromtimestamp(stat.st_mtime, tz=datetime.UTC)
        if modified > cutoff:
            continue
        name = path.relative_to(settings.MEDIA_ROOT).as_posix()
        on_disk.append(OrphanFile(name=name, size=stat.st_size, modified=modified))
    if not on_disk:
        return []
    named: set[str] = set()
    for file_name, thumbnail_name in Attachment.objects.values_list("file", "thumbnail").iterator(
        chunk_size=5000
    ):
        named.add(file_name)
        if thumbnail_name:
            named.add(thumbnail_name)
    return [orphan for orphan in on_disk if orphan.name not in named]


def remove_orphan_files(*, older_than: datetime.timedelta) -> list[OrphanFile]:
    """Delete the attachment store's orphan files (see :func:`orphan_files`), with an audit
    entry naming them; the files deleted."""
    orphans = orphan_files(older_than=older_than)
    removed: list[OrphanFile] = []
    for orphan in orphans:
        with contextlib.suppress(FileNotFoundError):
            default_storage.delete(orphan.name)
            removed.append(orphan)
    if removed:
        record(
            actor=None,
            action=AuditAction.DELETE,
            object_type="exchange.Attachment",
            summary=f"{len(removed)} attachment file(s) without an attachment removed",
            changes={"files": [orphan.name for orphan in removed]},
        )
    return removed
