"""Questionnaires as XLSForms, read with pyxform (the reference implementation).

:func:`load_form` turns an ``.xlsx``/``.xls`` XLSForm into a :class:`Form`: the questions in
order with their group path, type, choices, labels per language, the expressions of the XForm
binds pyxform generated (``${name}`` already turned into ``/data/group/name``), and the XForm
XML itself. Anything wrong with the file — unreadable, not a workbook, a missing sheet, an
unknown choice list, a duplicate name, an expression that does not parse — raises one
:class:`FormError` whose message names the file, sheet, row and column where they are known.

Our one documented extension to XLSForm is the ``correct`` column on the ``choices`` sheet:
``1`` marks an option as a correct answer, which makes the question a knowledge question that the
analysis scores (see :mod:`liaison.surveys.analysis`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
import warnings as warnings_module
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from django.utils.translation import gettext as _
from lxml import etree  # type: ignore[import-untyped]

from liaison.surveys.xpath import Environment, ExpressionError, compile_xpath

XFORMS_NAMESPACE = "http://www.w3.org/2002/xforms"
JAVAROSA_NAMESPACE = "http://openrosa.org/javarosa"
DEFAULT_LANGUAGE = "default"

SELECT_ONE = "select_one"
SELECT_MULTIPLE = "select_multiple"
INTEGER = "integer"
DECIMAL = "decimal"
RANGE = "range"
TEXT = "text"
DATE = "date"
DATETIME = "datetime"
TIME = "time"
NOTE = "note"
CALCULATE = "calculate"
RANK = "rank"

SELECT_TYPES = frozenset({SELECT_ONE, SELECT_MULTIPLE})
NUMERIC_TYPES = frozenset({INTEGER, DECIMAL, RANGE})
# Questions the device fills in by itself: kept in the model, never analysed or validated.
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-audio",
        "uri:deviceid",
        "uri:email",
        "uri:phonenumber",
        "uri:simserial",
        "uri:subscriberid",
        "uri:username",
    }
)
_TYPE_NAMES = {
    "select one": SELECT_ONE,
    "select all that apply": SELECT_MULTIPLE,
    "select one external": "select_one_external",
    "select one from file": SELECT_ONE,
    "select multiple from file": SELECT_MULTIPLE,
    "int": INTEGER,
    "integer": INTEGER,
    "decimal": DECIMAL,
    "range": RANGE,
    "text": TEXT,
    "string": TEXT,
    "date": DATE,
    "datetime": DATETIME,
    "time": TIME,
    "note": NOTE,
    "calculate": CALCULATE,
    "rank": RANK,
}
_GROUP_TYPES = frozenset({"group", "repeat"})
_BIND_COLUMNS = {
    "relevant": "relevant",
    "required": "required",
    "constraint": "constraint",
    "calculate": "calculation",
    "readonly": "read_only",
}
_PYXFORM_ROW = re.compile(r"\[row\s*:\s*(\d+)\]\s*")
_PYXFORM_SHEET = re.compile(r"On the '(\w+)' sheet", re.IGNORECASE)
_PYXFORM_COLUMN = re.compile(r"the '([\w:]+)' value is invalid", re.IGNORECASE)
_LANGUAGE_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\)\s*$")
_CORRECT_TRUE = frozenset({"1", "1.0", "true", "yes"})
_CORRECT_FALSE = frozenset({"", "0", "0.0", "false", "no"})


class FormError(Exception):
    """A questionnaire that cannot be used, with where and why in words a form designer reads."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        # Composed now, in the language active where the problem was found (like ``problem``).
        self.message = self._compose()
        super().__init__(self.message)

    def _compose(self) -> str:
        where: list[str] = []
        if self.file:
            where.append(_("form %(file)s") % {"file": self.file})
        if self.sheet:
            where.append(_("sheet “%(sheet)s”") % {"sheet": self.sheet})
        if self.row is not None:
            where.append(_("row %(row)s") % {"row": self.row})
        if self.column:
            where.append(_("column “%(column)s”") % {"column": self.column})
        if not where:
            return self.problem
        return _("%(location)s: %(problem)s") % {
            "location": ", ".join(where),
            "problem": self.problem,
        }

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Language:
    """A language of the form as XLSForm names it (``English (en)``) and its code (``en``)."""

    name: str
    code: str | None

    @classmethod
    def from_name(cls, name: str) -> Language:
        match = _LANGUAGE_CODE.search(name)
        return cls(name=name, code=match[1].lower().replace("_", "-") if match else None)


