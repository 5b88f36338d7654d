"""The shape of an incident, defined once: its fields, what each is, where each goes, and the
commodity kinds a seized item is coded in.

Every place an incident is written or read field by field takes its list from here: the record
and edit forms, :func:`liaison.exchange.services.do_update_incident` (what an edit may change),
the CSV/XLSX export (its columns, in order), the seizure import (the columns it accepts and
requires), the API (the fields of its incident schemas) and the partner formats (STIX, MISP).
A field a use leaves out is left out here, in :attr:`IncidentField.uses`, where the next reader
sees it beside the others.

Labels are the model fields' own (``verbose_name``); the crime areas a part of the form belongs
to are :mod:`liaison.exchange.sections`'. Nominal data (people's names, documents, vehicles,
telephones) is never a field of the incident: it lives apart, in nominal entries
(:data:`NOMINAL_FIELDS`), and no export carries it.

This module imports no model of the exchange (the models read the commodity kinds from it);
what it needs of them it looks up when asked.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from liaison.exchange.sections import SECTION_AREAS, IncidentSection
from liaison.reference.models import (
    CrimeArea,
    DrugType,
    OzoneSubstance,
    Precursor,
    ReferenceEntry,
    Species,
    TimberSpecies,
    WasteCategory,
)

if TYPE_CHECKING:
    from django.db.models import Field, Model, QuerySet

# --- commodity kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CommodityKind:
    """One reference vocabulary a seized item can be coded in."""

    key: str  # how a posted or imported code names it: "species:manis-javanica"
    field: str  # the SeizureItem field the item is coded in (the API's ``commodity_kind``)
    vocabulary: type[ReferenceEntry]
    title: Promise  # the heading the pickers and lists show its entries under

    def entries(self) -> QuerySet[ReferenceEntry]:
        return self.vocabulary._default_manager.all()


COMMODITY_KINDS: tuple[CommodityKind, ...] = (
    CommodityKind("drug", "drug_type", DrugType, _("Drugs")),
    CommodityKind("precursor", "precursor", Precursor, _("Precursor chemicals")),
    CommodityKind("ods", "ozone_substance", OzoneSubstance, _("Ozone depleting substances")),
    CommodityKind("waste", "waste_category", WasteCategory, _("Hazardous wastes")),
    CommodityKind("species", "species", Species, _("Wildlife (CITES species)")),
    CommodityKind("timber", "timber_species", TimberSpecies, _("Timber")),
)
COMMODITY_FIELDS: tuple[str, ...] = tuple(kind.field for kind in COMMODITY_KINDS)
"""The SeizureItem fields a commodity is coded in: exactly one of them is set."""

_KINDS_BY_KEY = {kind.key: kind for kind in COMMODITY_KINDS}


def commodity_kind(key: str) -> CommodityKind | None:
    """The kind a code's prefix names (``"species"``), or None."""
    return _KINDS_BY_KEY.get(key)


def commodity_field_of(item: Any) -> str:
    """The field a seized item is coded in ("" if none is set)."""
    return next((name for name in COMMODITY_FIELDS if getattr(item, name) is not None), "")


# --- the incident's fields ----------------------------------------------------------------------


class FieldKind(enum.StrEnum):
    """What a field holds, which says how each use writes and reads it."""

    REFERENCE = "reference"  # the record's reference
    MOMENT = "moment"  # a date and time
    POST = "post"  # the BLO, by its code
    POST_COUNTRY = "post_country"  # the BLO's country, by its code (set from the BLO)
    CROSSING = "crossing"  # a crossing of the BLO, by its code
    COORDINATE = "coordinate"  # a latitude or longitude
    CHOICE = "choice"  # one value of the model field's choices
    COUNTRY = "country"  # an ISO 3166 code
    COUNTRIES = "countries"  # ISO 3166 codes
    TEXT = "text"
    LANGUAGE = "language"  # the language of a text
    AGENCIES = "agencies"  # agencies of the country
    GROUP = "group"  # a sharing group
    PART = "part"  # a part of the incident with rows of its own (seized items, head counts)


class Use(enum.StrEnum):
    FORM = "form"  # the record form
    EDIT = "edit"  # the edit form, and what do_update_incident may change
    EXPORT = "export"  # a column of the CSV/XLSX export
    IMPORT = "import"  # a column of the seizure import
    API_LIST = "api_list"  # every incident the API answers with
    API_DETAIL = "api_detail"  # the API's detail of one incident (with the list's fields)
    API_IN = "api_in"  # what the API's create accepts
    PARTNER = "partner"  # an x_liaison_* property of the STIX incident


