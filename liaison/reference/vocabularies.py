"""The catalogue of vocabularies: which model, which data file, which fields a data entry carries.

The loader reads this to parse and validate the data files; the pages read it to list categories
and to show an entry's facts. Order matters: a vocabulary comes after those it refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from liaison.reference.models import (
    AnnexGroup,
    AuthorityRole,
    BaselList,
    CitesAppendix,
    CountryCode,
    CrimeArea,
    DrugCategory,
    DrugType,
    GlossaryTerm,
    HazardCharacteristic,
    LegalAuthority,
    MontrealAnnex,
    OzoneSubstance,
    Precursor,
    PrecursorTable,
    ReferenceEntry,
    Species,
    SpecimenPart,
    TaxonGroup,
    TimberSpecies,
    Unit,
    WasteCategory,
)


class FieldType(StrEnum):
    TEXT = "text"  # a plain string
    TEXTS = "texts"  # {language: text}, English and Vietnamese both required when given
    STRINGS = "strings"  # a list of strings
    CHOICE = "choice"  # one value of a TextChoices
    CHOICES = "choices"  # a list of values of a TextChoices
    BOOL = "bool"
    DECIMAL = "decimal"
    INT = "int"
    REF = "ref"  # the code of an entry of another vocabulary
    REFS = "refs"  # a list of such codes


@dataclass(frozen=True)
class DataField:
    name: str
    value_type: FieldType
    required: bool = False
    choices: type[models.TextChoices] | None = None
    target: type[ReferenceEntry] | None = None

    def choice_class(self) -> type[models.TextChoices]:
        if self.choices is None:
            raise TypeError(f"data field {self.name!r} has no choices")
        return self.choices

    def target_model(self) -> type[ReferenceEntry]:
        if self.target is None:
            raise TypeError(f"data field {self.name!r} refers to no vocabulary")
        return self.target


@dataclass(frozen=True)
class Vocabulary:
    kind: str
    model: type[ReferenceEntry]
    data_file: str
    title: Promise
    summary: Promise
    fields: tuple[DataField, ...] = field(default_factory=tuple)
    # The field an entry list groups by (the table, annex, appendix…), if any.
    group_by: str = ""
    # Species and goods (what is seized) come before the other lists in search results.
    searched_first: bool = False

    @property
    def m2m_fields(self) -> tuple[DataField, ...]:
        return tuple(f for f in self.fields if f.value_type == FieldType.REFS)


def _text(name: str, *, required: bool = False) -> DataField:
    return DataField(name, FieldType.TEXT, required)


def _texts(name: str) -> DataField:
    return DataField(name, FieldType.TEXTS)


def _choice(name: str, choices: type[models.TextChoices], *, required: bool = True) -> DataField:
    return DataField(name, FieldType.CHOICE, required, choices=choices)


VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary(
        kind=DrugType.kind,
        searched_first=True,
        model=DrugType,
        data_file="drugs.json",
        title=_("Drug types"),
        summary=_("Drugs as they are seized, with the units to count them in."),
        fields=(
            _choice("category", DrugCategory),
            _choice("default_unit", Unit),
            DataField("units", FieldType.CHOICES, True, choices=Unit),
            _text("international_control"),
        ),
        group_by="category",
    ),
    Vocabulary(
        kind=Precursor.kind,
        searched_first=True,
        model=Precursor,
        data_file="precursors.json",
        title=_("Precursor chemicals"),
        summary=_("Tables I and II of the 1988 UN Convention (INCB Red List)."),
        fields=(
            _choice("table", PrecursorTable),
            _text("cas_number"),
            _text("hs_code"),
            _texts("uses"),
            _texts("illicit_use"),
            DataField("used_to_make", FieldType.REFS, target=DrugType),
        ),
        group_by="table",
    ),
    Vocabulary(
        kind=OzoneSubstance.kind,
        searched_first=True,
        model=OzoneSubstance,
        data_file="ozone.json",
        title=_("Ozone depleting substances and HFCs"),
        summary=_("Montreal Protocol Annexes A, B, C, E and F; and look-alikes that are not ODS."),
        fields=(
            _choice("annex", MontrealAnnex),
            _choice("group", AnnexGroup, required=False),
            _text("chemical_formula"),
            _text("refrigerant_number"),
            DataField("ozone_depleting", FieldType.BOOL, True),
            DataField("odp", FieldType.DECIMAL),
            DataField("gwp", FieldType.INT),
            DataField("is_blend", FieldType.BOOL),
            _text("components"),
            _texts("uses"),
            _texts("markings"),
        ),
        group_by="annex",
    ),
    Vocabulary(
        kind=HazardCharacteristic.kind,
        model=HazardCharacteristic,
        data_file="basel_hazards.json",
        title=_("Hazardous characteristics"),
        summary=_("Annex III of the Basel Convention (H1–H13)."),
        fields=(_text("un_class", required=True),),
    ),
    Vocabulary(
        kind=WasteCategory.kind,
        model=WasteCategory,
        data_file="basel_wastes.json",
        title=_("Hazardous wastes"),
        summary=_("Basel Convention Annexes I, II, VIII (list A) and IX (list B)."),
        fields=(
            _choice("basel_list", BaselList),
            DataField("hazard_characteristics", FieldType.REFS, target=HazardCharacteristic),
            DataField("related_codes", FieldType.STRINGS),
            _texts("examples"),
        ),
        group_by="basel_list",
    ),
    Vocabulary(
        kind=SpecimenPart.kind,
        searched_first=True,
        model=SpecimenPart,
        data_file="specimen_parts.json",
        title=_("Parts and derivatives"),
        summary=_("What of an animal or plant is seized: live animals, scales, ivory, logs…"),
        fields=(_choice("default_unit", Unit),),
    ),
    Vocabulary(
        kind=Species.kind,
        searched_first=True,
        model=Species,
        data_file="species.json",
        title=_("CITES species"),
        summary=_("Species commonly traded in the region, with their CITES appendix."),
        fields=(
            _text("scientific_name", required=True),
            _text("family", required=True),
            _choice("taxon_group", TaxonGroup),
            _choice("cites_appendix", CitesAppendix),
            _text("listed_since"),
            _texts("listing_note"),
            DataField("parts", FieldType.REFS, target=SpecimenPart),
        ),
        group_by="cites_appendix",
    ),
    Vocabulary(
        kind=TimberSpecies.kind,
        searched_first=True,
        model=TimberSpecies,
        data_file="timber.json",
        title=_("Timber"),
        summary=_("Timbers seized in the region, linked to their CITES entry where listed."),
        fields=(
            _text("scientific_name", required=True),
            DataField("cites_species", FieldType.REF, target=Species),
            _choice("default_unit", Unit, required=False),
        ),
    ),
    Vocabulary(
        kind=LegalAuthority.kind,
        model=LegalAuthority,
        data_file="authorities.json",
        title=_("Legal basis and authorities"),
        summary=_("Which body decides whether a shipment is legal, per country and crime area."),
        fields=(
            _choice("country", CountryCode),
            _choice("area", CrimeArea),
            _choice("role", AuthorityRole),
            _texts("decides"),
            _texts("legal_basis"),
            _texts("how_to_reach"),
        ),
        group_by="country",
    ),
    Vocabulary(
        kind=GlossaryTerm.kind,
        model=GlossaryTerm,
        data_file="glossary.json",
        title=_("Glossary"),
        summary=_("Crime terms of every area, in the languages of the network."),
        fields=(
            DataField("areas", FieldType.CHOICES, True, choices=CrimeArea),
            DataField("related", FieldType.STRINGS),
        ),
    ),
)

BY_KIND: dict[str, Vocabulary] = {v.kind: v for v in VOCABULARIES}
ENTRY_MODELS: tuple[type[ReferenceEntry], ...] = tuple(v.model for v in VOCABULARIES)


def vocabulary_for(kind: str) -> Vocabulary | None:
    return BY_KIND.get(kind)


def plain_value(value: Any) -> Any:
    """A model value as the data files spell it, to compare a stored entry with its data."""
    if isinstance(value, Decimal):
        return value.normalize()
    return value
