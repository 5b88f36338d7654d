"""Reading the spreadsheets people bring: CSV (UTF-8 with or without BOM, UTF-16, any of
``, ; tab``) and XLSX workbooks, into rows numbered as the user sees them.

Both the registry import and the seizure import read through here, so a file is understood, and
refused, the same way everywhere: with the file, sheet, row and column of every problem.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import openpyxl
from django.utils.translation import gettext as _

Row = dict[str, str]
Sheet = list[tuple[int, Row]]  # (row number as the user sees it, values by column)
MAX_ROWS = 20000


@dataclass(frozen=True)
class RowProblem:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
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


def decode_text(raw: bytes, filename: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            [
                RowProblem(
                    filename,
                    0,
                    "",
                    _(
                        "The file is not UTF-8 text (byte %(position)s). Save it as "
                        "“CSV UTF-8” and try again."
                    )
                    % {"position": exc.start},
                )
            ]
        ) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_csv(raw: bytes, filename: str, sheet: str, known: list[str], required: set[str]) -> Sheet:
    text = decode_text(raw, filename)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return rows_from(csv.reader(io.StringIO(text), dialect), sheet, known, required)


def read_xlsx(
    raw: bytes, filename: str, layouts: Mapping[str, tuple[list[str], set[str]]]
) -> dict[str, Sheet]:
    """Read the sheets named in ``layouts`` (sheet name → (known columns, required columns)).

    A layout named ``*`` reads the first sheet whatever its name.
    """
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise TableError(
            [RowProblem(filename, 0, "", _("This is not a readable .xlsx workbook."))]
        ) from None
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
            values = ([_cell(c) for c in row] for row in worksheet.iter_rows(values_only=True))
            sheets[layout_name] = rows_from(values, worksheet.title, known, required)
    finally:
        workbook.close()
    if not sheets:
        raise TableError(
            [
                RowProblem(
                    filename,
                    0,
                    "",
                    _("No sheet is named after a table of this import (%(names)s).")
                    % {"names": ", ".join(n for n in layouts if n != "*")},
                )
            ]
        )
    return sheets


def rows_from(
    lines: Iterable[list[str]], sheet: str, known: list[str], required: set[str]
) -> Sheet:
    iterator = iter(lines)
    header = [h.strip().lower() for h in next(iterator, [])]
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
    for number, values in enumerate(iterator, start=2):
        if not any(str(v).strip() for v in values):
            continue
        rows.append(
            (number, {h: str(v).strip() for h, v in zip(header, values, strict=False) if h})
        )
        if len(rows) > MAX_ROWS:
            raise TableError(
                [
                    RowProblem(
                        sheet,
                        number,
                        "",
                        _("Too many rows (at most %(max)s a sheet).") % {"max": MAX_ROWS},
                    )
                ]
            )
    return rows
