"""Migrant smuggling reports: the fields of UNODC's VRS-MSRC."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from liaison.exchange.models.incidents import Conveyance, Incident


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
