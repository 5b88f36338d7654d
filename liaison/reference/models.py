"""The controlled vocabularies of Liaison: one source of truth for forms, training and the library.

Every vocabulary is a concrete model over the abstract ``ReferenceEntry``: a stable ``code`` (the
key the loader upserts by and other apps refer to), the names in the network's six languages,
identification hints, and the source the entry was written from. Incident and seizure forms
ForeignKey to ``Precursor``, ``OzoneSubstance``, ``WasteCategory``, ``Species``, ``SpecimenPart``,
``DrugType`` and ``TimberSpecies`` with ``on_delete=PROTECT``; entries are never deleted by the
loader, only marked inactive when they leave the data files.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from liaison.reference.language import ENTRY_LANGUAGES, fold, label, localised

entry_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9.\-]*$",
    _("Use letters, digits, dots and hyphens only, e.g. acetic-anhydride or A1160."),
)
listing_date_validator = RegexValidator(
    r"^\d{4}(-\d{2}-\d{2})?$", _("A year (1975) or a date (2017-01-02).")
)


# --- shared vocabularies as choices -------------------------------------------------------------


class CrimeArea(models.TextChoices):
    """The crime areas of the BLO mandate; incidents, training modules and glossary share them."""

    DRUGS = "drugs", _("Drugs")
    PRECURSORS = "precursors", _("Precursor chemicals")
    HUMAN_TRAFFICKING = "human_trafficking", _("Trafficking in persons")
    MIGRANT_SMUGGLING = "migrant_smuggling", _("Migrant smuggling")
    WILDLIFE = "wildlife", _("Wildlife")
    TIMBER = "timber", _("Timber")
    ODS = "ods", _("Ozone depleting substances")
    HAZARDOUS_WASTE = "hazardous_waste", _("Hazardous waste")
    GENERAL = "general", _("General border work")


class CountryCode(models.TextChoices):
    """The five countries of the network, by ISO 3166-1 code (as ``registry.Country.code``)."""

    VN = "VN", _("Viet Nam")
    LA = "LA", _("Lao PDR")
    KH = "KH", _("Cambodia")
    CN = "CN", _("China")
    TH = "TH", _("Thailand")


class Unit(models.TextChoices):
    """Units a seizure is counted in."""

    KILOGRAM = "kg", _("kilograms")
    GRAM = "g", _("grams")
    LITRE = "l", _("litres")
    MILLILITRE = "ml", _("millilitres")
    TABLET = "tablets", _("tablets")
    PLANT = "plants", _("plants")
    PIECE = "pieces", _("pieces")
    ANIMAL = "animals", _("animals (head)")
    CUBIC_METRE = "m3", _("cubic metres")
    CYLINDER = "cylinders", _("cylinders")
    TONNE = "t", _("tonnes")

    @property
    def is_count(self) -> bool:
        return self in {Unit.TABLET, Unit.PLANT, Unit.PIECE, Unit.ANIMAL, Unit.CYLINDER}


class PrecursorTable(models.TextChoices):
    TABLE_I = "I", _("Table I")
    TABLE_II = "II", _("Table II")


class MontrealAnnex(models.TextChoices):
    A = "A", _("Annex A")
    B = "B", _("Annex B")
    C = "C", _("Annex C")
    E = "E", _("Annex E")
    F = "F", _("Annex F (Kigali Amendment)")
    NOT_CONTROLLED = "none", _("Not controlled by the Montreal Protocol")


class AnnexGroup(models.TextChoices):
    I = "I", _("Group I")  # noqa: E741 — the Protocol's own numbering
    II = "II", _("Group II")
    III = "III", _("Group III")


class BaselList(models.TextChoices):
    ANNEX_I = "I", _("Annex I (categories of wastes to be controlled)")
    ANNEX_II = "II", _("Annex II (wastes requiring special consideration)")
    ANNEX_VIII = "VIII", _("Annex VIII, list A (presumed hazardous)")
    ANNEX_IX = "IX", _("Annex IX, list B (presumed not hazardous)")

    @property
    def needs_prior_informed_consent(self) -> bool:
        """Whether a transboundary movement needs the Convention's PIC procedure."""
        return self != BaselList.ANNEX_IX


