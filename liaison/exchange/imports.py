"""Bulk import of seizures from a spreadsheet (e.g. a province's monthly table).

One row is one seized commodity; rows that share a ``case`` value are one incident. The import is
all-or-nothing: every row is checked against the vocabularies and the incident rules, and a file
with any bad row is refused whole with the row, column and reason of each problem. The checks run
outside any transaction; only a file that passes them all is written, in short transactions whose
rows stay invisible until a last one publishes them all (see
:func:`liaison.exchange.services.do_record_checked_incidents`), so nobody else's write waits on an
import for longer than an ordinary save, and nobody sees half an import.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from liaison.exchange.models import (
    ConcealmentMethod,
    Conveyance,
    DetectionMethod,
    ImportStatus,
    Incident,
    SeizureImport,
)
from liaison.exchange.services import (
    IncidentParts,
    check_new_incident,
    do_record_checked_incidents,
)
from liaison.exchange.shape import (
    COMMODITY_KINDS,
    FieldKind,
    Use,
    commodity_kind,
    fields_for,
    import_columns,
    import_required,
)
from liaison.reference.models import Unit
from liaison.registry.models import BLO, Crossing, User
from liaison.tabular import RowProblem, Sheet, TableError, read_csv, read_xlsx

COLUMNS = import_columns()
REQUIRED = import_required()
DEFAULTS: dict[str, str] = {
    "detection_method": DetectionMethod.ROUTINE_INSPECTION,
    "concealment_method": ConcealmentMethod.OTHER,
    "conveyance": Conveyance.ON_FOOT,
}
"""What a row that leaves one of these empty is taken to say (a province's table often has no
such column); the others' defaults are the model's."""
SHEET = "seizures"
EARLIEST_YEAR = 1950
"""A seizure dated before this is a typing mistake (and years near 1 do not survive time zones)."""
PROGRESS_EVERY = 250
"""Rows checked between two progress reports."""
Progress = Callable[[int, int], None]
"""Told (rows checked, rows in the file) while a file is checked."""
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%dT%H:%M")


@dataclass
class SeizureImportResult:
    incidents: list[Incident]

    @property
    def count(self) -> int:
        return len(self.incidents)


def read_seizure_file(raw: bytes, filename: str) -> Sheet:
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return read_xlsx(
            raw, filename, {SHEET: (COLUMNS, REQUIRED), "*": (COLUMNS, REQUIRED)}
        ).popitem()[1]
    if lower.endswith(".csv"):
        return read_csv(raw, filename, filename.rsplit("/", 1)[-1], COLUMNS, REQUIRED)
    raise TableError([RowProblem(filename, 0, "", _("Upload an .xlsx workbook or a .csv file."))])


class _RowReader:
    def __init__(self, sheet: str, blo: BLO) -> None:
        self.sheet = sheet
        self.blo = blo
        self.problems: list[RowProblem] = []
        self.crossings = {c.code: c for c in Crossing.objects.filter(blo=blo)}
        self.commodities: dict[str, tuple[str, Any] | None] = {}

    def problem(self, row: int, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.sheet, row, column, message))

    def choice(
        self,
        row: int,
        column: str,
        value: str,
        choices: list[tuple[str, Any]],
        *,
        default: str = "",
    ) -> str:
        if not value and default:
            return default
        values = [v for v, _label in choices]
        if value in values:
            return str(value)
        # a value in another case (amber for AMBER), or a label in any case
        named = {str(v).lower(): v for v in values} | {
            str(label).lower(): v for v, label in choices
        }
        if value.lower() in named:
            return str(named[value.lower()])
        self.problem(
            row,
            column,
            _("“%(value)s” is not one of: %(allowed)s")
            % {"value": value, "allowed": ", ".join(values)},
        )
        return ""

    def when(self, row: int, value: str) -> datetime.datetime | None:
        for fmt in DATE_FORMATS:
            try:
                parsed = datetime.datetime.strptime(value, fmt)  # noqa: DTZ007 - made aware below
            except ValueError:
                continue
            if parsed.year < EARLIEST_YEAR:
                self.problem(
                    row,
                    "occurred_at",
                    _("“%(value)s” is before %(year)s; check the year.")
                    % {"value": value, "year": EARLIEST_YEAR},
                )
                return None
            aware = timezone.make_aware(parsed)
            if aware > timezone.now():
                self.problem(row, "occurred_at", _("The date and time cannot be in the future."))
                return None
            return aware
        self.problem(
            row,
            "occurred_at",
            _("“%(value)s” is not a date; write 2026-03-14 or 14/03/2026 (with 08:30 if known).")
            % {"value": value},
        )
        return None

    def country(self, row: int, column: str, value: str) -> str:
        if not value:
            return ""
        code = value.strip().upper()
        if code in dict(countries):
            return code
        by_name = countries.by_name(value.strip())
        if by_name:
            return str(by_name)
        self.problem(
            row,
            column,
            _("“%(value)s” is not a country code (ISO 3166, e.g. KH).") % {"value": value},
        )
        return ""

    def quantity(self, row: int, value: str) -> Decimal | None:
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            self.problem(row, "quantity", _("“%(value)s” is not a number.") % {"value": value})
            return None
        if not number.is_finite():
            self.problem(row, "quantity", _("“%(value)s” is not a number.") % {"value": value})
            return None
        if number < 0:
            self.problem(row, "quantity", _("A quantity cannot be negative."))
            return None
        return number

    def commodity(self, row: int, value: str) -> tuple[str, Any] | None:
        if value not in self.commodities:
            self.commodities[value] = self._commodity(value)
        found = self.commodities[value]
        if found is None:
            self.problem(
                row,
                "commodity",
                _(
                    "“%(value)s” is not in the reference vocabularies (use its code, e.g. species:manis-javanica)."
                )
                % {"value": value},
            )
        return found

    def _commodity(self, value: str) -> tuple[str, Any] | None:
        key, _sep, code = value.partition(":") if ":" in value else ("", "", value)
        candidates = [commodity_kind(key)] if key else list(COMMODITY_KINDS)
        for kind in candidates:
            if kind is None:
                continue
            entries = kind.entries()
            entry = entries.filter(code__iexact=code.strip()).first()
            if entry is None:
                entry = entries.filter(name_en__iexact=code.strip()).first()
            if entry is not None:
                return kind.field, entry
        return None


def stage_seizures(
    raw: bytes,
    filename: str,
    *,
    blo: BLO,
    actor: User,
    progress: Progress | None = None,
) -> list[tuple[Incident, IncidentParts]]:
    """Read and check every row of the file, and every incident it makes, writing nothing: the
    incidents ready for :func:`do_record_checked_incidents`, or TableError with every problem's
    sheet, row and column. Runs outside any transaction, so it holds no lock however long."""
    from liaison.exchange.models import SeizureItem

    rows = read_seizure_file(raw, filename)
    reader = _RowReader(filename.rsplit("/", 1)[-1], blo)
    cases: dict[str, tuple[Incident, IncidentParts, int]] = {}
    for done, (number, row) in enumerate(rows, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, len(rows))
        before = len(reader.problems)
        key = row.get("case") or f"row-{number}"
        occurred = reader.when(number, row.get("occurred_at", ""))
        crossing_code = row.get("crossing", "")
        crossing = reader.crossings.get(crossing_code) if crossing_code else None
        if crossing_code and crossing is None:
            reader.problem(
                number,
                "crossing",
                _("No crossing of this BLO has the code “%(code)s”.") % {"code": crossing_code},
            )
        values: dict[str, Any] = {}
        for field in fields_for(Use.IMPORT):
            column, value = field.column_name, row.get(field.column_name, "")
            match field.kind:
                case FieldKind.CHOICE:
                    values[field.name] = reader.choice(
                        number,
                        column,
                        value,
                        field.choices(),
                        default=DEFAULTS.get(field.name) or field.default(),
                    )
                case FieldKind.COUNTRY:
                    values[field.name] = reader.country(number, column, value)
                case FieldKind.TEXT:
                    values[field.name] = value
        incident = Incident(
            blo=blo,
            occurred_at=occurred or timezone.now(),  # a row without a date is refused above
            crossing=crossing,
            summary_language=actor.preferred_language or blo.country.language,
            **values,
        )
        quantity = reader.quantity(number, row.get("quantity", ""))
        unit = reader.choice(number, "unit", row.get("unit", ""), Unit.choices)
        commodity = reader.commodity(number, row.get("commodity", ""))
        if len(reader.problems) > before or commodity is None or quantity is None:
            continue
        item = SeizureItem(quantity=quantity, unit=unit, description=row.get("description", ""))
        setattr(item, commodity[0], commodity[1])
        try:
            item.full_clean(exclude=["incident"])
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                for message in messages:
                    reader.problem(number, column if column in COLUMNS else "commodity", message)
            continue
        if key in cases:
            cases[key][1].items.append(item)
        else:
            cases[key] = (incident, IncidentParts(items=[item]), number)
    if reader.problems:
        raise TableError(reader.problems)
    for incident, parts, number in cases.values():
        try:
            check_new_incident(incident, parts, actor=actor)
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                for message in messages:
                    reader.problem(number, column if column != "__all__" else "", message)
    if reader.problems:
        raise TableError(reader.problems)
    if progress is not None:
        progress(len(rows), len(rows))
    return [(incident, parts) for incident, parts, _number in cases.values()]


def import_seizures(
    raw: bytes,
    filename: str,
    *,
    blo: BLO,
    actor: User,
    job: SeizureImport | None = None,
    progress: Progress | None = None,
    written: Callable[[int], None] | None = None,
) -> SeizureImportResult:
    """Check every seizure in the file, then record them all, or none of them (TableError).

    The checks hold no lock; the rows are then written in short transactions, invisible until
    the last one publishes them (see :func:`do_record_checked_incidents`). ``job`` is the
    background import this runs for; without one (a command, a test) one is made for the batch.
    """
    staged = stage_seizures(raw, filename, blo=blo, actor=actor, progress=progress)
    if job is None:
        job = SeizureImport.objects.create(
            started_by=actor, blo=blo, filename=filename[:255], status=ImportStatus.WRITING
        )
        recorded = do_record_checked_incidents(staged, actor=actor, batch=job, written=written)
        SeizureImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.DONE, recorded=len(recorded), finished_at=timezone.now()
        )
    else:
        recorded = do_record_checked_incidents(staged, actor=actor, batch=job, written=written)
    return SeizureImportResult(incidents=recorded)
