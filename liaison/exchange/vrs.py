"""Export in the shape of UNODC's Voluntary Reporting System on Migrant Smuggling and Related
Conduct (VRS-MSRC): one row per incident and profile, non-nominal only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from liaison.exchange.models import Incident, MigrantSmugglingReport, PersonCategory

VRS_COLUMNS = [
    "incident_reference",
    "reporting_country",
    "reporting_post",
    "date_of_detection",
    "place_of_detection",
    "direction",
    "country_of_departure",
    "transit_countries",
    "country_of_intended_destination",
    "means_of_transport",
    "smuggling_methods",
    "document_fraud",
    "fee_per_person",
    "fee_currency",
    "profile",
    "citizenship",
    "sex",
    "age_group",
    "number_of_persons",
    "smuggler_roles",
    "deaths_or_injuries",
]


def vrs_rows(incidents: QuerySet[Incident]) -> list[list[Any]]:
    rows: list[list[Any]] = [VRS_COLUMNS]
    queryset = incidents.select_related("country", "blo").prefetch_related("people")
    reports = {
        r.incident_id: r for r in MigrantSmugglingReport.objects.filter(incident__in=incidents)
    }
    for incident in queryset.order_by("occurred_at"):
        report = reports.get(incident.pk)
        common = [
            incident.reference,
            incident.country.code,
            incident.blo.name_en,
            timezone.localtime(incident.occurred_at).date().isoformat(),
            incident.location_kind,
            incident.direction,
            str(incident.origin_country or ""),
            " ".join(c.code for c in incident.transit_countries),
            str(incident.destination_country or ""),
            report.means_of_transport if report else incident.conveyance,
            " ".join(report.methods) if report else "",
            report.document_fraud if report else "",
            f"{report.fee_per_person:f}" if report and report.fee_per_person is not None else "",
            report.fee_currency if report else "",
        ]
        tail = [
            " ".join(report.smuggler_roles) if report else "",
            report.deaths_or_injuries if report else 0,
        ]
        people = list(incident.people.all())
        if not people:
            rows.append([*common, "", "", "", "", 0, *tail])
        for person in people:
            rows.append(
                [
                    *common,
                    PersonCategory(person.category).value,
                    person.nationality.code,
                    person.sex,
                    person.age_band,
                    person.count,
                    *tail,
                ]
            )
    return rows
