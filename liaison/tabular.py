"""Reading the files people bring and writing the spreadsheets they take away.

Reading: CSV (UTF-8 with or without BOM, UTF-16 with a BOM, any of ``, ; tab``), XLSX workbooks
and zip archives, into rows numbered as the user sees them. The registry, seizure, survey and
training-content imports all read through here, under one set of limits (:data:`LIMITS`), so a
file is understood, and refused, the same way everywhere: early, with the file, sheet, row and
column of every problem. Every row read counts against the row limit, empty or not; a zip's
members are measured by the bytes they really inflate to, never by what their headers declare.

Writing: :func:`write_csv` and :func:`write_xlsx` are the only way an export leaves the app;
a text cell that a spreadsheet would take for a formula is written as text (see
:func:`spreadsheet_text`).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _

Row = dict[str, str]
Sheet = list[tuple[int, Row]]  # (row number as the user sees it, values by column)

MiB = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    """How much work one uploaded file may cost."""

    file_bytes: int
    """Size of the file as uploaded."""
    inflated_bytes: int
    """Bytes a zip (an .xlsx is one) really inflates to, all members together."""
    members: int
    """Members of a zip."""
    rows: int
    """Rows read from one sheet, the header and empty rows included."""
    columns: int
    """Columns of one row, or declared by a sheet's dimension."""
    cell_chars: int
    """Characters of one cell (Excel's own limit)."""
    seconds: float
    """Time to read the whole file."""


LIMITS = UploadLimits(
    file_bytes=20 * MiB,
    inflated_bytes=100 * MiB,
    members=2000,
    rows=20_000,
    columns=200,
    cell_chars=32_767,
    seconds=20.0,
)
"""The limits of every import."""

SURVEY_EXPORT_LIMITS = replace(
    LIMITS, file_bytes=200 * MiB, inflated_bytes=512 * MiB, rows=500_000, columns=5_000
)
"""A survey export is one row per respondent and one column per question and option, read by a
vectorised reader: 100,000 respondents of a 60-question form make a 60 MB file read in seconds.
A workbook's sheets may inflate to 512 MB (KoboToolbox's XLSX of 30,000 respondents of the
PATROL questionnaire, 153 columns, is 240 MB of XML); the read keeps the import's 20 seconds,
well inside a request's time."""
COMMAND_LINE_EXPORT_LIMITS = replace(
    SURVEY_EXPORT_LIMITS, inflated_bytes=2048 * MiB, seconds=3600.0
)
"""``liaison survey analyze|compare`` reads a person's own file on their own machine: a larger
workbook and no hurry (the limits that stay protect the memory, not a server's workers)."""

MAX_ROWS = LIMITS.rows


@dataclass(frozen=True)
class RowProblem:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row and not self.column:
            return _("%(sheet)s: %(message)s") % {"sheet": self.sheet, "message": self.message}
        return _("%(sheet)s, row %(row)s, column %(column)s: %(message)s") % {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column or "—",
            "message": self.message,
        }


class TableError(Exception):
    """A file refused whole, with every problem found."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


def _refuse(sheet: str, message: str, row: int = 0, column: str = "") -> TableError:
    return TableError([RowProblem(sheet, row, column, message)])


class Deadline:
    """The time a file may take to read; checked between rows and between chunks."""

    def __init__(self, filename: str, limits: UploadLimits = LIMITS) -> None:
        self.filename = filename
        self.seconds = limits.seconds
        self.ends = time.monotonic() + limits.seconds

    def check(self, sheet: str = "", row: int = 0) -> None:
        if time.monotonic() > self.ends:
            raise _refuse(
                sheet or self.filename,
                _(
                    "Reading this file takes longer than %(seconds)s seconds; split it into "
                    "smaller files."
                )
                % {"seconds": int(self.seconds)},
                row,
            )


def check_file_size(size: int, filename: str, limits: UploadLimits = LIMITS) -> None:
    if size > limits.file_bytes:
        raise _refuse(
            filename,
            _("The file is larger than %(size)s MB.") % {"size": limits.file_bytes // MiB},
        )


# --- zip archives (content packages, and .xlsx workbooks, which are zips) -----------------------

_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError, ValueError)
_CHUNK = 64 * 1024
_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def open_zip(
    source: bytes | IO[bytes], filename: str, limits: UploadLimits = LIMITS
) -> zipfile.ZipFile:
    """Open a zip archive, refusing one that is not a zip or has too many members."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (*_ZIP_ERRORS, NotImplementedError, RuntimeError):
        raise _refuse(filename, _("This is not a readable zip archive.")) from None
    if len(archive.infolist()) > limits.members:
        archive.close()
        raise _refuse(
            filename,
            _("The archive has more than %(count)s files.") % {"count": limits.members},
        )
    return archive


