"""The exchange: incidents and seizures, nominal data, migrant smuggling reports, graded
intelligence, alerts and requests for information — each carrying who may read it.

Every shareable record has a ``Distribution`` (who may read it) and a TLP 2.0 label (what the
reader may do with it). Nominal data (people, vehicles, telephones, documents) lives apart from
the non-nominal record, as in the WCO CEN practice, with a distribution of its own that is never
wider than the record's; victims' identities never leave the recording agency.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from liaison.exchange.identifiers import MAX_LENGTH as IDENTIFIER_MAX_LENGTH
from liaison.exchange.identifiers import IdentifierKind
from liaison.reference.models import (
    CrimeArea,
    DrugType,
    OzoneSubstance,
    Precursor,
    Species,
    SpecimenPart,
    TimberSpecies,
    Unit,
    WasteCategory,
)
from liaison.registry.models import BLO, Agency, Country, Crossing, latitude_field, longitude_field

# --- who may read, and what they may do with it ------------------------------------------------


class Distribution(models.TextChoices):
    """Who may read a record (the SOP's sharing levels). Which audience contains which, and which
    a TLP label allows, are the SOP's rules in ``exchange/access.py``."""

    AGENCY = "agency", _("Originating agency only")
    BLO = "blo", _("This BLO (all agencies at the post)")
    COUNTERPART = "counterpart", _("This BLO and its counterpart BLO(s) across the border")
    NATIONAL = "national", _("National (every post and agency of the country)")
    GROUP = "group", _("A named sharing group")
    NETWORK = "network", _("The whole BLO network")

    @property
    def crosses_border(self) -> bool:
        return self in {Distribution.COUNTERPART, Distribution.GROUP, Distribution.NETWORK}


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST, 2022)."""

    RED = "RED", "TLP:RED"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    AMBER = "AMBER", "TLP:AMBER"
    GREEN = "GREEN", "TLP:GREEN"
    CLEAR = "CLEAR", "TLP:CLEAR"

    @property
    def css(self) -> str:
        return "tlp-" + self.value.lower().replace("+", "-")

    @property
    def meaning(self) -> str:
        return str(
            {
                TLP.RED: _("For the eyes of the named recipients only; no further disclosure."),
                TLP.AMBER_STRICT: _("Limited disclosure: the recipient's organisation only."),
                TLP.AMBER: _(
                    "Limited disclosure: the recipient's organisation and those it works with, "
                    "on a need-to-know basis."
                ),
                TLP.GREEN: _("Limited disclosure: the BLO community, not public channels."),
                TLP.CLEAR: _("Disclosure is not limited."),
            }[self]
        )


class SharingGroup(models.Model):
    """A named set of people a record can be shared with (e.g. a joint task force).

    Names are unique per creator only: a name taken by a group one cannot see must not be
    revealed by a refusal."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="sharing_groups", verbose_name=_("members")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "name"],
                name="sharing_group_name_per_creator",
                violation_error_message=_("You already have a sharing group named like this."),
            )
        ]
        verbose_name = _("sharing group")
        verbose_name_plural = _("sharing groups")

    def __str__(self) -> str:
        return self.name


class Shareable(models.Model):
    """What every shareable record carries: its origin, its readers, its label, its version."""

    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="+", verbose_name=_("BLO"))
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("originating agency")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    distribution = models.CharField(
        _("shared with"), max_length=20, choices=Distribution.choices, default=Distribution.BLO
    )
    group = models.ForeignKey(
        SharingGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sharing group"),
    )
    tlp = models.CharField(_("TLP label"), max_length=15, choices=TLP.choices, default=TLP.AMBER)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.distribution == Distribution.GROUP and self.group_id is None:
            raise ValidationError({"group": _("Choose the group to share with.")})
        if self.distribution != Distribution.GROUP:
            self.group = None

    @property
    def tlp_label(self) -> TLP:
        return TLP(self.tlp)

    @property
    def distribution_enum(self) -> Distribution:
        return Distribution(self.distribution)


# --- incidents and seizures ---------------------------------------------------------------------


