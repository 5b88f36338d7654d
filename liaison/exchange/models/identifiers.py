"""The index of identifiers records name (plates, numbers, companies, containers)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from liaison.exchange.identifiers import MAX_LENGTH as IDENTIFIER_MAX_LENGTH
from liaison.exchange.identifiers import IdentifierKind
from liaison.exchange.models.incidents import Incident
from liaison.exchange.models.intelligence import IntelligenceReport
from liaison.exchange.models.nominal import NominalEntry


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