def zip_members(
    archive: zipfile.ZipFile,
    filename: str,
    limits: UploadLimits = LIMITS,
    deadline: Deadline | None = None,
) -> Iterator[tuple[zipfile.ZipInfo, bytes]]:
    """Every file of the archive with its inflated content, counted as it is inflated.

    The sizes a zip declares are not trusted: the archive is refused as soon as the bytes really
    inflated pass ``limits.inflated_bytes``, and a member whose content does not match its header
    (size, checksum, compression) is refused by name.
    """
    deadline = deadline or Deadline(filename, limits)
    budget = limits.inflated_bytes
    for info in archive.infolist():
        if info.is_dir():
            continue
        chunks: list[bytes] = []
        try:
            with archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise _refuse(
                            filename,
                            _("The archive is larger than %(size)s MB once unpacked.")
                            % {"size": limits.inflated_bytes // MiB},
                        )
                    chunks.append(chunk)
                    deadline.check()
        except TableError:
            raise
        except (*_ZIP_ERRORS, NotImplementedError, RuntimeError):
            raise _refuse(
                filename,
                _("The file “%(member)s” in the archive is damaged or cannot be unpacked.")
                % {"member": info.filename},
            ) from None
        yield info, b"".join(chunks)


def _check_workbook_archive(
    raw: bytes,
    filename: str,
    limits: UploadLimits,
    deadline: Deadline,
    *,
    sheet_extents: bool = False,
) -> None:
    """Inflate the workbook once under the limits before openpyxl reads it.

    A workbook never declares a DTD, so one that does (entity expansion) is refused.
    """
    with open_zip(raw, filename, limits) as archive:
        for info, content in zip_members(archive, filename, limits, deadline):
            if info.filename.endswith((".xml", ".rels")) and _DECLARATIONS.search(content):
                raise _refuse(filename, _("This is not a readable .xlsx workbook."))
            if sheet_extents and info.filename.startswith("xl/worksheets/"):
                _check_sheet_extent(content, filename, limits)


_FAR_COLUMN = re.compile(rb'\br="(([A-Z]{3,})[0-9]+)"')
_FAR_ROW = re.compile(rb'\br="([A-Z]{0,3}([0-9]{6,}))"')


def _check_sheet_extent(content: bytes, filename: str, limits: UploadLimits) -> None:
    """Refuse a sheet with a cell past the rows or columns a sheet may have, before a reader
    makes a table of it: a reader that holds a sheet as a dense table (calamine) would
    otherwise allocate every cell between A1 and that one. Only the references long enough
    to pass the limits are looked at (three letters, six digits), so an ordinary sheet costs
    one scan that finds nothing."""
    far: bytes | None = None
    for match in _FAR_COLUMN.finditer(content):
        position = 0
        for letter in match[2]:
            position = position * 26 + letter - 64
        if position > limits.columns:
            far = match[1]
            break
    if far is None:
        for match in _FAR_ROW.finditer(content):
            if int(match[2]) > limits.rows:
                far = match[1]
                break
    if far is not None:
        raise _refuse(
            filename,
            _(
                "A sheet has a cell at %(cell)s; at most %(max_rows)s rows and %(max_columns)s "
                "columns are read."
            )
            % {"cell": far.decode(), "max_rows": limits.rows, "max_columns": limits.columns},
        )


# --- cells --------------------------------------------------------------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def spreadsheet_text(value: str) -> str:
    """A text a spreadsheet shows as written, never evaluates (OWASP's CSV-injection rule).

    A text that begins with ``= + - @``, a tab or a carriage return gets a leading single quote;
    a plain negative number (``-12.5``) is a number, not a formula, and is kept as it is. The
    imports take the quote off again, so an exported table imports back unchanged.
    """
    if value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _unquote(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- CSV ----------------------------------------------------------------------------------------


def decode_text(raw: bytes, filename: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _refuse(
                filename,
                _(
                    "The file says it is UTF-16 text but byte %(position)s cannot be read as "
                    "such. Save it as “CSV UTF-8” and try again."
                )
                % {"position": exc.start},
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            filename,
            _(
                "The file is not UTF-8 text (byte %(position)s). Save it as "
                "“CSV UTF-8” and try again."
            )
            % {"position": exc.start},
        ) from None


def _delimiter(text: str) -> str:
    """The separator of the header line: the one of ``, ; tab`` found most outside quotes."""
    header = text[: text.find("\n")] if "\n" in text else text[:65536]
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {delimiter: outside.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_lines(text: str, sheet: str, delimiter: str, limits: UploadLimits) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row = reader.line_num
            if "field larger than field limit" in str(exc):
                raise _refuse(
                    sheet,
                    _("A cell is longer than %(count)s characters.") % {"count": limits.cell_chars},
                    row,
                ) from None
            raise _refuse(
                sheet, _("This line is not well-formed CSV (%(reason)s).") % {"reason": exc}, row
            ) from None
        yield values


def read_csv(
    raw: bytes,
    filename: str,
    sheet: str,
    known: list[str],
    required: set[str],
    limits: UploadLimits = LIMITS,
) -> Sheet:
    deadline = Deadline(filename, limits)
    check_file_size(len(raw), filename, limits)
    text = decode_text(raw, filename)
    return rows_from(
        _csv_lines(text, sheet, _delimiter(text), limits),
        sheet,
        known,
        required,
        limits=limits,
        deadline=deadline,
    )


# --- XLSX ---------------------------------------------------------------------------------------


def _not_a_workbook(filename: str) -> TableError:
    return _refuse(filename, _("This is not a readable .xlsx workbook."))


def read_xlsx(
    raw: bytes,
    filename: str,
    layouts: Mapping[str, tuple[list[str], set[str]]],
    limits: UploadLimits = LIMITS,
) -> dict[str, Sheet]:
    """Read the sheets named in ``layouts`` (sheet name → (known columns, required columns)).

    A layout named ``*`` reads the first sheet whatever its name.
    """
    deadline = Deadline(filename, limits)
    check_file_size(len(raw), filename, limits)
    _check_workbook_archive(raw, filename, limits, deadline)
    # openpyxl is imported where a workbook is read or written, not with this module: the
    # commands that read CSV (`liaison survey analyze`) would otherwise pay for its import.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise _not_a_workbook(filename) from None
    sheets: dict[str, Sheet] = {}
    try:
        for index, worksheet in enumerate(workbook.worksheets):
            name = worksheet.title.strip().lower()
            layout_name = (
                name if name in layouts else ("*" if index == 0 and "*" in layouts else "")
            )
            if not layout_name:
                continue
            known, required = layouts[layout_name]
            sheets[layout_name] = rows_from(
                _xlsx_lines(worksheet, filename, limits),
                worksheet.title,
                known,
                required,
                limits=limits,
                deadline=deadline,
            )
    except TableError:
        raise
    except Exception:  # a damaged sheet makes openpyxl raise anything while iterating
        raise _not_a_workbook(filename) from None
    finally:
        workbook.close()
    if not sheets:
        raise _refuse(
            filename,
            _("No sheet is named after a table of this import (%(names)s).")
            % {"names": ", ".join(n for n in layouts if n != "*")},
        )
    return sheets


def read_workbook_values(
    raw: bytes,
    filename: str,
    limits: UploadLimits,
    cell_text: Callable[[Any], str],
) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook (by title, in order) as rows of cell texts (``cell_text``
    writes each value), for tables whose columns are not known in advance. Read by calamine
    (a Rust reader, ten times openpyxl's speed: a 30,000-row export in seconds rather than
    minutes), under the limits of :func:`read_xlsx`: the archive inflated and checked first,
    every sheet's extent too (:func:`_check_sheet_extent`), then each row and cell."""
    deadline = Deadline(filename, limits)
    check_file_size(len(raw), filename, limits)
    _check_workbook_archive(raw, filename, limits, deadline, sheet_extents=True)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except Exception:  # calamine raises its own kinds for a file that is not a workbook
        raise _not_a_workbook(filename) from None
    sheets: dict[str, list[list[str]]] = {}
    try:
        for title in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(title)
            if sheet.height > limits.rows or sheet.width > limits.columns + 1:
                raise _refuse(
                    title,
                    _(
                        "The sheet declares %(rows)s rows and %(columns)s columns; at most "
                        "%(max_rows)s rows and %(max_columns)s columns are read."
                    )
                    % {
                        "rows": sheet.height,
                        "columns": sheet.width,
                        "max_rows": limits.rows,
                        "max_columns": limits.columns,
                    },
                )
            lines = (
                [cell_text(value) for value in row[: limits.columns + 1]]
                for row in sheet.to_python(skip_empty_area=False)
            )
            sheets[title] = list(_checked_lines(lines, title, limits, deadline))
    except TableError:
        raise
    except Exception:  # a damaged sheet makes calamine raise while reading
        raise _not_a_workbook(filename) from None
    finally:
        workbook.close()
    return sheets


def _xlsx_lines(worksheet: Any, filename: str, limits: UploadLimits) -> Iterator[list[str]]:
    # The dimension a sheet declares is checked, then forgotten: openpyxl pads every row up to
    # it, and a sheet may also hold cells beyond it. Rows are then padded only to their own
    # last cell, and every row read (the empty ones openpyxl fills gaps with included) is
    # counted by ``rows_from``.
    declared_rows, declared_columns = worksheet.max_row or 0, worksheet.max_column or 0
    if declared_rows > limits.rows or declared_columns > limits.columns:
        raise _refuse(
            worksheet.title,
            _(
                "The sheet declares %(rows)s rows and %(columns)s columns; at most %(max_rows)s "
                "rows and %(max_columns)s columns are read."
            )
            % {
                "rows": declared_rows,
                "columns": declared_columns,
                "max_rows": limits.rows,
                "max_columns": limits.columns,
            },
        )
    worksheet.reset_dimensions()
    for values in worksheet.iter_rows(values_only=True):
        # A row wider than the limit is cut one past it: rows_from then names that column.
        yield [_cell_text(v) for v in values[: limits.columns + 1]]


# --- rows ---------------------------------------------------------------------------------------


def _column_name(position: int) -> str:
    return _("column %(position)s") % {"position": position}


def rows_from(
    lines: Iterable[Sequence[Any]],
    sheet: str,
    known: list[str],
    required: set[str],
    *,
    limits: UploadLimits = LIMITS,
    deadline: Deadline | None = None,
) -> Sheet:
    """Rows under a header of ``known`` columns, each checked against ``limits`` as it is read."""
    deadline = deadline or Deadline(sheet, limits)
    checked = _checked_lines(lines, sheet, limits, deadline)
    header = [h.strip().lower() for h in next(checked, [])]
    problems: list[RowProblem] = []
    for position, name in enumerate(header, start=1):
        if name and name not in known:
            problems.append(
                RowProblem(
                    sheet,
                    1,
                    name,
                    _("Unknown column (column %(position)s); expected: %(known)s")
                    % {"position": position, "known": ", ".join(known)},
                )
            )
    for name in sorted(required - set(header)):
        problems.append(RowProblem(sheet, 1, name, _("This required column is missing.")))
    if problems:
        raise TableError(problems)
    rows: Sheet = []
    for number, values in enumerate(checked, start=2):
        if not any(v.strip() for v in values):
            continue
        rows.append(
            (number, {h: _unquote(v.strip()) for h, v in zip(header, values, strict=False) if h})
        )
    return rows


def _checked_lines(
    lines: Iterable[Sequence[Any]], sheet: str, limits: UploadLimits, deadline: Deadline
) -> Iterator[list[str]]:
    for number, values in enumerate(lines, start=1):
        if number > limits.rows:
            raise _refuse(
                sheet,
                _("Too many rows (at most %(max)s a sheet, empty rows included).")
                % {"max": limits.rows},
                number,
            )
        if number % 256 == 0:
            deadline.check(sheet, number)
        if len(values) > limits.columns:
            raise _refuse(
                sheet,
                _("Too many columns (at most %(max)s).") % {"max": limits.columns},
                number,
                _column_name(limits.columns + 1),
            )
        texts = [str(v) for v in values]
        for position, text in enumerate(texts, start=1):
            if len(text) > limits.cell_chars:
                raise _refuse(
                    sheet,
                    _("The cell is longer than %(count)s characters.")
                    % {"count": limits.cell_chars},
                    number,
                    _column_name(position),
                )
            if "\x00" in text:
                raise _refuse(
                    sheet,
                    _("The cell holds a NUL character; this is not a text table."),
                    number,
                    _column_name(position),
                )
        yield texts


# --- writing ------------------------------------------------------------------------------------


def _export_value(value: Any) -> Any:
    if isinstance(value, str):
        return spreadsheet_text(value)
    if value is None or isinstance(value, bool | int | float | Decimal | datetime.date):
        return value
    return spreadsheet_text(str(value))


def write_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file (UTF-8 with a BOM, so that Excel reads it as such) whose cells are text."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [_export_value(value) for value in row] for row in rows
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(sheets: Mapping[str, Iterable[Sequence[Any]]]) -> bytes:
    """A workbook of one sheet per entry; text is written as text, never as a formula."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name[:31])
        for row in rows:
            # After spreadsheet_text no text begins with "=", so openpyxl stores every text as
            # a string cell; the control characters XML cannot hold are replaced.
            values = [_export_value(value) for value in row]
            sheet.append(
                [
                    ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v
                    for v in values
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
