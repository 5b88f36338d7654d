"""Registry import and export as CSV and XLSX.

One layout serves both directions, so an exported workbook can be edited and imported back. An
import is all-or-nothing: every row is checked (values, references, permission), and one bad row
rejects the whole file with the sheet, row, column and reason of every problem. Rows are written by
the same services as the pages (stored and new state authorised, one audit entry per row); the
counterparts column proposes and ends pairs, it never makes one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry import services
from liaison.registry.models import (
    BLO,
    Agency,
    AgencyKind,
    Cluster,
    CounterpartProposal,
    Country,
    Crossing,
    CrossingKind,
    PairingStatus,
    Province,
    User,
)
from liaison.registry.permissions import visible
from liaison.registry.services import MoveDenied
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
    pairs_proposed: int = 0
    pairs_ended: int = 0

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


def _problems_of(exc: ValidationError) -> list[tuple[str, str]]:
    """(column, message) pairs of a validation error, whether it names fields or not."""
    if hasattr(exc, "error_dict"):
        return [
            (column if column != "__all__" else "", message)
            for column, messages in exc.message_dict.items()
            for message in messages
        ]
    return [("", message) for message in exc.messages]


class _Importer:
    """Applies parsed sheets row by row through the registry's services, which check the stored
    row and the new one and write the audit entry of each row; collects every problem."""

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
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.problem(sheet, row, column, _("“%(value)s” is not a number.") % {"value": value})
            return None
        return number

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

    def attempt(self, sheet: str, row: int, column: str, write: Callable[[], object]) -> bool:
        """Run one service call in its own savepoint; a refusal becomes a problem of the row."""
        try:
            with transaction.atomic():
                write()
        except MoveDenied as exc:
            self.problem(sheet, row, exc.field, str(exc))
        except PermissionDenied as exc:
            self.problem(
                sheet, row, column, str(exc) or _("You may not create or change this record.")
            )
        except ValidationError as exc:
            for field_name, message in _problems_of(exc):
                self.problem(sheet, row, field_name or column, message)
        else:
            return True
        return False

    def upsert(
        self,
        sheet: str,
        rows: Sheet,
        model: type[models.Model],
        fill: Callable[[int, Row, Any], None],
        save: Callable[[int, Any], object],
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
            if self.attempt(sheet, number, "code", partial(save, number, obj)):
                counter = self.summary.updated if existing is not None else self.summary.created
                counter[sheet] = counter.get(sheet, 0) + 1
                yield number, row, obj

    def run(self, sheets: dict[str, Sheet]) -> None:
        actor = self.actor

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

        savers: dict[str, Callable[[int, Any], object]] = {
            "countries": lambda _n, obj: services.do_save_country(obj, actor=actor),
            "provinces": lambda _n, obj: services.do_save_province(obj, actor=actor),
            "clusters": lambda _n, obj: services.do_save_cluster(obj, actor=actor),
            "agencies": lambda _n, obj: services.do_save_agency(obj, actor=actor),
        }
        for sheet, model in (
            ("countries", Country),
            ("provinces", Province),
            ("clusters", Cluster),
            ("agencies", Agency),
        ):
            if sheet in sheets:
                list(self.upsert(sheet, sheets[sheet], model, country_fill(sheet), savers[sheet]))

        stationed: dict[int, list[Agency] | None] = {}

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
            if "agencies" in row:
                found = [
                    self.lookup(Agency, "blos", number, "agencies", code)
                    for code in _codes(row["agencies"])
                ]
                stationed[number] = [a for a in found if a is not None]
            else:
                stationed[number] = None  # no column: the stationed agencies stay as they are

        saved_blos = list(
            self.upsert(
                "blos",
                sheets.get("blos", []),
                BLO,
                blo_fill,
                lambda n, obj: services.do_save_blo(obj, agencies=stationed[n], actor=actor),
            )
        )
        self.pair(saved_blos)

        def crossing_fill(number: int, row: Row, obj: Any) -> None:
            obj.name_en = row.get("name_en", "")
            obj.name_local = row.get("name_local", "")
            obj.blo = self.lookup(BLO, "crossings", number, "blo", row.get("blo", ""))
            obj.kind = self.choice("crossings", number, "kind", row.get("kind", ""), CrossingKind)
            obj.latitude = self.decimal("crossings", number, "latitude", row.get("latitude", ""))
            obj.longitude = self.decimal("crossings", number, "longitude", row.get("longitude", ""))

        list(
            self.upsert(
                "crossings",
                sheets.get("crossings", []),
                Crossing,
                crossing_fill,
                lambda _n, obj: services.do_save_crossing(obj, actor=actor),
            )
        )

    def pair(self, saved_blos: list[tuple[int, Row, BLO]]) -> None:
        """The counterparts column proposes pairs and ends them; it never makes one.

        A pair is wanted when either BLO's row names the other (so a file needs to name it on
        one side only, as before). A BLO whose row has the column loses the pairs no row wants
        (ended, which either side may do alone); a wanted pair that does not stand yet is
        proposed from the row that names it, and stands once the other side accepts it.
        """
        rows_with_column = [(n, r, b) for n, r, b in saved_blos if "counterparts" in r]
        wanted: set[frozenset[int]] = set()
        named: list[tuple[int, BLO, BLO]] = []
        for number, row, blo in rows_with_column:
            for code in _codes(row["counterparts"]):
                other = self.lookup(BLO, "blos", number, "counterparts", code)
                if other is None:
                    continue
                wanted.add(frozenset((blo.pk, other.pk)))
                named.append((number, blo, other))
        for number, _row, blo in rows_with_column:
            for other in list(blo.counterparts.all()):
                if frozenset((blo.pk, other.pk)) not in wanted and self.attempt(
                    "blos",
                    number,
                    "counterparts",
                    partial(services.do_end_counterpart_pair, blo, other, actor=self.actor),
                ):
                    self.summary.pairs_ended += 1
        proposed: set[frozenset[int]] = set()
        for number, blo, other in named:
            key = frozenset((blo.pk, other.pk))
            if key in proposed or blo.counterparts.filter(pk=other.pk).exists():
                continue  # already standing, or proposed by an earlier row of this file
            if CounterpartProposal.objects.filter(
                Q(from_blo=blo, to_blo=other) | Q(from_blo=other, to_blo=blo),
                status=PairingStatus.PENDING,
            ).exists():
                continue  # already waiting for an answer
            proposed.add(key)
            if self.attempt(
                "blos",
                number,
                "counterparts",
                partial(services.do_propose_counterpart, blo, other, actor=self.actor),
            ):
                self.summary.pairs_proposed += 1


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
            changes={
                "created": importer.summary.created,
                "updated": importer.summary.updated,
                "pairs_proposed": importer.summary.pairs_proposed,
                "pairs_ended": importer.summary.pairs_ended,
            },
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