class LocationKind(models.TextChoices):
    INTERNATIONAL_CHECKPOINT = "international_checkpoint", _("At an international checkpoint")
    LOCAL_CHECKPOINT = "local_checkpoint", _("At a local checkpoint")
    BETWEEN_CHECKPOINTS = "between_checkpoints", _("Between checkpoints")


class Direction(models.TextChoices):
    ENTRY = "entry", _("Entry")
    EXIT = "exit", _("Exit")
    TRANSIT = "transit", _("Transit")


class DetectionMethod(models.TextChoices):
    ROUTINE_INSPECTION = "routine_inspection", _("Routine inspection")
    RISK_PROFILING = "risk_profiling", _("Risk profiling")
    INTELLIGENCE = "intelligence", _("Prior intelligence")
    TIP_OFF = "tip_off", _("Tip-off from the public")
    SCANNER = "scanner", _("X-ray or scanner")
    DETECTOR_DOG = "detector_dog", _("Detector dog")
    PATROL = "patrol", _("Patrol")
    COUNTERPART_INFORMATION = "counterpart_information", _("Information from the counterpart BLO")
    JOINT_OPERATION = "joint_operation", _("Joint operation")
    CONTROLLED_DELIVERY = "controlled_delivery", _("Controlled delivery")


class ConcealmentMethod(models.TextChoices):
    NONE = "none", _("Not concealed")
    ON_BODY = "on_body", _("On or in the body")
    LUGGAGE = "luggage", _("In luggage or bags")
    VEHICLE_COMPARTMENT = "vehicle_compartment", _("Hidden compartment in a vehicle")
    MIXED_WITH_CARGO = "mixed_with_cargo", _("Mixed with legitimate cargo")
    FALSE_DECLARATION = "false_declaration", _("False declaration or mislabelling")
    POSTAL = "postal", _("Postal or courier parcel")
    HUMAN_MULES = "human_mules", _("Carried across by couriers on foot")
    OTHER = "other", _("Other")


class Conveyance(models.TextChoices):
    ON_FOOT = "on_foot", _("On foot")
    BICYCLE = "bicycle", _("Bicycle")
    MOTORBIKE = "motorbike", _("Motorbike")
    CAR = "car", _("Car")
    TRUCK = "truck", _("Truck")
    BUS = "bus", _("Bus or coach")
    BOAT = "boat", _("Boat")
    TRAIN = "train", _("Train")
    AIRCRAFT = "aircraft", _("Aircraft")
    POST = "post", _("Post or courier")


class PublishedIncidentManager(models.Manager["Incident"]):
    """Incidents whose import, if any, has completed: an import writes its rows in short
    transactions, invisible until one last short transaction publishes them all."""

    def get_queryset(self) -> models.QuerySet[Incident]:
        return super().get_queryset().filter(pending_import__isnull=True)


