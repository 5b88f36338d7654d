"""Records as MISP events (PyMISP's model: MISPEvent, MISPObject, MISPAttribute).

The TLP label is the MISP taxonomy tag (``tlp:amber``, ``tlp:amber+strict`` …); an intelligence
report's grading is the ``admiralty-scale`` taxonomy's two tags; the crime area is a
``liaison:crime-area`` tag. Where it happened is a ``geolocation`` object, an intelligence report
a ``report`` object, and the nominal entries the reader may read are ``person`` and ``vehicle``
objects, ``legal-entity`` objects (companies), ``phone-number``/``passport-number``
attributes and ``text`` attributes (container numbers) (none of those the reader may not).

Distribution, never wider than Liaison's (MISP has no level for "these posts" or "this
country", and a sharing group's id means nothing on another instance):

=================================================  =====================================
Liaison                                            MISP
=================================================  =====================================
agency, BLO, counterpart, national, sharing group  0 — Your organisation only
the whole BLO network                              1 — This community only
=================================================  =====================================

The Liaison distribution itself travels as a ``liaison:distribution`` tag, so that whoever runs
the receiving instance can put the event in the sharing group that matches it.
"""

from __future__ import annotations

from pymisp import MISPAttribute, MISPEvent, MISPObject

from liaison.exchange.models import Distribution, NominalEntry, NominalKind
from liaison.exchange.partners import IncidentExport, IntelligenceExport, stable_uuid

MISP_DISTRIBUTION: dict[Distribution, int] = {
    Distribution.AGENCY: 0,
    Distribution.BLO: 0,
    Distribution.COUNTERPART: 0,
    Distribution.NATIONAL: 0,
    Distribution.GROUP: 0,
    Distribution.NETWORK: 1,
}
INHERIT_EVENT = 5
"""An attribute's or object's distribution: the event's."""
THREAT_LEVEL_UNDEFINED = 4
ANALYSIS_COMPLETED = 2


def _add(event: MISPEvent, kind: str, value: str, *, category: str, comment: str) -> MISPAttribute:
    attribute = event.add_attribute(
        kind, value, category=category, comment=comment, distribution=INHERIT_EVENT
    )
    assert isinstance(attribute, MISPAttribute)  # noqa: S101 - one value, one attribute
    return attribute


def _event(reference: str, info: str, tlp: str, distribution: str, crime_area: str) -> MISPEvent:
    event = MISPEvent()
    event.uuid = str(stable_uuid("misp-event", reference))
    event.info = info
    event.distribution = MISP_DISTRIBUTION[Distribution(distribution)]
    event.threat_level_id = THREAT_LEVEL_UNDEFINED
    event.analysis = ANALYSIS_COMPLETED
    event.add_tag(f"tlp:{tlp.lower()}")
    event.add_tag(f'liaison:crime-area="{crime_area}"')
    event.add_tag(f'liaison:distribution="{distribution}"')
    _add(event, "text", reference, category="Internal reference", comment="Liaison reference")
    return event


