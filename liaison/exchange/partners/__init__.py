"""Partner formats: a record as a STIX 2.1 bundle (``stix``) or a MISP event (``misp``).

What a reader may take out is read here, once, through the permission layer: the record itself
as its detail answers (a record the reader may not read is a 404, whatever the format), the
nominal entries the reader may read (as the detail API shows them), the linked incidents the
reader may read. An intelligence report's source never leaves in a partner format, not even for
the originating agency, who reads it on the page: these formats are made to leave Liaison.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest

from liaison.exchange import services
from liaison.exchange.models import Incident, IntelligenceReport, NominalEntry
from liaison.exchange.shape import commodity_field_of
from liaison.registry.models import User
from liaison.registry.permissions import access, visible

NAMESPACE = uuid.UUID("6f0f3c1e-5b7d-4f4e-9a43-2f3b8c1d7a10")
"""Liaison's namespace for the identifiers it gives its records in partner formats: the same
record always gets the same STIX id and MISP uuid, so a partner's platform updates what it
imported instead of adding a copy."""


def stable_uuid(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{key}")


@dataclass(frozen=True)
class SeizedItem:
    commodity: str  # the reference vocabulary's code
    commodity_kind: str  # the SeizureItem field it is coded in (drug_type, species, …)
    label: str  # in English: partner formats are read by other platforms
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class IncidentExport:
    incident: Incident
    items: list[SeizedItem]
    nominal: list[NominalEntry]
    nominal_withheld: int
    latitude: Decimal | None
    longitude: Decimal | None


@dataclass(frozen=True)
class IntelligenceExport:
    report: IntelligenceReport
    incidents: list[IncidentExport]  # the linked incidents the reader may read, without nominal
    nominal: list[NominalEntry]  # the linked nominal entries the reader may read


def _items(incident: Incident) -> list[SeizedItem]:
    seized: list[SeizedItem] = []
    for item in incident.items.all():
        kind = commodity_field_of(item)
        entry = item.commodity
        seized.append(
            SeizedItem(
                commodity=str(getattr(entry, "code", "")),
                commodity_kind=kind,
                label=entry.label("en") if entry is not None else "",
                quantity=item.quantity,
                unit=item.unit,
            )
        )
    return seized


def _incident_export(
    incident: Incident, nominal: list[NominalEntry], withheld: int
) -> IncidentExport:
    # Where it happened: the incident's own point, else its crossing's.
    latitude, longitude = incident.latitude, incident.longitude
    if (latitude is None or longitude is None) and incident.crossing is not None:
        latitude, longitude = incident.crossing.latitude, incident.crossing.longitude
    if latitude is None or longitude is None:
        latitude = longitude = None
    return IncidentExport(
        incident=incident,
        items=_items(incident),
        nominal=nominal,
        nominal_withheld=withheld,
        latitude=latitude,
        longitude=longitude,
    )


_INCIDENT_PARTS = ("blo", "country", "crossing", "agency")


def incident_for_export(user: User, reference: str, request: HttpRequest) -> IncidentExport:
    """An incident as its API detail gives it to ``user`` (404 if they may not read it).

    Reading nominal data is recorded in the audit log, as the detail does."""
    found = access(user, Incident, reference=reference)
    found = Incident.objects.select_related(*_INCIDENT_PARTS).get(pk=found.pk)
    nominal = list(visible(user, NominalEntry).filter(incident=found).order_by("pk"))
    if nominal:
        services.record_view(user, found, request)
    withheld = found.nominal_entries.count() - len(nominal)
    return _incident_export(found, nominal, withheld)


def intelligence_for_export(user: User, reference: str, request: HttpRequest) -> IntelligenceExport:
    """An intelligence report as its page gives it to ``user`` (404 if they may not read it),
    less its source. Reading it is recorded in the audit log, as the page does."""
    report = access(user, IntelligenceReport, reference=reference)
    report = IntelligenceReport.objects.select_related("blo", "country", "agency").get(pk=report.pk)
    services.record_view(user, report, request)
    linked = (
        visible(user, Incident)
        .filter(intelligence=report)
        .select_related(*_INCIDENT_PARTS)
        .order_by("occurred_at", "pk")
    )
    nominal = list(visible(user, NominalEntry).filter(intelligence=report).order_by("pk"))
    return IntelligenceExport(
        report=report,
        incidents=[_incident_export(incident, [], 0) for incident in linked],
        nominal=nominal,
    )
