"""Related records: identifiers normalised, indexed by the services, and read only as far as the
reader may read the record (and, for a nominal entry's number, the entry)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from liaison.audit.models import AuditEntry
from liaison.exchange import services
from liaison.exchange.access import readable_identifiers
from liaison.exchange.correlation import related_records, seen_before
from liaison.exchange.identifiers import (
    IdentifierKind,
    IdentityHintKind,
    containers_in,
    identity_data_in,
    normalise,
)
from liaison.exchange.models import (
    Distribution,
    Incident,
    IntelligenceReport,
    NominalEntry,
    RecordIdentifier,
)
from liaison.registry.permissions import visible
from tests.builders import make_incident

PERSONAS = ["lan", "thu", "minh", "tuan", "hung", "huong", "dara", "sophea", "ainsley", "root"]


# --- normal forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "typed", "normal"),
    [
        (IdentifierKind.PLATE, "51F-123.45", "51F12345"),
        (IdentifierKind.PLATE, "51f 12345", "51F12345"),
        (IdentifierKind.PLATE, "2A-1234", "2A1234"),
        (IdentifierKind.DOCUMENT, "b 123-4567", "B1234567"),
        (IdentifierKind.DOCUMENT, "079.123.456.789", "079123456789"),
        (IdentifierKind.PHONE, "0912 345 678", "+84912345678"),
        (IdentifierKind.PHONE, "+84 912-345-678", "+84912345678"),
        (IdentifierKind.PHONE, "0084912345678", "+84912345678"),
        (IdentifierKind.PHONE, "+855 12 345 678", "+85512345678"),
        (IdentifierKind.COMPANY, "Công ty TNHH Đại Phát", "dai phat"),
        (IdentifierKind.COMPANY, "DAI PHAT Co., Ltd.", "dai phat"),
        (IdentifierKind.COMPANY, "Dai Phat JSC", "dai phat"),
        (IdentifierKind.CONTAINER, "csqu 305438-3", "CSQU3054383"),
        (IdentifierKind.CONTAINER, "MSCU1234560", ""),  # wrong check digit
        (IdentifierKind.PLATE, "51-", ""),  # too short to compare
    ],
)
def test_identifiers_typed_differently_have_one_normal_form(kind, typed, normal) -> None:
    assert normalise(kind, typed, region="VN") == normal


def test_a_national_phone_number_is_read_in_the_records_country() -> None:
    # the same digits are two lines in two countries
    assert normalise(IdentifierKind.PHONE, "012 345 678", region="KH") == "+85512345678"
    assert normalise(IdentifierKind.PHONE, "0912345678", region="VN") == "+84912345678"


def test_container_numbers_are_found_in_text_only_with_a_right_check_digit() -> None:
    text = "Container CSQU 305438 3 and MSCU1234560 left Cai Mep; csqu3054383 again."
    assert containers_in(text) == {"CSQU3054383"}


def test_identity_data_in_a_summary_is_hinted() -> None:
    hints = identity_data_in(
        "Xe 51F-123.45 của Ông Nguyễn Văn An, hộ chiếu B1234567, gọi 0912 345 678; "
        "Mr Sok Dara drove.",
        region="VN",
    )
    kinds = {(h.kind, h.text) for h in hints}
    assert (IdentityHintKind.PLATE, "51F-123.45") in kinds
    assert (IdentityHintKind.DOCUMENT, "B1234567") in kinds
    assert (IdentityHintKind.PHONE, "0912 345 678") in kinds
    assert (IdentityHintKind.NAME, "Ông Nguyễn Văn An") in kinds
    assert (IdentityHintKind.NAME, "Mr Sok Dara") in kinds


def test_a_summary_without_identity_data_has_no_hint() -> None:
    assert identity_data_in("12 kg of pangolin scales in a truck from Cambodia, 3 March.") == []


# --- the services keep the index ----------------------------------------------------------------


def _plate(plate: str, distribution: str = "blo", role: str = "driver") -> dict[str, str]:
    return {
        "kind": "vehicle",
        "role": role,
        "name": "Hino truck",
        "identifier": plate,
        "distribution": distribution,
    }


def test_recording_an_incident_indexes_its_nominal_numbers_and_summary_containers(
    exchange_world,
) -> None:
    w = exchange_world
    incident = make_incident(
        w.lan,
        nominal=[
            _plate("51F-123.45"),
            {"kind": "telephone", "role": "suspect", "name": "phone", "identifier": "0912345678"},
            {"kind": "company", "role": "owner", "name": "Công ty TNHH Đại Phát"},
        ],
        summary="Scales in container CSQU3054383.",
    )
    rows = {
        (row.kind, row.value, row.from_nominal)
        for row in RecordIdentifier.objects.filter(incident=incident)
    }
    assert rows == {
        ("plate", "51F12345", True),
        ("phone", "+84912345678", True),
        ("company", "dai phat", True),
        ("container", "CSQU3054383", False),
    }


def test_editing_the_summary_rewrites_its_identifiers(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, summary="container CSQU3054383")
    services.do_update_incident(
        incident.reference,
        {"summary": "no container any more"},
        expected_version=incident.version,
        actor=w.lan,
    )
    assert not RecordIdentifier.objects.filter(incident=incident).exists()


def test_intelligence_indexes_the_containers_it_names(exchange_world) -> None:
    w = exchange_world
    report = services.do_record_intelligence(
        IntelligenceReport(
            blo=w.moc_bai,
            title="Route via Cai Mep",
            crime_area="wildlife",
            source_reliability="B",
            information_credibility="2",
            body="Watch container CSQU 305438-3.",
            distribution="blo",
            tlp="AMBER",
        ),
        source="",
        actor=w.lan,
    )
    assert list(report.identifiers.values_list("kind", "value")) == [("container", "CSQU3054383")]


def test_deleting_a_record_takes_its_identifiers_with_it(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, nominal=[_plate("51F-123.45")])
    Incident.objects.filter(pk=incident.pk).delete()
    assert not RecordIdentifier.objects.exists()


# --- as far as the reader may read -------------------------------------------------------------


def test_a_reader_sees_related_records_across_posts_and_spellings(exchange_world) -> None:
    # given: the same plate, typed differently, at Moc Bai and at Bavet, shared across the border
    w = exchange_world
    ours = make_incident(w.lan, distribution="counterpart", nominal=[_plate("51F-123.45", "blo")])
    theirs = make_incident(
        w.dara, distribution="counterpart", nominal=[_plate("51f12345", "counterpart")]
    )
    # when / then: Lan reads Dara's entry (counterpart) and sees the relation from her record
    related = related_records(w.lan, ours)
    assert [(r.reference, r.matched) for r in related] == [
        (theirs.reference, [("Vehicle plate", "51F12345")])
    ]
    # Dara reads Lan's record, not its nominal part (BLO): no relation from her side at all
    assert related_records(w.dara, theirs) == []
    assert seen_before(w.dara, IdentifierKind.PLATE, "51F12345")["seen"] == 1  # her own


def test_a_counterpart_without_access_learns_nothing_not_even_a_count(exchange_world) -> None:
    w = exchange_world
    make_incident(w.lan, distribution="blo", nominal=[_plate("51F-123.45", "blo")])
    answer = seen_before(w.dara, IdentifierKind.PLATE, "51F12345")
    assert answer == {"kind": "plate", "value": "51F12345", "seen": 0, "records": []}
    assert not readable_identifiers(w.dara).exists()


def test_a_number_in_a_withheld_nominal_entry_relates_nothing(exchange_world) -> None:
    # given: Minh (police, Moc Bai) reads both records, but not the customs-only nominal entry
    w = exchange_world
    make_incident(w.lan, distribution="blo", nominal=[_plate("51F-123.45", "agency")])
    other = make_incident(w.minh, distribution="blo", nominal=[_plate("51F 123 45", "blo")])
    # then: for Minh the plate is seen once (his own), and his record has no related record
    assert seen_before(w.minh, IdentifierKind.PLATE, "51F12345")["seen"] == 1
    assert related_records(w.minh, other) == []
    # while Thu (customs, Moc Bai) reads both entries and sees the relation
    assert [r.reference for r in related_records(w.thu, other)] != []


def test_a_victims_number_relates_only_for_the_recording_unit(exchange_world) -> None:
    w = exchange_world
    make_incident(
        w.lan,
        distribution="network",
        tlp="GREEN",
        nominal=[
            {
                "kind": "document",
                "role": "victim",
                "name": "passport",
                "identifier": "B1234567",
                "distribution": "network",
            }
        ],
    )
    assert seen_before(w.thu, IdentifierKind.DOCUMENT, "B1234567")["seen"] == 1
    for persona in ["minh", "hung", "huong", "dara"]:
        assert seen_before(getattr(w, persona), IdentifierKind.DOCUMENT, "B1234567")["seen"] == 0


@pytest.mark.parametrize("distribution", [d.value for d in Distribution if d != "group"])
def test_readable_identifiers_are_exactly_the_policies_reads(exchange_world, distribution) -> None:
    """The join form of the rules (for speed) against the permission layer's own visible sets."""
    w = exchange_world
    tlp = "GREEN" if distribution in {"national", "network"} else "AMBER"
    incident = make_incident(
        w.lan,
        distribution=distribution,
        tlp=tlp,
        nominal=[
            _plate("51F-123.45", "agency"),
            _plate("51F-999.99", distribution),
            _plate("51F-777.77", distribution, role="victim"),
        ],
        summary="container CSQU3054383",
    )
    for persona in PERSONAS:
        user = getattr(w, persona)
        rows = readable_identifiers(user).filter(incident=incident)
        expected: set[tuple[str, int | None]] = set()
        if visible(user, Incident).filter(pk=incident.pk).exists():
            expected.add(("CSQU3054383", None))
        for entry in visible(user, NominalEntry).filter(incident=incident):
            expected.add((entry.identifier.replace("-", "").replace(".", ""), entry.pk))
        assert set(rows.values_list("value", "nominal_entry_id")) == expected, persona


