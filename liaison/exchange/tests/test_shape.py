"""One definition of an incident's shape (:mod:`liaison.exchange.shape`), and the uses that take
it agreeing on real records: what the API records, its detail, the export's row and an import of
that row give back the same incident; every commodity kind is coded, found and named alike."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

from django.test import Client
from django.utils import timezone, translation

from liaison.exchange.forms import commodity_vocabulary, resolve_commodity
from liaison.exchange.imports import COLUMNS, REQUIRED, import_seizures
from liaison.exchange.models import Incident, SeizureItem
from liaison.exchange.selectors import IncidentFilters, export_rows, search_incidents
from liaison.exchange.shape import (
    COMMODITY_FIELDS,
    COMMODITY_KINDS,
    INCIDENT_FIELDS,
    FieldKind,
    Use,
    export_columns,
    fields_for,
    import_columns,
    names_for,
)
from liaison.reference.models import ReferenceEntry

BODY: dict[str, Any] = {
    "blo": "VN-MOCBAI",
    "occurred_at": "2026-03-14T08:30:00+07:00",
    "location_kind": "between_checkpoints",
    "direction": "exit",
    "crime_area": "wildlife",
    "detection_method": "intelligence",
    "concealment_method": "vehicle_compartment",
    "conveyance": "truck",
    "origin_country": "KH",
    "destination_country": "CN",
    "summary": "Pangolin scales under a load of cassava.",
    "summary_language": "en",
    "tlp": "AMBER+STRICT",
    "distribution": "agency",
    "items": [{"commodity": "species:manis-javanica", "quantity": "12", "unit": "kg"}],
}


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode()


def test_the_body_below_names_every_field_the_api_accepts_and_each_is_a_known_value() -> None:
    # A field added to the API's create makes the round trip below ask for it.
    assert set(BODY) - {"items"} == set(names_for(Use.API_IN))
    for field in fields_for(Use.API_IN):
        if field.kind is FieldKind.CHOICE:
            assert BODY[field.name] in dict(field.choices()), field.name
            assert BODY[field.name] != field.default(), f"{field.name} is left to its default"


def test_what_the_api_records_comes_back_alike_from_its_detail_the_export_and_an_import(
    exchange_world,
) -> None:
    # given: an incident recorded through the API, no field left to its default
    client = _signed_in(exchange_world.lan)
    created = client.post("/api/exchange/incidents", BODY, content_type="application/json")
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    # when: it is read back through the API's detail
    detail = client.get(f"/api/exchange/incidents/{reference}").json()
    # then: every field posted is read back as posted
    for name in names_for(Use.API_IN):
        if name == "occurred_at":
            assert datetime.datetime.fromisoformat(detail[name]) == datetime.datetime.fromisoformat(
                BODY[name]
            )
        else:
            assert detail[name] == BODY[name], name

    # when: it is exported
    original = Incident.objects.get(reference=reference)
    header, row = export_rows(Incident.objects.filter(pk=original.pk))
    # then: the columns are the export's, in its order, and each holds what the API said
    assert (
        header
        == export_columns()
        == [
            "reference",
            "occurred_at",
            "blo",
            "country",
            "crossing",
            "location",
            "direction",
            "crime_area",
            "detection_method",
            "concealment_method",
            "conveyance",
            "origin_country",
            "transit_countries",
            "destination_country",
            "items",
            "people",
            "distribution",
            "tlp",
        ]
    )
    exported = dict(zip(header, row, strict=True))
    for field in fields_for(Use.EXPORT):
        if field.name not in detail or field.kind is FieldKind.PART:
            continue
        if field.kind is FieldKind.MOMENT:
            moment = datetime.datetime.fromisoformat(detail[field.name])
            expected = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        else:
            expected = detail[field.name]
        assert exported[field.column_name] == expected, field.column_name
    assert exported["items"] == "12 kg manis-javanica"

    # when: the export's row is imported again, in the columns the import takes
    taken = [column for column in header if column in COLUMNS]
    raw = _csv(
        [*taken, "commodity", "quantity", "unit"],
        [[exported[c] for c in taken] + ["species:manis-javanica", "12", "kg"]],
    )
    result = import_seizures(
        raw, "round-trip.csv", blo=exchange_world.moc_bai, actor=exchange_world.lan
    )
    # then: the incident imported is the one exported, on every field both carry
    (imported,) = result.incidents
    imported.refresh_from_db()
    shared = [
        f
        for f in INCIDENT_FIELDS
        if {Use.EXPORT, Use.IMPORT} <= f.uses and f.kind is not FieldKind.PART
    ]
    assert {f.name for f in shared} >= {"occurred_at", "crime_area", "tlp", "distribution"}
    for field in shared:
        assert getattr(imported, field.name) == getattr(original, field.name), field.name
    assert imported.items.get().species == original.items.get().species


def test_the_import_accepts_the_shape_columns_and_refuses_a_file_without_a_required_one(
    exchange_world,
) -> None:
    assert import_columns() == COLUMNS
    assert {"occurred_at", "location", "crime_area", "commodity", "quantity", "unit"} <= REQUIRED
    # A column of the export the import does not take is refused by name, never read silently.
    raw = _csv(["occurred_at", "transit_countries"], [["2026-03-14", "LA"]])
    from liaison.tabular import TableError

    try:
        import_seizures(raw, "x.csv", blo=exchange_world.moc_bai, actor=exchange_world.lan)
    except TableError as refused:
        columns = {p.column for p in refused.problems}
    else:  # pragma: no cover - the import must refuse
        raise AssertionError("imported a file with an unknown column")
    assert "transit_countries" in columns
    assert REQUIRED - {"occurred_at"} <= columns


def test_the_published_api_schema_has_the_shape_fields(exchange_world) -> None:
    schemas = (
        _signed_in(exchange_world.lan).get("/api/openapi.json").json()["components"]["schemas"]
    )
    accepted = schemas["IncidentIn"]
    assert set(accepted["properties"]) == {*names_for(Use.API_IN), "items"}
    # Required on the way in: what the incident's model cannot leave empty or default.
    assert set(accepted["required"]) == {
        "blo",
        "occurred_at",
        "location_kind",
        "direction",
        "crime_area",
        "detection_method",
        "concealment_method",
        "conveyance",
    }
    assert accepted["properties"]["tlp"]["default"] == "AMBER"
    assert accepted["properties"]["distribution"]["default"] == "blo"
    listed = set(schemas["IncidentOut"]["properties"])
    assert listed == {*names_for(Use.API_LIST), "crime_area_label", "items"}
    detailed = set(schemas["IncidentDetailOut"]["properties"])
    assert detailed == listed | {
        *names_for(Use.API_DETAIL),
        "nominal",
        "nominal_withheld",
        "attachments",
    }
    nominal = set(schemas["NominalOut"]["properties"])
    assert nominal == {"kind", "role", "name", "identifier", "nationality"}


def test_every_commodity_kind_is_coded_found_and_named_alike(exchange_world) -> None:
    # The model holds one vocabulary field per kind, and no other.
    vocabularies = {
        f.name
        for f in SeizureItem._meta.get_fields()
        if isinstance(f.related_model, type)
        and issubclass(f.related_model, ReferenceEntry)
        and f.name != "specimen_part"
    }
    assert vocabularies == set(COMMODITY_FIELDS)
    client = _signed_in(exchange_world.lan)
    for kind in COMMODITY_KINDS:
        assert SeizureItem._meta.get_field(kind.field).related_model is kind.vocabulary
        entry = kind.entries().filter(active=True).order_by("code").first()
        assert entry is not None, kind.key
        code = f"{kind.key}:{entry.code}"
        # the form's picker lists it under the kind's title, and the form resolves it
        listed = {e["value"]: e["group"] for e in commodity_vocabulary("en", kind=kind.key)}
        with translation.override("en"):
            assert listed[code] == str(kind.title)
        assert resolve_commodity(code) == (kind.field, entry)
        unit = SeizureItem(**{kind.field: entry})._allowed_units()[:1] or ["kg"]
        # the API records it in the kind's field and says so
        created = client.post(
            "/api/exchange/incidents",
            {
                **BODY,
                "crime_area": "general",
                "items": [{"commodity": code, "quantity": "2", "unit": unit[0]}],
            },
            content_type="application/json",
        )
        assert created.status_code == 201, (kind.key, created.content)
        (item,) = created.json()["items"]
        assert (item["commodity_kind"], item["commodity"]) == (kind.field, entry.code)
        # the import codes it in the same field
        raw = _csv(
            ["occurred_at", "location", "direction", "crime_area", "commodity", "quantity", "unit"],
            [["2026-03-14", "international_checkpoint", "entry", "general", code, "2", unit[0]]],
        )
        (imported,) = import_seizures(
            raw, "kinds.csv", blo=exchange_world.moc_bai, actor=exchange_world.lan
        ).incidents
        assert getattr(imported.items.get(), kind.field) == entry
        # and the search by commodity finds both
        found = search_incidents(exchange_world.lan, IncidentFilters(commodity=code))
        assert {created.json()["reference"], imported.reference} <= set(
            found.values_list("reference", flat=True)
        )