def localized(texts: Mapping[str, str], language: str | None, default_language: str) -> str:
    """The text in ``language`` (a code like ``vi`` or an XLSForm name), else the default."""
    if not texts:
        return ""
    if language:
        if language in texts:
            return texts[language]
        wanted = language.lower()
        for name, text in texts.items():
            candidate = Language.from_name(name)
            if candidate.code == wanted or name.lower() == wanted:
                return text
        for name, text in texts.items():
            if name.lower().startswith(wanted):
                return text
    for fallback in (default_language, DEFAULT_LANGUAGE):
        if fallback in texts:
            return texts[fallback]
    return next(iter(texts.values()))


@dataclass(frozen=True, slots=True)
class Choice:
    name: str
    labels: Mapping[str, str]
    correct: bool | None = None
    """``True``/``False`` from the ``correct`` column; ``None`` when the cell is empty."""
    row: int | None = None


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    path: str
    group_path: tuple[str, ...]
    labels: Mapping[str, str]
    relevant: str | None
    repeat: bool
    row: int | None


@dataclass(frozen=True, slots=True)
class Question:
    name: str
    path: str
    """Absolute XPath of the question in the instance, e.g. ``/data/profile/agency``."""
    group_path: tuple[str, ...]
    type: str
    labels: Mapping[str, str] = field(default_factory=dict)
    hints: Mapping[str, str] = field(default_factory=dict)
    list_name: str | None = None
    choices: tuple[Choice, ...] = ()
    or_other: bool = False
    appearance: str = ""
    relevant: str | None = None
    required: str | None = None
    constraint: str | None = None
    calculation: str | None = None
    constraint_message: Mapping[str, str] = field(default_factory=dict)
    required_message: Mapping[str, str] = field(default_factory=dict)
    source_expressions: Mapping[str, str] = field(default_factory=dict)
    """The expressions as written on the sheet (with ``${name}``), keyed by column."""
    bind_type: str = "string"
    in_repeat: bool = False
    row: int | None = None

    @property
    def theme(self) -> str | None:
        """The top-level group: the questionnaire's themes are its top-level groups."""
        return self.group_path[0] if self.group_path else None

    @property
    def is_select(self) -> bool:
        return self.type in SELECT_TYPES

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def is_metadata(self) -> bool:
        return self.type in METADATA_TYPES

    @property
    def is_knowledge(self) -> bool:
        """A scored question: a select with at least one option marked correct."""
        return self.is_select and any(choice.correct for choice in self.choices)

    @property
    def is_likert(self) -> bool:
        return self.type == SELECT_ONE and "likert" in self.appearance.split()

    @property
    def choice_names(self) -> tuple[str, ...]:
        return tuple(choice.name for choice in self.choices)

    @property
    def correct_names(self) -> frozenset[str]:
        return frozenset(choice.name for choice in self.choices if choice.correct)

    @property
    def takes_answer(self) -> bool:
        """Whether a person answers it (not a note, calculation, group or device metadata)."""
        return not (self.is_metadata or self.type in (NOTE, CALCULATE) or self.in_repeat)


