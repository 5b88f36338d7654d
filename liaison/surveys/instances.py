"""ODK instance XML, as the ODK form engine submits it, read into the answers Liaison stores.

An instance is the XForm's primary instance filled in: the root element named as the form's root
(``<data id="form_id" version="…">``), a child per question, a non-repeat group's questions inside
its element, each repeat instance an element of the repeat's name, and ``meta/instanceID``. It
becomes the shape the analysis and the imports use: text by question name (groups flattened,
names are unique in a form), and under a repeat's name the list of its instances, each the answers
of the questions inside it (nested repeats likewise).

The document comes from the browser: it is parsed without a DTD, entities or network, and one with
a DOCTYPE is refused (no XXE, no entity expansion).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from lxml import etree  # type: ignore[import-untyped]

from liaison.surveys.answer_media import media_kind
from liaison.surveys.xlsform import NOTE, Form

MAX_INSTANCE_BYTES = 5 * 1024 * 1024
"""An instance without attachments is a few kilobytes; anything past this is not one."""

_JAVAROSA_NAMESPACE = "http://openrosa.org/javarosa"

RepeatInstance = dict[str, "str | list[RepeatInstance]"]


class InstanceRejected(Exception):
    """An instance that cannot be taken: not XML, not this form's, too large."""


@dataclass
class OdkInstance:
    form_id: str
    version: str
    instance_id: str
    xml: str
    answers: dict[str, str] = field(default_factory=dict)
    """The answers outside repeats, by question name."""
    repeats: dict[str, list[RepeatInstance]] = field(default_factory=dict)
    """The top-level repeats' instances, by repeat name."""
    media: dict[str, str] = field(default_factory=dict)
    """The files the answers name (image, audio, video, file questions, in repeats too): file
    name → question name. The files themselves travel beside the instance."""


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse_instance(data: bytes, form: Form) -> OdkInstance:
    """Read an instance of ``form``; :class:`InstanceRejected` says why one cannot be read."""
    if not data.strip():
        raise InstanceRejected(_("The submission holds no instance XML."))
    if len(data) > MAX_INSTANCE_BYTES:
        raise InstanceRejected(_("The instance XML is larger than a questionnaire's can be."))
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise InstanceRejected(
            _("The instance is not well-formed XML: %(reason)s") % {"reason": error.msg}
        ) from None
    if root.getroottree().docinfo.doctype:
        raise InstanceRejected(_("An instance may not declare a DOCTYPE."))
    form_id = str(root.get("id") or "")
    if _local(root.tag) != form.root_name or form_id != form.form_id:
        raise InstanceRejected(
            _("This instance is of the form %(found)s, not of this round's form %(expected)s.")
            % {"found": form_id or _local(root.tag), "expected": form.form_id}
        )
    version = str(root.get("version") or "")
    if form.version and version != form.version:
        raise InstanceRejected(
            _("This instance is of version %(found)s of the form, the round takes %(expected)s.")
            % {"found": version or "–", "expected": form.version}
        )
    instance = OdkInstance(
        form_id=form_id,
        version=version,
        instance_id="",
        xml=_as_text(data, root),
    )
    top: RepeatInstance = {}
    _read(root, f"/{form.root_name}", form, top, instance.media)
    for name, value in top.items():
        if isinstance(value, list):
            instance.repeats[name] = value
        else:
            instance.answers[name] = value
    instance.instance_id = _instance_id(root, form)
    return instance


def _as_text(data: bytes, root: etree._Element) -> str:
    """The instance as sent; re-serialised only when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return str(etree.tostring(root, encoding="unicode"))


def _read(
    element: etree._Element, path: str, form: Form, into: RepeatInstance, media: dict[str, str]
) -> None:
    for child in element:
        name = _local(child.tag)
        if not name or child.get(f"{{{_JAVAROSA_NAMESPACE}}}template") is not None:
            continue
        child_path = f"{path}/{name}"
        group = form.group_at(child_path)
        if group is not None and group.repeat:
            repeat_instance: RepeatInstance = {}
            _read(child, child_path, form, repeat_instance, media)
            instances = into.setdefault(group.name, [])
            if isinstance(instances, list):
                instances.append(repeat_instance)
            continue
        if group is not None:
            _read(child, child_path, form, into, media)
            continue
        question = form.question_at(child_path)
        if question is None or question.type == NOTE:
            continue
        text = (child.text or "").strip()
        if text:
            into[question.name] = text
            if media_kind(question) is not None:
                media.setdefault(text, question.name)


def _instance_id(root: etree._Element, form: Form) -> str:
    path = form.instance_id_path or f"/{form.root_name}/meta/instanceID"
    steps = [step for step in path.split("/") if step][1:]
    element: etree._Element | None = root
    for step in steps:
        if element is None:
            break
        element = next((child for child in element if _local(child.tag) == step), None)
    text = (element.text or "").strip() if element is not None else ""
    if not text:
        raise InstanceRejected(_("The instance has no instance ID (meta/instanceID)."))
    if len(text) > 100:
        raise InstanceRejected(_("The instance ID is longer than 100 characters."))
    return text
