"""A questionnaire's media files: the CSV and XML files its XForm reads (``pulldata()``,
``select_one_from_file``, ``instance('…')`` with a ``src``) and the images of its labels.

A file is checked whole before anything is stored (:func:`check_media`): its name as the XForm
refers to it (``jr://file-csv/fruits.csv`` is ``fruits.csv``), a type Liaison knows by its
extension *and* its contents, and a size limit. The server's own check of the answers reads the
CSV and XML files as the form engine does, as secondary instances (:func:`with_media`): a CSV is
``<root><item><column>value</column>…</item>…</root>``, an XML file its own document.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from lxml import etree  # type: ignore[import-untyped]

from liaison.surveys.xlsform import XFORMS_NAMESPACE, Choice, Form, Question

if TYPE_CHECKING:
    from liaison.surveys.models import Questionnaire, QuestionnaireMedia

MAX_MEDIA_BYTES = 5 * 1024 * 1024
MAX_MEDIA_FILES = 30

# extension → content type; images are checked by their first bytes as well
CSV_TYPE = "text/csv"
XML_TYPE = "application/xml"
MEDIA_TYPES: dict[str, str] = {
    ".csv": CSV_TYPE,
    ".xml": XML_TYPE,
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_IMAGE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
# What the XForm can name after jr://file/ or jr://file-csv/: no folder, no leading dot.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_. -]{0,254}$")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_INSTANCE_NODESET = re.compile(r"""^\s*instance\(\s*['"]([^'"]+)['"]\s*\)""")


class MediaRejected(ValueError):
    """A media file Liaison does not keep; the message names the file and says why."""

    def __init__(self, message: str, *, file: str) -> None:
        super().__init__(message)
        self.message = message
        self.file = file

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A media file checked and ready to store."""

    name: str
    data: bytes
    content_type: str


def _refuse(name: str, reason: str) -> MediaRejected:
    return MediaRejected(
        _("%(file)s: %(reason)s") % {"file": name or _("(no name)"), "reason": reason}, file=name
    )


def decode_csv(data: bytes) -> str:
    """A CSV file's text: UTF-8, with or without the byte-order mark spreadsheets write."""
    return data.decode("utf-8-sig")


def read_csv(data: bytes) -> list[dict[str, str]]:
    """The rows of a CSV media file by column (the first row names the columns)."""
    reader = csv.DictReader(io.StringIO(decode_csv(data), newline=""))
    return [
        {str(key).strip(): (value or "") for key, value in row.items() if key is not None}
        for row in reader
    ]


def _check_csv(name: str, data: bytes) -> None:
    try:
        text = decode_csv(data)
    except UnicodeDecodeError:
        raise _refuse(name, _("a CSV file must be written in UTF-8.")) from None
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
        rows = read_csv(data)
    except csv.Error as error:
        raise _refuse(
            name, _("the CSV file cannot be read (%(reason)s).") % {"reason": error}
        ) from None
    columns = [column.strip() for column in header]
    if not columns or not any(columns):
        raise _refuse(name, _("the first row must name the columns."))
    bad = [column for column in columns if not _XML_NAME.match(column)]
    if bad:
        raise _refuse(
            name,
            _(
                "the column names %(columns)s cannot be read by a form (letters, digits, _ . -, "
                "not starting with a digit)."
            )
            % {"columns": ", ".join(f"“{column}”" for column in bad)},
        )
    del rows


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _check_xml(name: str, data: bytes) -> None:
    try:
        document = etree.fromstring(data, parser=_safe_parser())
    except etree.XMLSyntaxError as error:
        raise _refuse(
            name, _("the XML file cannot be read (%(reason)s).") % {"reason": error}
        ) from None
    if document is None:
        raise _refuse(name, _("the XML file is empty."))
    if document.getroottree().docinfo.doctype:
        raise _refuse(name, _("an XML file with a DOCTYPE is not accepted."))


