"""Records as STIX 2.1 bundles (OASIS STIX 2.1, with the ``stix2`` library).

An incident is an ``incident`` SDO (the crime area as its label, the seized goods, direction,
detection and conveyance as ``x_liaison_*`` properties), with a ``location`` SDO where it
happened (the point when known, and the country) and the originating post as an ``identity``.
An intelligence report is a ``report`` SDO whose objects are a ``note`` giving the source
grading (Admiralty/NATO code, also as ``x_liaison_*`` properties on the report) and the linked
incidents the reader may read. Nominal entries travel only as the reader may read them
(``x_liaison_nominal``; ``x_liaison_nominal_withheld`` counts the others, as the detail API
does). Every object carries the record's TLP 2.0 marking.
"""

from __future__ import annotations

import datetime
from typing import Any

import stix2

from liaison.exchange.models import TLP, Incident, NominalEntry
from liaison.exchange.partners import IncidentExport, IntelligenceExport, stable_uuid
from liaison.exchange.shape import FieldKind, IncidentField, Use, fields_for
from liaison.registry.models import BLO

MEDIA_TYPE = "application/stix+json;version=2.1"

# TLP 2.0 as STIX 2.1 marking definitions: the extension definition and the five marking
# definitions OASIS publishes with fixed ids, in oasis-open/cti-stix-common-objects,
# extension-definition-specifications/tlp-2.0/extension-definition--60a3c5c5-0d10-413e-aab3-
# 9e08dde9e88d.json (its tlp_clear … tlp_red definitions) and examples/tlp-amber+strict.json.
# stix2 itself ships the TLP 1.0 markings only (TLP_WHITE … TLP_RED).
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_MARKING_IDS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP2_CREATED = "2022-10-01T00:00:00.000Z"


def tlp_marking(tlp: TLP | str) -> stix2.v21.MarkingDefinition:
    """The TLP 2.0 marking definition of a label, exactly as OASIS publishes it."""
    label = TLP(tlp)
    return stix2.v21.MarkingDefinition(
        id=TLP2_MARKING_IDS[label],
        created=TLP2_CREATED,
        name=label.label,
        extensions={
            TLP2_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": label.value.lower(),
            }
        },
    )


def _id(kind: str, key: str) -> str:
    return f"{kind}--{stable_uuid(kind, key)}"


def _identity(blo: BLO, marking: str) -> stix2.v21.Identity:
    return stix2.v21.Identity(
        id=_id("identity", f"blo:{blo.code}"),
        name=f"BLO {blo.name_en}",
        identity_class="organization",
        sectors=["government-national", "law-enforcement"],
        object_marking_refs=[marking],
        x_liaison_blo=blo.code,
        x_liaison_country=blo.country.code,
        allow_custom=True,
    )


def _nominal(entries: list[NominalEntry]) -> list[dict[str, Any]]:
    return [
        {
            "kind": entry.kind,
            "role": entry.role,
            "name": entry.name,
            "identifier": entry.identifier,
            "nationality": str(entry.nationality or ""),
            **(
                {"date_of_birth": entry.date_of_birth.isoformat()}
                if entry.date_of_birth is not None
                else {}
            ),
        }
        for entry in entries
    ]


def _timestamps(created: datetime.datetime, modified: datetime.datetime) -> dict[str, Any]:
    return {"created": created, "modified": max(created, modified)}


_LEFT_OUT_EMPTY = {FieldKind.COUNTRY, FieldKind.COUNTRIES}


def _property(incident: Incident, field: IncidentField) -> Any:
    """An incident's field as its ``x_liaison_*`` property (:mod:`liaison.exchange.shape`)."""
    match field.kind:
        case FieldKind.MOMENT:
            return stix2.utils.format_datetime(stix2.utils.STIXdatetime(incident.occurred_at))
        case FieldKind.POST:
            return incident.blo.code
        case FieldKind.POST_COUNTRY:
            return incident.country.code
        case FieldKind.COUNTRY:
            return str(getattr(incident, field.name) or "")
        case FieldKind.COUNTRIES:
            return [c.code for c in getattr(incident, field.name)]
        case _:
            return getattr(incident, field.name)


