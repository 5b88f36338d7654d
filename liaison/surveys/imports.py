"""Read data exported from KoboToolbox and ODK Central, checked against the form.

Both tools export one row per submission. What differs:

* **KoboToolbox** — ``;``-separated with every field quoted (``,`` when the user chooses it);
  headers are the XML names *or* the labels, with or without the group path (``group/q``);
  a select_multiple comes as the space-separated column, one ``1``/``0`` column per option
  (``q/option``), or both; metadata columns start with ``_`` (``_uuid``, ``_submission_time``,
  ``_index``); the instance ID is ``_uuid``.
* **ODK Central** — ``,``-separated; groups are joined with ``-`` (``grp-q``); ``SubmissionDate``
  first, ``meta-instanceID`` and ``KEY`` (the instance ID) after the answers, then
  ``SubmitterID``, ``ReviewState`` …; split select_multiples as ``grp-q/option``.

The format is recognised from those metadata columns. Encodings: UTF-8 with or without a BOM,
UTF-16 with a BOM (or without one, recognised from its zero bytes) are decoded; anything else
(typically a file re-saved by Excel in Windows-1258) is refused with a message saying so —
single-byte legacy encodings cannot be told apart reliably, and a wrong guess would silently
corrupt the Vietnamese text.

A file with any bad row is rejected whole (:class:`ExportRejected` lists row, column, reason);
a column that matches no question is only a notice. Validation is vectorised: each column is
checked once per distinct value, not once per row.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import datetime
import enum
import io
import os
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.utils.translation import gettext as _

from liaison.surveys.expressions import (
    DATE_PATTERN,
    DECIMAL_PATTERN,
    INTEGER_PATTERN,
    Answer,
    answer_text,
    holds_frame,
    referenced_questions,
    type_problem,
)
from liaison.surveys.xlsform import (
    CALCULATE,
    DATE,
    DECIMAL,
    INTEGER,
    NOTE,
    RANGE,
    SELECT_MULTIPLE,
    SELECT_ONE,
    Form,
    Group,
    Question,
)
from liaison.surveys.xpath import ExpressionError, evaluate, to_boolean
from liaison.tabular import SURVEY_EXPORT_LIMITS, MiB, UploadLimits

MAX_PROBLEMS = 1000
MAX_INSTANCE_ID = 100
"""Characters of an instance ID (as stored)."""
FACTORIZE_THREADS = 2
"""Threads that factorise columns at once (the machines Liaison targets have two cores)."""
PARALLEL_ROWS = 20_000
"""Below this many rows a thread pool costs more than it saves."""

KOBO_MARKERS = frozenset({"_uuid", "_submission_time", "_index", "_id", "_validation_status"})
ODK_MARKERS = frozenset(
    {"SubmissionDate", "KEY", "meta-instanceID", "SubmitterID", "ReviewState", "FormVersion"}
)
ODK_METADATA = frozenset(
    {
        "SubmissionDate",
        "KEY",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
        "isValidated",
        "instanceID",
        "PARENT_KEY",
    }
)
REPEAT_MARKERS = frozenset({"_parent_index", "_parent_table_name", "PARENT_KEY"})
MIN_MATCHED_SHARE = 0.5
"""A file is refused when it matches fewer than this share of the form's questions *and* fewer
than this share of its own answer columns are questions of the form (another form's export)."""
SHOWN_NAMES = 10
"""Question or column names listed in one notice."""
PROBLEMS_PER_KIND = 20
"""Problems kept (with their rows) per column and kind; the others are counted."""
_TRUE_FLAGS = frozenset({"1", "true", "True", "TRUE", "1.0"})
_FALSE_FLAGS = frozenset({"0", "false", "False", "FALSE", "0.0"})


class ExportFormat(enum.StrEnum):
    KOBOTOOLBOX = "kobotoolbox"
    ODK_CENTRAL = "odk_central"
    PLAIN = "plain"
    """A table of answers under the questions' names, without either tool's metadata."""

    @property
    def instance_id_columns(self) -> tuple[str, ...]:
        if self is ExportFormat.KOBOTOOLBOX:
            return ("_uuid", "meta/instanceID")
        if self is ExportFormat.PLAIN:
            return ("instanceID",)
        return ("meta-instanceID", "KEY")

    @property
    def submitted_at_column(self) -> str:
        if self is ExportFormat.PLAIN:
            return "SubmissionDate"
        return "_submission_time" if self is ExportFormat.KOBOTOOLBOX else "SubmissionDate"

    @property
    def group_separators(self) -> tuple[str, ...]:
        return ("/", ".", "-") if self is ExportFormat.KOBOTOOLBOX else ("-", "/", ".")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A bad value: ``row`` counts like a spreadsheet (the header is row 1)."""

    row: int
    column: str
    reason: str
    sheet: str = ""
    """The sheet or the CSV file of an export holding several tables (``""``: the only one)."""

    def __str__(self) -> str:
        text = _("row %(row)s, column %(column)s: %(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }
        return _sheet_prefix(self.sheet) + text


def _sheet_prefix(sheet: str) -> str:
    return (_("sheet %(sheet)s, ") % {"sheet": sheet}) if sheet else ""


class ExportError(Exception):
    """An export that cannot be read at all; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class ProblemGroup:
    """The problems of one kind in one column: how many, and the first rows."""

    column: str
    kind: str
    """What is wrong, in the user's language (``unknown choice``, ``constraint`` …)."""
    count: int
    first: tuple[RowProblem, ...]
    sheet: str = ""

    def __str__(self) -> str:
        rows = ", ".join(str(problem.row) for problem in self.first)
        more = self.count - len(self.first)
        text = _("column %(column)s, %(kind)s: %(count)s row(s) (%(rows)s%(more)s)") % {
            "column": self.column,
            "kind": self.kind,
            "count": self.count,
            "rows": rows,
            "more": (_(", %(count)s more") % {"count": more}) if more > 0 else "",
        }
        return _sheet_prefix(self.sheet) + text


class ExportRejected(ExportError):
    """An export with bad rows: nothing of it is taken.

    Every problem of the file is found in one pass: ``groups`` has one entry per column and
    kind of problem (with the first rows of each), ``problems`` the first problems of every
    group, in that order."""

    def __init__(
        self,
        name: str,
        problems: Sequence[RowProblem],
        total: int,
        groups: Sequence[ProblemGroup] = (),
    ) -> None:
        self.problems = tuple(problems)
        self.total = total
        self.groups = tuple(groups)
        super().__init__(
            _("%(file)s is rejected: %(count)s value(s) are not valid for this form.")
            % {"file": name, "count": total}
        )


@dataclass(frozen=True, slots=True)
class ImportNotice:
    """Something worth knowing that does not reject the file (an unknown column …)."""

    column: str
    message: str


type Ancestry = dict[str | None, tuple[pd.DataFrame, npt.NDArray[np.int64]]]
"""For the instances of a repeat, each scope around them (``None``: the submissions, or an outer
repeat's name): that scope's answers and, per instance, the row of it the instance is in
(``-1``: its parent is not in the file)."""


type StoredAnswers = dict[str, str | list[StoredAnswers]]
"""A submission's answers as stored: text by question name, and under a repeat's name the list
of its instances (each the answers of the questions inside it, nested repeats likewise)."""


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    row: int
    instance_id: str | None
    submitted_at: str | None
    answers: StoredAnswers
    """Answers by question name; select_multiple space-separated; empty answers left out;
    a repeat's instances as a list under the repeat's name."""


@dataclass(frozen=True)
class RepeatTable:
    """The instances of one repeat in an export (a sheet of a KoboToolbox XLSX, a CSV file of
    an ODK Central zip), each joined to its parent row."""

    name: str
    """The repeat's name in the form."""
    parent: str | None
    """The repeat it is nested in (``None``: it is asked once per submission)."""
    sheet: str
    answers: pd.DataFrame
    """One row per instance, one column per question of the repeat (as in
    :attr:`SubmissionTable.answers`)."""
    parent_rows: npt.NDArray[np.int64]
    """Per instance, the position of its parent row: in :attr:`SubmissionTable.answers`, or in
    the parent repeat's ``answers``."""
    file_rows: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.answers)


def _kept_repeats(
    repeats: Sequence[RepeatTable], keep: npt.NDArray[np.bool_]
) -> tuple[RepeatTable, ...]:
    """The instances whose submission is kept (``keep`` over the submissions), their parent
    positions renumbered; outer repeats come before the ones nested in them."""
    kept: dict[str | None, npt.NDArray[np.bool_]] = {None: keep}
    result: list[RepeatTable] = []
    for repeat in repeats:
        parent_keep = kept.get(repeat.parent)
        if parent_keep is None:
            continue
        mine = parent_keep[repeat.parent_rows] if len(repeat) else np.zeros(0, dtype=bool)
        renumber = np.cumsum(parent_keep) - 1
        kept[repeat.name] = mine
        result.append(
            replace(
                repeat,
                answers=repeat.answers[mine].reset_index(drop=True),
                parent_rows=renumber[repeat.parent_rows[mine]].astype(np.int64),
                file_rows=repeat.file_rows[mine],
            )
        )
    return tuple(result)


def _answer_records(frame: pd.DataFrame) -> list[StoredAnswers]:
    return [
        {
            str(name): str(value)
            for name, value in record.items()
            if isinstance(value, str) and value != ""
        }
        for record in frame.to_dict("records")
    ]


