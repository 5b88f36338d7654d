"""Partner formats: STIX 2.1 bundles and MISP events of incidents and intelligence, read through
the same permission layer as the records' detail."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stix2
from django.test import Client
from pymisp import MISPEvent

from liaison.audit.models import AuditEntry
from liaison.exchange.models import TLP, Distribution, IntelligenceReport
from liaison.exchange.partners.misp import MISP_DISTRIBUTION
from liaison.exchange.partners.stix import MEDIA_TYPE, TLP2_EXTENSION, TLP2_MARKING_IDS
from liaison.exchange.services import do_record_intelligence
from tests.builders import make_incident

pytestmark = pytest.mark.django_db

SUSPECT = "Trần Văn Zqsuspect"
SOURCE = "zqsource informant at the market"


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seizure(exchange_world):
    """Lan's pangolin seizure at Moc Bai, shared with the counterpart post (Bavet); its suspect
    is shared with Moc Bai only."""
    w = exchange_world
    return make_incident(
        w.lan,
        distribution="counterpart",
        tlp="AMBER",
        summary="zqsummary pangolin scales in a truck",
        nominal=[
            {
                "kind": "person",
                "role": "suspect",
                "name": SUSPECT,
                "identifier": "B1234567",
                "nationality": "KH",
                "distribution": "blo",
            }
        ],
    )


@pytest.fixture
def report(exchange_world, seizure):
    """Lan's intelligence report, for Moc Bai only, strictly amber, linked to the seizure."""
    w = exchange_world
    return do_record_intelligence(
        IntelligenceReport(
            blo=w.moc_bai,
            title="zqtitle pangolin route through Moc Bai",
            crime_area="wildlife",
            source_reliability="B",
            information_credibility="2",
            body="zqbody scales move on Tuesdays",
            body_language="vi",
            route="Bavet → Moc Bai → Ho Chi Minh City",
            tlp="AMBER+STRICT",
            distribution="blo",
        ),
        source=SOURCE,
        incidents=[seizure],
        actor=w.lan,
    )


def stix_of(response: Any) -> Any:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == MEDIA_TYPE
    bundle = stix2.parse(response.content.decode(), allow_custom=True)
    assert bundle.type == "bundle"
    return bundle


def objects(bundle: Any, kind: str) -> list[Any]:
    return [o for o in bundle.objects if o.type == kind]


def misp_of(response: Any) -> MISPEvent:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    event = MISPEvent()
    event.load(response.content.decode())
    return event


# --- STIX ------------------------------------------------------------------------------------


def test_counterpart_reads_shared_seizure_as_stix_without_nominal_part(exchange_world, seizure):
    # given Dara, at the counterpart post, who reads the seizure but not its suspect
    dara = client_of(exchange_world.dara)
    # when
    bundle = stix_of(dara.get(f"/api/exchange/incidents/{seizure.reference}/stix"))
    # then
    [incident] = objects(bundle, "incident")
    assert incident.name == seizure.reference
    assert incident.description == seizure.summary
    assert incident.labels == ["wildlife", "seizure"]
    [item] = incident.x_liaison_seized
    assert item["commodity"] == "manis-javanica"
    assert item["quantity"] == "12" and item["unit"] == "kg"
    assert "x_liaison_nominal" not in incident
    assert incident.x_liaison_nominal_withheld == 1
    assert SUSPECT not in json.dumps(json.loads(bundle.serialize()))
    [location] = objects(bundle, "location")
    assert location.country == "VN"
    [relationship] = objects(bundle, "relationship")
    assert (relationship.source_ref, relationship.target_ref) == (incident.id, location.id)
    [author] = objects(bundle, "identity")
    assert incident.created_by_ref == author.id and author.x_liaison_blo == "VN-MOCBAI"


def test_stix_objects_carry_the_tlp_2_marking_definition_oasis_publishes(exchange_world, seizure):
    bundle = stix_of(
        client_of(exchange_world.minh).get(f"/api/exchange/incidents/{seizure.reference}/stix")
    )
    [marking] = objects(bundle, "marking-definition")
    assert marking.id == TLP2_MARKING_IDS[TLP.AMBER]
    assert marking.name == "TLP:AMBER"
    assert marking.extensions[TLP2_EXTENSION]["tlp_2_0"] == "amber"
    for obj in bundle.objects:
        if obj.type != "marking-definition":
            assert obj.object_marking_refs == [marking.id], obj.type