def _incident_objects(
    export: IncidentExport, marking: str, *, with_nominal: bool
) -> list[stix2.base._STIXBase]:
    incident = export.incident
    author = _identity(incident.blo, marking)
    properties: dict[str, Any] = {
        f"x_liaison_{field.name}": value
        for field in fields_for(Use.PARTNER)
        # STIX has no empty lists, and an unknown country is left out
        if (value := _property(incident, field)) or field.kind not in _LEFT_OUT_EMPTY
    }
    properties |= {
        "x_liaison_seized": [
            {
                "commodity": item.commodity,
                "commodity_kind": item.commodity_kind,
                "label": item.label,
                "quantity": f"{item.quantity.normalize():f}",
                "unit": item.unit,
            }
            for item in export.items
        ],
    }
    if with_nominal:
        # STIX has no empty lists: no readable entry, no property.
        if export.nominal:
            properties["x_liaison_nominal"] = _nominal(export.nominal)
        properties["x_liaison_nominal_withheld"] = export.nominal_withheld
    labels = [incident.crime_area]
    if export.items:
        labels.append("seizure")
    sdo = stix2.v21.Incident(
        id=_id("incident", incident.reference),
        created_by_ref=author.id,
        name=incident.reference,
        labels=labels,
        object_marking_refs=[marking],
        external_references=[{"source_name": "liaison", "external_id": incident.reference}],
        allow_custom=True,
        **({"description": incident.summary, "lang": incident.summary_language}
           if incident.summary
           else {}),
        **_timestamps(incident.created_at, incident.updated_at),
        **properties,
    )  # fmt: skip
    place: dict[str, Any] = {"country": incident.country.code}
    if export.latitude is not None and export.longitude is not None:
        place.update(latitude=float(export.latitude), longitude=float(export.longitude))
        if incident.crossing is not None:
            place["name"] = incident.crossing.name_en
    location = stix2.v21.Location(
        id=_id("location", incident.reference),
        created_by_ref=author.id,
        object_marking_refs=[marking],
        **_timestamps(incident.created_at, incident.updated_at),
        **place,
    )
    located = stix2.v21.Relationship(
        id=_id("relationship", f"{incident.reference}:located-at"),
        created_by_ref=author.id,
        relationship_type="located-at",
        source_ref=sdo.id,
        target_ref=location.id,
        object_marking_refs=[marking],
        **_timestamps(incident.created_at, incident.updated_at),
    )
    return [author, sdo, location, located]


def incident_bundle(export: IncidentExport) -> stix2.v21.Bundle:
    marking = tlp_marking(export.incident.tlp)
    objects = _incident_objects(export, marking.id, with_nominal=True)
    return stix2.v21.Bundle(marking, *objects, allow_custom=True)


def intelligence_bundle(export: IntelligenceExport) -> stix2.v21.Bundle:
    report = export.report
    marking = tlp_marking(report.tlp)
    author = _identity(report.blo, marking.id)
    when = _timestamps(report.created_at, report.updated_at)
    report_id = _id("report", report.reference)
    note = stix2.v21.Note(
        id=_id("note", f"{report.reference}:grading"),
        created_by_ref=author.id,
        abstract="Source grading (Admiralty code)",
        content=(
            f"Graded {report.grading}: source reliability {report.source_reliability}, "
            f"information credibility {report.information_credibility} "
            "(Admiralty/NATO system)."
        ),
        object_refs=[report_id],
        object_marking_refs=[marking.id],
        x_liaison_source_reliability=report.source_reliability,
        x_liaison_information_credibility=report.information_credibility,
        allow_custom=True,
        **when,
    )
    linked: list[stix2.base._STIXBase] = []
    for incident in export.incidents:
        # A linked incident travels under its own label, which may differ from the report's.
        incident_marking = tlp_marking(incident.incident.tlp)
        if incident_marking.id != marking.id and incident_marking not in linked:
            linked.append(incident_marking)
        linked.extend(_incident_objects(incident, incident_marking.id, with_nominal=False))
    refs = [note.id] + [o.id for o in linked if o.type == "incident"]
    properties: dict[str, Any] = {
        "x_liaison_reference": report.reference,
        "x_liaison_crime_area": report.crime_area,
        "x_liaison_source_reliability": report.source_reliability,
        "x_liaison_information_credibility": report.information_credibility,
        "x_liaison_grading": report.grading,
        "x_liaison_distribution": report.distribution,
    }
    if export.nominal:
        properties["x_liaison_nominal"] = _nominal(export.nominal)
    if report.route:
        properties["x_liaison_route"] = report.route
    sdo = stix2.v21.Report(
        id=report_id,
        created_by_ref=author.id,
        name=report.title,
        description=report.body,
        lang=report.body_language,
        report_types=["threat-report"],
        published=report.created_at,
        labels=[report.crime_area],
        object_refs=refs,
        object_marking_refs=[marking.id],
        external_references=[{"source_name": "liaison", "external_id": report.reference}],
        allow_custom=True,
        **when,
        **properties,
    )
    objects: list[Any] = [marking, author, sdo, note]
    seen = {marking.id, author.id}
    for obj in linked:
        if obj.id not in seen:  # the linked incidents' posts may be the report's own
            seen.add(obj.id)
            objects.append(obj)
    return stix2.v21.Bundle(*objects, allow_custom=True)