# --- the endpoint -------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_seen_before_answers_the_reader_in_json_and_is_audited(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, distribution="blo", nominal=[_plate("51F-123.45", "blo")])
    response = _client(w.minh).get(
        "/exchange/identifiers/seen/", {"kind": "plate", "value": "51f 123.45"}
    )
    assert response.status_code == 200
    answer = json.loads(response.content)
    assert answer["seen"] == 1
    assert [r["reference"] for r in answer["records"]] == [incident.reference]
    entry = AuditEntry.objects.filter(summary="identifier seen before").get()
    assert entry.changes["references"] == [incident.reference]
    assert "51F" not in json.dumps(entry.changes)  # the value itself is not kept


def test_seen_before_for_a_reader_without_access_is_empty(exchange_world) -> None:
    w = exchange_world
    make_incident(w.lan, distribution="blo", nominal=[_plate("51F-123.45", "blo")])
    response = _client(w.dara).get(
        "/exchange/identifiers/seen/", {"kind": "plate", "value": "51F12345"}
    )
    assert response.status_code == 200
    assert json.loads(response.content)["seen"] == 0
    assert not AuditEntry.objects.filter(summary="identifier seen before").exists()


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "plate"},
        {"kind": "shoe", "value": "51F12345"},
        {"kind": "plate", "value": "x" * 101},
        {"kind": "container", "value": "MSCU1234560"},
        {"kind": "plate", "value": "51F12345", "reference": "x"},
        {},
    ],
)
def test_seen_before_refuses_bad_input(exchange_world, query) -> None:
    response = _client(exchange_world.lan).get("/exchange/identifiers/seen/", query)
    assert response.status_code == 400
    assert json.loads(response.content)["errors"]