def test_colleague_at_the_post_reads_the_nominal_part_in_stix(exchange_world, seizure):
    bundle = stix_of(
        client_of(exchange_world.minh).get(f"/api/exchange/incidents/{seizure.reference}/stix")
    )
    [incident] = objects(bundle, "incident")
    [person] = incident.x_liaison_nominal
    assert person["name"] == SUSPECT and person["identifier"] == "B1234567"
    assert person["nationality"] == "KH"
    assert incident.x_liaison_nominal_withheld == 0


def test_reading_nominal_data_in_a_partner_format_is_audited(exchange_world, seizure):
    before = AuditEntry.objects.filter(actor=exchange_world.minh).count()
    client_of(exchange_world.minh).get(f"/api/exchange/incidents/{seizure.reference}/stix")
    assert AuditEntry.objects.filter(actor=exchange_world.minh).count() == before + 1


@pytest.mark.parametrize("fmt", ["stix", "misp"])
def test_post_outside_the_audience_gets_404_as_from_the_detail(exchange_world, seizure, fmt):
    # given Hùng at Dien Bien, not paired with Moc Bai
    hung = client_of(exchange_world.hung)
    detail = hung.get(f"/api/exchange/incidents/{seizure.reference}")
    # when
    response = hung.get(f"/api/exchange/incidents/{seizure.reference}/{fmt}")
    # then: the same answer, which does not tell that the record exists
    assert detail.status_code == response.status_code == 404
    assert response.json() == hung.get(f"/api/exchange/incidents/NO-SUCH/{fmt}").json()
    assert b"zqsummary" not in response.content


@pytest.mark.parametrize("fmt", ["stix", "misp"])
def test_intelligence_outside_the_post_is_404_as_its_page(exchange_world, report, fmt):
    dara = client_of(exchange_world.dara)
    assert dara.get(f"/exchange/intelligence/{report.reference}/").status_code == 404
    response = dara.get(f"/api/exchange/intelligence/{report.reference}/{fmt}")
    assert response.status_code == 404
    assert b"zqtitle" not in response.content


@pytest.mark.parametrize("fmt", ["stix", "misp"])
def test_partner_formats_refuse_anonymous_visitors(exchange_world, seizure, fmt):
    response = Client().get(f"/api/exchange/incidents/{seizure.reference}/{fmt}")
    assert response.status_code == 401


def test_intelligence_as_stix_report_with_grading_note_and_linked_incident(
    exchange_world, report, seizure
):
    # given Minh, at the same post, who reads the report but not its source
    bundle = stix_of(
        client_of(exchange_world.minh).get(f"/api/exchange/intelligence/{report.reference}/stix")
    )
    # then
    [sdo] = objects(bundle, "report")
    assert sdo.name == report.title and sdo.description == report.body
    assert sdo.published and sdo.report_types == ["threat-report"]
    assert sdo.x_liaison_grading == "B2"
    assert (sdo.x_liaison_source_reliability, sdo.x_liaison_information_credibility) == ("B", "2")
    [note] = objects(bundle, "note")
    assert "B2" in note.content and note.object_refs == [sdo.id]
    [incident] = objects(bundle, "incident")
    assert incident.name == seizure.reference
    assert set(sdo.object_refs) == {note.id, incident.id}
    # the report is strictly amber, the linked seizure amber: each under its own marking
    markings = {m.name: m.id for m in objects(bundle, "marking-definition")}
    assert sdo.object_marking_refs == [markings["TLP:AMBER+STRICT"]]
    assert incident.object_marking_refs == [markings["TLP:AMBER"]]
    # no nominal data of a linked incident, and never the source
    text = bundle.serialize()
    assert SUSPECT not in text and SOURCE not in text