@dataclass(frozen=True)
class SubmissionTable:
    """The submissions of one export, ready for analysis or for storage."""

    format: ExportFormat
    encoding: str
    answers: pd.DataFrame
    """One row per submission, one column per question found in the file (by question name),
    values as text in the XForm representation (select_multiple space-separated), ``""`` when
    unanswered. Columns are categorical: each distinct answer is stored once and the analysis
    counts the codes."""
    instance_ids: pd.Series
    submitted_at: pd.Series
    file_rows: pd.Series
    notices: tuple[ImportNotice, ...] = field(default=())
    repeats: tuple[RepeatTable, ...] = field(default=())
    """The repeats' instances, outer repeats first; a repeat the file has no table for is
    absent."""

    def __len__(self) -> int:
        return len(self.answers)

    def rows(self) -> list[SubmissionRow]:
        """The submissions as plain rows (to store them one by one), each with its repeats'
        instances nested in its answers."""
        records = _answer_records(self.answers)
        tables: dict[str | None, list[StoredAnswers]] = {None: records}
        for repeat in self.repeats:
            tables[repeat.name] = _answer_records(repeat.answers)
        for repeat in self.repeats:
            parents = tables.get(repeat.parent)
            if parents is None:
                continue
            for instance, parent in zip(tables[repeat.name], repeat.parent_rows, strict=True):
                holder = parents[int(parent)].setdefault(repeat.name, [])
                if isinstance(holder, list):
                    holder.append(instance)
        rows: list[SubmissionRow] = []
        for index, answers in enumerate(records):
            instance_id = str(self.instance_ids.iat[index]) or None
            submitted = str(self.submitted_at.iat[index]) or None
            rows.append(
                SubmissionRow(
                    row=int(str(self.file_rows.iat[index])),
                    instance_id=instance_id,
                    submitted_at=submitted,
                    answers=answers,
                )
            )
        return rows

    def excluding(self, known_instance_ids: Collection[str]) -> SubmissionTable:
        """The submissions not already stored: re-importing a file adds nothing twice."""
        keep = ~self.instance_ids.isin(list(known_instance_ids)).to_numpy()
        return replace(
            self,
            answers=self.answers[keep].reset_index(drop=True),
            instance_ids=self.instance_ids[keep].reset_index(drop=True),
            submitted_at=self.submitted_at[keep].reset_index(drop=True),
            file_rows=self.file_rows[keep].reset_index(drop=True),
            repeats=_kept_repeats(self.repeats, keep),
        )


ExportSource = str | os.PathLike[str] | bytes