class CitesAppendix(models.TextChoices):
    I = "I", _("Appendix I")  # noqa: E741 — the Convention's own numbering
    II = "II", _("Appendix II")
    III = "III", _("Appendix III")
    NOT_LISTED = "none", _("Not listed in CITES")

    @property
    def commercial_trade_banned(self) -> bool:
        """Appendix I: no commercial trade in wild specimens."""
        return self == CitesAppendix.I


class TaxonGroup(models.TextChoices):
    MAMMAL = "mammal", _("Mammal")
    BIRD = "bird", _("Bird")
    REPTILE = "reptile", _("Reptile")
    AMPHIBIAN = "amphibian", _("Amphibian")
    FISH = "fish", _("Fish and seahorses")
    INVERTEBRATE = "invertebrate", _("Invertebrate")
    PLANT = "plant", _("Plant")
    TREE = "tree", _("Tree and timber")


class DrugCategory(models.TextChoices):
    OPIATE = "opiate", _("Opiates")
    ATS = "ats", _("Amphetamine-type stimulants")
    CANNABIS = "cannabis", _("Cannabis")
    COCAINE = "cocaine", _("Cocaine")
    DISSOCIATIVE = "dissociative", _("Ketamine and dissociatives")
    SYNTHETIC_OPIOID = "synthetic_opioid", _("Synthetic opioids")
    NPS = "nps", _("New psychoactive substances")
    OTHER = "other", _("Other or unidentified")


class AuthorityRole(models.TextChoices):
    DRUG_CONTROL = "drug_control", _("Drug control body")
    PRECURSOR_REGULATOR = "precursor_regulator", _("Precursor licensing authority")
    CITES_MANAGEMENT = "cites_management", _("CITES Management Authority")
    FORESTRY = "forestry", _("Forestry and timber authority")
    OZONE_UNIT = "ozone_unit", _("National Ozone Unit")
    BASEL_COMPETENT = "basel_competent", _("Basel Convention competent authority")
    ANTI_TRAFFICKING = "anti_trafficking", _("Counter-trafficking body")
    IMMIGRATION = "immigration", _("Immigration authority")
    CUSTOMS = "customs", _("Customs administration")


# --- the source every entry is written from -----------------------------------------------------