@dataclass(frozen=True)
class IncidentField:
    name: str  # the model's field (or the part's related name)
    kind: FieldKind
    uses: frozenset[Use]
    column: str = ""  # its column in the export and the import, when not its name
    section: IncidentSection | None = None  # the part of the form it belongs to, if any
    required: bool = False  # a row of the import without it is refused
    nominal: bool = False  # identifies a person (never exported)
    model: str = "Incident"

    @property
    def column_name(self) -> str:
        return self.column or self.name

    @property
    def areas(self) -> frozenset[str]:
        """The crime areas whose incidents show it."""
        if self.section is None:
            return frozenset(CrimeArea.values)
        return SECTION_AREAS[self.section]

    def model_field(self) -> Field[Any, Any]:
        model: type[Model] = apps.get_model("exchange", self.model)
        return model._meta.get_field(self.name)  # type: ignore[return-value]

    @property
    def label(self) -> str:
        if self.kind is FieldKind.PART and self.section is not None:
            return str(self.section.label)
        return str(self.model_field().verbose_name)

    def choices(self) -> list[tuple[str, str]]:
        """The values a CHOICE field takes, with their labels."""
        return [(str(value), str(label)) for value, label in self.model_field().choices or []]

    def default(self) -> Any:
        """What a use that may omit it takes: the model's default, or nothing."""
        model_field = self.model_field()
        if not model_field.has_default():
            return ""
        value = model_field.get_default()
        return str(value) if isinstance(value, str) else value  # a choice's value, not its member


def _uses(*uses: Use) -> frozenset[Use]:
    return frozenset(uses)


_RECORDED = (Use.FORM, Use.EDIT)
_EVERYWHERE = (Use.FORM, Use.EDIT, Use.EXPORT, Use.IMPORT, Use.API_IN, Use.PARTNER)

INCIDENT_FIELDS: tuple[IncidentField, ...] = (
    IncidentField("reference", FieldKind.REFERENCE, _uses(Use.EXPORT, Use.API_LIST, Use.PARTNER)),
    IncidentField(
        "occurred_at",
        FieldKind.MOMENT,
        _uses(*_EVERYWHERE, Use.API_LIST),
        required=True,
    ),
    IncidentField(
        "blo", FieldKind.POST, _uses(Use.FORM, Use.EXPORT, Use.API_LIST, Use.API_IN, Use.PARTNER)
    ),
    IncidentField("country", FieldKind.POST_COUNTRY, _uses(Use.EXPORT, Use.API_LIST, Use.PARTNER)),
    IncidentField("crossing", FieldKind.CROSSING, _uses(*_RECORDED, Use.EXPORT, Use.IMPORT)),
    IncidentField("latitude", FieldKind.COORDINATE, _uses(*_RECORDED)),
    IncidentField("longitude", FieldKind.COORDINATE, _uses(*_RECORDED)),
    IncidentField(
        "location_kind",
        FieldKind.CHOICE,
        _uses(*_EVERYWHERE, Use.API_LIST),
        column="location",
        required=True,
    ),
    IncidentField("direction", FieldKind.CHOICE, _uses(*_EVERYWHERE, Use.API_LIST), required=True),
    IncidentField("crime_area", FieldKind.CHOICE, _uses(*_EVERYWHERE, Use.API_LIST), required=True),
    IncidentField("detection_method", FieldKind.CHOICE, _uses(*_EVERYWHERE, Use.API_DETAIL)),
    IncidentField("concealment_method", FieldKind.CHOICE, _uses(*_EVERYWHERE, Use.API_DETAIL)),
    IncidentField("conveyance", FieldKind.CHOICE, _uses(*_EVERYWHERE, Use.API_DETAIL)),
    IncidentField("origin_country", FieldKind.COUNTRY, _uses(*_EVERYWHERE, Use.API_DETAIL)),
    IncidentField(
        "transit_countries", FieldKind.COUNTRIES, _uses(*_RECORDED, Use.EXPORT, Use.PARTNER)
    ),
    IncidentField("destination_country", FieldKind.COUNTRY, _uses(*_EVERYWHERE, Use.API_DETAIL)),
    IncidentField(
        "items", FieldKind.PART, _uses(Use.EXPORT, Use.IMPORT), section=IncidentSection.ITEMS
    ),
    IncidentField("people", FieldKind.PART, _uses(Use.EXPORT), section=IncidentSection.PEOPLE),
    IncidentField("agencies_involved", FieldKind.AGENCIES, _uses(Use.FORM)),
    IncidentField(
        "summary", FieldKind.TEXT, _uses(*_RECORDED, Use.IMPORT, Use.API_DETAIL, Use.API_IN)
    ),
    IncidentField(
        "summary_language", FieldKind.LANGUAGE, _uses(*_RECORDED, Use.API_DETAIL, Use.API_IN)
    ),
    IncidentField(
        "distribution",
        FieldKind.CHOICE,
        _uses(Use.FORM, Use.EXPORT, Use.IMPORT, Use.API_LIST, Use.API_IN, Use.PARTNER),
    ),
    IncidentField(
        "tlp", FieldKind.CHOICE, _uses(Use.FORM, Use.EXPORT, Use.IMPORT, Use.API_LIST, Use.API_IN)
    ),
    IncidentField("group", FieldKind.GROUP, _uses(Use.FORM)),
)
"""In the order of the export's and the import's columns."""