def read_export(
    source: ExportSource,
    form: Form | Sequence[Form],
    *,
    filename: str | None = None,
    limits: UploadLimits = SURVEY_EXPORT_LIMITS,
) -> SubmissionTable:
    """Read a KoboToolbox or ODK Central CSV export of ``form``.

    ``form`` may be the versions of one questionnaire: the file's version column
    (``__version__``, ``FormVersion``) selects the one most of its rows answered (the last
    given when it names none of them). Rows answered with another version may carry choices
    that version had: those are notices, not problems.

    Raises :class:`ExportError` when the file cannot be read and :class:`ExportRejected` (with
    every bad value) when rows do not fit the form.
    """
    raw, name = _read_bytes(source, filename)
    if len(raw) > limits.file_bytes:
        raise ExportError(
            _("%(file)s is larger than %(size)s MB.")
            % {"file": name, "size": limits.file_bytes // MiB}
        )
    container_notices: list[ImportNotice] = []
    sheet = ""
    repeat_tables: list[tuple[str, bytes]] = []
    if raw.startswith(b"PK\x03\x04"):
        sheet, raw, repeat_tables, container_notices = _split_container(raw, name, limits)
    encoding, data = decode_export(raw, name)
    _check_lines(data, name)
    header = _header(data, name)
    delimiter = _delimiter(header)
    columns = _split_header(header, delimiter, name)
    versions = [form] if isinstance(form, Form) else list(form)
    if not versions:
        raise ExportError(_("No form was given to read %(file)s with.") % {"file": name})
    named = _name_shared_labels(columns, versions)
    _check_header(named, name)
    export_format = detect_format(named, name)
    frame = _read_frame(data, delimiter, name)
    frame, tidied = _tidy_frame(frame, named, name)
    chosen, other_version = _choose_version(versions, frame)
    if not any(question.type != NOTE and not question.is_metadata for question in chosen.questions):
        message = _("The form %(form)s has no question whose answers can be analysed.") % {
            "form": chosen.form_id
        }
        if chosen.loops:
            message += " " + _("Loops are not analysed: %(names)s.") % {
                "names": ", ".join(chosen.loops)
            }
        raise ExportError(message)
    reader = _ExportReader(chosen, name, export_format, encoding, frame, sheet=sheet)
    reader.other_version = other_version
    reader.notices += [*container_notices, *tidied]
    rejections: list[ExportRejected] = []
    table: SubmissionTable | None = None
    try:
        table = reader.read()
    except ExportRejected as rejected:
        rejections.append(rejected)
    if not repeat_tables and not chosen.repeats():
        # The common case costs nothing more than before.
        if table is None:
            raise _combined(name, rejections)
        return table
    main_answers = pd.DataFrame(reader.answers, index=frame.index)
    repeats = _RepeatReader(chosen, name, frame, export_format, rejections)
    repeats.frames[None] = main_answers
    repeats.other_version = other_version
    found = repeats.read(repeat_tables)
    if rejections or table is None:
        raise _combined(name, rejections)
    return replace(
        table,
        repeats=_kept_repeats(found, reader.kept),
        notices=(*table.notices, *repeats.notices),
    )


def _shown_names(names: Sequence[str]) -> str:
    """The first names of a list, and how many more there are."""
    shown = ", ".join(names[:SHOWN_NAMES])
    if len(names) > SHOWN_NAMES:
        shown += " " + _("and %(count)s more") % {"count": len(names) - SHOWN_NAMES}
    return shown


def _combined(name: str, rejections: Sequence[ExportRejected]) -> ExportRejected:
    """One rejection for every table of an export: all its problems are said at once."""
    return ExportRejected(
        name,
        [problem for rejected in rejections for problem in rejected.problems][:MAX_PROBLEMS],
        sum(rejected.total for rejected in rejections),
        [group for rejected in rejections for group in rejected.groups],
    )


def _key_text(value: object) -> str:
    """A join key as text: ``_index`` read from a workbook may come back as ``3.0``."""
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


class _RepeatReader:
    """The repeat tables of an export, each checked against its repeat's questions and joined
    to its parent: KoboToolbox by ``_parent_index`` (the parent sheet's ``_index``), ODK Central
    by ``PARENT_KEY`` (the parent's ``KEY``). Nested repeats are joined the same way to the
    table of the repeat they are in."""

    def __init__(
        self,
        form: Form,
        name: str,
        main: pd.DataFrame,
        main_format: ExportFormat,
        rejections: list[ExportRejected],
    ) -> None:
        self.form = form
        self.name = name
        self.rejections = rejections
        self.notices: list[ImportNotice] = []
        self.main = main
        self.main_format = main_format
        self.keys: dict[str | None, dict[str, int]] = {}
        self.frames: dict[str | None, pd.DataFrame] = {}
        """The answers of the submissions (``None``) and of each repeat read so far, every row
        of the file (so positions in :attr:`ancestries` hold), for the rules inside repeats."""
        self.ancestries: dict[str, Ancestry] = {}
        self.other_version: npt.NDArray[np.bool_] | None = None

    def read(self, tables: Sequence[tuple[str, bytes]]) -> list[RepeatTable]:
        found: dict[str, tuple[str, pd.DataFrame, ExportFormat, str]] = {}
        for title, content in tables:
            label = f"{self.name}: {title}"
            encoding, data = decode_export(content, label)
            _check_lines(data, label)
            header = _header(data, label)
            delimiter = _delimiter(header)
            columns = _split_header(header, delimiter, label)
            _check_header(columns, label)
            if "PARENT_KEY" in columns:
                export_format = ExportFormat.ODK_CENTRAL
            elif "_parent_index" in columns:
                export_format = ExportFormat.KOBOTOOLBOX
            else:
                self._ignored(title, _("it has no parent column (_parent_index or PARENT_KEY)"))
                continue
            frame, tidied = _tidy_frame(_read_frame(data, delimiter, label), columns, label)
            self.notices += tidied
            group = self._repeat_of_table(title, list(frame.columns), export_format)
            if group is None:
                self._ignored(title, _("it matches no repeat of the form"))
                continue
            if group.name in found:
                self._ignored(
                    title,
                    _("the repeat %(name)s is already read from %(sheet)s")
                    % {"name": group.name, "sheet": found[group.name][0]},
                )
                continue
            found[group.name] = (title, frame, export_format, encoding)
        if found:
            key_column = "KEY" if self.main_format is ExportFormat.ODK_CENTRAL else "_index"
            main = self.main
            self.keys[None] = _positions(main[key_column]) if key_column in main.columns else {}
        result: list[RepeatTable] = []
        missing: list[str] = []
        for group in self.form.repeats():
            if group.name not in found:
                if self._asks_anything(group):
                    missing.append(group.name)
                continue
            title, frame, export_format, encoding = found[group.name]
            repeat = self._read_one(group, title, frame, export_format, encoding)
            if repeat is not None:
                result.append(repeat)
        if missing:
            self.notices.append(
                ImportNotice(
                    "",
                    _(
                        "%(file)s has no table for the repeat(s) %(names)s: their questions "
                        "count no instances. (KoboToolbox's CSV export leaves repeats out; its "
                        "XLSX export has a sheet for each.)"
                    )
                    % {"file": self.name, "names": ", ".join(missing)},
                )
            )
        return result

    def _asks_anything(self, group: Group) -> bool:
        return any(
            self.form.repeat_of(question) == group
            and not question.is_metadata
            and question.type not in (NOTE, CALCULATE)
            for question in self.form.questions
        )

    def _ignored(self, title: str, reason: str) -> None:
        self.notices.append(
            ImportNotice(
                "",
                _("%(file)s: the table %(sheet)s is ignored: %(reason)s.")
                % {"file": self.name, "sheet": title, "reason": reason},
            )
        )

    def _repeat_of_table(
        self, title: str, columns: Sequence[str], export_format: ExportFormat
    ) -> Group | None:
        """The repeat a table holds: by its title (Kobo names a sheet after the repeat, cut to
        Excel's 31 characters; ODK Central names a file ``form-repeat.csv``), else by the
        repeat whose questions most of its columns are."""
        stem = title.removesuffix(".csv").removesuffix(".CSV").rsplit("/", 1)[-1]
        by_title = [
            group
            for group in self.form.repeats()
            if stem in (group.name, group.name[:31]) or stem.endswith(f"-{group.name}")
        ]
        if len(by_title) == 1:
            return by_title[0]
        best: tuple[int, Group | None] = (0, None)
        for group in self.form.repeats():
            index = _ColumnIndex(self.form, export_format.group_separators, scope=group)
            matched = sum(1 for column in columns if isinstance(index.lookup(column), _Target))
            if matched > best[0]:
                best = (matched, group)
        return best[1]

    def _read_one(
        self,
        group: Group,
        title: str,
        frame: pd.DataFrame,
        export_format: ExportFormat,
        encoding: str,
    ) -> RepeatTable | None:
        outer = self.form.repeat_of(group)
        parent = outer.name if outer is not None else None
        parent_keys = self.keys.get(parent)
        if parent_keys is None:
            self._ignored(
                title,
                _("the repeat %(name)s is inside %(parent)s, which the file has no table for")
                % {"name": group.name, "parent": parent},
            )
            return None
        odk = export_format is ExportFormat.ODK_CENTRAL
        parent_column, key_column = ("PARENT_KEY", "KEY") if odk else ("_parent_index", "_index")
        values = [_key_text(value) for value in frame[parent_column].to_numpy(dtype=object)]
        parents = np.array([parent_keys.get(value, -1) for value in values], dtype=np.int64)
        ancestry = self._ancestry(parent, parents)
        reader = _ExportReader(
            self.form,
            f"{self.name}: {title}",
            export_format,
            encoding,
            frame,
            sheet=title,
            scope=group,
            ancestry=ancestry,
        )
        submissions = ancestry[None][1]
        if self.other_version is not None and (submissions >= 0).any():
            # An instance was answered with the version its submission was.
            older = self.other_version[np.maximum(submissions, 0)]
            reader.other_version = np.where(submissions >= 0, older, False)
        table: SubmissionTable | None = None
        try:
            table = reader.read()
        except ExportRejected as rejected:
            self.rejections.append(rejected)
        self.notices += [
            replace(
                notice,
                message=_("Table %(sheet)s: %(message)s")
                % {"sheet": title, "message": notice.message},
            )
            for notice in reader.notices
        ]
        self.frames[group.name] = pd.DataFrame(reader.answers, index=frame.index)
        self.ancestries[group.name] = ancestry
        if key_column in frame.columns:
            self.keys[group.name] = _positions(frame[key_column])
        orphans = np.flatnonzero(parents < 0)
        if len(orphans):
            problems = _Problems(len(frame), sheet=title)
            parent_sheet = _("the submissions") if parent is None else parent
            problems.add(
                orphans,
                parent_column,
                [
                    _("no row of %(parent)s has %(column)s %(value)s")
                    % {
                        "parent": parent_sheet,
                        "column": key_column,
                        "value": values[row] or "''",
                    }
                    for row in orphans[:PROBLEMS_PER_KIND]
                ],
                _("parent row not found"),
            )
            self.rejections.append(problems.rejection(self.name))
            return None
        if table is None:
            return None
        return RepeatTable(
            name=group.name,
            parent=parent,
            sheet=title,
            answers=table.answers,
            parent_rows=parents,
            file_rows=np.arange(len(frame), dtype=np.int64) + 2,
        )

    def _ancestry(self, parent: str | None, parents: npt.NDArray[np.int64]) -> Ancestry:
        """For each instance, its row in the table of every scope around it (the submissions,
        outer repeats), ``-1`` where its parent is not in the file."""
        rows: dict[str | None, npt.NDArray[np.int64]] = {parent: parents}
        if parent is not None:
            for scope, (_frame, outer_rows) in self.ancestries.get(parent, {}).items():
                through = outer_rows[np.maximum(parents, 0)] if len(outer_rows) else parents
                rows[scope] = np.where(parents >= 0, through, -1).astype(np.int64)
        return {
            scope: (self.frames.get(scope, pd.DataFrame()), positions)
            for scope, positions in rows.items()
        }


def _positions(keys: pd.Series) -> dict[str, int]:
    """Each non-empty key's first row."""
    positions: dict[str, int] = {}
    for position, value in enumerate(keys.to_numpy(dtype=object)):
        key = _key_text(value)
        if key:
            positions.setdefault(key, position)
    return positions


def _answer_text(value: object) -> str:
    """A workbook cell as an ODK answer's text. KoboToolbox's XLSX export stores dates and
    numbers as the spreadsheet's own (unless asked to keep them as text), and a date is a
    date-time at midnight there: it is written back as the date, ``YYYY-MM-DD``; a date-time
    as ISO 8601, a time of day as ``HH:MM:SS``, a whole number without ``.0``."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None and value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return ""
    return str(value)


def _split_container(
    raw: bytes, name: str, limits: UploadLimits = SURVEY_EXPORT_LIMITS
) -> tuple[str, bytes, list[tuple[str, bytes]], list[ImportNotice]]:
    """The respondents' table of a KoboToolbox XLSX export (the sheet without
    ``_parent_index``) or of a zip of CSV files (ODK Central's, the file without
    ``PARENT_KEY``; KoboToolbox CSVs likewise), as its title and CSV content, and the other
    tables (the repeats') the same way."""
    from liaison.tabular import TableError, open_zip, read_workbook_values, zip_members

    try:
        with open_zip(raw, name, limits) as archive:
            is_workbook = "xl/workbook.xml" in archive.namelist()
            members = (
                []
                if is_workbook
                else [
                    (info.filename, content)
                    for info, content in zip_members(archive, name, limits)
                    if info.filename.lower().endswith(".csv")
                ]
            )
        if is_workbook:
            sheets = read_workbook_values(raw, name, limits, _answer_text)
            tables = [(title, _csv_bytes(rows)) for title, rows in sheets.items() if rows]
        else:
            tables = members
    except TableError as error:
        raise ExportError(
            "; ".join(f"{name}: {problem.message}" for problem in error.problems)
        ) from None
    main = [
        (title, content)
        for title, content in tables
        if not (REPEAT_MARKERS & set(_split_header(_header(content, name), ",", name)))
        and not (REPEAT_MARKERS & set(_split_header(_header(content, name), ";", name)))
    ]
    if not main:
        raise ExportError(
            _(
                "%(file)s holds no table of respondents (no sheet or CSV file without a parent column)."
            )
            % {"file": name}
        )
    main_title, main_content = main[0]
    notices = [
        ImportNotice(
            "",
            _(
                "%(file)s: the table %(sheet)s is ignored: %(main)s is read as the "
                "submissions and it has no parent column either."
            )
            % {"file": name, "sheet": title, "main": main_title},
        )
        for title, _content in main[1:]
    ]
    repeats = [(title, content) for title, content in tables if (title, content) not in main]
    return main_title, main_content, repeats, notices


def _csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


VERSION_COLUMNS = ("__version__", "FormVersion", "_version_", "meta/__version__")


def _choose_version(
    versions: Sequence[Form], frame: pd.DataFrame
) -> tuple[Form, npt.NDArray[np.bool_] | None]:
    """The form version most rows answered, and which rows answered another one (``None``
    when the file says nothing of versions)."""
    column = next((c for c in VERSION_COLUMNS if c in frame.columns), None)
    if column is None:
        return versions[-1], None
    written = frame[column].astype(str).str.strip()
    by_version = {form.version: form for form in versions}
    counts = written[written.isin(list(by_version))].value_counts()
    chosen = by_version[str(counts.index[0])] if len(counts) else versions[-1]
    if not chosen.version:
        return chosen, None
    return chosen, ((written != chosen.version) & (written != "")).to_numpy()


def _read_bytes(source: ExportSource, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, filename or "export.csv"
    path = Path(source)
    name = filename or path.name
    try:
        return path.read_bytes(), name
    except FileNotFoundError:
        raise ExportError(_("%(file)s does not exist.") % {"file": name}) from None
    except OSError as error:
        raise ExportError(
            _("%(file)s cannot be read: %(reason)s")
            % {"file": name, "reason": error.strerror or error}
        ) from None


_GEOPOINT_PARTS = ("-Latitude", "-Longitude", "-Altitude", "-Accuracy")
"""The columns ODK Central splits a geopoint into (its CSV export and Briefcase's)."""

_OTHER_FILES = (
    (b"\x1f\x8b", "gzip"),
    (b"%PDF-", "PDF"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"SQLite format 3\x00", "SQLite"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
)
"""Files often picked by mistake, by their first bytes: named instead of read as text."""
_JSON_START = re.compile(rb"\s*(\{\s*\"|\[\s*[\[{\]])")
"""A JSON object or array of objects (an API's answer), not a header that starts with "[A]"."""


def decode_export(raw: bytes, name: str = "export.csv") -> tuple[str, bytes]:
    """Find the encoding of an export; returns its name and the content as UTF-8 bytes.

    Content found to be UTF-8 is returned as it is, checked in its first 64 KB only: the rest
    is checked by the CSV reader (see ``_read_frame``)."""
    if not raw or raw.isspace():
        raise ExportError(_("%(file)s is empty.") % {"file": name})
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExportError(
            _("%(file)s is a spreadsheet workbook; export the data as CSV and import that.")
            % {"file": name}
        )
    for magic, kind in _OTHER_FILES:
        if raw.startswith(magic):
            raise ExportError(
                _("%(file)s is a %(kind)s file, not a CSV export; export the data as CSV.")
                % {"file": name, "kind": kind}
            )
    if _JSON_START.match(raw[:256]):
        raise ExportError(
            _(
                "%(file)s looks like JSON (it starts with %(start)s), not a CSV export; "
                "export the data as CSV."
            )
            % {"file": name, "start": raw.lstrip()[:1].decode()}
        )
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            return encoding, _reencode(raw, encoding, name)
    sample = raw[:4000]
    if len(sample) >= 4:
        odd_zeros = sample[1::2].count(0) / max(1, len(sample) // 2)
        even_zeros = sample[0::2].count(0) / max(1, len(sample) // 2)
        # ASCII-heavy UTF-16 text has every other byte zero; no text encoding does otherwise.
        if odd_zeros > 0.3 and even_zeros < 0.05:
            return "utf-16-le", _reencode(raw, "utf-16-le", name)
        if even_zeros > 0.3 and odd_zeros < 0.05:
            return "utf-16-be", _reencode(raw, "utf-16-be", name)
    # UTF-8 is what is left. The CSV reader checks every byte as it reads (and
    # ``_read_frame`` reports where it stops); decoding the whole file here as well would cost
    # a tenth of the read. The first 64 KB are checked now, so a file that is plainly in
    # another encoding is refused before anything else is said about it.
    prefix = raw[:65536]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(prefix, final=len(prefix) == len(raw))
    except UnicodeDecodeError as error:
        raise _not_utf8(name, error.start) from None
    if b"\x00" in sample:
        raise ExportError(_("%(file)s is not a text file.") % {"file": name})
    return "utf-8", raw


def _check_lines(data: bytes, name: str) -> None:
    """Refuse, before parsing, a file over the limits of every upload (rows, empty ones
    included; NUL characters; cells longer than the cell limit).

    The lines are measured on the bytes: a file with no line longer than the cell limit has no
    cell longer than it, and only a file with such a line has its cells measured one by one.
    """
    limits = SURVEY_EXPORT_LIMITS
    if b"\x00" in data:
        raise ExportError(
            _("%(file)s holds NUL characters; it is not a text file.") % {"file": name}
        )
    if data.count(b"\n") + 1 > limits.rows:
        raise ExportError(
            _("%(file)s has more than %(count)s lines (empty ones included).")
            % {"file": name, "count": limits.rows}
        )
    if _lines_end_within(data, limits.cell_chars):
        return
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    bounds = np.concatenate(([-1], ends, [len(data)]))
    longest = np.diff(bounds).argmax()
    if bounds[longest + 1] - bounds[longest] - 1 <= limits.cell_chars:
        return
    text = data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(_header(data, name)))
    try:
        for values in reader:
            for position, value in enumerate(values, start=1):
                if len(value) > limits.cell_chars:
                    raise ExportError(
                        _(
                            "%(file)s, row %(row)s, column %(column)s: the cell is longer than %(count)s characters."
                        )
                        % {
                            "file": name,
                            "row": reader.line_num,
                            "column": position,
                            "count": limits.cell_chars,
                        }
                    )
    except csv.Error:
        raise ExportError(
            _(
                "%(file)s, row %(row)s: a cell is longer than %(count)s characters or the line is not well-formed CSV."
            )
            % {"file": name, "row": reader.line_num, "count": limits.cell_chars}
        ) from None


def _lines_end_within(data: bytes, limit: int) -> bool:
    """Whether no line of ``data`` can be longer than ``limit`` bytes, found cheaply: every
    stretch of ``limit // 2`` bytes holds a line end, so no two ends (nor an end and either end
    of the file) are ``limit`` bytes apart. ``False`` only says "measure the lines"."""
    step = max(limit // 2, 1)
    full = len(data) - len(data) % step
    return all(data.find(b"\n", start, start + step) != -1 for start in range(0, full, step))


def _not_utf8(name: str, position: int) -> ExportError:
    return ExportError(
        _(
            "%(file)s is not UTF-8 text (the byte at position %(position)s cannot be read). "
            "It was probably saved in a legacy Windows encoding such as Windows-1258; "
            "export it again from KoboToolbox or ODK Central, or save it as “CSV UTF-8”."
        )
        % {"file": name, "position": position}
    )


def _reencode(raw: bytes, encoding: str, name: str) -> bytes:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise ExportError(
            _("%(file)s claims to be %(encoding)s but cannot be read as such.")
            % {"file": name, "encoding": encoding.upper()}
        ) from None
    return text.lstrip("\ufeff").encode("utf-8")


def _header(data: bytes, name: str) -> str:
    first = data[:1_000_000].split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    if not first.strip():
        raise ExportError(_("%(file)s has no header row.") % {"file": name})
    return first


def _delimiter(header: str) -> str:
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {delimiter: outside.count(delimiter) for delimiter in (";", ",", "\t")}
    return max(counts, key=lambda delimiter: counts[delimiter])


def _split_header(header: str, delimiter: str, name: str = "export.csv") -> list[str]:
    try:
        return [column.strip() for column in next(csv.reader([header], delimiter=delimiter))]
    except csv.Error as error:  # a carriage return alone inside the header, for one
        raise ExportError(
            _("%(file)s is not a well-formed CSV file: %(reason)s")
            % {"file": name, "reason": str(error).strip()}
        ) from None


def _name_shared_labels(columns: list[str], versions: Sequence[Form]) -> list[str]:
    """The header, a label that heads more than one column read in the form's order.

    KoboToolbox's labels export heads each column with its question's label, so questions
    that share a label (the same question in each branch of a cascade) give the same header
    more than once. When a form has exactly as many questions under that label as the file
    has columns, the columns are theirs in the form's order (the order of the export) and are
    named after them; otherwise the header is left as it is, and refused as a repeated column.
    """
    counts: dict[str, int] = {}
    for column in columns:
        counts[_normal(column)] = counts.get(_normal(column), 0) + 1
    if all(count == 1 for count in counts.values()):
        return columns
    for form in reversed(versions):  # the form the file is read with first, then older ones
        index = _ColumnIndex(form, ExportFormat.KOBOTOOLBOX.group_separators)
        named = list(columns)
        seen: dict[str, int] = {}
        for position, column in enumerate(columns):
            normal = _normal(column)
            if counts[normal] < 2 or not normal:  # columns without a header: _tidy_frame
                continue
            candidates = index.questions_under(normal)
            if len(candidates) != counts[normal]:
                break
            named[position] = candidates[seen.get(normal, 0)]
            seen[normal] = seen.get(normal, 0) + 1
        else:
            return named
    return columns


def _check_header(columns: Sequence[str], name: str) -> None:
    if len(columns) > SURVEY_EXPORT_LIMITS.columns:
        raise ExportError(
            _("%(file)s has more than %(count)s columns.")
            % {"file": name, "count": SURVEY_EXPORT_LIMITS.columns}
        )
    seen: set[str] = set()
    for column in columns:
        if column in seen and column:  # columns without a header are dropped (_tidy_frame)
            raise ExportError(
                _("%(file)s has the column %(column)s twice.") % {"file": name, "column": column}
            )
        seen.add(column)


def detect_format(columns: Iterable[str], name: str = "export.csv") -> ExportFormat:
    """KoboToolbox or ODK Central, from the metadata columns each adds to its exports; a
    table with neither tool's columns is read as plain answers under the questions' names.

    The file of a repeat (Kobo's ``_parent_index``, ODK Central's ``PARENT_KEY``) is refused:
    its rows are entries of a roster, not respondents."""
    present = set(columns)
    repeat_markers = sorted(present & REPEAT_MARKERS)
    if repeat_markers:
        raise ExportError(
            _(
                "%(file)s is the export of a repeat (it has the column %(column)s): its rows are "
                "entries of a repeated group, not respondents. Import the main export of the form."
            )
            % {"file": name, "column": repeat_markers[0]}
        )
    kobo = len(present & KOBO_MARKERS)
    odk = len(present & ODK_MARKERS)
    if kobo == 0 and odk == 0:
        return ExportFormat.PLAIN
    return ExportFormat.KOBOTOOLBOX if kobo >= odk else ExportFormat.ODK_CENTRAL


def _read_frame(data: bytes, delimiter: str, name: str) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # A row longer than the header: pandas would quietly drop cells (index_col=False)
            # or turn them into an index; either way the file is not what it claims.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.BytesIO(data),
                sep=delimiter,
                dtype=object,
                keep_default_na=False,
                na_filter=False,
                encoding="utf-8",
                skip_blank_lines=True,
                index_col=False,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as error:
        raise ExportError(
            _("%(file)s is not a well-formed CSV file: %(reason)s")
            % {"file": name, "reason": str(error).strip()}
        ) from None
    except pd.errors.EmptyDataError:
        raise ExportError(_("%(file)s has no data.") % {"file": name}) from None
    except UnicodeDecodeError:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _not_utf8(name, error.start) from None
        raise
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame


def _tidy_frame(
    frame: pd.DataFrame, header: Sequence[str], name: str
) -> tuple[pd.DataFrame, list[ImportNotice]]:
    """The table without what a spreadsheet leaves around it when a CSV is saved from it:
    columns without a header (empty ones dropped quietly, one holding cells with a notice) and
    rows at the end with every cell empty (a line of separators alone). ``header`` is the
    file's own first line (pandas names a header-less column ``Unnamed: N``)."""
    notices: list[ImportNotice] = []
    if frame.columns.size == len(header) and not all(header):
        kept: list[int] = []
        for position, column in enumerate(header):
            if column:
                kept.append(position)
                continue
            if frame.iloc[:, position].astype(str).str.strip().ne("").any():
                notices.append(
                    ImportNotice(
                        "",
                        _("%(file)s: column %(position)s has no header; its cells are ignored.")
                        % {"file": name, "position": position + 1},
                    )
                )
        frame = frame.iloc[:, kept]
        frame.columns = [header[position] for position in kept]
    elif list(frame.columns) != list(header) and frame.columns.size == len(header):
        frame.columns = list(header)  # a label read in the form's order (_name_shared_labels)
    end = len(frame)
    while end and all(str(cell).strip() == "" for cell in frame.iloc[end - 1]):
        end -= 1
    if end < len(frame):
        notices.append(
            ImportNotice(
                "",
                _("%(file)s: %(count)s empty row(s) at the end are ignored.")
                % {"file": name, "count": len(frame) - end},
            )
        )
        frame = frame.iloc[:end].reset_index(drop=True)
    return frame, notices


def _factorize_objects(
    values: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """What ``pd.factorize(values, use_na_sentinel=True)`` returns, the cells' identity first.

    pandas' CSV reader gives the equal cells of a column one string object (it keeps one per
    distinct text as it reads), so 100,000 answers of a question are a few dozen objects. Their
    addresses are factorised as integers (no string hashed or compared), then those few objects
    by their text: the same codes, and the same uniques in order of first appearance, in less
    than half the time. Cells that are all distinct objects cost one pass more, nothing else.
    """
    values = np.ascontiguousarray(values, dtype=object)
    size = len(values)
    if size == 0:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)
    # The array's cells are object pointers: read them as integers, while ``values`` lives.
    addresses = np.ctypeslib.as_array((ctypes.c_ssize_t * size).from_address(values.ctypes.data))
    by_object, _objects = pd.factorize(addresses)
    # Codes are numbered in order of first appearance: each first appearance is where their
    # running maximum rises.
    first = np.flatnonzero(np.diff(np.maximum.accumulate(by_object), prepend=-1))
    codes, uniques = pd.factorize(values[first], use_na_sentinel=True)
    return np.asarray(codes, dtype=np.intp)[by_object], np.asarray(uniques, dtype=object)


def _factorize_text(column: pd.Series) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Codes per row and the distinct cell texts (a missing cell is the last text, ``""``).

    The file is read without NA detection, so cells are all strings; asking pandas to look for
    missing values again would cost as much as the factorisation itself.
    """
    codes, uniques = _factorize_objects(column.to_numpy(dtype=object))
    texts = [str(value) for value in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(texts), codes)
    return codes, [*texts, ""]


# --- mapping columns to questions ------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _split_labels(
    tokens: Sequence[str], labels: Mapping[str, str], key: Callable[[str], str] = _normal
) -> tuple[list[str] | None, int]:
    """The choice names of space-joined option labels when the words split into labels in
    exactly one way, and in how many ways they split (0, 1, or 2 for several)."""
    n = len(tokens)
    if not n or n > 200:
        return None, 0
    longest = max((len(label.split()) for label in labels), default=0)
    # ways[i]: how many splits tokens[i:] has (counted up to 2), and the first one's next step.
    ways = [0] * n + [1]
    step: list[tuple[int, str] | None] = [None] * (n + 1)
    for start in range(n - 1, -1, -1):
        for end in range(start + 1, min(n, start + longest) + 1):
            name = labels.get(key(" ".join(tokens[start:end])))
            if name is None or not ways[end]:
                continue
            if ways[start] == 0:
                step[start] = (end, name)
            ways[start] = min(2, ways[start] + ways[end])
    if ways[0] != 1:
        return None, ways[0]
    names: list[str] = []
    position = 0
    while position < n:
        found = step[position]
        if found is None:  # cannot happen when ways[0] == 1
            return None, 0
        position, name = found
        names.append(name)
    return names, 1


def _longest_match(
    tokens: Sequence[str], labels: Mapping[str, str], key: Callable[[str], str] = _normal
) -> list[str] | None:
    """The reading that takes, from the left, the longest label at each step (``None`` when it
    comes to words that begin no label)."""
    longest = max((len(label.split()) for label in labels), default=0)
    names: list[str] = []
    position = 0
    while position < len(tokens):
        for end in range(min(len(tokens), position + longest), position, -1):
            name = labels.get(key(" ".join(tokens[position:end])))
            if name is not None:
                names.append(name)
                position = end
                break
        else:
            return None
    return names


def _spaced(text: str) -> str:
    """Whitespace made single spaces, the case kept (a label as the export wrote it)."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class _Target:
    question: str
    option: str | None = None


class _ColumnIndex:
    """Every header a question (or a select_multiple option) may appear under: the questions
    asked once per submission, or those of one repeat (``scope``)."""

    def __init__(self, form: Form, separators: Sequence[str], scope: Group | None = None) -> None:
        self.form = form
        self._keys: dict[str, _Target | None] = {}
        self._questions: dict[str, list[str]] = {}
        option_separators = ("/", *separators)
        for question in form.questions:
            if scope is None and question.in_repeat:
                continue
            if scope is not None and form.repeat_of(question) != scope:
                continue
            target = _Target(question.name)
            keys = self._question_keys(question, separators)
            if scope is not None:
                # A repeat's table may name its questions from the repeat down (ODK Central).
                inner = question.group_path[len(scope.group_path) + 1 :]
                for separator in separators:
                    keys.add(separator.join((*inner, question.name)))
            for key in keys:
                self._add(key, target)
            if question.type != SELECT_MULTIPLE:
                continue
            for choice in question.choices:
                option_target = _Target(question.name, choice.name)
                option_keys = {choice.name} | {label for label in choice.labels.values() if label}
                for key in keys:
                    for separator in option_separators:
                        for option_key in option_keys:
                            self._add(f"{key}{separator}{option_key}", option_target)

    def _question_keys(self, question: Question, separators: Sequence[str]) -> set[str]:
        keys = {question.name}
        for separator in separators:
            keys.add(separator.join((*question.group_path, question.name)))
        group_labels: list[dict[str, str]] = []
        for group in self.form.ancestors(question):
            group_labels.append(dict(group.labels))
        for language, label in question.labels.items():
            if not label:
                continue
            keys.add(label)
            prefix = [labels.get(language, "") for labels in group_labels]
            if all(prefix):
                keys.add("/".join((*prefix, label)))
        return keys

    def _add(self, key: str, target: _Target) -> None:
        normal = _normal(key)
        if target.option is None:
            sharing = self._questions.setdefault(normal, [])
            if target.question not in sharing:
                sharing.append(target.question)
        existing = self._keys.get(normal, target)
        # The same header meaning two things (two questions sharing a label) is ambiguous.
        self._keys[normal] = target if existing is target or existing == target else None

    def questions_under(self, normal: str) -> list[str]:
        """The names of the questions a (normalised) header may mean, in the form's order."""
        return self._questions.get(normal, [])

    def lookup(self, column: str) -> _Target | bool | None:
        """The target of a header; ``False`` when unknown, ``None`` when ambiguous."""
        normal = _normal(column)
        if normal not in self._keys:
            return False
        return self._keys[normal]


def _is_metadata(column: str, export_format: ExportFormat) -> bool:
    if column.startswith("_") or column in ODK_METADATA:
        return True
    lowered = column.lower()
    return lowered.startswith(("meta/", "meta-", "formhub/", "meta.")) or lowered == "meta"


# --- reading ---------------------------------------------------------------------------------


class _Problems:
    """Every problem of a file, grouped by column and kind (the first rows of each kept)."""

    def __init__(self, rows: int, sheet: str = "") -> None:
        self.sheet = sheet
        self.total = 0
        self.bad = np.zeros(rows, dtype=bool)
        """Rows with a bad value: their constraints are not evaluated over it."""
        self._groups: dict[tuple[str, str], list[RowProblem]] = {}
        self._counts: dict[tuple[str, str], int] = {}

    def add(
        self, rows: npt.NDArray[np.intp], column: str, reasons: Sequence[str], kind: str
    ) -> None:
        if not len(rows):
            return
        self.total += len(rows)
        self.bad[rows] = True
        key = (column, kind)
        kept = self._groups.setdefault(key, [])
        self._counts[key] = self._counts.get(key, 0) + len(rows)
        room = PROBLEMS_PER_KIND - len(kept)
        for row, reason in zip(rows[:room], reasons[:room], strict=False):
            kept.append(
                RowProblem(row=int(row) + 2, column=column, reason=reason, sheet=self.sheet)
            )

    @property
    def groups(self) -> list[ProblemGroup]:
        return [
            ProblemGroup(
                column=column,
                kind=kind,
                count=self._counts[column, kind],
                first=tuple(kept),
                sheet=self.sheet,
            )
            for (column, kind), kept in self._groups.items()
        ]

    @property
    def items(self) -> list[RowProblem]:
        return [problem for kept in self._groups.values() for problem in kept][:MAX_PROBLEMS]

    def rejection(self, name: str) -> ExportRejected:
        return ExportRejected(name, self.items, self.total, self.groups)


class _ExportReader:
    def __init__(
        self,
        form: Form,
        name: str,
        export_format: ExportFormat,
        encoding: str,
        frame: pd.DataFrame,
        *,
        sheet: str = "",
        scope: Group | None = None,
        ancestry: Ancestry | None = None,
    ) -> None:
        self.form = form
        self.name = name
        self.format = export_format
        self.ancestry: Ancestry = ancestry or {}
        self.encoding = encoding
        self.frame = frame
        self.scope = scope
        """The repeat whose table this is (``None``: the submissions)."""
        self.kept = np.ones(len(frame), dtype=bool)
        """The rows read as submissions (a submission twice is kept once)."""
        self.problems = _Problems(len(frame), sheet)
        self.notices: list[ImportNotice] = []
        self.answers: dict[str, pd.Series] = {}
        self.answered: dict[str, npt.NDArray[np.bool_]] = {}
        self.sources: dict[str, str] = {}
        self._factorized: dict[str, tuple[npt.NDArray[np.intp], list[str]]] = {}
        self._unresolved: dict[str, npt.NDArray[np.bool_]] = {}
        self.other_version: npt.NDArray[np.bool_] | None = None
        """Rows answered with another version of the form (from its version column)."""
        self.language: str | None = None
        """The language of a labels export (from its headers); ``None``: names, or unknown."""
        self._guessed: set[str] = set()
        self._label_dictionaries: dict[tuple[str, str, bool], dict[str, str]] = {}
        """Cell texts read by the longest labels (their labels split more than one way)."""

    def read(self) -> SubmissionTable:
        index = self._index = _ColumnIndex(self.form, self.format.group_separators, self.scope)
        self._join_geopoint_parts(index)
        main_columns: dict[str, str] = {}
        option_columns: dict[str, dict[str, str]] = {}
        for column in self.frame.columns:
            target = index.lookup(column)
            if target is False:
                if not _is_metadata(column, self.format):
                    self.notices.append(
                        ImportNotice(
                            column,
                            _("The column %(column)s matches no question of the form; ignored.")
                            % {"column": column},
                        )
                    )
                continue
            if target is None:
                self.notices.append(
                    ImportNotice(
                        column,
                        _("The column %(column)s could be more than one question; ignored.")
                        % {"column": column},
                    )
                )
                continue
            if not isinstance(target, _Target):
                continue
            if target.option is None:
                if target.question in main_columns:
                    self.notices.append(
                        ImportNotice(
                            column,
                            _("The column %(column)s repeats question %(name)s; ignored.")
                            % {"column": column, "name": target.question},
                        )
                    )
                    continue
                main_columns[target.question] = column
            else:
                option_columns.setdefault(target.question, {})[target.option] = column
        self._check_coverage({*main_columns, *option_columns})
        self.language = self._header_language(main_columns)
        self._factorize_all(
            [*main_columns.values(), *(c for o in option_columns.values() for c in o.values())]
        )
        for question in self.form.questions:
            if question.type == NOTE:
                continue  # exports may carry a note's (empty) column; it holds no answer
            main_column = main_columns.get(question.name)
            options = option_columns.get(question.name)
            if main_column is not None:
                self.sources[question.name] = main_column
                self.answers[question.name] = self._column(
                    question, main_column, options_follow=bool(options)
                )
            if options:
                self._options(question, options)
        instance_ids = (
            self._instance_ids()
            if self.scope is None
            else pd.Series([""] * len(self.frame), dtype=object)
        )
        self._check_expressions()
        if self.problems.total:
            raise self.problems.rejection(self.name)
        answers = pd.DataFrame(self.answers, index=self.frame.index)
        submitted_column = self.format.submitted_at_column
        submitted = (
            self.frame[submitted_column]
            if submitted_column in self.frame.columns
            else pd.Series([""] * len(self.frame), dtype=str)
        )
        file_rows = pd.Series(np.arange(len(self.frame)) + 2)
        keep = ~instance_ids.duplicated(keep="first").to_numpy() | (instance_ids == "").to_numpy()
        self.kept = keep
        duplicates = int((~keep).sum())
        if duplicates:
            self._conflicting_duplicates(answers, instance_ids, keep)
            self.notices.append(
                ImportNotice(
                    self.format.instance_id_columns[0],
                    _("%(count)s submission(s) appear twice in the file; kept once.")
                    % {"count": duplicates},
                )
            )
        return SubmissionTable(
            format=self.format,
            encoding=self.encoding,
            answers=answers[keep].reset_index(drop=True),
            instance_ids=instance_ids[keep].reset_index(drop=True),
            submitted_at=submitted[keep].reset_index(drop=True).astype(str),
            file_rows=file_rows[keep].reset_index(drop=True),
            notices=tuple(self.notices),
        )

    def _join_geopoint_parts(self, index: _ColumnIndex) -> None:
        """ODK Central (and Briefcase) export a geopoint as four columns, ``…-Latitude``,
        ``…-Longitude``, ``…-Altitude`` and ``…-Accuracy``: they are joined back into the
        answer ODK records (``latitude longitude altitude accuracy``) under the question's
        header, so the point is read, checked and counted like any other answer."""
        frame = self.frame
        for column in list(frame.columns):
            if not column.endswith(_GEOPOINT_PARTS[0]):
                continue
            base = column[: -len(_GEOPOINT_PARTS[0])]
            target = index.lookup(base)
            if not isinstance(target, _Target) or target.option is not None:
                continue
            if self.form.question(target.question).type != "geopoint" or base in frame.columns:
                continue
            if base + _GEOPOINT_PARTS[1] not in frame.columns:
                continue
            parts = [
                frame[base + part].astype(str).str.strip()
                if base + part in frame.columns
                else pd.Series("", index=frame.index, dtype=object)
                for part in _GEOPOINT_PARTS
            ]
            latitude, longitude, altitude, accuracy = parts
            # Written without gaps: an accuracy without an altitude keeps its place.
            altitude = altitude.where((altitude != "") | (accuracy == ""), "0")
            point = (latitude + " " + longitude + " " + altitude + " " + accuracy).str.strip()
            point = point.where(latitude != "", "")
            frame[base] = point.astype(object)
            self.frame = frame = frame.drop(
                columns=[base + part for part in _GEOPOINT_PARTS if base + part in frame.columns]
            )

    def _check_coverage(self, matched: set[str]) -> None:
        """Refuse another form's file; say which questions the file lacks, and that a file
        without rows or without submission IDs was read as such."""
        expected = [
            question.name
            for question in self.form.questions
            if self.form.repeat_of(question) == self.scope
            and not question.is_metadata
            and question.type not in (NOTE, CALCULATE)
        ]
        if not expected:
            # Nothing asked at this level (its questions are all in repeats): its calculations,
            # which the tools export too, are what the file's columns should match.
            expected = [
                question.name
                for question in self.form.questions
                if self.form.repeat_of(question) == self.scope and question.type == CALCULATE
            ]
        found = [name for name in expected if name in matched]
        answer_columns = [
            column for column in self.frame.columns if not _is_metadata(column, self.format)
        ]
        matching_columns = sum(
            1 for column in answer_columns if isinstance(self._index.lookup(column), _Target)
        )
        question_share = len(found) / len(expected) if expected else 1.0
        column_share = matching_columns / len(answer_columns) if answer_columns else 0.0
        if not expected:
            # Only the repeats' tables can say whose data this is; answer columns that are
            # none of the form's say it here already.
            if answer_columns and not matching_columns:
                raise ExportError(
                    _(
                        "%(file)s does not look like data of the form %(form)s: none of its "
                        "%(answer_columns)s answer columns (%(names)s) is a question of the "
                        "form. Check that the file and the form go together."
                    )
                    % {
                        "file": self.name,
                        "form": self.form.form_id,
                        "answer_columns": len(answer_columns),
                        "names": _shown_names(answer_columns),
                    }
                )
        elif not answer_columns:
            raise ExportError(
                _(
                    "%(file)s holds no answers: its columns (%(names)s) are the details of "
                    "each submission, none is a question of the form %(form)s."
                )
                % {
                    "file": self.name,
                    "form": self.form.form_id,
                    "names": _shown_names(list(self.frame.columns)),
                }
            )
        elif not found or (question_share < MIN_MATCHED_SHARE and column_share < MIN_MATCHED_SHARE):
            raise ExportError(
                _(
                    "%(file)s does not look like data of the form %(form)s: its columns match "
                    "%(found)s of the form's %(expected)s questions (%(rate)s %%), and "
                    "%(columns)s of its %(answer_columns)s answer columns are questions of the "
                    "form. Check that the file and the form go together."
                )
                % {
                    "file": self.name,
                    "form": self.form.form_id,
                    "found": len(found),
                    "expected": len(expected),
                    "rate": round(100 * question_share),
                    "columns": matching_columns,
                    "answer_columns": len(answer_columns),
                }
            )
        missing = [name for name in expected if name not in matched]
        if missing:
            shown = _shown_names(missing)
            self.notices.append(
                ImportNotice(
                    "",
                    _(
                        "The file has no column for %(count)s question(s) of the form "
                        "(%(names)s): they count as unanswered."
                    )
                    % {"count": len(missing), "names": shown},
                )
            )
        if self.scope is not None:
            return
        if self.format is ExportFormat.PLAIN:
            self.notices.append(
                ImportNotice(
                    "",
                    _(
                        "The file is a plain table of answers (no KoboToolbox or ODK Central "
                        "columns): its rows have no submission IDs, so importing it twice "
                        "would add them twice."
                    ),
                )
            )
        if not len(self.frame):
            self.notices.append(ImportNotice("", _("The file has a header but no submissions.")))

    def _conflicting_duplicates(
        self, answers: pd.DataFrame, instance_ids: pd.Series, keep: npt.NDArray[np.bool_]
    ) -> None:
        """A submission that appears twice with different answers: say which rows and
        columns differ (the first row is kept)."""
        repeated = instance_ids[instance_ids.duplicated(keep=False) & (instance_ids != "")]
        first_row: dict[str, int] = {}
        shown = 0
        for row, instance_id in repeated.items():
            position = int(str(row))
            if instance_id not in first_row:
                first_row[instance_id] = position
                continue
            first = first_row[instance_id]
            differing = [
                self.sources.get(str(name), str(name))
                for name in answers.columns
                if str(answers[name].iat[first]) != str(answers[name].iat[position])
            ]
            if not differing or shown >= PROBLEMS_PER_KIND:
                continue
            shown += 1
            self.notices.append(
                ImportNotice(
                    self.format.instance_id_columns[0],
                    _(
                        "Submission %(id)s is on rows %(first)s and %(row)s with different "
                        "answers (%(columns)s); row %(first)s is kept."
                    )
                    % {
                        "id": instance_id,
                        "first": first + 2,
                        "row": position + 2,
                        "columns": ", ".join(differing[:SHOWN_NAMES]),
                    },
                )
            )

    def _instance_ids(self) -> pd.Series:
        for column in self.format.instance_id_columns:
            if column in self.frame.columns:
                values = self.frame[column].to_numpy(dtype=object)
                # ODK writes "uuid:…", Kobo's _uuid has no prefix: one ID for both.
                ids = pd.Series(
                    [str(value).strip().removeprefix("uuid:") for value in values]
                    if len(values) and str(values[0]).strip().startswith("uuid:")
                    else values,
                    dtype=object,
                )
                empty = np.flatnonzero((ids == "").to_numpy())
                if len(empty):
                    self.problems.add(
                        empty,
                        column,
                        [_("the submission has no instance ID")] * len(empty),
                        _("no instance ID"),
                    )
                long = np.flatnonzero((ids.str.len() > MAX_INSTANCE_ID).to_numpy())
                if len(long):
                    self.problems.add(
                        long,
                        column,
                        [
                            _("the instance ID is longer than %(count)s characters")
                            % {"count": MAX_INSTANCE_ID}
                        ]
                        * len(long),
                        _("instance ID too long"),
                    )
                return ids.reset_index(drop=True)
        if self.format is not ExportFormat.PLAIN:  # said once, with the format
            self.notices.append(
                ImportNotice(
                    self.format.instance_id_columns[0],
                    _("The file has no instance ID column; re-importing it would add it twice."),
                )
            )
        return pd.Series([""] * len(self.frame), dtype=str)

    def _factorize_all(self, columns: Sequence[str]) -> None:
        """Factorise the answer columns, two at a time: pandas hashes the strings with the
        interpreter lock released, so a second core shortens the longest step of the check."""
        series = [self.frame[column] for column in columns]
        workers = min(FACTORIZE_THREADS, len(series))
        if workers < 2 or len(self.frame) < PARALLEL_ROWS:
            return
        with ThreadPoolExecutor(max_workers=workers) as executor:
            self._factorized = dict(
                zip(columns, executor.map(_factorize_text, series), strict=True)
            )

    def _factorize(self, column: str) -> tuple[npt.NDArray[np.intp], list[str]]:
        found = self._factorized.get(column)
        return found if found is not None else _factorize_text(self.frame[column])

    def _column(
        self, question: Question, column: str, *, options_follow: bool = False
    ) -> pd.Series:
        codes, texts = self._factorize(column)
        self._guessed = set()
        normalised, reasons = self._normalise(question, texts)
        bad = np.array([reason is not None for reason in reasons], dtype=bool)
        if self._guessed and options_follow:
            # The 1/0 option columns know what the longest labels only guess.
            bad |= np.array([text.strip() in self._guessed for text in texts], dtype=bool)
        elif self._guessed:
            self._guessed_notice(question, column, codes, texts, normalised)
        if bad.any() and options_follow and question.type == SELECT_MULTIPLE:
            # A labels export whose joined labels cannot be split unambiguously: the 1/0
            # option columns that follow say which options were ticked (see ``_options``).
            self._unresolved[question.name] = bad[codes]
            bad[:] = False
        if bad.any():
            rows = np.flatnonzero(bad[codes])
            is_select = question.type in (SELECT_ONE, SELECT_MULTIPLE)
            if is_select and self.other_version is not None:
                older = self.other_version[rows]
                self._older_choices(column, rows[older], [texts[codes[row]] for row in rows[older]])
                rows = rows[~older]
            kind = _("not one of the choices") if is_select else _("not a valid value")
            self.problems.add(rows, column, [str(reasons[codes[row]]) for row in rows], kind)
        return self._categorical(question.name, codes, normalised)

    def _older_choices(
        self, column: str, rows: npt.NDArray[np.intp], values: Sequence[str]
    ) -> None:
        """Choices of another version of the form, on the rows answered with it: kept as
        given, and said."""
        if not len(rows):
            return
        shown = ", ".join(str(int(row) + 2) for row in rows[:PROBLEMS_PER_KIND])
        if len(rows) > PROBLEMS_PER_KIND:
            shown += " …"
        distinct = ", ".join(sorted(set(values))[:SHOWN_NAMES])
        self.notices.append(
            ImportNotice(
                column,
                _(
                    "Column %(column)s: %(count)s row(s) answered with another version of the "
                    "form hold choices that version %(version)s does not have (%(values)s; rows "
                    "%(rows)s); they are kept as given."
                )
                % {
                    "column": column,
                    "count": len(rows),
                    "version": self.form.version,
                    "values": distinct,
                    "rows": shown,
                },
            )
        )

    def _categorical(
        self, name: str, codes: npt.NDArray[np.intp], values: Sequence[str]
    ) -> pd.Series:
        """The column as categorical text (each distinct answer stored once, analysis reads
        the codes directly), and which rows answered."""
        categories: list[str] = []
        position: dict[str, int] = {}
        remap = np.empty(len(values), dtype=np.int64)
        for index, value in enumerate(values):
            if value not in position:
                position[value] = len(categories)
                categories.append(value)
            remap[index] = position[value]
        category_codes = remap[codes] if len(codes) else np.zeros(0, dtype=np.int64)
        empty = position.get("")
        self.answered[name] = (
            category_codes != empty if empty is not None else np.ones(len(codes), dtype=bool)
        )
        categorical = pd.Categorical.from_codes(
            category_codes, categories=pd.Index(categories, dtype=object)
        )
        return pd.Series(categorical, index=self.frame.index)

    def _normalise(
        self, question: Question, uniques: Sequence[str]
    ) -> tuple[list[str], list[str | None]]:
        """Each distinct cell value → (its XForm value, the reason it is bad or None)."""
        values: list[str] = []
        reasons: list[str | None] = []
        if question.type in (INTEGER, DECIMAL, RANGE):
            pattern = INTEGER_PATTERN if question.type == INTEGER else DECIMAL_PATTERN
            texts = pd.Series([value.strip() for value in uniques], dtype=object)
            ok = (texts == "") | texts.str.match(pattern.pattern).fillna(False).astype(bool)
            for text, valid in zip(texts, ok, strict=True):
                values.append(text)
                reasons.append(None if valid else type_problem(question, text))
            return values, reasons
        if question.type == DATE:
            for value in uniques:
                text = value.strip()
                if "T" in text and DATE_PATTERN.match(text.split("T", 1)[0]):
                    text = text.split("T", 1)[0]  # some exports write dates as midnight
                values.append(text)
                reasons.append(type_problem(question, text) if text else None)
            return values, reasons
        if question.type in (SELECT_ONE, SELECT_MULTIPLE) and question.choices:
            labels = self._choice_labels(question)
            for value in uniques:
                text, reason = self._select_value(question, value.strip(), labels)
                values.append(text)
                reasons.append(reason)
            return values, reasons
        for value in uniques:
            text = value.strip()
            values.append(text)
            reasons.append(type_problem(question, text) if text else None)
        return values, reasons

    def _header_language(self, columns: Mapping[str, str]) -> str | None:
        """The language whose question labels most headers are (a KoboToolbox labels export
        is in one language); ``None`` for headers of names, or a tie."""
        votes: dict[str, int] = {}
        for name, column in columns.items():
            header = _normal(column)
            for language, label in self.form.question(name).labels.items():
                if label and header.endswith(_normal(label)):
                    votes[language] = votes.get(language, 0) + 1
        if not votes:
            return None
        ranked = sorted(votes.values(), reverse=True)
        if len(ranked) > 1 and ranked[0] == ranked[1]:
            return None
        return max(votes, key=lambda language: votes[language])

    def _choice_labels(
        self, question: Question, key: Callable[[str], str] = _normal, *, only_export: bool = False
    ) -> dict[str, str]:
        """Choice names by label (under ``key``): the export's language first, then the
        others (unless ``only_export``)."""
        labels: dict[str, str] = {}
        languages = [self.language] if self.language else []
        if not (only_export and self.language):
            languages += [
                language
                for choice in question.choices
                for language in choice.labels
                if language != self.language
            ]
        for language in dict.fromkeys(languages):
            for choice in question.choices:
                label = choice.labels.get(language, "")
                if label:
                    labels.setdefault(key(label), choice.name)
        return labels

    def _select_value(
        self, question: Question, text: str, labels: Mapping[str, str]
    ) -> tuple[str, str | None]:
        if not text:
            return "", None
        names = set(question.choice_names)
        if question.type == SELECT_ONE:
            if text in names:
                return text, None
            if _normal(text) in labels:
                return labels[_normal(text)], None
            return text, type_problem(question, text)
        tokens = text.split()
        if all(token in names for token in tokens):
            return " ".join(tokens), None
        # Some labels exports join the option labels (which contain spaces) with commas …
        parts = [part for part in re.split(r"\s*[,;]\s*", text) if part]
        mapped = [labels.get(_normal(part)) for part in parts]
        if len(parts) > 1 and all(mapped):
            return " ".join(str(name) for name in mapped), None
        # … KoboToolbox joins them with spaces: "First aid Smuggling Drugs". The labels are
        # tried as the export wrote them (case and all) in its language, then in any case, then
        # in every language; words that split into labels more than one way are read by the
        # longest labels, and said (or left to the 1/0 option columns when the file has them).
        ambiguous: tuple[Mapping[str, str], Callable[[str], str]] | None = None
        for key, only_export in ((_spaced, True), (_normal, True), (_normal, False)):
            cache_key = (question.name, key.__name__, only_export)
            dictionary = self._label_dictionaries.get(cache_key)
            if dictionary is None:
                dictionary = self._choice_labels(question, key, only_export=only_export)
                self._label_dictionaries[cache_key] = dictionary
            segmented, ways = _split_labels(tokens, dictionary, key)
            if segmented is not None:
                return " ".join(segmented), None
            if ways > 1 and ambiguous is None:
                ambiguous = (dictionary, key)
        if ambiguous is not None:
            guess = _longest_match(tokens, *ambiguous)
            if guess is not None:
                self._guessed.add(text)
                return " ".join(guess), None
        unknown = [token for token in tokens if token not in names]
        return text, type_problem(question, " ".join(unknown) or text)

    def _guessed_notice(
        self,
        question: Question,
        column: str,
        codes: npt.NDArray[np.intp],
        texts: Sequence[str],
        values: Sequence[str],
    ) -> None:
        guessed = np.array([text.strip() in self._guessed for text in texts], dtype=bool)
        rows = np.flatnonzero(guessed[codes])
        shown = ", ".join(str(int(row) + 2) for row in rows[:PROBLEMS_PER_KIND])
        if len(rows) > PROBLEMS_PER_KIND:
            shown += " …"
        readings = sorted(
            {
                f"{text.strip()} → {value}"
                for text, value, taken in zip(texts, values, guessed, strict=True)
                if taken
            }
        )
        self.notices.append(
            ImportNotice(
                column,
                _(
                    "Column %(column)s: %(count)s row(s) join option labels that split more "
                    "than one way (rows %(rows)s); they are read by the longest labels "
                    "(%(readings)s). Export the 1/0 option columns too to be sure."
                )
                % {
                    "column": column,
                    "count": len(rows),
                    "rows": shown,
                    "readings": "; ".join(readings[:SHOWN_NAMES]),
                },
            )
        )

    def _options(self, question: Question, columns: Mapping[str, str]) -> None:
        """Check the 1/0 option columns and rebuild (or cross-check) the answer from them."""
        choices = [choice.name for choice in question.choices if choice.name in columns]
        n = len(self.frame)
        ticked = np.zeros((n, len(choices)), dtype=bool)
        known = np.zeros(n, dtype=bool)
        for position, choice in enumerate(choices):
            column = columns[choice]
            codes, texts = self._factorize(column)
            texts = [text.strip() for text in texts]
            is_true = np.array([text in _TRUE_FLAGS for text in texts], dtype=bool)
            is_false = np.array([text in _FALSE_FLAGS for text in texts], dtype=bool)
            bad = ~(is_true | is_false | np.array([text == "" for text in texts], dtype=bool))
            if bad.any():
                rows = np.flatnonzero(bad[codes])
                self.problems.add(
                    rows,
                    column,
                    [
                        _("%(value)s is not 1 or 0 (ticked or not).") % {"value": texts[codes[row]]}
                        for row in rows
                    ],
                    _("not 1 or 0"),
                )
            ticked[:, position] = is_true[codes]
            known |= (is_true | is_false)[codes]
        weights = np.left_shift(np.int64(1), np.arange(len(choices), dtype=np.int64))
        masks = ticked.astype(np.int64) @ weights if choices else np.zeros(n, dtype=np.int64)
        unresolved = self._unresolved.pop(question.name, None)
        if unresolved is not None:
            self._take_options_where_unresolved(question, choices, masks, known, unresolved)
        if question.name in self.answers:
            main = self.answers[question.name]
            codes, uniques = pd.factorize(main, use_na_sentinel=False)
            main_masks = np.array(
                [
                    sum(
                        1 << choices.index(token)
                        for token in str(value).split()
                        if token in choices
                    )
                    for value in uniques
                ],
                dtype=np.int64,
            )[codes]
            disagree = np.flatnonzero(known & (main_masks != masks))
            if len(disagree):
                self.problems.add(
                    disagree,
                    self.sources[question.name],
                    [_("the answer disagrees with its 1/0 option columns") for _row in disagree],
                    _("disagrees with its 1/0 option columns"),
                )
            return
        # A row with no tick is unanswered: Kobo leaves every option 0 (or empty) then.
        distinct, inverse = np.unique(masks, return_inverse=True)
        texts = [
            " ".join(choice for bit, choice in enumerate(choices) if int(mask) >> bit & 1)
            for mask in distinct
        ]
        self.answers[question.name] = self._categorical(question.name, inverse, texts)
        self.sources[question.name] = next(iter(columns.values()))

    def _take_options_where_unresolved(
        self,
        question: Question,
        choices: Sequence[str],
        masks: npt.NDArray[np.int64],
        known: npt.NDArray[np.bool_],
        unresolved: npt.NDArray[np.bool_],
    ) -> None:
        """Rows whose joined labels could not be split take their answer from the option
        columns; a row whose option columns are empty as well is a bad value."""
        column = self.sources[question.name]
        lost = np.flatnonzero(unresolved & ~known)
        if len(lost):
            raw = self.frame[column].to_numpy(dtype=object)
            self.problems.add(
                lost,
                column,
                [type_problem(question, str(raw[row])) or "" for row in lost],
                _("not one of the choices"),
            )
        current = np.array(self.answers[question.name].astype(object), dtype=object)
        texts = {
            int(mask): " ".join(c for bit, c in enumerate(choices) if int(mask) >> bit & 1)
            for mask in np.unique(masks[unresolved])
        }
        for row in np.flatnonzero(unresolved & known):
            current[row] = texts[int(masks[row])]
        codes, uniques = pd.factorize(current, use_na_sentinel=False)
        self.answers[question.name] = self._categorical(
            question.name, codes, [str(value) for value in uniques]
        )

    def _check_expressions(self) -> None:
        """Constraints and required answers, evaluated per distinct combination of answers.

        Rows with a bad value are left out (a constraint over a value of the wrong type only
        adds noise); the others are checked in the same pass, so that a file shows all its
        problems at once. Inside a repeat each instance is checked with the answers of its own
        submission (and outer instances) around it, as ODK Collect checks it."""
        frame = pd.DataFrame(self.answers, index=self.frame.index)
        memo: dict[tuple[str, str], object] = {}
        good = ~self.problems.bad
        instances: _InstanceRules | None = None
        if self.scope is not None:
            instances = _InstanceRules(self.form, self.scope, frame, self.ancestry)
            for _scope, (_answers, positions) in self.ancestry.items():
                good &= positions >= 0  # an orphan is a problem of its own

        def holds(
            expression: str,
            rows: npt.NDArray[np.bool_],
            context: Question | None,
            at: str | None = None,
        ) -> npt.NDArray[np.bool_]:
            if instances is not None:
                return instances.holds(expression, rows, context=context, at=at)
            return holds_frame(
                self.form, expression, frame, context=context, at=at, rows=rows, memo=memo
            )

        for question in self.form.questions:
            # ``takes_answer`` leaves out the questions inside repeats (asked per instance).
            asked = not (question.is_metadata or question.type in (NOTE, CALCULATE))
            if not asked or question.name not in frame.columns:
                continue
            answered = self.answered[question.name] & good
            unanswered = ~self.answered[question.name] & good
            column = self.sources[question.name]
            try:
                if question.constraint and answered.any():
                    passes = holds(question.constraint, answered, question)
                    failing = np.flatnonzero(answered)[~passes]
                    if len(failing):
                        rule = question.source_expressions.get("constraint", question.constraint)
                        self.problems.add(
                            failing,
                            column,
                            [
                                _("%(value)s breaks the constraint %(rule)s")
                                % {"value": frame[question.name].iat[row], "rule": rule}
                                for row in failing[:PROBLEMS_PER_KIND]
                            ],
                            _("breaks the constraint"),
                        )
                if question.required and unanswered.any():
                    self._check_required(holds, question, unanswered, column)
            except ExpressionError as error:
                # Not a refusal: the answers are kept as given, and the user is told which
                # rule was not checked.
                self.notices.append(
                    ImportNotice(
                        column,
                        _(
                            "The rules of question %(name)s cannot be checked on the server "
                            "(%(reason)s); its answers are taken as they are."
                        )
                        % {"name": question.name, "reason": error},
                    )
                )

    def _check_required(
        self,
        holds: Callable[
            [str, npt.NDArray[np.bool_], Question | None, str | None], npt.NDArray[np.bool_]
        ],
        question: Question,
        empty: npt.NDArray[np.bool_],
        column: str,
    ) -> None:
        required = holds(question.required or "true()", empty, question, None)
        if not required.any():
            return
        relevant = np.ones(int(empty.sum()), dtype=bool)
        conditions: list[tuple[str, str, Question | None]] = [
            (group.relevant, group.path, None)
            for group in self.form.ancestors(question)
            if group.relevant
        ]
        if question.relevant:
            conditions.append((question.relevant, question.path, question))
        for expression, at, context in conditions:
            relevant &= holds(expression, empty, context, at)
        missing = np.flatnonzero(empty)[required & relevant]
        if len(missing):
            self.problems.add(
                missing, column, [_("an answer is required")] * len(missing), _("answer required")
            )


_READS_SIBLINGS = re.compile(r"\bposition\s*\(|\bindexed-repeat\s*\(")
"""Functions whose value inside a repeat depends on the instances beside the one checked."""


class _InstanceRules:
    """A rule of a question inside a repeat, evaluated for each instance in an instance
    document holding that instance, the answers of its submission and those of the outer
    instances it is in — once per distinct combination of the answers the rule reads.

    A rule that reads another repeat's answers (beside this one, or nested in it), or depends
    on the instances beside the one checked (``position(..)``, ``indexed-repeat()``, an
    absolute path to a repeat's question, as in ``count(/data/seizures/qty)``), is not
    evaluated: :class:`ExpressionError`, which the check turns into a notice."""

    def __init__(self, form: Form, scope: Group, answers: pd.DataFrame, ancestry: Ancestry) -> None:
        self.form = form
        self.scope = scope
        self.answers = answers
        self.ancestry = ancestry
        self.environment = form.environment()

    def _values(self, question: Question) -> npt.NDArray[np.object_] | None:
        """The question's answer for each instance (``None``: not in this instance's scope)."""
        owner = self.form.repeat_of(question)
        scope = owner.name if owner is not None else None
        positions: npt.NDArray[np.int64] | None = None
        if owner is not None and owner.name == self.scope.name:
            frame = self.answers
        elif scope in self.ancestry:
            frame, positions = self.ancestry[scope]
        else:
            return None
        size = len(self.answers)
        if question.name not in frame.columns:
            return np.full(size, "", dtype=object)
        column = frame[question.name].to_numpy(dtype=object)
        if positions is None:
            return column
        values = np.full(size, "", dtype=object)
        found = positions >= 0
        values[found] = column[positions[found]]
        return values

    def holds(
        self,
        expression: str,
        rows: npt.NDArray[np.bool_],
        *,
        context: Question | None,
        at: str | None,
    ) -> npt.NDArray[np.bool_]:
        """Whether ``expression`` holds for each instance ``rows`` selects."""
        at = at or (context.path if context is not None else "/" + self.form.root_name)
        references = referenced_questions(self.form, expression, context=context, at=at)
        # An absolute path into a repeat names every instance (count(), sum() …), where the
        # document here holds one.
        absolute = any(
            re.search(rf"(?<![\w./-]){re.escape(group.path)}(?![\w.-])", expression)
            for group in self.form.repeats()
            if group.name == self.scope.name or group.name in self.ancestry
        )
        if references is None or absolute or _READS_SIBLINGS.search(expression):
            raise ExpressionError(
                _("%(expression)s depends on the other instances of the repeat")
                % {"expression": expression.strip()}
            )
        read = references
        columns: list[npt.NDArray[np.object_]] = []
        for question in read:
            values = self._values(question)
            if values is None:
                raise ExpressionError(
                    _("%(expression)s reads %(name)s, in another repeat")
                    % {"expression": expression.strip(), "name": question.name}
                )
            columns.append(values[rows])
        size = int(rows.sum())
        if not columns or size == 0:
            return np.full(size, self._evaluate(expression, at, read, []), dtype=bool)
        codes: npt.NDArray[np.intp]
        if len(columns) == 1:
            codes = np.asarray(pd.factorize(columns[0], use_na_sentinel=False)[0])
        else:
            codes = np.asarray(pd.MultiIndex.from_arrays(columns).factorize()[0])
        first_rows = np.empty(int(codes.max()) + 1, dtype=np.int64)
        first_rows[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
        results = np.array(
            [
                self._evaluate(expression, at, read, [str(c[row]) for c in columns])
                for row in first_rows
            ],
            dtype=bool,
        )
        return results[codes]

    def _evaluate(
        self, expression: str, at: str, questions: Sequence[Question], values: Sequence[str]
    ) -> bool:
        root = ET.Element(self.form.root_name)
        elements: dict[str, ET.Element] = {"/" + self.form.root_name: root}

        def element(path: str) -> ET.Element:
            found = elements.get(path)
            if found is None:
                parent_path, _sep, tag = path.rpartition("/")
                found = ET.SubElement(element(parent_path), tag)
                elements[path] = found
            return found

        for question, value in zip(questions, values, strict=False):
            element(question.path).text = value or None
        item = element(at)
        return to_boolean(evaluate(expression, root, item=item, environment=self.environment))


def answers_frame(form: Form, rows: Iterable[Mapping[str, Answer]]) -> pd.DataFrame:
    """A frame of stored submissions (dicts of answers by name) in the shape analysis reads."""
    names = [q.name for q in form.questions if not q.in_repeat and q.type != NOTE]
    records = [{name: answer_text(row.get(name)) for name in names} for row in rows]
    frame = pd.DataFrame.from_records(records, columns=names)
    calculated = [q.name for q in form.questions if q.type == CALCULATE]
    empty_calculations = [name for name in calculated if (frame[name] == "").all()]
    return frame.drop(columns=empty_calculations).astype(object)
