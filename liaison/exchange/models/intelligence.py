"""Graded intelligence: the report, its 4x4 grading and its protected source."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from liaison.exchange.models.incidents import Incident
from liaison.exchange.models.nominal import NominalEntry
from liaison.exchange.models.shareable import Shareable
from liaison.reference.models import (
    CrimeArea,
)


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