def _add_nominal(event: MISPEvent, entries: list[NominalEntry]) -> None:
    for entry in entries:
        if entry.kind == NominalKind.PERSON:
            person = MISPObject("person", standalone=False)
            person.distribution = INHERIT_EVENT
            person.add_attribute("full-name", entry.name)
            person.add_attribute("role", entry.role)
            if entry.identifier:
                person.add_attribute("identity-card-number", entry.identifier)
            if entry.nationality:
                person.add_attribute("nationality", entry.nationality.code)
            if entry.date_of_birth is not None:
                person.add_attribute("date-of-birth", entry.date_of_birth.isoformat())
            event.add_object(person)
        elif entry.kind == NominalKind.VEHICLE:
            vehicle = MISPObject("vehicle", standalone=False)
            vehicle.distribution = INHERIT_EVENT
            vehicle.add_attribute("description", f"{entry.name} ({entry.role})")
            if entry.identifier:
                vehicle.add_attribute("license-plate-number", entry.identifier)
            event.add_object(vehicle)
        elif entry.kind == NominalKind.COMPANY:
            company = MISPObject("legal-entity", standalone=False)
            company.distribution = INHERIT_EVENT
            company.add_attribute("name", entry.name)
            if entry.identifier:
                company.add_attribute("registration-number", entry.identifier)
            company.add_attribute("text", entry.role)
            event.add_object(company)
        elif entry.kind == NominalKind.CONTAINER:
            # MISP has no container number type: a text attribute, said so in its comment.
            _add(
                event,
                "text",
                entry.identifier or entry.name,
                category="Other",
                comment=f"Container (ISO 6346): {entry.name} ({entry.role})",
            )
        else:
            kind = "phone-number" if entry.kind == NominalKind.TELEPHONE else "passport-number"
            _add(
                event,
                kind,
                entry.identifier or entry.name,
                category="Person",
                comment=f"{entry.name} ({entry.role})",
            )


def _add_incident(event: MISPEvent, export: IncidentExport) -> list[MISPAttribute]:
    """Adds the incident's attributes and objects; answers every attribute added."""
    incident = export.incident
    added: list[MISPAttribute] = []
    for item in export.items:
        added.append(
            _add(
                event,
                "text",
                f"{item.quantity.normalize():f} {item.unit} {item.label} "
                f"({item.commodity_kind}:{item.commodity})",
                category="Other",
                comment=f"Seized in {incident.reference}",
            )
        )
    if incident.summary:
        added.append(
            _add(
                event,
                "text",
                incident.summary,
                category="Other",
                comment=f"What happened in {incident.reference} ({incident.summary_language})",
            )
        )
    place = MISPObject("geolocation", standalone=False)
    place.distribution = INHERIT_EVENT
    place.comment = incident.reference
    place.add_attribute("countrycode", incident.country.code)
    if export.latitude is not None and export.longitude is not None:
        place.add_attribute("latitude", str(export.latitude))
        place.add_attribute("longitude", str(export.longitude))
    if incident.crossing is not None:
        place.add_attribute("text", incident.crossing.name_en)
    event.add_object(place)
    added.extend(place.attributes)
    return added


def incident_event(export: IncidentExport) -> MISPEvent:
    incident = export.incident
    event = _event(
        incident.reference,
        f"{incident.reference}: {incident.crime_area} incident at BLO {incident.blo.name_en}",
        incident.tlp,
        incident.distribution,
        incident.crime_area,
    )
    event.set_date(incident.occurred_at.date())
    _add_incident(event, export)
    _add_nominal(event, export.nominal)
    return event


def intelligence_event(export: IntelligenceExport) -> MISPEvent:
    report = export.report
    event = _event(
        report.reference,
        f"{report.reference}: {report.title}",
        report.tlp,
        report.distribution,
        report.crime_area,
    )
    event.set_date(report.created_at.date())
    event.add_tag(f'admiralty-scale:source-reliability="{report.source_reliability.lower()}"')
    event.add_tag(f'admiralty-scale:information-credibility="{report.information_credibility}"')
    body = MISPObject("report", standalone=False)
    body.distribution = INHERIT_EVENT
    body.add_attribute("title", report.title)
    body.add_attribute("summary", report.body)
    body.add_attribute("case-number", report.reference)
    event.add_object(body)
    if report.route:
        _add(event, "text", report.route, category="Other", comment="Route")
    for linked in export.incidents:
        reference = _add(
            event,
            "text",
            linked.incident.reference,
            category="Internal reference",
            comment="Linked incident",
        )
        added = [reference, *_add_incident(event, linked)]
        if linked.incident.tlp != report.tlp:
            # A linked incident travels under its own label, which may differ from the report's.
            for attribute in added:
                attribute.add_tag(f"tlp:{linked.incident.tlp.lower()}")
    _add_nominal(event, export.nominal)
    return event