@dataclass(frozen=True)
class Form:
    form_id: str
    title: str
    version: str
    root_name: str
    default_language: str
    languages: tuple[Language, ...]
    questions: tuple[Question, ...]
    groups: tuple[Group, ...]
    xform: str
    source_name: str
    definition: Mapping[str, Any] = field(repr=False, default_factory=dict)
    """pyxform's JSON structure of the form (what a web renderer needs)."""
    instances: Mapping[str, ET.Element] = field(repr=False, default_factory=dict)
    """Secondary instances (choice lists) of the XForm, for ``instance('…')`` expressions."""
    warnings: tuple[str, ...] = ()
    instance_id_path: str | None = None
    loops: tuple[str, ...] = ()
    """Names of the form's ``begin loop`` blocks: kept in the XForm, not analysed."""
    _by_name: dict[str, Question] = field(init=False, repr=False, compare=False)
    _by_path: dict[str, Question] = field(init=False, repr=False, compare=False)
    _groups_by_path: dict[str, Group] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {q.name: q for q in self.questions})
        object.__setattr__(self, "_by_path", {q.path: q for q in self.questions})
        object.__setattr__(self, "_groups_by_path", {g.path: g for g in self.groups})

    def question(self, name: str) -> Question:
        """The question called ``name``; :class:`KeyError` with a readable message if none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(
                _("The form %(form)s has no question named %(name)s.")
                % {"form": self.form_id, "name": name}
            ) from None

    def has_question(self, name: str) -> bool:
        return name in self._by_name

    def question_at(self, path: str) -> Question | None:
        return self._by_path.get(path)

    def group_at(self, path: str) -> Group | None:
        return self._groups_by_path.get(path)

    def ancestors(self, question: Question) -> Iterator[Group]:
        """The groups containing ``question``, outermost first."""
        prefix = "/" + self.root_name
        for name in question.group_path:
            prefix = f"{prefix}/{name}"
            group = self._groups_by_path.get(prefix)
            if group is not None:
                yield group

    def repeat_of(self, item: Question | Group) -> Group | None:
        """The innermost repeat holding a question or a group (``None``: once per submission)."""
        prefix = "/" + self.root_name
        found: Group | None = None
        for name in item.group_path:
            prefix = f"{prefix}/{name}"
            group = self._groups_by_path.get(prefix)
            if group is not None and group.repeat:
                found = group
        return found

    def repeats(self) -> list[Group]:
        """The repeats in form order (an outer repeat before the ones nested in it)."""
        return [group for group in self.groups if group.repeat]

    def label(self, texts: Mapping[str, str], language: str | None = None) -> str:
        return localized(texts, language, self.default_language)

    def question_label(self, question: Question, language: str | None = None) -> str:
        return self.label(question.labels, language) or question.name

    def choice_label(self, question: Question, value: str, language: str | None = None) -> str:
        for choice in question.choices:
            if choice.name == value:
                return self.label(choice.labels, language) or choice.name
        return value

    def themes(self) -> list[Group]:
        """Top-level groups in form order (the questionnaire's themes)."""
        return [group for group in self.groups if len(group.group_path) == 0]

    def environment(self, language: str | None = None) -> Environment:
        """The expression environment of this form: choice labels and secondary instances."""

        def choice_name(value: str, path: str) -> str:
            question = self.question_at(path.strip())
            if question is None:
                return value
            if value not in question.choice_names:
                return ""  # as ODK Web Forms: a value that is no choice has no label
            return self.choice_label(question, value, language)

        return Environment.current(choice_label=choice_name, instances=self.instances)

    def language_code(self, language: str | None) -> str | None:
        """Resolve a requested language to one the form has (its XLSForm name)."""
        if not language:
            return None
        for candidate in self.languages:
            if language in (candidate.name, candidate.code):
                return candidate.name
        return None


# --- loading ---------------------------------------------------------------------------------

FormSource = str | os.PathLike[str] | bytes


def load_form(
    source: FormSource, *, filename: str | None = None, cache: Path | None = None
) -> Form:
    """Read an XLSForm (``.xlsx``/``.xls``) from a path or bytes; raises :class:`FormError`.

    With ``cache`` (a folder), what pyxform made of the workbook is kept there as JSON, keyed
    by the file's SHA-256, its name and pyxform's version, and read back the next time the same
    file is loaded: importing pyxform and converting take about half a second, which a command
    such as ``liaison survey analyze`` would otherwise pay on every run. Only a form that
    loaded without error is kept; the :class:`Form` is always built afresh from pyxform's
    output, so a change to this module needs no new cache. A cache that cannot be read or
    written is passed over."""
    data, name = _read_source(source, filename)
    file_type = _file_type(data, name)
    if cache is None:
        return _build(_convert(data, name, file_type), name)
    key = _conversion_key(data, name, file_type)
    stored = _cached_conversion(cache, key)
    if stored is not None:
        return _build(stored, name)
    conversion = _convert(data, name, file_type)
    text = _conversion_json(conversion, key)  # pyxform's output as it was, before the build
    form = _build(conversion, name)
    if text is not None:
        _store_conversion(cache, key, text)
    return form


def _read_source(source: FormSource, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, filename or "form.xlsx"
    path = Path(source)
    name = filename or path.name
    try:
        return path.read_bytes(), name
    except FileNotFoundError:
        raise FormError(_("The file does not exist."), file=name) from None
    except IsADirectoryError:
        raise FormError(_("This is a folder, not an XLSForm file."), file=name) from None
    except OSError as error:
        raise FormError(
            _("The file cannot be read: %(reason)s") % {"reason": error.strerror or error},
            file=name,
        ) from None


def _file_type(data: bytes, name: str) -> str:
    suffix = Path(name).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        sniffed = ".xlsm" if suffix == ".xlsm" else ".xlsx"
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        sniffed = ".xls"
    elif not data:
        raise FormError(_("The file is empty."), file=name)
    else:
        raise FormError(
            _("This is not an Excel workbook; an XLSForm must be an .xlsx or .xls file."),
            file=name,
        )
    return sniffed


def _pyxform_error(error: BaseException, name: str) -> FormError:
    detail = str(error).strip() or type(error).__name__
    row_match = _PYXFORM_ROW.search(detail)
    sheet_match = _PYXFORM_SHEET.search(detail)
    column_match = _PYXFORM_COLUMN.search(detail)
    detail = _PYXFORM_ROW.sub("", detail).strip()
    sheet = sheet_match[1] if sheet_match else None
    if sheet is None and row_match:
        sheet = "survey"  # pyxform's row numbers without a sheet are survey-sheet rows
    return FormError(
        _("The XLSForm is not valid: %(detail)s") % {"detail": detail},
        file=name,
        sheet=sheet,
        row=int(row_match[1]) if row_match else None,
        column=column_match[1] if column_match else None,
    )


@dataclass(frozen=True)
class _Conversion:
    """What pyxform makes of a workbook: everything :class:`_FormBuilder` reads."""

    definition: dict[str, Any]
    xform: str
    survey_rows: list[dict[str, Any]]
    choice_rows: list[dict[str, Any]]
    warnings: list[str]

    def as_json(self, key: str) -> dict[str, Any]:
        return {
            "key": key,
            "definition": self.definition,
            "xform": self.xform,
            "survey_rows": self.survey_rows,
            "choice_rows": self.choice_rows,
            "warnings": self.warnings,
        }


# Part of the cache key: raise it when _convert calls pyxform differently or keeps other outputs.
_CONVERSION_FORMAT = 1
_CACHED_CONVERSIONS = 64
"""Conversions kept in a cache folder; the least recently used go first."""


def _conversion_key(data: bytes, name: str, file_type: str) -> str:
    from importlib.metadata import version

    digest = hashlib.sha256()
    # the file name matters: pyxform names a form without a form_id after it
    for part in (str(_CONVERSION_FORMAT), version("pyxform"), file_type, Path(name).stem):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(data)
    return digest.hexdigest()


def _cached_conversion(folder: Path, key: str) -> _Conversion | None:
    path = folder / f"{key}.json"
    try:
        stored = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept when the folder is pruned
    if not (
        isinstance(stored, dict)
        and stored.get("key") == key
        and isinstance(stored.get("definition"), dict)
        and isinstance(stored.get("xform"), str)
        and isinstance(stored.get("survey_rows"), list)
        and isinstance(stored.get("choice_rows"), list)
        and isinstance(stored.get("warnings"), list)
    ):
        return None
    return _Conversion(
        definition=stored["definition"],
        xform=stored["xform"],
        survey_rows=stored["survey_rows"],
        choice_rows=stored["choice_rows"],
        warnings=[str(warning) for warning in stored["warnings"]],
    )


def _conversion_json(conversion: _Conversion, key: str) -> str | None:
    """The cache entry, or ``None`` when reading it back would not give the same values (a
    tuple, a number as a key …): such a form is converted every time instead."""
    entry = conversion.as_json(key)
    try:
        text = json.dumps(entry, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return text if json.loads(text) == entry else None


def _store_conversion(folder: Path, key: str, text: str) -> None:
    """Write the entry atomically (a reader sees the whole file or none) and prune the folder;
    a folder that cannot be written only means no cache."""
    draft = folder / f".{key}.{secrets.token_hex(8)}.tmp"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft.write_text(text, encoding="utf-8")
        draft.replace(folder / f"{key}.json")
        entries = sorted(folder.glob("*.json"), key=lambda entry: entry.stat().st_mtime)
        for stale in entries[:-_CACHED_CONVERSIONS]:
            stale.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            draft.unlink(missing_ok=True)


def _build(conversion: _Conversion, name: str) -> Form:
    return _FormBuilder(
        conversion.definition,
        conversion.xform,
        name,
        _SheetRows(conversion.survey_rows),
        _SheetRows(conversion.choice_rows),
        list(conversion.warnings),
    ).build()


def _convert(data: bytes, name: str, file_type: str) -> _Conversion:
    from pyxform.builder import create_survey_element_from_dict
    from pyxform.xls2json import workbook_to_json
    from pyxform.xls2json_backends import get_xlsform

    warnings: list[str] = []
    try:
        with warnings_module.catch_warnings():
            # openpyxl warns about workbook features it drops (data validation, extensions);
            # they do not matter to a questionnaire.
            warnings_module.simplefilter("ignore")
            workbook = get_xlsform(xlsform=io.BytesIO(data), file_type=file_type)
    except Exception as error:
        # Whatever a damaged workbook makes openpyxl/xlrd raise, the person gets one message.
        raise FormError(
            _("The workbook cannot be opened: %(reason)s")
            % {"reason": str(error).strip() or type(error).__name__},
            file=name,
        ) from None
    survey_rows = list(workbook.survey or ())
    choice_rows = list(workbook.choices or ())
    _check_correct_column(_SheetRows(choice_rows), name)
    try:
        definition = workbook_to_json(
            workbook_dict=workbook,
            fallback_form_name=Path(name).stem,
            warnings=warnings,
        )
        survey = create_survey_element_from_dict(definition)
        xform = survey.to_xml(validate=False, pretty_print=False, warnings=warnings)
    except Exception as error:
        # pyxform reports bad forms with PyXFormError/ValidationError but some shapes still
        # surface as KeyError/ValueError/AttributeError; all of them are the form's fault.
        raise _pyxform_error(error, name) from None
    return _Conversion(definition, xform, survey_rows, choice_rows, warnings)


class _SheetRows:
    """Rows of one sheet as pyxform read them, to give error messages a row number."""

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.rows = rows
        self._by_name: dict[str, list[int]] = {}
        self._by_list: dict[tuple[str, str], int] = {}
        for index, row in enumerate(rows):
            # The header is spreadsheet row 1, so list index i is row i + 2 (pyxform keeps blank
            # rows in the list precisely so that these numbers stay true).
            name = str(self.column(row, "name") or "").strip()
            self._by_name.setdefault(name, []).append(index + 2)
            list_name = str(self.column(row, "list_name") or "").strip()
            self._by_list.setdefault((list_name, name), index + 2)

    def column(self, row: Mapping[str, Any], wanted: str) -> Any:
        for key, value in row.items():
            if isinstance(key, str) and key.strip().lower() == wanted:
                return value
        return None

    def row_numbers(self, name: str) -> list[int]:
        return list(self._by_name.get(name, []))

    def choice_row(self, list_name: str, name: str) -> int | None:
        return self._by_list.get((list_name, name))

    def type_of(self, row_number: int) -> str:
        row = self.rows[row_number - 2]
        return str(self.column(row, "type") or "")


def _check_correct_column(choice_rows: _SheetRows, name: str) -> None:
    for index, row in enumerate(choice_rows.rows):
        value = choice_rows.column(row, "correct")
        if value is None:
            continue
        if str(value).strip().lower() not in _CORRECT_TRUE | _CORRECT_FALSE:
            raise FormError(
                _("The correct column takes 1 (a correct option) or 0; found %(value)s.")
                % {"value": value},
                file=name,
                sheet="choices",
                row=index + 2,
                column="correct",
            )


def _texts(value: Any, default_language: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(key): str(text) for key, text in value.items() if text is not None}
    return {default_language: str(value)}


def _strip_namespaces(element: Any) -> ET.Element:
    copy = ET.Element(etree.QName(element).localname)
    copy.text = element.text
    for child in element:
        if isinstance(child.tag, str):
            copy.append(_strip_namespaces(child))
    return copy


class _FormBuilder:
    def __init__(
        self,
        definition: dict[str, Any],
        xform: str,
        name: str,
        survey_rows: _SheetRows,
        choice_rows: _SheetRows,
        warnings: list[str],
    ) -> None:
        self.definition = definition
        self.xform = xform
        self.name = name
        self.survey_rows = survey_rows
        self.choice_rows = choice_rows
        self.warnings = warnings
        self.root_name = str(definition.get("name") or "data")
        self.default_language = str(definition.get("default_language") or DEFAULT_LANGUAGE)
        self.languages: dict[str, None] = {}
        self.questions: list[Question] = []
        self.groups: list[Group] = []
        self.instance_id_path: str | None = None
        self.loops: list[str] = []
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        self.document = etree.fromstring(xform.encode("utf-8"), parser=parser)
        self.binds = {
            str(bind.get("nodeset")): bind
            for bind in self.document.iter(f"{{{XFORMS_NAMESPACE}}}bind")
        }

    def build(self) -> Form:
        for child in self.definition.get("children", []):
            self._walk(child, (), in_repeat=False)
        self._check_duplicate_names()
        self._check_itemset_filters()
        languages = tuple(Language.from_name(name) for name in self.languages) or (
            Language.from_name(self.default_language),
        )
        return Form(
            form_id=str(self.definition.get("id_string") or self.root_name),
            title=str(self.definition.get("title") or self.definition.get("id_string") or ""),
            version=str(self.definition.get("version") or ""),
            root_name=self.root_name,
            default_language=self.default_language,
            languages=languages,
            questions=tuple(self.questions),
            groups=tuple(self.groups),
            xform=self.xform,
            source_name=self.name,
            definition=self.definition,
            instances=self._secondary_instances(),
            warnings=tuple(self.warnings),
            instance_id_path=self.instance_id_path,
            loops=tuple(self.loops),
        )

    def _note_languages(self, texts: Mapping[str, str]) -> None:
        for language in texts:
            self.languages.setdefault(language, None)

    def _row(self, name: str) -> int | None:
        rows = self.survey_rows.row_numbers(name)
        return rows[0] if rows else None

    def _walk(self, element: Mapping[str, Any], parents: tuple[str, ...], in_repeat: bool) -> None:
        kind = str(element.get("type") or "")
        name = str(element.get("name") or "")
        path = "/" + "/".join((self.root_name, *parents, name))
        control = element.get("control") or {}
        if kind == "group" and name == "meta" and not parents and control.get("bodyless"):
            for child in element.get("children", []):
                if child.get("name") == "instanceID":
                    self.instance_id_path = f"{path}/instanceID"
            return
        if kind == "loop":
            self.loops.append(name)
            self.warnings.append(
                _("The loop %(name)s is kept in the XForm but not analysed.") % {"name": name}
            )
            return
        bind = self.binds.get(path)
        if kind in _GROUP_TYPES:
            labels = _texts(element.get("label"), self.default_language)
            self._note_languages(labels)
            relevant = self._expression(bind, "relevant", name, element)
            self.groups.append(
                Group(
                    name=name,
                    path=path,
                    group_path=parents,
                    labels=labels,
                    relevant=relevant,
                    repeat=kind == "repeat",
                    row=self._row(name),
                )
            )
            for child in element.get("children", []):
                self._walk(child, (*parents, name), in_repeat or kind == "repeat")
            return
        self.questions.append(self._question(element, kind, name, path, parents, in_repeat, bind))

    def _question(
        self,
        element: Mapping[str, Any],
        kind: str,
        name: str,
        path: str,
        parents: tuple[str, ...],
        in_repeat: bool,
        bind: Any,
    ) -> Question:
        labels = _texts(element.get("label"), self.default_language)
        hints = _texts(element.get("hint"), self.default_language)
        self._note_languages(labels)
        self._note_languages(hints)
        raw_bind = element.get("bind") or {}
        control = element.get("control") or {}
        question_type = _TYPE_NAMES.get(kind, kind.replace(" ", "_").lower())
        row = self._row(name)
        choices = self._choices(element)
        list_name = str(element["list_name"]) if element.get("list_name") else None
        if question_type == CALCULATE and choices:
            list_name = name
        return Question(
            name=name,
            path=path,
            group_path=parents,
            type=question_type,
            labels=labels,
            hints=hints,
            list_name=list_name,
            choices=choices,
            or_other=row is not None and "or_other" in self.survey_rows.type_of(row).split(),
            appearance=str(control.get("appearance") or ""),
            relevant=self._expression(bind, "relevant", name, element),
            required=self._expression(bind, "required", name, element),
            constraint=self._expression(bind, "constraint", name, element),
            calculation=self._expression(bind, "calculate", name, element),
            constraint_message=_texts(raw_bind.get("jr:constraintMsg"), self.default_language),
            required_message=_texts(raw_bind.get("jr:requiredMsg"), self.default_language),
            source_expressions={
                _BIND_COLUMNS[key]: str(value)
                for key, value in raw_bind.items()
                if key in _BIND_COLUMNS
            },
            bind_type=str(bind.get("type")) if bind is not None and bind.get("type") else "string",
            in_repeat=in_repeat,
            row=row,
        )

    def _choices(self, element: Mapping[str, Any]) -> tuple[Choice, ...]:
        raw = element.get("choices")
        if raw is None and element.get("itemset"):
            raw = (self.definition.get("choices") or {}).get(element["itemset"])
        if raw is None and element.get("type") == "calculate":
            # Our convention: a choice list named like a calculation labels its values.
            raw = (self.definition.get("choices") or {}).get(element.get("name"))
            if raw is not None:
                element = {**element, "list_name": element.get("name")}
        if not raw:
            return ()
        list_name = str(element.get("list_name") or element.get("itemset") or "")
        choices = []
        for entry in raw:
            labels = _texts(entry.get("label"), self.default_language)
            self._note_languages(labels)
            correct_value = next(
                (value for key, value in entry.items() if str(key).lower() == "correct"), None
            )
            correct: bool | None = None
            if correct_value is not None and str(correct_value).strip() != "":
                correct = str(correct_value).strip().lower() in _CORRECT_TRUE
            choices.append(
                Choice(
                    name=str(entry.get("name")),
                    labels=labels,
                    correct=correct,
                    row=self._choice_row(list_name, str(entry.get("name"))),
                )
            )
        return tuple(choices)

    def _choice_row(self, list_name: str, name: str) -> int | None:
        return self.choice_rows.choice_row(list_name, name)

    def _expression(self, bind: Any, key: str, name: str, element: Mapping[str, Any]) -> str | None:
        if bind is None:
            return None
        value = bind.get(key)
        if value is None or not str(value).strip():
            return None
        expression = str(value)
        try:
            compile_xpath(expression)
        except ExpressionError as error:
            source = (element.get("bind") or {}).get(key, expression)
            raise FormError(
                _("The expression %(expression)s cannot be read: %(reason)s")
                % {"expression": str(source).strip(), "reason": _reason(error)},
                file=self.name,
                sheet="survey",
                row=self._row(name),
                column=_BIND_COLUMNS.get(key, key),
            ) from None
        return expression

    def _check_duplicate_names(self) -> None:
        seen: dict[str, Question] = {}
        for question in self.questions:
            if question.name in seen:
                rows = self.survey_rows.row_numbers(question.name)
                raise FormError(
                    _(
                        "The name %(name)s is used by more than one question (rows %(rows)s). "
                        "Question names must be unique in the whole form, because exports "
                        "and reports refer to questions by name."
                    )
                    % {"name": question.name, "rows": ", ".join(map(str, rows)) or "?"},
                    file=self.name,
                    sheet="survey",
                    row=rows[-1] if rows else None,
                    column="name",
                )
            seen[question.name] = question

    def _check_itemset_filters(self) -> None:
        for itemset in self.document.iter(f"{{{XFORMS_NAMESPACE}}}itemset"):
            nodeset = str(itemset.get("nodeset") or "")
            try:
                compile_xpath(nodeset)
            except ExpressionError as error:
                parent = itemset.getparent()
                ref = str(parent.get("ref") or "") if parent is not None else ""
                raise FormError(
                    _("The choice filter cannot be read: %(reason)s") % {"reason": _reason(error)},
                    file=self.name,
                    sheet="survey",
                    row=self._row(ref.rsplit("/", 1)[-1]) if ref else None,
                    column="choice_filter",
                ) from None

    def _secondary_instances(self) -> dict[str, ET.Element]:
        instances: dict[str, ET.Element] = {}
        for instance in self.document.iter(f"{{{XFORMS_NAMESPACE}}}instance"):
            instance_id = instance.get("id")
            if instance_id:
                instances[str(instance_id)] = _strip_namespaces(instance)
        return instances


def _reason(error: ExpressionError) -> str:
    # The ExpressionError message repeats the expression; the FormError already names it.
    return error.reason
