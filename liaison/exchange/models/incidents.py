"""Incidents and seizures: the non-nominal record, the commodities seized, the people counted."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from liaison.exchange.models.shareable import Shareable
from liaison.exchange.shape import COMMODITY_FIELDS as COMMODITY_KIND_FIELDS
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
from liaison.registry.models import Agency, Crossing, latitude_field, longitude_field


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
    with_pending = models.Manager()

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

    COMMODITY_FIELDS = COMMODITY_KIND_FIELDS  # one per kind of liaison.exchange.shape

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
