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
import enum
import io
import os
import re
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

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
    Question,
)
from liaison.surveys.xpath import ExpressionError
from liaison.tabular import SURVEY_EXPORT_LIMITS, MiB

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
    }
)
_TRUE_FLAGS = frozenset({"1", "true", "True", "TRUE", "1.0"})
_FALSE_FLAGS = frozenset({"0", "false", "False", "FALSE", "0.0"})


class ExportFormat(enum.StrEnum):
    KOBOTOOLBOX = "kobotoolbox"
    ODK_CENTRAL = "odk_central"

    @property
    def instance_id_columns(self) -> tuple[str, ...]:
        if self is ExportFormat.KOBOTOOLBOX:
            return ("_uuid", "meta/instanceID")
        return ("meta-instanceID", "KEY")

    @property
    def submitted_at_column(self) -> str:
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

    def __str__(self) -> str:
        return _("row %(row)s, column %(column)s: %(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


class ExportError(Exception):
    """An export that cannot be read at all; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ExportRejected(ExportError):
    """An export with bad rows: nothing of it is taken."""

    def __init__(self, name: str, problems: Sequence[RowProblem], total: int) -> None:
        self.problems = tuple(problems)
        self.total = total
        super().__init__(
            _("%(file)s is rejected: %(count)s value(s) are not valid for this form.")
            % {"file": name, "count": total}
        )


@dataclass(frozen=True, slots=True)
class ImportNotice:
    """Something worth knowing that does not reject the file (an unknown column …)."""

    column: str
    message: str


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    row: int
    instance_id: str | None
    submitted_at: str | None
    answers: dict[str, str]
    """Answers by question name; select_multiple space-separated; empty answers left out."""


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

    def __len__(self) -> int:
        return len(self.answers)

    def rows(self) -> list[SubmissionRow]:
        """The submissions as plain rows (to store them one by one)."""
        records = self.answers.to_dict("records")
        rows: list[SubmissionRow] = []
        for index, record in enumerate(records):
            instance_id = str(self.instance_ids.iat[index]) or None
            submitted = str(self.submitted_at.iat[index]) or None
            answers = {
                str(name): str(value)
                for name, value in record.items()
                if isinstance(value, str) and value != ""
            }
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
        )


ExportSource = str | os.PathLike[str] | bytes


def read_export(
    source: ExportSource, form: Form, *, filename: str | None = None
) -> SubmissionTable:
    """Read a KoboToolbox or ODK Central CSV export of ``form``.

    Raises :class:`ExportError` when the file cannot be read and :class:`ExportRejected` (with
    every bad value) when rows do not fit the form.
    """
    raw, name = _read_bytes(source, filename)
    if len(raw) > SURVEY_EXPORT_LIMITS.file_bytes:
        raise ExportError(
            _("%(file)s is larger than %(size)s MB.")
            % {"file": name, "size": SURVEY_EXPORT_LIMITS.file_bytes // MiB}
        )
    encoding, data = decode_export(raw, name)
    _check_lines(data, name)
    header = _header(data, name)
    delimiter = _delimiter(header)
    columns = _split_header(header, delimiter, name)
    _check_header(columns, name)
    export_format = detect_format(columns, name)
    frame = _read_frame(data, delimiter, name)
    return _ExportReader(form, name, export_format, encoding, frame).read()


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
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    if len(ends) + 1 > limits.rows:
        raise ExportError(
            _("%(file)s has more than %(count)s lines (empty ones included).")
            % {"file": name, "count": limits.rows}
        )
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


def _check_header(columns: Sequence[str], name: str) -> None:
    if len(columns) > SURVEY_EXPORT_LIMITS.columns:
        raise ExportError(
            _("%(file)s has more than %(count)s columns.")
            % {"file": name, "count": SURVEY_EXPORT_LIMITS.columns}
        )
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise ExportError(
                _("%(file)s has the column %(column)s twice.") % {"file": name, "column": column}
            )
        seen.add(column)


def detect_format(columns: Iterable[str], name: str = "export.csv") -> ExportFormat:
    """KoboToolbox or ODK Central, from the metadata columns each adds to its exports."""
    present = set(columns)
    kobo = len(present & KOBO_MARKERS)
    odk = len(present & ODK_MARKERS)
    if kobo == 0 and odk == 0:
        raise ExportError(
            _(
                "%(file)s is neither a KoboToolbox export (no _uuid, _submission_time or _index "
                "column) nor an ODK Central export (no SubmissionDate, meta-instanceID or KEY "
                "column)."
            )
            % {"file": name}
        )
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


def _factorize_text(column: pd.Series) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Codes per row and the distinct cell texts (a missing cell is the last text, ``""``).

    The file is read without NA detection, so cells are all strings; asking pandas to look for
    missing values again would cost as much as the factorisation itself.
    """
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    texts = [str(value) for value in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(texts), codes)
    return codes, [*texts, ""]


# --- mapping columns to questions ------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class _Target:
    question: str
    option: str | None = None


class _ColumnIndex:
    """Every header a question (or a select_multiple option) may appear under."""

    def __init__(self, form: Form, separators: Sequence[str]) -> None:
        self.form = form
        self._keys: dict[str, _Target | None] = {}
        option_separators = ("/", *separators)
        for question in form.questions:
            if question.in_repeat:
                continue
            target = _Target(question.name)
            keys = self._question_keys(question, separators)
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
        existing = self._keys.get(normal, target)
        # The same header meaning two things (two questions sharing a label) is ambiguous.
        self._keys[normal] = target if existing is target or existing == target else None

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
    def __init__(self) -> None:
        self.items: list[RowProblem] = []
        self.total = 0

    def add(self, rows: npt.NDArray[np.intp], column: str, reasons: Sequence[str]) -> None:
        self.total += len(rows)
        room = MAX_PROBLEMS - len(self.items)
        for row, reason in zip(rows[:room], reasons[:room], strict=False):
            self.items.append(RowProblem(row=int(row) + 2, column=column, reason=reason))


class _ExportReader:
    def __init__(
        self,
        form: Form,
        name: str,
        export_format: ExportFormat,
        encoding: str,
        frame: pd.DataFrame,
    ) -> None:
        self.form = form
        self.name = name
        self.format = export_format
        self.encoding = encoding
        self.frame = frame
        self.problems = _Problems()
        self.notices: list[ImportNotice] = []
        self.answers: dict[str, pd.Series] = {}
        self.answered: dict[str, npt.NDArray[np.bool_]] = {}
        self.sources: dict[str, str] = {}
        self._factorized: dict[str, tuple[npt.NDArray[np.intp], list[str]]] = {}

    def read(self) -> SubmissionTable:
        index = _ColumnIndex(self.form, self.format.group_separators)
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
                self.answers[question.name] = self._column(question, main_column)
            if options:
                self._options(question, options)
        instance_ids = self._instance_ids()
        self._check_expressions()
        if self.problems.total:
            raise ExportRejected(self.name, self.problems.items, self.problems.total)
        answers = pd.DataFrame(self.answers, index=self.frame.index)
        submitted_column = self.format.submitted_at_column
        submitted = (
            self.frame[submitted_column]
            if submitted_column in self.frame.columns
            else pd.Series([""] * len(self.frame), dtype=str)
        )
        file_rows = pd.Series(np.arange(len(self.frame)) + 2)
        keep = ~instance_ids.duplicated(keep="first").to_numpy() | (instance_ids == "").to_numpy()
        duplicates = int((~keep).sum())
        if duplicates:
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
                    )
                return ids.reset_index(drop=True)
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

    def _column(self, question: Question, column: str) -> pd.Series:
        codes, texts = self._factorize(column)
        normalised, reasons = self._normalise(question, texts)
        bad = np.array([reason is not None for reason in reasons], dtype=bool)
        if bad.any():
            rows = np.flatnonzero(bad[codes])
            self.problems.add(rows, column, [str(reasons[codes[row]]) for row in rows])
        return self._categorical(question.name, codes, normalised)

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

    def _choice_labels(self, question: Question) -> dict[str, str]:
        labels: dict[str, str] = {}
        for choice in question.choices:
            for label in choice.labels.values():
                if label:
                    labels.setdefault(_normal(label), choice.name)
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
        # A labels export joins the option labels (which contain spaces) with commas.
        parts = [part for part in re.split(r"\s*[,;]\s*", text) if part]
        mapped = [labels.get(_normal(part)) for part in parts]
        if parts and all(mapped):
            return " ".join(str(name) for name in mapped), None
        unknown = [token for token in tokens if token not in names]
        return text, type_problem(question, " ".join(unknown) or text)

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
                )
            ticked[:, position] = is_true[codes]
            known |= (is_true | is_false)[codes]
        weights = np.left_shift(np.int64(1), np.arange(len(choices), dtype=np.int64))
        masks = ticked.astype(np.int64) @ weights if choices else np.zeros(n, dtype=np.int64)
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

    def _check_expressions(self) -> None:
        """Constraints and required answers, evaluated per distinct combination of answers."""
        if self.problems.total:
            return  # type errors first: constraints over bad values only add noise
        frame = pd.DataFrame(self.answers, index=self.frame.index)
        memo: dict[tuple[str, str], object] = {}
        for question in self.form.questions:
            if not question.takes_answer or question.name not in frame.columns:
                continue
            answered = self.answered[question.name]
            column = self.sources[question.name]
            try:
                if question.constraint and answered.any():
                    passes = holds_frame(
                        self.form,
                        question.constraint,
                        frame,
                        context=question,
                        rows=answered,
                        memo=memo,
                    )
                    failing = np.flatnonzero(answered)[~passes]
                    if len(failing):
                        rule = question.source_expressions.get("constraint", question.constraint)
                        self.problems.add(
                            failing,
                            column,
                            [
                                _("%(value)s breaks the constraint %(rule)s")
                                % {"value": frame[question.name].iat[row], "rule": rule}
                                for row in failing[:MAX_PROBLEMS]
                            ],
                        )
                if question.required and not answered.all():
                    self._check_required(frame, question, ~answered, column)
            except ExpressionError as error:
                self.problems.add(np.array([0]), column, [str(error)])

    def _check_required(
        self, frame: pd.DataFrame, question: Question, empty: npt.NDArray[np.bool_], column: str
    ) -> None:
        required = holds_frame(
            self.form, question.required or "true()", frame, context=question, rows=empty
        )
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
            relevant &= holds_frame(
                self.form, expression, frame, context=context, at=at, rows=empty
            )
        missing = np.flatnonzero(empty)[required & relevant]
        if len(missing):
            self.problems.add(missing, column, [_("an answer is required")] * len(missing))


def answers_frame(form: Form, rows: Iterable[Mapping[str, Answer]]) -> pd.DataFrame:
    """A frame of stored submissions (dicts of answers by name) in the shape analysis reads."""
    names = [q.name for q in form.questions if not q.in_repeat and q.type != NOTE]
    records = [{name: answer_text(row.get(name)) for name in names} for row in rows]
    frame = pd.DataFrame.from_records(records, columns=names)
    calculated = [q.name for q in form.questions if q.type == CALCULATE]
    empty_calculations = [name for name in calculated if (frame[name] == "").all()]
    return frame.drop(columns=empty_calculations).astype(object)