class Source(models.Model):
    """A public list an entry was written from: a convention's annex, a list edition, a law."""

    code = models.CharField(
        _("code"), max_length=60, unique=True, validators=[entry_code_validator]
    )
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("published by"), max_length=200)
    edition = models.CharField(
        _("edition or amendment"), max_length=300, help_text=_("e.g. tables as amended in 2024")
    )
    as_of = models.DateField(_("state of the list on"))
    url = models.URLField(_("public address"), max_length=300)

    class Meta:
        ordering = ["title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return f"{self.title} ({self.edition})"


# --- the common shape of an entry ---------------------------------------------------------------


class ReferenceEntry(models.Model):
    """What every vocabulary entry has: a code, six names, identification hints, a source."""

    code = models.CharField(
        _("code"), max_length=60, unique=True, validators=[entry_code_validator]
    )
    name_en = models.CharField(_("name in English"), max_length=250)
    name_vi = models.CharField(_("name in Vietnamese"), max_length=250)
    name_lo = models.CharField(_("name in Lao"), max_length=250, blank=True)
    name_km = models.CharField(_("name in Khmer"), max_length=250, blank=True)
    name_th = models.CharField(_("name in Thai"), max_length=250, blank=True)
    name_zh_hans = models.CharField(_("name in Chinese"), max_length=250, blank=True)
    synonyms = models.JSONField(
        _("other names"), default=list, blank=True, help_text=_("Trade, street and other names")
    )
    description = models.JSONField(
        _("description"), default=dict, blank=True, help_text=_("{language: text}")
    )
    identification = models.JSONField(
        _("identification hints"), default=dict, blank=True, help_text=_("{language: text}")
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="+", verbose_name=_("source")
    )
    source_detail = models.CharField(
        _("where in the source"), max_length=400, help_text=_("annex, table, decision, date")
    )
    search_text = models.TextField(editable=False, blank=True, default="")
    active = models.BooleanField(
        _("in the current list"),
        default=True,
        help_text=_("Entries dropped from the data files stay for old records, marked inactive."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The URL slug of the vocabulary; set by each concrete model.
    kind: ClassVar[str] = ""

    class Meta:
        abstract = True
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name_en

    def get_absolute_url(self) -> str:
        return reverse("reference:entry", args=[self.kind, self.code])

    def label(self, lang: str | None = None) -> str:
        return label(self, lang)

    def text(self, field: str, lang: str | None = None) -> str:
        """A ``{language: text}`` field in the reader's language, else English."""
        value: Any = getattr(self, field)
        return localised(value if isinstance(value, dict) else None, lang)

    def names(self) -> list[tuple[str, str]]:
        """``(language, name)`` for every language the entry is named in."""
        found = []
        for lang in ENTRY_LANGUAGES:
            value = getattr(self, "name_" + lang.replace("-", "_"))
            if value:
                found.append((lang, str(value)))
        return found

    def searchable_names(self) -> list[str]:
        """The entry's code and names: what the full-text search weighs most."""
        return [self.code, *(name for _lang, name in self.names())]

    def descriptive_texts(self) -> list[str]:
        """Every text of the entry's ``{language: text}`` fields (descriptions, hints, notes)."""
        texts: list[str] = []
        for field in self._meta.concrete_fields:
            value = getattr(self, field.attname)
            if isinstance(field, models.JSONField) and isinstance(value, dict):
                texts.extend(str(v) for v in value.values() if isinstance(v, str))
        return texts

    def searchable_parts(self) -> list[str]:
        """Texts a search should find this entry by; models add their own identifiers."""
        parts = [self.code, *(name for _lang, name in self.names())]
        parts.extend(str(s) for s in self.synonyms or [])
        return parts

    def refresh_search_text(self) -> None:
        self.search_text = " | ".join(fold(part) for part in self.searchable_parts() if part)


# --- the vocabularies ---------------------------------------------------------------------------


class DrugType(ReferenceEntry):
    """A kind of drug as it is seized: heroin, "yaba" tablets, crystalline methamphetamine…"""

    kind = "drugs"

    category = models.CharField(_("category"), max_length=20, choices=DrugCategory.choices)
    default_unit = models.CharField(_("default unit"), max_length=10, choices=Unit.choices)
    units = models.JSONField(_("units allowed"), default=list)
    international_control = models.CharField(_("international control"), max_length=300, blank=True)

    class Meta(ReferenceEntry.Meta):
        verbose_name = _("drug type")
        verbose_name_plural = _("drug types")

    def unit_choices(self) -> list[Unit]:
        return [Unit(u) for u in self.units]


class Precursor(ReferenceEntry):
    """A substance in Table I or II of the 1988 Convention (INCB "Red List")."""

    kind = "precursors"

    table = models.CharField(_("table"), max_length=3, choices=PrecursorTable.choices)
    cas_number = models.CharField(
        _("CAS number"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\d{2,7}-\d{2}-\d$", _("A CAS number, e.g. 108-24-7."))],
    )
    hs_code = models.CharField(_("HS code"), max_length=12, blank=True)
    uses = models.JSONField(_("licit uses"), default=dict, blank=True)
    illicit_use = models.JSONField(_("illicit use"), default=dict, blank=True)
    used_to_make = models.ManyToManyField(
        DrugType, related_name="precursors", blank=True, verbose_name=_("used to make")
    )

    class Meta(ReferenceEntry.Meta):
        verbose_name = _("precursor chemical")
        verbose_name_plural = _("precursor chemicals")

    def searchable_parts(self) -> list[str]:
        return [*super().searchable_parts(), self.cas_number, self.hs_code]


class OzoneSubstance(ReferenceEntry):
    """A refrigerant, foam agent, solvent or fumigant, controlled by the Montreal Protocol or not.

    Entries that are *not* ozone depleting (HFCs, carbon dioxide, hydrocarbons) are here on purpose:
    officers confuse them with ODS, and an HFC shipment still needs a Kigali licence.
    """

    kind = "ods"

    annex = models.CharField(_("annex"), max_length=4, choices=MontrealAnnex.choices)
    group = models.CharField(_("group"), max_length=3, choices=AnnexGroup.choices, blank=True)
    chemical_formula = models.CharField(_("chemical formula"), max_length=80, blank=True)
    refrigerant_number = models.CharField(_("ASHRAE number"), max_length=20, blank=True)
    ozone_depleting = models.BooleanField(_("depletes the ozone layer"))
    odp = models.DecimalField(
        _("ozone depleting potential"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    gwp = models.PositiveIntegerField(
        _("global warming potential (100 years)"), null=True, blank=True
    )
    is_blend = models.BooleanField(_("a blend"), default=False)
    components = models.CharField(_("components of the blend"), max_length=200, blank=True)
    uses = models.JSONField(_("common uses"), default=dict, blank=True)
    markings = models.JSONField(_("cylinder colours and markings"), default=dict, blank=True)

    class Meta(ReferenceEntry.Meta):
        verbose_name = _("ozone depleting or controlled substance")
        verbose_name_plural = _("ozone depleting and controlled substances")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(ozone_depleting=True, annex__in=["F", "none"]),
                name="reference_ods_annex_f_not_ozone_depleting",
            )
        ]

    @property
    def controlled(self) -> bool:
        return self.annex != MontrealAnnex.NOT_CONTROLLED

    def searchable_parts(self) -> list[str]:
        extra = [self.chemical_formula, self.refrigerant_number, self.components]
        if self.refrigerant_number.startswith("R-"):
            extra.append(self.refrigerant_number.replace("-", ""))  # "R22" finds R-22
        return [*super().searchable_parts(), *extra]


class HazardCharacteristic(ReferenceEntry):
    """A hazardous characteristic of Annex III of the Basel Convention (H1–H13)."""

    kind = "hazards"

    un_class = models.CharField(_("UN class"), max_length=10)

    class Meta(ReferenceEntry.Meta):
        ordering = ["code"]
        verbose_name = _("hazardous characteristic")
        verbose_name_plural = _("hazardous characteristics")


class WasteCategory(ReferenceEntry):
    """A Basel Convention waste category or list entry: Y1–Y49, A-list, B-list."""

    kind = "wastes"

    basel_list = models.CharField(_("Basel list"), max_length=4, choices=BaselList.choices)
    hazard_characteristics = models.ManyToManyField(
        HazardCharacteristic,
        related_name="waste_categories",
        blank=True,
        verbose_name=_("typical hazardous characteristics"),
    )
    related_codes = models.JSONField(_("related entries"), default=list, blank=True)
    examples = models.JSONField(_("what it looks like at the border"), default=dict, blank=True)

    class Meta(ReferenceEntry.Meta):
        ordering = ["code"]
        verbose_name = _("hazardous waste category")
        verbose_name_plural = _("hazardous waste categories")

    @property
    def needs_prior_informed_consent(self) -> bool:
        return BaselList(self.basel_list).needs_prior_informed_consent


class SpecimenPart(ReferenceEntry):
    """What of an animal or plant is seized: live animals, scales, ivory, logs, agarwood chips…"""

    kind = "parts"

    default_unit = models.CharField(_("default unit"), max_length=10, choices=Unit.choices)

    class Meta(ReferenceEntry.Meta):
        verbose_name = _("part or derivative")
        verbose_name_plural = _("parts and derivatives")


class Species(ReferenceEntry):
    """A species or higher taxon commonly traded in the region, with its CITES listing."""

    kind = "species"

    scientific_name = models.CharField(_("scientific name"), max_length=200)
    family = models.CharField(_("family"), max_length=100)
    taxon_group = models.CharField(_("group"), max_length=20, choices=TaxonGroup.choices)
    cites_appendix = models.CharField(
        _("CITES appendix"), max_length=4, choices=CitesAppendix.choices
    )
    listed_since = models.CharField(
        _("in this appendix since"),
        max_length=10,
        blank=True,
        validators=[listing_date_validator],
    )
    listing_note = models.JSONField(_("listing notes"), default=dict, blank=True)
    parts = models.ManyToManyField(
        SpecimenPart, related_name="species", blank=True, verbose_name=_("commonly seized as")
    )

    class Meta(ReferenceEntry.Meta):
        ordering = ["scientific_name"]
        verbose_name = _("species")
        verbose_name_plural = _("species")

    def searchable_parts(self) -> list[str]:
        return [*super().searchable_parts(), self.scientific_name, self.family]


class TimberSpecies(ReferenceEntry):
    """A timber as it is seized, linked to its CITES entry where the tree is listed."""

    kind = "timber"

    scientific_name = models.CharField(_("scientific name"), max_length=200)
    cites_species = models.ForeignKey(
        Species,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="timbers",
        verbose_name=_("CITES entry"),
    )
    default_unit = models.CharField(
        _("default unit"), max_length=10, choices=Unit.choices, default=Unit.CUBIC_METRE
    )

    class Meta(ReferenceEntry.Meta):
        verbose_name = _("timber species")
        verbose_name_plural = _("timber species")

    @property
    def cites_appendix(self) -> CitesAppendix:
        if self.cites_species is None:
            return CitesAppendix.NOT_LISTED
        return CitesAppendix(self.cites_species.cites_appendix)

    def searchable_parts(self) -> list[str]:
        return [*super().searchable_parts(), self.scientific_name]


class LegalAuthority(ReferenceEntry):
    """Which body of a country decides whether a shipment is legal, and on what legal basis."""

    kind = "authorities"

    country = models.CharField(_("country"), max_length=2, choices=CountryCode.choices)
    area = models.CharField(_("crime area"), max_length=20, choices=CrimeArea.choices)
    role = models.CharField(_("role"), max_length=30, choices=AuthorityRole.choices)
    decides = models.JSONField(_("what it decides"), default=dict, blank=True)
    legal_basis = models.JSONField(_("legal basis"), default=dict, blank=True)
    how_to_reach = models.JSONField(_("how to reach it"), default=dict, blank=True)

    class Meta(ReferenceEntry.Meta):
        ordering = ["country", "area", "name_en"]
        verbose_name = _("legal authority")
        verbose_name_plural = _("legal authorities")


class GlossaryTerm(ReferenceEntry):
    """A term of the crime areas, defined, in the languages of the network."""

    kind = "glossary"

    areas = models.JSONField(_("crime areas"), default=list)
    related = models.JSONField(_("related terms"), default=list, blank=True)

    class Meta(ReferenceEntry.Meta):
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary terms")

    def area_choices(self) -> list[CrimeArea]:
        return [CrimeArea(a) for a in self.areas]


class SearchDocument(models.Model):
    """An entry as the full-text search reads it, accent-folded and cut into words: its names
    (weight A), its other names and identifiers (B), its descriptive texts (C).

    Written by ``liaison.reference.search.reindex_library`` whenever the library is loaded. On
    SQLite an FTS5 table (``reference_search_fts``, rowid = this row's id) holds the same texts;
    on PostgreSQL a GIN index over the weighted ``simple`` text search vector serves them."""

    kind = models.CharField(max_length=30)
    entry_id = models.PositiveIntegerField()
    names = models.TextField(blank=True, default="")
    others = models.TextField(blank=True, default="")
    descriptions = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            models.UniqueConstraint(fields=["kind", "entry_id"], name="reference_search_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.entry_id}"


class ReferenceLoad(models.Model):
    """One run of the loader that changed the library: which data, when, and what it did."""

    fingerprint = models.CharField(_("data fingerprint"), max_length=64, db_index=True)
    loaded_at = models.DateTimeField(_("loaded"), auto_now_add=True)
    counts = models.JSONField(_("counts"), default=dict)

    class Meta:
        ordering = ["-loaded_at", "-id"]
        get_latest_by = "loaded_at"
        verbose_name = _("reference data load")
        verbose_name_plural = _("reference data loads")

    def __str__(self) -> str:
        return f"{self.fingerprint[:12]} {self.loaded_at:%Y-%m-%d %H:%M}"