def check_media(name: str, data: bytes) -> MediaFile:
    """The file as Liaison keeps it, or :class:`MediaRejected` naming it and saying why."""
    name = name.strip()
    if not _NAME.match(name) or name in {".", ".."}:
        raise _refuse(
            name,
            _(
                "the name must be the file name the form refers to: letters, digits, spaces, "
                "_ . -, and no folder."
            ),
        )
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    content_type = MEDIA_TYPES.get(extension)
    if content_type is None:
        raise _refuse(
            name,
            _("Liaison keeps these media files: %(types)s.")
            % {"types": ", ".join(sorted(MEDIA_TYPES))},
        )
    if len(data) > MAX_MEDIA_BYTES:
        raise _refuse(
            name,
            _("the file is larger than %(size)s MB.") % {"size": MAX_MEDIA_BYTES // (1024 * 1024)},
        )
    if not data:
        raise _refuse(name, _("the file is empty."))
    if content_type == CSV_TYPE:
        _check_csv(name, data)
    elif content_type == XML_TYPE:
        _check_xml(name, data)
    elif not data.startswith(_IMAGE_SIGNATURES[content_type]) or (
        content_type == "image/webp" and data[8:12] != b"WEBP"
    ):
        raise _refuse(name, _("the file is not the image its extension says."))
    return MediaFile(name=name, data=data, content_type=content_type)


def check_media_files(files: Iterable[tuple[str, bytes]]) -> list[MediaFile]:
    """Every file checked; the first refusal raised (nothing is kept of a batch with one)."""
    checked: dict[str, MediaFile] = {}
    for name, data in files:
        media = check_media(name, data)
        if media.name in checked:
            raise _refuse(media.name, _("two files have this name."))
        checked[media.name] = media
    if len(checked) > MAX_MEDIA_FILES:
        raise MediaRejected(
            _("A questionnaire has at most %(count)s media files.") % {"count": MAX_MEDIA_FILES},
            file="",
        )
    return list(checked.values())


# --- the media as the form engine reads them ----------------------------------------------


def _strip(element: etree._Element) -> ET.Element:
    copy = ET.Element(etree.QName(element).localname)
    copy.text = element.text
    for child in element:
        if isinstance(child.tag, str):
            copy.append(_strip(child))
    return copy


def instance_root(content_type: str, data: bytes) -> ET.Element | None:
    """A CSV or XML media file as the root of a secondary instance (``None`` for an image)."""
    if content_type == CSV_TYPE:
        root = ET.Element("root")
        for row in read_csv(data):
            item = ET.SubElement(root, "item")
            for column, value in row.items():
                if _XML_NAME.match(column):
                    ET.SubElement(item, column).text = value
        return root
    if content_type == XML_TYPE:
        return _strip(etree.fromstring(data, parser=_safe_parser()))
    return None


def external_instances(form: Form) -> dict[str, str]:
    """The form's secondary instances read from a file: instance ID → the file's name."""
    document = etree.fromstring(form.xform.encode("utf-8"), parser=_safe_parser())
    found: dict[str, str] = {}
    for instance in document.iter(f"{{{XFORMS_NAMESPACE}}}instance"):
        instance_id, source = instance.get("id"), instance.get("src")
        if instance_id and source and str(source).startswith("jr://"):
            found[str(instance_id)] = str(source).rstrip("/").rsplit("/", 1)[-1]
    return found


def _itemsets(form: Form) -> dict[str, tuple[str, str, str]]:
    """Question path → (instance ID, value child, label child) of selects drawn from an
    instance."""
    document = etree.fromstring(form.xform.encode("utf-8"), parser=_safe_parser())
    found: dict[str, tuple[str, str, str]] = {}
    for itemset in document.iter(f"{{{XFORMS_NAMESPACE}}}itemset"):
        match = _INSTANCE_NODESET.match(str(itemset.get("nodeset") or ""))
        control = itemset.getparent()
        if match is None or control is None or not control.get("ref"):
            continue
        value = itemset.find(f"{{{XFORMS_NAMESPACE}}}value")
        label = itemset.find(f"{{{XFORMS_NAMESPACE}}}label")
        value_ref = str(value.get("ref") or "name") if value is not None else "name"
        label_ref = str(label.get("ref") or "label") if label is not None else "label"
        found[str(control.get("ref"))] = (match[1], value_ref, label_ref)
    return found


def _choices(root: ET.Element, value_ref: str, label_ref: str, language: str) -> tuple[Choice, ...]:
    choices: dict[str, Choice] = {}
    for item in root:
        value = (item.findtext(value_ref) or "").strip()
        if value and value not in choices:
            label = item.findtext(label_ref) if _XML_NAME.match(label_ref) else None
            choices[value] = Choice(name=value, labels={language: label or value})
    return tuple(choices.values())


def with_media(form: Form, media: Sequence[QuestionnaireMedia]) -> Form:
    """The form with its attached CSV and XML files as its secondary instances, and the
    choices of its selects drawn from them (``select_one_from_file``)."""
    by_name = {item.name: item for item in media}
    instances = dict(form.instances)
    for instance_id, file_name in external_instances(form).items():
        item = by_name.get(file_name)
        if item is None:
            continue
        try:
            with item.file.open("rb") as handle:
                root = instance_root(item.content_type, handle.read())
        except OSError:
            # gone from the data folder: read as not attached (an expression needing it is
            # refused with the reason, as without the file)
            continue
        if root is not None:
            wrapper = ET.Element("instance")
            wrapper.append(root)
            instances[instance_id] = wrapper
    itemsets = _itemsets(form)
    questions: list[Question] = []
    for question in form.questions:
        drawn = itemsets.get(question.path)
        if drawn is not None and not question.choices:
            instance = instances.get(drawn[0])
            if instance is not None and len(instance):
                choices = _choices(instance[0], drawn[1], drawn[2], form.default_language)
                question = dataclasses.replace(question, choices=choices)
        questions.append(question)
    return dataclasses.replace(form, instances=instances, questions=tuple(questions))


def media_response(questionnaire: Questionnaire, name: str) -> FileResponse:
    """The questionnaire's media file called ``name`` (the caller has checked who asks), or a
    404. Served as the type Liaison checked it to be, never sniffed."""
    media = questionnaire.media_files.filter(name=name).first()
    if media is None:
        raise Http404(_("The questionnaire has no media file %(name)s.") % {"name": name})
    try:
        handle = media.file.open("rb")
    except OSError:
        raise Http404(
            _("The media file %(name)s is missing from the server.") % {"name": name}
        ) from None
    response = FileResponse(handle, content_type=media.content_type, filename=media.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response