@pytest.mark.parametrize("persona", ["ainsley", "root", "huong"])
def test_seen_before_is_refused_to_those_who_do_not_record(exchange_world, persona) -> None:
    response = _client(getattr(exchange_world, persona)).get(
        "/exchange/identifiers/seen/", {"kind": "plate", "value": "51F12345"}
    )
    assert response.status_code == 403


def test_seen_before_is_get_only_and_limited_per_minute(exchange_world, settings) -> None:
    from liaison.exchange.views import checks as views

    client = _client(exchange_world.lan)
    assert client.post("/exchange/identifiers/seen/").status_code == 405
    views.SEEN_PER_MINUTE, before = 2, views.SEEN_PER_MINUTE
    try:
        codes = [
            client.get(
                "/exchange/identifiers/seen/", {"kind": "plate", "value": "51F12345"}
            ).status_code
            for _ in range(3)
        ]
    finally:
        views.SEEN_PER_MINUTE = before
    assert codes[:2] == [200, 200]
    assert codes[2] == 429


def test_summary_check_warns_of_identity_data(exchange_world) -> None:
    client = _client(exchange_world.lan)
    response = client.post(
        "/exchange/identifiers/summary-check/", {"summary": "Ông Trần Văn Bình drove 51F-123.45"}
    )
    answer = json.loads(response.content)
    assert {h["kind"] for h in answer["hints"]} == {"name", "plate"}
    # the warning is in Lan's language and names what it saw
    with translation.override(exchange_world.lan.preferred_language or "vi"):
        assert translation.gettext("a vehicle plate") in answer["warning"]
        assert translation.gettext("a person's name") in answer["warning"]
    assert client.get("/exchange/identifiers/summary-check/").status_code == 405
    quiet = client.post("/exchange/identifiers/summary-check/", {"summary": "12 kg of scales"})
    assert json.loads(quiet.content) == {"hints": [], "warning": ""}


def test_the_record_page_shows_related_records_to_a_reader_only(exchange_world) -> None:
    w = exchange_world
    first = make_incident(w.lan, distribution="blo", nominal=[_plate("51F-123.45", "blo")])
    second = make_incident(w.minh, distribution="blo", nominal=[_plate("51F12345", "blo")])
    page = _client(w.tuan).get(f"/exchange/incidents/{second.reference}/").content.decode()
    assert 'id="related"' in page
    assert first.reference in page
    assert "51F12345" in page
    # Hung (Dien Bien) may not read either; Dara neither: 404, nothing else
    assert _client(w.dara).get(f"/exchange/incidents/{second.reference}/").status_code == 404
