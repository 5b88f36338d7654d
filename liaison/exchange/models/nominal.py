"""Nominal data: people, vehicles, telephones and documents, kept apart from the non-nominal
record with a distribution of their own (the WCO CEN practice)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from liaison.exchange.models.incidents import Incident
from liaison.exchange.models.shareable import Distribution


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
