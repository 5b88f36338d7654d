"""The files that answer a questionnaire's image, audio, video and file questions.

ODK sends them as OpenRosa does: the instance XML names the file as the question's answer
(``<photo>1712345678901.jpg</photo>``), and the file itself travels in the same multipart
request as a part of that name. A file is kept only when the instance names it as the answer of
such a question (a part no answer names is refused), within a size per file and per submission
(settings ``SURVEY_MEDIA_MAX_BYTES`` and ``SURVEY_MEDIA_MAX_TOTAL_BYTES``: 413), and of the kind
the question takes (an image for an image question …; a ``file`` question takes any type: 415
otherwise). Every file is checked before anything is stored (:func:`check_answer_media`).

Whatever the type, a file is served as a download (``Content-Disposition: attachment``), never
sniffed, under a policy that runs nothing: a document uploaded as HTML cannot become a page of
the site.

A file goes with its row however the row goes (the submission deleted, a draft's file replaced):
the ``post_delete`` receiver :func:`delete_file_of_removed_answer_media`, connected in the app's
``ready``, as the exchange's attachments do.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.http import FileResponse, Http404
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from liaison.operations.storage import delete_files_after_commit
from liaison.surveys.models import SubmissionMedia
from liaison.surveys.xlsform import Question

IMAGE = "image"
AUDIO = "audio"
VIDEO = "video"
FILE = "file"
_KIND_OF_TYPE = {
    "image": IMAGE,
    "photo": IMAGE,
    "audio": AUDIO,
    "video": VIDEO,
    "file": FILE,
    "background-audio": AUDIO,
}
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
# An image question never takes SVG: a drawing of scripts is a document, not a photo.
_REFUSED_IMAGES = frozenset({"image/svg+xml"})
# The file names ODK clients give (1712345678901.jpg, signature-2026….png): no folder, no
# leading dot, a length a row holds.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.() -]{0,199}$")
_SERVED_POLICY = "default-src 'none'; sandbox"


def media_kind(question: Question) -> str | None:
    """``image``, ``audio``, ``video`` or ``file`` for a question answered by a file (signature,
    draw and annotate are image questions with an appearance), else ``None``."""
    kind = _KIND_OF_TYPE.get(question.type)
    if kind is None and question.bind_type == "binary":
        return FILE
    return kind


class AnswerMediaRejected(Exception):
    """A file of a submission Liaison does not keep: the message names the question and the
    file, ``status`` is the HTTP answer (400 not named by the answers, 413 too large, 415 not
    of the question's kind)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class MediaPart:
    """A file part of the request, as received: its part name, declared type, size and bytes."""

    name: str
    content_type: str
    size: int
    file: IO[bytes]


@dataclass(frozen=True)
class CheckedMedia:
    """A part that answers ``question``, checked and ready to store."""

    question: str
    part: MediaPart
    content_type: str


def megabytes(size: int) -> str:
    """A size limit in megabytes as the reader writes numbers ("10", "0,5" in Vietnamese)."""
    whole = size % (1024 * 1024) == 0
    return str(number_format(size / (1024 * 1024), decimal_pos=0 if whole else 1))


def _content_type(part: MediaPart) -> str:
    declared = part.content_type.split(";", 1)[0].strip().lower()
    if declared in _GENERIC_TYPES:
        guessed, _encoding = mimetypes.guess_type(part.name, strict=False)
        return (guessed or "application/octet-stream").lower()
    return declared


def _type_refusal(kind: str) -> str:
    if kind == IMAGE:
        return _("an image question takes an image (a photo, a drawing).")
    if kind == AUDIO:
        return _("an audio question takes a sound recording.")
    return _("a video question takes a video.")


def check_answer_media(
    referenced: Mapping[str, str],
    questions: Mapping[str, Question],
    parts: Iterable[MediaPart],
) -> list[CheckedMedia]:
    """Every part checked against the answers that name it (``referenced``: file name →
    question name) and the form's ``questions`` by name; the first refusal raised as
    :class:`AnswerMediaRejected`, so nothing of a submission with one is kept."""
    per_file = int(settings.SURVEY_MEDIA_MAX_BYTES)
    per_submission = int(settings.SURVEY_MEDIA_MAX_TOTAL_BYTES)
    checked: list[CheckedMedia] = []
    seen: set[str] = set()
    total = 0
    for part in parts:
        if part.name in seen:
            raise AnswerMediaRejected(
                _("The file %(file)s is sent twice; send each file once.") % {"file": part.name},
                status=400,
            )
        seen.add(part.name)
        question_name = referenced.get(part.name)
        question = questions.get(question_name) if question_name else None
        kind = media_kind(question) if question is not None else None
        if question is None or kind is None or not _NAME.match(part.name):
            raise AnswerMediaRejected(
                _(
                    "The file %(file)s is not the answer of any image, audio, video or file "
                    "question of this instance; send only the files its answers name."
                )
                % {"file": part.name or _("(no name)")},
                status=400,
            )
        if part.size > per_file:
            raise AnswerMediaRejected(
                _(
                    "The file %(file)s answering “%(question)s” is larger than %(size)s MB, "
                    "the most a file may be."
                )
                % {"file": part.name, "question": question.name, "size": megabytes(per_file)},
                status=413,
            )
        total += part.size
        if total > per_submission:
            raise AnswerMediaRejected(
                _(
                    "With the file %(file)s answering “%(question)s”, the files of this "
                    "submission are larger than %(size)s MB, the most one submission may send."
                )
                % {
                    "file": part.name,
                    "question": question.name,
                    "size": megabytes(per_submission),
                },
                status=413,
            )
        content_type = _content_type(part)
        if kind != FILE and (
            not content_type.startswith(f"{kind}/") or content_type in _REFUSED_IMAGES
        ):
            raise AnswerMediaRejected(
                _("The file %(file)s (%(type)s) cannot answer “%(question)s”: %(reason)s")
                % {
                    "file": part.name,
                    "type": content_type,
                    "question": question.name,
                    "reason": _type_refusal(kind),
                },
                status=415,
            )
        checked.append(CheckedMedia(question=question.name, part=part, content_type=content_type))
    return checked


def require_every_file(referenced: Mapping[str, str], parts: Iterable[MediaPart]) -> None:
    """Refuse (400) an instance naming a file that did not come with it: from the page, where
    the engine sends every file it holds, a missing one was lost on the way (a draft reopened
    without its photo) and is asked for again rather than recorded as a name without a file.
    Other OpenRosa clients are not held to it, as ODK Central does not hold them: the answer
    keeps the file's name, without the file (a second post of the same submission, as Collect
    sends a large one's files, is refused as already submitted)."""
    sent = {part.name for part in parts}
    for name, question in referenced.items():
        if name not in sent:
            raise AnswerMediaRejected(
                _(
                    "The file %(file)s answering “%(question)s” did not arrive with the answers; "
                    "attach it again."
                )
                % {"file": name, "question": question},
                status=400,
            )


def _storage_name(name: str) -> str:
    # the file is stored under a name of the server's (the instance's name stays on the row)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    extension = extension if re.fullmatch(r"[a-z0-9]{1,10}", extension) else "bin"
    return f"{uuid.uuid4().hex}.{extension}"


def build_media_row(item: CheckedMedia) -> SubmissionMedia:
    """The row for a checked part, its file written to the storage (its SHA-256 computed on
    the way); the caller saves the row and registers the file to remove if nothing commits."""
    digest = hashlib.sha256()
    item.part.file.seek(0)
    for chunk in iter(lambda: item.part.file.read(1024 * 1024), b""):
        digest.update(chunk)
    item.part.file.seek(0)
    row = SubmissionMedia(
        question=item.question[:255],
        name=item.part.name,
        size=item.part.size,
        content_type=item.content_type[:100],
        sha256=digest.hexdigest(),
    )
    row.file.save(_storage_name(item.part.name), File(item.part.file), save=False)
    return row


def answer_media_response(media: SubmissionMedia) -> FileResponse:
    """The file as a download (the caller has checked who asks), or a 404 when it is gone."""
    try:
        handle = media.file.open("rb")
    except OSError:
        raise Http404(
            _("The file %(name)s is missing from the server.") % {"name": media.name}
        ) from None
    response = FileResponse(
        handle, content_type=media.content_type, as_attachment=True, filename=media.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _SERVED_POLICY
    response["Cache-Control"] = "no-store, private"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def delete_file_of_removed_answer_media(
    sender: type[SubmissionMedia], instance: SubmissionMedia, **kwargs: Any
) -> None:
    """``post_delete`` receiver: a deleted answer file's stored file follows it after the
    commit, whether it went alone or with its submission or round."""
    delete_files_after_commit([instance.file.name or ""])