class Incident(Shareable):
    """What happened at or near the border: the non-nominal part of an incident or seizure."""

    occurred_at = models.DateTimeField(_("when"))
    crossing = models.ForeignKey(
        Crossing,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("crossing"),
    )
    location_kind = models.CharField(_("where"), max_length=30, choices=LocationKind.choices)
    latitude = latitude_field()
    longitude = longitude_field()
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    crime_area = models.CharField(
        _("crime area"), max_length=30, choices=CrimeArea.choices, db_index=True
    )
    detection_method = models.CharField(
        _("detection method"), max_length=30, choices=DetectionMethod.choices
    )
    concealment_method = models.CharField(
        _("concealment method"), max_length=30, choices=ConcealmentMethod.choices
    )
    conveyance = models.CharField(_("conveyance"), max_length=20, choices=Conveyance.choices)
    origin_country = CountryField(_("country of origin"), blank=True)
    transit_countries = CountryField(_("transit countries"), multiple=True, blank=True)
    destination_country = CountryField(_("country of destination"), blank=True)
    agencies_involved = models.ManyToManyField(
        Agency, blank=True, related_name="incidents_involved", verbose_name=_("agencies involved")
    )
    summary = models.TextField(_("what happened"), blank=True)
    summary_language = models.CharField(_("language of the text"), max_length=10, default="vi")
    pending_import = models.ForeignKey(
        "SeizureImport",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="Set while the import that writes this incident is not complete.",
    )

    # Every query of incidents (the permission layer's included) sees published ones only; the
    # rows of an import still being written are reached through ``with_pending`` alone.
    objects = PublishedIncidentManager()
    with_pending = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        # One index per clause of the distribution filter (exchange/access.py), each ending in
        # occurred_at, so a reader's visible set is a union of short index ranges, dated.
        indexes = [
            models.Index(
                fields=["blo", "distribution", "occurred_at"], name="incident_blo_dist_when"
            ),
            models.Index(
                fields=["country", "distribution", "occurred_at"], name="incident_country_dist_when"
            ),
            models.Index(fields=["distribution", "occurred_at"], name="incident_dist_when"),
            models.Index(fields=["occurred_at"], name="incident_when"),
            models.Index(fields=["created_at"], name="incident_recorded"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("exchange:incident", args=[self.reference])

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.occurred_at and self.occurred_at > timezone.now() + datetime.timedelta(minutes=5):
            errors["occurred_at"] = _("The date and time cannot be in the future.")
        if self.crossing is not None and self.crossing.blo_id != self.blo_id:
            errors["crossing"] = _("This crossing belongs to another BLO.")
        if errors:
            raise ValidationError(errors)


class SeizureItem(models.Model):
    """One commodity seized in an incident, coded against the reference vocabularies."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="items")
    drug_type = models.ForeignKey(
        DrugType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("drug")
    )
    precursor = models.ForeignKey(
        Precursor, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("precursor")
    )
    ozone_substance = models.ForeignKey(
        OzoneSubstance,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("ozone depleting substance"),
    )
    waste_category = models.ForeignKey(
        WasteCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("hazardous waste"),
    )
    species = models.ForeignKey(
        Species, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("species")
    )
    specimen_part = models.ForeignKey(
        SpecimenPart,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("part or derivative"),
    )
    timber_species = models.ForeignKey(
        TimberSpecies, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("timber")
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=14,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0))],
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)

    COMMODITY_FIELDS = (
        "drug_type",
        "precursor",
        "ozone_substance",
        "waste_category",
        "species",
        "timber_species",
    )

    class Meta:
        verbose_name = _("seized item")
        verbose_name_plural = _("seized items")

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} {self.commodity}"

    @property
    def commodity(self) -> Any:
        for name in self.COMMODITY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                return value
        return None

    def clean(self) -> None:
        super().clean()
        chosen = [name for name in self.COMMODITY_FIELDS if getattr(self, name + "_id")]
        if len(chosen) != 1:
            raise ValidationError(
                _("Choose exactly one commodity from the vocabularies for each seized item.")
            )
        if self.specimen_part_id and not self.species_id:
            raise ValidationError(
                {"specimen_part": _("A part or derivative belongs to a species.")}
            )
        if self.quantity is not None and self.quantity < 0:
            raise ValidationError({"quantity": _("A quantity cannot be negative.")})
        counted = self.unit in Unit.values and Unit(self.unit).is_count
        if (
            counted
            and self.quantity is not None
            and self.quantity != self.quantity.to_integral_value()
        ):
            raise ValidationError({"quantity": _("Count whole items for this unit.")})
        allowed = self._allowed_units()
        if allowed and self.unit not in allowed:
            raise ValidationError(
                {
                    "unit": _("This commodity is counted in: %(units)s")
                    % {"units": ", ".join(str(Unit(u).label) for u in allowed)}
                }
            )

    def _allowed_units(self) -> list[str]:
        if self.drug_type is not None and self.drug_type.units:
            return list(self.drug_type.units)
        if self.ozone_substance is not None:
            return [Unit.KILOGRAM, Unit.GRAM, Unit.CYLINDER, Unit.TONNE]
        if self.timber_species is not None:
            return [Unit.CUBIC_METRE, Unit.KILOGRAM, Unit.TONNE, Unit.PIECE]
        if self.species is not None:
            return [Unit.ANIMAL, Unit.PIECE, Unit.KILOGRAM, Unit.GRAM, Unit.PLANT]
        return []


class PersonCategory(models.TextChoices):
    SMUGGLED_MIGRANT = "smuggled_migrant", _("Smuggled migrants")
    TRAFFICKING_VICTIM = "trafficking_victim", _("Victims of trafficking")
    SMUGGLER = "smuggler", _("Smugglers")
    TRAFFICKER = "trafficker", _("Traffickers")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class AgeBand(models.TextChoices):
    CHILD = "0-17", _("Child (0–17)")
    YOUNG_ADULT = "18-24", _("18–24")
    ADULT = "25-49", _("25–49")
    OLDER = "50+", _("50 and over")
    UNKNOWN = "unknown", _("Unknown")


class PersonCount(models.Model):
    """How many people of one profile an incident concerns — non-nominal."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="people")
    category = models.CharField(_("who"), max_length=30, choices=PersonCategory.choices)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    age_band = models.CharField(_("age"), max_length=10, choices=AgeBand.choices)
    nationality = CountryField(_("nationality"))
    count = models.PositiveIntegerField(_("number"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("people counted")
        verbose_name_plural = _("people counted")

    def __str__(self) -> str:
        return f"{self.count} {self.category}"


# --- nominal data -------------------------------------------------------------------------------


class NominalKind(models.TextChoices):
    PERSON = "person", _("Person")
    VEHICLE = "vehicle", _("Vehicle")
    TELEPHONE = "telephone", _("Telephone")
    DOCUMENT = "document", _("Identity or travel document")
    COMPANY = "company", _("Company")
    CONTAINER = "container", _("Container")


class NominalRole(models.TextChoices):
    SUSPECT = "suspect", _("Suspect")
    VICTIM = "victim", _("Victim")
    WITNESS = "witness", _("Witness")
    DRIVER = "driver", _("Driver")
    OWNER = "owner", _("Owner")
    OTHER = "other", _("Other")


class NominalEntry(models.Model):
    """A named person, a vehicle, a telephone or a document: shared more narrowly than the record."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="nominal_entries")
    kind = models.CharField(_("kind"), max_length=20, choices=NominalKind.choices)
    role = models.CharField(_("role"), max_length=20, choices=NominalRole.choices)
    name = models.CharField(_("name or description"), max_length=200)
    identifier = models.CharField(
        _("number"), max_length=100, blank=True, help_text=_("Plate, telephone or document number")
    )
    nationality = CountryField(_("nationality"), blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    details = models.TextField(_("details"), blank=True)
    distribution = models.CharField(
        _("shared with"), max_length=20, choices=Distribution.choices, default=Distribution.AGENCY
    )

    class Meta:
        verbose_name = _("nominal entry")
        verbose_name_plural = _("nominal entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.role == NominalRole.VICTIM:
            # A victim's identity never leaves the recording agency, whatever was chosen.
            self.distribution = Distribution.AGENCY
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": _("A date of birth cannot be in the future.")})


# --- migrant smuggling (UNODC VRS-MSRC fields) --------------------------------------------------


class SmugglingMethod(models.TextChoices):
    CLANDESTINE_CROSSING = "clandestine", _("Clandestine crossing away from checkpoints")
    CONCEALED_IN_VEHICLE = "concealed_vehicle", _("Concealed in a vehicle")
    FRAUDULENT_DOCUMENT = "fraudulent_document", _("Fraudulent travel or identity document")
    GENUINE_DOCUMENT_MISUSED = "misused_document", _("Genuine document used by an impostor")
    FRAUDULENTLY_OBTAINED_VISA = "fraudulent_visa", _("Fraudulently obtained visa or permit")
    BRIBERY = "bribery", _("Bribery of officials")
    OVERSTAY = "overstay", _("Legal entry, then overstay")


class DocumentFraud(models.TextChoices):
    NONE = "none", _("None")
    COUNTERFEIT = "counterfeit", _("Counterfeit document")
    FORGED = "forged", _("Forged (altered) document")
    IMPOSTOR = "impostor", _("Genuine document, impostor")
    FRAUDULENTLY_OBTAINED = "fraudulently_obtained", _("Fraudulently obtained genuine document")


class MigrantSmugglingReport(models.Model):
    """The data fields of UNODC's Voluntary Reporting System on Migrant Smuggling and Related
    Conduct (VRS-MSRC) for one incident: fees, transport, methods, profiles — non-nominal."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="smuggling_report"
    )
    fee_per_person = models.DecimalField(
        _("fee paid per person"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    fee_currency = models.CharField(_("currency"), max_length=3, blank=True, default="USD")
    means_of_transport = models.CharField(
        _("means of transport"), max_length=20, choices=Conveyance.choices
    )
    methods = models.JSONField(_("methods"), default=list, blank=True)
    document_fraud = models.CharField(
        _("document fraud"), max_length=30, choices=DocumentFraud.choices, default="none"
    )
    smuggler_roles = models.JSONField(
        _("roles of the smugglers"),
        default=list,
        blank=True,
        help_text=_("organiser, recruiter, guide, transporter, document provider, …"),
    )
    journey_start = models.DateField(_("journey began"), null=True, blank=True)
    deaths_or_injuries = models.PositiveIntegerField(_("deaths or injuries on the way"), default=0)

    class Meta:
        verbose_name = _("migrant smuggling report")
        verbose_name_plural = _("migrant smuggling reports")

    def __str__(self) -> str:
        return f"VRS {self.incident.reference}"

    def clean(self) -> None:
        super().clean()
        unknown = [m for m in self.methods if m not in SmugglingMethod.values]
        if unknown:
            raise ValidationError(
                {"methods": _("Unknown method: %(m)s") % {"m": ", ".join(unknown)}}
            )


# --- intelligence -------------------------------------------------------------------------------


class SourceReliability(models.TextChoices):
    A = "A", _("A — Completely reliable")
    B = "B", _("B — Usually reliable")
    C = "C", _("C — Fairly reliable")
    D = "D", _("D — Not usually reliable")
    E = "E", _("E — Unreliable")
    F = "F", _("F — Reliability cannot be judged")


class InformationCredibility(models.TextChoices):
    CONFIRMED = "1", _("1 — Confirmed by other sources")
    PROBABLY_TRUE = "2", _("2 — Probably true")
    POSSIBLY_TRUE = "3", _("3 — Possibly true")
    DOUBTFUL = "4", _("4 — Doubtful")
    IMPROBABLE = "5", _("5 — Improbable")
    CANNOT_JUDGE = "6", _("6 — Truth cannot be judged")


class IntelligenceReport(Shareable):
    """A graded intelligence report (NATO/Admiralty code), shared as a sanitised copy."""

    title = models.CharField(_("title"), max_length=200)
    crime_area = models.CharField(_("crime area"), max_length=30, choices=CrimeArea.choices)
    source_reliability = models.CharField(
        _("source reliability"), max_length=1, choices=SourceReliability.choices
    )
    information_credibility = models.CharField(
        _("information credibility"), max_length=1, choices=InformationCredibility.choices
    )
    body = models.TextField(_("the information"))
    body_language = models.CharField(_("language of the text"), max_length=10, default="vi")
    route = models.CharField(_("route"), max_length=300, blank=True)
    incidents = models.ManyToManyField(
        Incident, blank=True, related_name="intelligence", verbose_name=_("linked incidents")
    )
    nominal_entries = models.ManyToManyField(
        NominalEntry,
        blank=True,
        related_name="intelligence",
        verbose_name=_("linked persons, vehicles, telephones"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("intelligence report")
        verbose_name_plural = _("intelligence reports")
        indexes = [
            models.Index(fields=["blo", "distribution"], name="intel_blo_dist"),
            models.Index(fields=["country", "distribution"], name="intel_country_dist"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("exchange:intelligence", args=[self.reference])

    @property
    def grading(self) -> str:
        return f"{self.source_reliability}{self.information_credibility}"


class IntelligenceSource(models.Model):
    """Who or what the information came from: never leaves the originating agency."""

    report = models.OneToOneField(
        IntelligenceReport, on_delete=models.CASCADE, related_name="source"
    )
    description = models.TextField(_("source"))

    class Meta:
        verbose_name = _("intelligence source")
        verbose_name_plural = _("intelligence sources")

    def __str__(self) -> str:
        return f"source of {self.report.reference}"


# --- sharing beyond the label -------------------------------------------------------------------


class ShareStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the originator")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ShareRequest(models.Model):
    """A request to share a record wider than its TLP label allows, and the originator's answer."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="share_requests"
    )
    intelligence = models.ForeignKey(
        IntelligenceReport,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="share_requests",
    )
    distribution = models.CharField(_("share with"), max_length=20, choices=Distribution.choices)
    group = models.ForeignKey(SharingGroup, on_delete=models.PROTECT, null=True, blank=True)
    reason = models.TextField(_("why"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=ShareStatus.choices, default="pending")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("request to share wider")
        verbose_name_plural = _("requests to share wider")

    def __str__(self) -> str:
        return f"{self.record} → {self.distribution}"

    @property
    def record(self) -> Incident | IntelligenceReport:
        record = self.incident or self.intelligence
        assert record is not None  # noqa: S101 - one of the two is always set
        return record


# --- alerts and requests ------------------------------------------------------------------------


class Alert(models.Model):
    """ "Look out for …": sent by a BLO to its counterparts, each of which must acknowledge it."""

    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    from_blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="alerts_sent")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    subject = models.CharField(_("look out for"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    body_language = models.CharField(_("language of the text"), max_length=10, default="vi")
    vehicle = models.CharField(_("vehicle (plate, make, colour)"), max_length=200, blank=True)
    tlp = models.CharField(_("TLP label"), max_length=15, choices=TLP.choices, default=TLP.AMBER)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("exchange:alert", args=[self.reference])

    @property
    def tlp_label(self) -> TLP:
        return TLP(self.tlp)


class AlertDelivery(models.Model):
    """One recipient BLO of an alert: when it acknowledged and first answered."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    to_blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="alerts_received")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(_("response"), blank=True)
    response_language = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "to_blo"], name="one_delivery_per_blo")
        ]
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")

    def __str__(self) -> str:
        return f"{self.alert.reference} → {self.to_blo.code}"

    @property
    def time_to_acknowledge(self) -> datetime.timedelta | None:
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.alert.sent_at


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class InformationRequest(models.Model):
    """A request for information from one BLO to a counterpart, with its deadline and answer."""

    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    from_blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="requests_sent")
    to_blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="requests_received")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)
    question = models.TextField(_("question"))
    question_language = models.CharField(_("language of the text"), max_length=10, default="vi")
    deadline = models.DateField(_("answer needed by"))
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    answer_language = models.CharField(max_length=10, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )

    class Meta:
        ordering = ["deadline"]
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")

    def __str__(self) -> str:
        return f"{self.reference}"

    def get_absolute_url(self) -> str:
        return reverse("exchange:request", args=[self.reference])

    @property
    def overdue(self) -> bool:
        return self.status == RequestStatus.OPEN and self.deadline < timezone.localdate()


class ReferenceCounter(models.Model):
    """The last number given to a record of one kind, one BLO and one year."""

    key = models.CharField(max_length=80, unique=True)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting for the worker")
    CHECKING = "checking", _("checking every row")
    WRITING = "writing", _("recording")
    DONE = "done", _("recorded")
    REFUSED = "refused", _("refused: nothing was imported")
    FAILED = "failed", _("failed: nothing was imported")

    @property
    def is_finished(self) -> bool:
        return self in {ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED}


class SeizureImport(models.Model):
    """One uploaded seizure file and the progress of the background task that imports it.

    The upload is kept here until the task has finished with it (then emptied); the problems
    found are kept as sheet/row/column/message so that the person who started the import sees
    them on its page.
    """

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    blo = models.ForeignKey(BLO, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    upload = models.BinaryField(blank=True, default=b"")
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    recorded = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=10, blank=True, help_text="Of the problems' wording.")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("seizure import")

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for one create request of the API: a retry with the same
    key gets the first answer again instead of recording a second time. Kept 24 hours per user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.endpoint})"


class ExportKind(models.TextChoices):
    INCIDENTS_CSV = "incidents.csv", "CSV"
    INCIDENTS_XLSX = "incidents.xlsx", "XLSX"
    VRS_MSRC = "vrs-msrc.csv", "VRS-MSRC"

    @property
    def file_format(self) -> str:
        return "xlsx" if self is ExportKind.INCIDENTS_XLSX else "csv"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting for the worker")
    WRITING = "writing", _("writing the file")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")
    DISCARDED = "discarded", _("discarded: some of its records are no longer shared with you")

    @property
    def is_finished(self) -> bool:
        return self in {ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.DISCARDED}


class IncidentExport(models.Model):
    """One export of the incidents a person's search finds, written by the background worker.

    The search (its filters) is kept, not its result: the worker runs it as the person who asked,
    through the same visibility filter as the list. The file is kept with the references of the
    incidents it holds, so that the download can check every one is still readable by that person
    (a record narrowed after the file was written is not handed out from an old file). Shown and
    downloaded by the person who asked only; files older than :data:`EXPORT_KEPT` are removed.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ExportKind.choices)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows = models.PositiveIntegerField(default=0)
    content = models.BinaryField(blank=True, default=b"")
    references = models.JSONField(
        default=list, blank=True, help_text="Of the incidents in the file, checked at download."
    )
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("incident export")

    def __str__(self) -> str:
        return f"export {self.pk} ({self.kind}, {self.status})"

    @property
    def file_name(self) -> str:
        stem = "vrs-msrc" if self.kind == ExportKind.VRS_MSRC else "liaison-incidents"
        return f"{stem}-{self.pk}.{ExportKind(self.kind).file_format}"


EXPORT_KEPT = datetime.timedelta(hours=24)
"""How long a written export is kept for its download."""


class RecordIdentifier(models.Model):
    """One identifier a record names, in its normal form (:mod:`liaison.exchange.identifiers`):
    the index that finds the records naming the same plate, number, company or container.

    Written only by the services that write the records, in the same transaction; read only
    through the reader's visibility (:func:`liaison.exchange.access.readable_identifiers`). A row
    taken from a nominal entry points at it, and counts only for a reader of that entry."""

    kind = models.CharField(max_length=12, choices=IdentifierKind.choices)
    value = models.CharField(max_length=IDENTIFIER_MAX_LENGTH)
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="identifiers"
    )
    intelligence = models.ForeignKey(
        IntelligenceReport,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identifiers",
    )
    nominal_entry = models.ForeignKey(
        NominalEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("record identifier")
        indexes = [models.Index(fields=["kind", "value"], name="identifier_kind_value")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(incident__isnull=False, intelligence__isnull=True)
                | models.Q(
                    incident__isnull=True, intelligence__isnull=False, nominal_entry__isnull=True
                ),
                name="identifier_of_one_record",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def from_nominal(self) -> bool:
        return self.nominal_entry_id is not None


class Attachment(models.Model):
    """A photo or a document attached to one incident, intelligence report or request.

    Its file lives in the uploads folder of the data folder under a random name, and is served
    only through the permission layer (:func:`liaison.exchange.access.access_attachment`): an
    attachment is read by its record's readers; a photo of a person (``of_person``) only by the
    readers of the nominal part — of the entry it shows when one is named, else of the
    originating unit. Its type, size, digest and dimensions are read from the stored bytes."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    intelligence = models.ForeignKey(
        IntelligenceReport,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    information_request = models.ForeignKey(
        InformationRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(max_length=200, editable=False)
    thumbnail = models.FileField(max_length=200, blank=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=50, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    of_person = models.BooleanField(
        _("photo of a person"),
        default=False,
        help_text=_("Shown only to those who may read the nominal data."),
    )
    nominal_entry = models.ForeignKey(
        NominalEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person shown"),
    )
    location_kept = models.BooleanField(_("location kept"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        incident__isnull=False,
                        intelligence__isnull=True,
                        information_request__isnull=True,
                    )
                    | models.Q(
                        incident__isnull=True,
                        intelligence__isnull=False,
                        information_request__isnull=True,
                        nominal_entry__isnull=True,
                    )
                    | models.Q(
                        incident__isnull=True,
                        intelligence__isnull=True,
                        information_request__isnull=False,
                        nominal_entry__isnull=True,
                    )
                ),
                name="attachment_of_one_record",
            ),
            models.CheckConstraint(
                condition=models.Q(of_person=True) | models.Q(nominal_entry__isnull=True),
                name="attachment_entry_only_of_person",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("exchange:attachment", args=[self.pk])

    @property
    def record(self) -> Incident | IntelligenceReport | InformationRequest:
        record = self.incident or self.intelligence or self.information_request
        assert record is not None  # noqa: S101 - the constraint sets exactly one
        return record

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