def test_the_source_never_leaves_even_for_its_author(exchange_world, report):
    lan = client_of(exchange_world.lan)
    assert SOURCE in lan.get(f"/exchange/intelligence/{report.reference}/").content.decode()
    for fmt in ("stix", "misp"):
        response = lan.get(f"/api/exchange/intelligence/{report.reference}/{fmt}")
        assert response.status_code == 200
        assert SOURCE not in response.content.decode()


def test_linked_incident_the_reader_may_not_read_is_left_out(exchange_world):
    # given a report shared with the whole network, linking a seizure for Moc Bai only
    w = exchange_world
    private = make_incident(w.lan, distribution="blo", tlp="AMBER", summary="zqprivate")
    shared = do_record_intelligence(
        IntelligenceReport(
            blo=w.moc_bai,
            title="zqtitle network-wide",
            crime_area="wildlife",
            source_reliability="C",
            information_credibility="3",
            body="zqbody",
            tlp="GREEN",
            distribution="network",
        ),
        source="",
        incidents=[private],
        actor=w.lan,
    )
    # when Khamla, at Pang Hok, takes the report out
    bundle = stix_of(client_of(w.khamla).get(f"/api/exchange/intelligence/{shared.reference}/stix"))
    event = misp_of(client_of(w.khamla).get(f"/api/exchange/intelligence/{shared.reference}/misp"))
    # then the seizure is neither in it nor named
    assert objects(bundle, "incident") == []
    assert private.reference not in bundle.serialize()
    assert private.reference not in event.to_json()
    assert "zqprivate" not in event.to_json()


# --- MISP ------------------------------------------------------------------------------------


def tags(event: MISPEvent) -> set[str]:
    return {tag.name for tag in event.tags}


def test_counterpart_reads_seizure_as_misp_event_without_nominal_part(exchange_world, seizure):
    event = misp_of(
        client_of(exchange_world.dara).get(f"/api/exchange/incidents/{seizure.reference}/misp")
    )
    assert seizure.reference in event.info
    assert "tlp:amber" in tags(event)
    assert 'liaison:distribution="counterpart"' in tags(event)
    assert int(event.distribution) == 0
    values = [a.value for a in event.attributes]
    assert seizure.summary in values
    assert any("manis-javanica" in v for v in values)
    assert [o.name for o in event.objects] == ["geolocation"]
    assert SUSPECT not in event.to_json()


def test_colleague_reads_the_suspect_as_misp_person(exchange_world, seizure):
    event = misp_of(
        client_of(exchange_world.minh).get(f"/api/exchange/incidents/{seizure.reference}/misp")
    )
    [person] = [o for o in event.objects if o.name == "person"]
    values = {a.object_relation: a.value for a in person.attributes}
    assert values["full-name"] == SUSPECT
    assert values["identity-card-number"] == "B1234567"


def test_intelligence_as_misp_event_with_admiralty_tags(exchange_world, report):
    event = misp_of(
        client_of(exchange_world.minh).get(f"/api/exchange/intelligence/{report.reference}/misp")
    )
    assert {
        "tlp:amber+strict",
        'admiralty-scale:source-reliability="b"',
        'admiralty-scale:information-credibility="2"',
    } <= tags(event)
    [body] = [o for o in event.objects if o.name == "report"]
    assert {a.object_relation: a.value for a in body.attributes}["summary"] == report.body
    # the linked seizure's attributes keep their own label
    linked = [a for a in event.attributes if a.comment == "Linked incident"]
    assert [a.value for a in linked] == [report.incidents.get().reference]
    assert {t.name for t in linked[0].tags} == {"tlp:amber"}


def test_misp_distribution_is_never_wider_than_liaisons():
    assert MISP_DISTRIBUTION[Distribution.NETWORK] == 1  # this community
    assert {MISP_DISTRIBUTION[d] for d in Distribution if d != Distribution.NETWORK} == {0}


def test_the_same_record_keeps_its_identifiers_across_exports(exchange_world, seizure):
    minh = client_of(exchange_world.minh)
    url = f"/api/exchange/incidents/{seizure.reference}"
    first, second = (objects(stix_of(minh.get(f"{url}/stix")), "incident")[0] for _ in range(2))
    assert first.id == second.id
    assert misp_of(minh.get(f"{url}/misp")).uuid == misp_of(minh.get(f"{url}/misp")).uuid
