"""Registry import and export as CSV and XLSX.

One layout serves both directions, so an exported workbook can be edited and imported back. An
import is all-or-nothing: every row is checked (values, references, permission), and one bad row
rejects the whole file with the sheet, row, column and reason of every problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry.models import (
    BLO,
    Agency,
    AgencyKind,
    Cluster,
    Country,
    Crossing,
    CrossingKind,
    Province,
    User,
)
from liaison.registry.permissions import Action, can, visible
from liaison.tabular import (
    RowProblem,
    Sheet,
    TableError,
    read_csv,
    read_xlsx,
    write_csv,
    write_xlsx,
)

Row = dict[str, str]

SHEETS: dict[str, list[str]] = {
    "countries": ["code", "name_en", "name_local", "language"],
    "provinces": ["code", "country", "name_en", "name_local"],
    "clusters": ["code", "country", "name_en", "name_local"],
    "agencies": ["code", "country", "kind", "abbreviation", "name_en", "name_local"],
    "blos": [
        "code",
        "country",
        "province",
        "cluster",
        "name_en",
        "name_local",
        "latitude",
        "longitude",
        "agencies",
        "counterparts",
        "active",
        "notes",
    ],
    "crossings": ["code", "blo", "kind", "name_en", "name_local", "latitude", "longitude"],
}
REQUIRED: dict[str, set[str]] = {
    "countries": {"code", "name_en", "language"},
    "provinces": {"code", "country", "name_en"},
    "clusters": {"code", "country", "name_en"},
    "agencies": {"code", "country", "kind", "name_en"},
    "blos": {"code", "country", "name_en"},
    "crossings": {"code", "blo", "kind", "name_en"},
}


class RegistryImportError(TableError):
    """A registry file refused whole."""


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def total(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


LAYOUTS = {name: (columns, REQUIRED[name]) for name, columns in SHEETS.items()}


def _as_registry_error(exc: TableError) -> RegistryImportError:
    return RegistryImportError(exc.problems)


def read_upload(raw: bytes, filename: str) -> dict[str, Sheet]:
    try:
        return _read_upload(raw, filename)
    except RegistryImportError:
        raise
    except TableError as exc:
        raise _as_registry_error(exc) from None


def _read_upload(raw: bytes, filename: str) -> dict[str, Sheet]:
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return read_xlsx(raw, filename, LAYOUTS)
    if lower.endswith(".csv"):
        stem = lower.rsplit("/", 1)[-1].removesuffix(".csv")
        if stem not in SHEETS:
            raise RegistryImportError(
                [
                    RowProblem(
                        filename,
                        0,
                        "",
                        _("Name the CSV file after the table it holds: %(names)s.")
                        % {"names": ", ".join(f"{n}.csv" for n in SHEETS)},
                    )
                ]
            )
        return {stem: read_csv(raw, filename, stem, SHEETS[stem], REQUIRED[stem])}
    raise RegistryImportError(
        [RowProblem(filename, 0, "", _("Upload an .xlsx workbook or a .csv file."))]
    )


# --- applying rows ------------------------------------------------------------------------------


class _Importer:
    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.problems: list[RowProblem] = []
        self.summary = ImportSummary()

    def problem(self, sheet: str, row: int, column: str, message: str) -> None:
        self.problems.append(RowProblem(sheet, row, column, message))

    def lookup(
        self, model: type[models.Model], sheet: str, row: int, column: str, code: str
    ) -> Any:
        if not code:
            return None
        found = model._default_manager.filter(code=code).first()
        if found is None:
            self.problem(
                sheet,
                row,
                column,
                _("No %(what)s with code “%(code)s”.")
                % {
                    "what": model._meta.verbose_name,
                    "code": code,
                },
            )
        return found

    def decimal(self, sheet: str, row: int, column: str, value: str) -> Decimal | None:
        if not value:
            return None
        try:
            return Decimal(value.replace(",", "."))
        except InvalidOperation:
            self.problem(sheet, row, column, _("“%(value)s” is not a number.") % {"value": value})
            return None

    def choice(
        self, sheet: str, row: int, column: str, value: str, choices: type[models.TextChoices]
    ) -> str:
        if value in choices.values:
            return value
        self.problem(
            sheet,
            row,
            column,
            _("“%(value)s” is not one of: %(allowed)s")
            % {"value": value, "allowed": ", ".join(choices.values)},
        )
        return value

    def save(self, sheet: str, row: int, obj: models.Model, exists: bool) -> bool:
        if not can(self.actor, Action.CHANGE if exists else Action.CREATE, obj):
            self.problem(sheet, row, "code", _("You may not create or change this record."))
            return False
        try:
            obj.full_clean(validate_unique=False)
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                for message in messages:
                    self.problem(sheet, row, column if column != "__all__" else "", message)
            return False
        obj.save()
        counter = self.summary.updated if exists else self.summary.created
        counter[sheet] = counter.get(sheet, 0) + 1
        return True

    def upsert(
        self,
        sheet: str,
        rows: Sheet,
        model: type[models.Model],
        fill: Callable[[int, Row, Any], None],
    ) -> Iterator[tuple[int, Row, Any]]:
        seen: set[str] = set()
        for number, row in rows:
            code = row.get("code", "")
            if code in seen:
                self.problem(sheet, number, "code", _("This code appears twice in the file."))
                continue
            seen.add(code)
            existing = model._default_manager.filter(code=code).first() if code else None
            obj = existing or model(code=code)
            before = len(self.problems)
            fill(number, row, obj)
            if len(self.problems) > before:
                continue  # the row's own values are wrong; its save would only repeat them
            if self.save(sheet, number, obj, exists=existing is not None):
                yield number, row, obj

    def run(self, sheets: dict[str, Sheet]) -> None:
        def country_fill(sheet: str) -> Callable[[int, Row, Any], None]:
            def fill(number: int, row: Row, obj: Any) -> None:
                obj.name_en = row.get("name_en", "")
                obj.name_local = row.get("name_local", "")
                if sheet == "countries":
                    obj.language = row.get("language", "")
                    return
                obj.country = self.lookup(Country, sheet, number, "country", row.get("country", ""))
                if sheet == "agencies":
                    obj.kind = self.choice(sheet, number, "kind", row.get("kind", ""), AgencyKind)
                    obj.abbreviation = row.get("abbreviation", "")

            return fill

        for sheet, model in (
            ("countries", Country),
            ("provinces", Province),
            ("clusters", Cluster),
            ("agencies", Agency),
        ):
            if sheet in sheets:
                list(self.upsert(sheet, sheets[sheet], model, country_fill(sheet)))

        def blo_fill(number: int, row: Row, obj: Any) -> None:
            obj.name_en = row.get("name_en", "")
            obj.name_local = row.get("name_local", "")
            obj.country = self.lookup(Country, "blos", number, "country", row.get("country", ""))
            obj.province = self.lookup(
                Province, "blos", number, "province", row.get("province", "")
            )
            obj.cluster = self.lookup(Cluster, "blos", number, "cluster", row.get("cluster", ""))
            obj.latitude = self.decimal("blos", number, "latitude", row.get("latitude", ""))
            obj.longitude = self.decimal("blos", number, "longitude", row.get("longitude", ""))
            obj.notes = row.get("notes", "")
            active = row.get("active", "").lower()
            obj.active = active not in {"0", "false", "no", "n"}

        saved_blos = list(self.upsert("blos", sheets.get("blos", []), BLO, blo_fill))
        # Counterparts may name BLOs further down the same sheet, so pair them after all are
        # saved. Pairing is symmetric: a BLO's counterparts are those its row names and those
        # whose rows name it.
        listed: dict[int, set[BLO]] = {}
        for number, row, blo in saved_blos:
            agencies = [
                self.lookup(Agency, "blos", number, "agencies", code)
                for code in _codes(row.get("agencies", ""))
            ]
            blo.agencies.set([a for a in agencies if a is not None])
            if "counterparts" not in row:
                continue
            listed.setdefault(blo.pk, set())
            for code in _codes(row["counterparts"]):
                pair = self.lookup(BLO, "blos", number, "counterparts", code)
                if pair is None:
                    continue
                if pair.country_id == blo.country_id:
                    self.problem(
                        "blos",
                        number,
                        "counterparts",
                        _("%(code)s is in the same country; a counterpart is across the border.")
                        % {"code": pair.code},
                    )
                    continue
                listed[blo.pk].add(pair)
                listed.setdefault(pair.pk, set()).add(blo)
        for _number, _row, blo in saved_blos:
            if blo.pk in listed:
                blo.counterparts.set(listed[blo.pk])

        def crossing_fill(number: int, row: Row, obj: Any) -> None:
            obj.name_en = row.get("name_en", "")
            obj.name_local = row.get("name_local", "")
            obj.blo = self.lookup(BLO, "crossings", number, "blo", row.get("blo", ""))
            obj.kind = self.choice("crossings", number, "kind", row.get("kind", ""), CrossingKind)
            obj.latitude = self.decimal("crossings", number, "latitude", row.get("latitude", ""))
            obj.longitude = self.decimal("crossings", number, "longitude", row.get("longitude", ""))

        list(self.upsert("crossings", sheets.get("crossings", []), Crossing, crossing_fill))


def _codes(value: str) -> list[str]:
    return [c for c in value.replace(";", " ").replace(",", " ").split() if c]


def import_registry(sheets: dict[str, Sheet], *, actor: User) -> ImportSummary:
    """Apply parsed sheets in one transaction; any problem rolls everything back."""
    importer = _Importer(actor)
    with transaction.atomic():
        importer.run(sheets)
        if importer.problems:
            transaction.set_rollback(True)
            raise RegistryImportError(importer.problems)
        record(
            actor=actor,
            action=AuditAction.IMPORT,
            object_type="registry",
            summary=_("Registry import: %(count)s records") % {"count": importer.summary.total()},
            changes={"created": importer.summary.created, "updated": importer.summary.updated},
        )
    return importer.summary


# --- export -------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def export_rows(user: User) -> dict[str, list[list[str]]]:
    """Every registry row ``user`` may see, in the import layout."""
    tables: dict[str, list[list[str]]] = {name: [columns] for name, columns in SHEETS.items()}
    for country in visible(user, Country):
        tables["countries"].append(
            [country.code, country.name_en, country.name_local, country.language]
        )
    for province in visible(user, Province).select_related("country"):
        tables["provinces"].append(
            [province.code, province.country.code, province.name_en, province.name_local]
        )
    for cluster in visible(user, Cluster).select_related("country"):
        tables["clusters"].append(
            [cluster.code, cluster.country.code, cluster.name_en, cluster.name_local]
        )
    for agency in visible(user, Agency).select_related("country").distinct():
        tables["agencies"].append(
            [
                agency.code,
                agency.country.code,
                agency.kind,
                agency.abbreviation,
                agency.name_en,
                agency.name_local,
            ]
        )
    blos = (
        visible(user, BLO)
        .select_related("country", "province", "cluster")
        .prefetch_related("agencies", "counterparts")
    )
    for blo in blos:
        tables["blos"].append(
            [
                blo.code,
                blo.country.code,
                blo.province.code if blo.province else "",
                blo.cluster.code if blo.cluster else "",
                blo.name_en,
                blo.name_local,
                _fmt(blo.latitude),
                _fmt(blo.longitude),
                " ".join(sorted(a.code for a in blo.agencies.all())),
                " ".join(sorted(c.code for c in blo.counterparts.all())),
                _fmt(blo.active),
                blo.notes,
            ]
        )
    for crossing in visible(user, Crossing).select_related("blo"):
        tables["crossings"].append(
            [
                crossing.code,
                crossing.blo.code,
                crossing.kind,
                crossing.name_en,
                crossing.name_local,
                _fmt(crossing.latitude),
                _fmt(crossing.longitude),
            ]
        )
    return tables


def export_xlsx(user: User) -> bytes:
    return write_xlsx(export_rows(user))


def export_csv(user: User, table: str) -> bytes:
    return write_csv(export_rows(user)[table])