SEIZED_ITEM_FIELDS: tuple[IncidentField, ...] = tuple(
    IncidentField(
        name,
        kind,
        _uses(Use.IMPORT),
        section=IncidentSection.ITEMS,
        required=required,
        model="SeizureItem",
    )
    for name, kind, required in (
        ("commodity", FieldKind.CHOICE, True),
        ("quantity", FieldKind.TEXT, True),
        ("unit", FieldKind.CHOICE, True),
        ("description", FieldKind.TEXT, False),
    )
)
"""The import's columns of one seized item, in place of the incident's ``items``. ``commodity``
is a code of one of the :data:`COMMODITY_KINDS` (``species:manis-javanica``). The item's form
(``SeizureItemForm``) and the API's ``ItemIn``/``ItemOut`` declare their own few fields: they
resolve the commodity through :func:`commodity_kind` and answer its field as the kind."""

NOMINAL_FIELDS: tuple[IncidentField, ...] = tuple(
    IncidentField(name, kind, _uses(*uses), nominal=True, model="NominalEntry")
    for name, kind, uses in (
        ("kind", FieldKind.CHOICE, (Use.FORM, Use.API_DETAIL)),
        ("role", FieldKind.CHOICE, (Use.FORM, Use.API_DETAIL)),
        ("name", FieldKind.TEXT, (Use.FORM, Use.API_DETAIL)),
        ("identifier", FieldKind.TEXT, (Use.FORM, Use.API_DETAIL)),
        ("nationality", FieldKind.COUNTRY, (Use.FORM, Use.API_DETAIL)),
        ("date_of_birth", FieldKind.TEXT, (Use.FORM,)),
        ("details", FieldKind.TEXT, (Use.FORM,)),
        ("distribution", FieldKind.CHOICE, (Use.FORM,)),
    )
)
"""A nominal entry's fields: read by those its own distribution admits, never exported."""


def fields_for(use: Use, fields: Iterable[IncidentField] = INCIDENT_FIELDS) -> list[IncidentField]:
    return [f for f in fields if use in f.uses]


def names_for(use: Use, fields: Iterable[IncidentField] = INCIDENT_FIELDS) -> list[str]:
    return [f.name for f in fields_for(use, fields)]


def export_columns() -> list[str]:
    """The CSV/XLSX export's header."""
    return [f.column_name for f in fields_for(Use.EXPORT)]


def import_columns() -> list[str]:
    """The columns the seizure import accepts: the case a row belongs to, the incident's, and
    in place of its seized items one item's."""
    columns = ["case"]
    for f in fields_for(Use.IMPORT):
        if f.kind is FieldKind.PART:
            columns += [item.column_name for item in fields_for(Use.IMPORT, SEIZED_ITEM_FIELDS)]
        else:
            columns.append(f.column_name)
    return columns


def import_required() -> set[str]:
    return {
        f.column_name
        for f in (*fields_for(Use.IMPORT), *fields_for(Use.IMPORT, SEIZED_ITEM_FIELDS))
        if f.required
    }
