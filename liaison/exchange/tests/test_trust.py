"""The SOP on every write path: who may change a TLP label, what widens an audience, what an
alert may carry, and which bulk reads are audited."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from liaison.audit.models import AuditAction, AuditEntry
from liaison.exchange.access import allows_distribution, reaches_blo, widens
from liaison.exchange.models import (
    TLP,
    Alert,
    AlertDelivery,
    Distribution,
    Incident,
    IntelligenceReport,
    ShareRequest,
    ShareStatus,
    SharingGroup,
)
from liaison.exchange.services import (
    do_change_tlp,
    do_create_sharing_group,
    do_decide_share_request,
    do_record_intelligence,
    do_send_alert,
    do_share_record,
    do_update_intelligence,
)
from liaison.registry.permissions import visible
from tests.builders import make_incident

D = Distribution


def client(user) -> Client:
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def make_report(actor, *, tlp: str = "AMBER+STRICT", distribution: str = "blo", **extra):
    return do_record_intelligence(
        IntelligenceReport(
            blo=actor.blo,
            title=extra.pop("title", "Pangolin scales moved by night"),
            crime_area="wildlife",
            source_reliability="B",
            information_credibility="2",
            body=extra.pop("body", "A truck will cross on Friday."),
            tlp=tlp,
            distribution=distribution,
            **extra,
        ),
        source="informant",
        actor=actor,
    )


# --- the rules themselves ----------------------------------------------------------------------


def test_each_label_allows_its_set_of_distributions() -> None:
    allowed = {tlp: {d for d in Distribution if allows_distribution(tlp, d)} for tlp in TLP}
    assert allowed[TLP.RED] == {D.AGENCY}
    assert allowed[TLP.AMBER_STRICT] == {D.AGENCY, D.BLO}
    assert allowed[TLP.AMBER] == {D.AGENCY, D.BLO, D.COUNTERPART}
    assert allowed[TLP.GREEN] == set(Distribution)
    assert allowed[TLP.CLEAR] == set(Distribution)


@pytest.mark.parametrize(
    ("old", "new", "widening"),
    [
        (D.AGENCY, D.BLO, True),
        (D.BLO, D.AGENCY, False),
        (D.BLO, D.COUNTERPART, True),
        (D.COUNTERPART, D.NATIONAL, True),
        (D.NATIONAL, D.COUNTERPART, True),
        (D.COUNTERPART, D.BLO, False),
        (D.NATIONAL, D.BLO, False),
        (D.NETWORK, D.NATIONAL, False),
        (D.NETWORK, D.COUNTERPART, False),
        (D.BLO, D.GROUP, True),
        (D.COUNTERPART, D.GROUP, True),
        (D.NETWORK, D.GROUP, True),  # a group may hold programme staff, outside the network
        (D.GROUP, D.NETWORK, True),
        (D.GROUP, D.COUNTERPART, True),
        (D.GROUP, D.BLO, False),
        (D.GROUP, D.AGENCY, False),
        (D.NETWORK, D.NETWORK, False),
    ],
)
def test_widening_is_a_new_audience_that_can_include_someone_new(old, new, widening) -> None:
    assert widens(old, new) is widening


def test_a_change_of_group_widens_and_the_same_group_does_not() -> None:
    assert widens(D.GROUP, D.GROUP, old_group=1, new_group=2)
    assert not widens(D.GROUP, D.GROUP, old_group=1, new_group=1)


# --- finding 2: the TLP label is the originating unit's to loosen ------------------------------


def test_head_of_another_agency_may_not_loosen_the_label(exchange_world) -> None:
    w = exchange_world
    report = make_report(w.lan, tlp="AMBER+STRICT")
    with pytest.raises(PermissionDenied):
        do_update_intelligence(
            report.reference, {"tlp": TLP.CLEAR}, expected_version=report.version, actor=w.tuan
        )
    report.refresh_from_db()
    assert report.tlp == TLP.AMBER_STRICT
    # and, the label unchanged, he cannot share it to the network either
    with pytest.raises(PermissionDenied):
        do_share_record(report, D.NETWORK, reason="wider", actor=w.tuan)
    assert report.distribution == D.BLO


def test_edit_page_refuses_a_loosened_label_with_a_message(exchange_world) -> None:
    w = exchange_world
    report = make_report(w.lan, tlp="AMBER+STRICT")
    page = client(w.tuan).post(
        f"/exchange/intelligence/{report.reference}/edit/",
        {
            "title": report.title,
            "crime_area": report.crime_area,
            "source_reliability": report.source_reliability,
            "information_credibility": report.information_credibility,
            "body": report.body,
            "body_language": report.body_language,
            "route": "",
            "tlp": TLP.CLEAR,
            "version": report.version,
        },
    )
    assert page.status_code == 200
    assert "originating unit" in page.content.decode()
    report.refresh_from_db()
    assert report.tlp == TLP.AMBER_STRICT


def test_a_colleague_of_the_originating_unit_may_loosen_the_label(exchange_world) -> None:
    w = exchange_world
    report = make_report(w.lan, tlp="AMBER+STRICT")
    do_change_tlp(report, TLP.GREEN, actor=w.thu)
    report.refresh_from_db()
    assert report.tlp == TLP.GREEN


def test_anyone_with_change_rights_may_make_the_label_stricter_and_the_audience_narrows(
    exchange_world,
) -> None:
    w = exchange_world
    incident = make_incident(w.lan, tlp="AMBER", distribution="counterpart")
    assert visible(w.dara, Incident).filter(pk=incident.pk).exists()
    do_change_tlp(incident, TLP.RED, actor=w.tuan)
    incident.refresh_from_db()
    assert incident.tlp == TLP.RED
    assert incident.distribution == D.AGENCY
    assert not visible(w.dara, Incident).filter(pk=incident.pk).exists()
    # nobody across the border, nor another post, changes it at all
    with pytest.raises(PermissionDenied):
        do_change_tlp(incident, TLP.AMBER, actor=w.minh)


# --- finding 3: every widening beyond the label waits for the originator ------------------------


def test_amber_to_national_by_a_colleague_waits_for_the_originator(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, tlp="AMBER", distribution="counterpart")
    outcome = do_share_record(incident, D.NATIONAL, reason="Brief the province", actor=w.thu)
    assert not outcome.applied
    incident.refresh_from_db()
    assert incident.distribution == D.COUNTERPART
    assert not visible(w.hung, Incident).filter(pk=incident.pk).exists()
    do_decide_share_request(ShareRequest.objects.get(), approve=True, actor=w.lan)
    assert visible(w.hung, Incident).filter(pk=incident.pk).exists()


def test_amber_to_a_group_by_a_colleague_waits_for_the_originator(exchange_world) -> None:
    w = exchange_world
    group = do_create_sharing_group("Joint team", [w.sophea], actor=w.thu)
    incident = make_incident(w.lan, tlp="AMBER", distribution="counterpart")
    outcome = do_share_record(incident, D.GROUP, group=group, reason="Joint team", actor=w.thu)
    assert not outcome.applied
    assert not visible(w.sophea, Incident).filter(pk=incident.pk).exists()


def test_outside_the_originating_unit_nobody_widens_beyond_the_label(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, tlp="AMBER", distribution="counterpart")
    with pytest.raises(PermissionDenied):
        do_share_record(incident, D.NATIONAL, reason="please", actor=w.tuan)
    assert not ShareRequest.objects.exists()
    # narrowing stays open to the head
    assert do_share_record(incident, D.BLO, actor=w.tuan).applied


def test_the_originator_widens_beyond_the_label_with_a_recorded_approval(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, tlp="AMBER", distribution="counterpart")
    with pytest.raises(ValidationError):
        do_share_record(incident, D.NATIONAL, actor=w.lan)
    outcome = do_share_record(incident, D.NATIONAL, reason="Brief the province", actor=w.lan)
    assert outcome.applied
    approval = ShareRequest.objects.get()
    assert approval.status == ShareStatus.APPROVED and approval.decided_by == w.lan


def test_moving_an_approved_group_share_to_another_group_waits_again(exchange_world) -> None:
    w = exchange_world
    first = do_create_sharing_group("Team A", [w.dara], actor=w.lan)
    second = do_create_sharing_group("Team B", [w.sophea], actor=w.thu)
    incident = make_incident(w.lan, tlp="AMBER", distribution="blo")
    assert do_share_record(incident, D.GROUP, group=first, reason="op", actor=w.lan).applied
    outcome = do_share_record(incident, D.GROUP, group=second, reason="op 2", actor=w.thu)
    assert not outcome.applied
    incident.refresh_from_db()
    assert incident.group == first


def test_a_share_to_a_group_the_actor_cannot_see_is_refused(exchange_world) -> None:
    w = exchange_world
    hidden = SharingGroup.objects.create(name="Not mine", created_by=w.hung)
    incident = make_incident(w.lan, tlp="GREEN", distribution="blo")
    with pytest.raises(ValidationError):
        do_share_record(incident, D.GROUP, group=hidden, actor=w.lan)


def test_nominal_data_never_reaches_anyone_its_record_does_not(exchange_world) -> None:
    w = exchange_world
    with pytest.raises(ValidationError, match="Nominal data"):
        make_incident(
            w.lan,
            tlp="AMBER",
            distribution="counterpart",
            nominal=[
                {"kind": "vehicle", "role": "other", "name": "Truck", "distribution": "national"}
            ],
        )
    incident = make_incident(
        w.lan,
        tlp="GREEN",
        distribution="counterpart",
        nominal=[
            {"kind": "vehicle", "role": "other", "name": "Truck", "distribution": "counterpart"}
        ],
    )
    do_share_record(incident, D.NATIONAL, actor=w.lan)
    entry = incident.nominal_entries.get()
    assert entry.distribution == D.AGENCY


# --- finding 4: alerts carry only what every recipient may read ---------------------------------


def test_alert_from_a_red_record_is_refused_and_nothing_crosses(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(
        w.lan, tlp="RED", distribution="agency", summary="Informant says 70C-123.45"
    )
    with pytest.raises(ValidationError, match="share it first"):
        do_send_alert(Alert(subject="Truck", incident=incident), actor=w.lan)
    assert not Alert.objects.exists()


def test_incident_form_alert_of_a_red_record_is_refused(exchange_world) -> None:
    w = exchange_world
    c = client(w.lan)
    data = {
        "blo": w.moc_bai.pk,
        "occurred_at": "2025-01-02T10:00",
        "location_kind": "international_checkpoint",
        "direction": "entry",
        "crime_area": "wildlife",
        "detection_method": "scanner",
        "concealment_method": "mixed_with_cargo",
        "conveyance": "truck",
        "summary": "Informant says truck 70C-123.45",
        "summary_language": "vi",
        "tlp": "RED",
        "distribution": "agency",
        "alert_counterparts": "on",
        "alert_subject": "Truck",
        "items-TOTAL_FORMS": "0",
        "items-INITIAL_FORMS": "0",
        "people-TOTAL_FORMS": "0",
        "people-INITIAL_FORMS": "0",
        "nominal-TOTAL_FORMS": "0",
        "nominal-INITIAL_FORMS": "0",
        "vrs-methods": [],
    }
    page = c.post("/exchange/incidents/new/", data)
    assert page.status_code == 200
    assert "share it first" in page.content.decode()
    assert not Alert.objects.exists()
    assert not AlertDelivery.objects.exists()
    assert not Incident.objects.exists()


def test_alert_from_a_record_every_recipient_reads_carries_its_text(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, tlp="AMBER", distribution="counterpart", summary="Scales")
    alert = do_send_alert(
        Alert(subject="Truck", body=incident.summary, incident=incident), actor=w.lan
    )
    assert AlertDelivery.objects.get(alert=alert).to_blo == w.bavet
    assert reaches_blo(incident, w.bavet)
    assert not reaches_blo(incident, w.chrey_thom)


def test_alert_from_a_post_only_record_is_refused(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, tlp="AMBER", distribution="blo")
    with pytest.raises(ValidationError):
        do_send_alert(Alert(subject="Truck", incident=incident), actor=w.lan)


# --- finding 5 (second half): audit entries hold references, not content ------------------------


def test_audit_entries_of_the_exchange_hold_references_not_content(exchange_world) -> None:
    w = exchange_world
    report = make_report(w.lan, title="TITLEWORD", body="BODYWORD", tlp="GREEN")
    do_update_intelligence(
        report.reference,
        {"title": "TITLE2WORD", "body": "BODY2WORD", "route": "ROUTEWORD"},
        expected_version=report.version,
        actor=w.lan,
    )
    client(w.lan).get(f"/exchange/intelligence/{report.reference}/")
    incident = make_incident(w.lan, tlp="AMBER", distribution="blo", summary="SUMMARYWORD")
    c = client(w.lan)
    page = c.get(f"/exchange/incidents/{incident.reference}/edit/")
    assert page.status_code == 200
    from liaison.exchange.services import do_update_incident

    do_update_incident(
        incident.reference,
        {"summary": "SUMMARY2WORD"},
        expected_version=incident.version,
        actor=w.lan,
    )
    incident.refresh_from_db()
    do_share_record(incident, D.COUNTERPART, actor=w.lan)
    do_send_alert(
        Alert(subject="SUBJECTWORD", vehicle="PLATEWORD", body="ALERTBODYWORD", incident=incident),
        actor=w.lan,
    )
    do_share_record(incident, D.NATIONAL, reason="REASONWORD", actor=w.thu)
    do_create_sharing_group("GROUPWORD", [w.dara], actor=w.lan)
    written = " ".join(
        f"{e.summary} {json.dumps(e.changes, ensure_ascii=False)}" for e in AuditEntry.objects.all()
    )
    for word in [
        "TITLEWORD",
        "TITLE2WORD",
        "BODYWORD",
        "BODY2WORD",
        "ROUTEWORD",
        "SUMMARYWORD",
        "SUMMARY2WORD",
        "SUBJECTWORD",
        "PLATEWORD",
        "ALERTBODYWORD",
        "REASONWORD",
    ]:
        assert word not in written, word
    assert report.reference in written and incident.reference in written


# --- finding 11 (part): linking incidents to a report -------------------------------------------


def test_intelligence_links_incidents_through_the_form(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, distribution="blo")
    hidden = make_incident(w.dara, distribution="blo")
    data = {
        "blo": w.moc_bai.pk,
        "title": "Route",
        "crime_area": "wildlife",
        "source_reliability": "B",
        "information_credibility": "2",
        "body": "Text",
        "body_language": "en",
        "tlp": "AMBER",
        "distribution": "blo",
        "incidents": [incident.pk],
    }
    c = client(w.lan)
    response = c.post("/exchange/intelligence/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(IntelligenceReport.objects.get().incidents.all()) == [incident]
    # an incident the author cannot read is a form error, not a link and not a server error
    refused = c.post("/exchange/intelligence/new/", {**data, "incidents": [hidden.pk]})
    assert refused.status_code == 200
    assert IntelligenceReport.objects.count() == 1


# --- finding 13: bulk reads are audited; group names do not disclose others' groups -------------


def test_each_bulk_read_is_one_audit_entry_with_references_not_content(exchange_world) -> None:
    w = exchange_world
    first = make_incident(w.lan, distribution="blo", summary="SECRETSUMMARY")
    second = make_incident(w.lan, distribution="blo")
    make_report(w.lan, title="SECRETTITLE")
    c = client(w.lan)
    before = AuditEntry.objects.count()
    assert c.get("/exchange/incidents/?area=wildlife").status_code == 200
    assert c.get("/api/exchange/incidents?limit=10").status_code == 200
    assert c.get("/exchange/intelligence/").status_code == 200
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert len(entries) == 3
    assert all(e.action == AuditAction.VIEW for e in entries)
    page, api, intel = entries
    assert page.changes["count"] == 2 and page.changes["filters"]["area"] == "wildlife"
    assert set(page.changes["references"]) == {first.reference, second.reference}
    assert api.changes["count"] == 2
    assert intel.changes["count"] == 1
    written = " ".join(json.dumps(e.changes) + e.summary for e in entries)
    assert "SECRETSUMMARY" not in written and "SECRETTITLE" not in written


def test_group_names_are_unique_per_creator_and_disclose_no_one_elses(exchange_world) -> None:
    w = exchange_world
    do_create_sharing_group("Task force", [w.dara], actor=w.lan)
    # Hùng, who cannot see Lan's group, may name his own the same: nothing tells him it exists
    c = client(w.hung)
    response = c.post("/exchange/groups/", {"name": "Task force", "members": [w.binh.pk]})
    assert response.status_code == 302
    assert SharingGroup.objects.filter(name="Task force").count() == 2
    # Lan's second group of the same name is refused, with a message saying it is hers
    again = client(w.lan).post("/exchange/groups/", {"name": "Task force", "members": [w.minh.pk]})
    assert again.status_code == 200
    assert "You already have a sharing group named" in again.content.decode()


# --- bad input is a 4xx --------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["offset=-1", "offset=99999999999999999999", "limit=-5"])
def test_api_list_answers_bad_paging_with_a_4xx(exchange_world, query) -> None:
    response = client(exchange_world.lan).get(f"/api/exchange/incidents?{query}")
    assert 400 <= response.status_code < 500


def test_share_request_answer_with_a_bad_id_is_a_4xx(exchange_world) -> None:
    response = client(exchange_world.lan).post(
        "/exchange/sharing-requests/", {"request": "abc", "decision": "approve"}
    )
    assert 400 <= response.status_code < 500


def test_share_page_explains_a_refused_widening_to_the_head(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, tlp="AMBER", distribution="counterpart")
    page = client(w.tuan).post(
        f"/exchange/incidents/{incident.reference}/share/",
        {"distribution": "national", "reason": "Brief the province"},
    )
    assert page.status_code == 200
    assert "only the originating unit may ask" in page.content.decode()
    incident.refresh_from_db()
    assert incident.distribution == D.COUNTERPART


def test_a_record_cannot_be_recorded_for_a_group_its_author_cannot_see(exchange_world) -> None:
    w = exchange_world
    hidden = SharingGroup.objects.create(name="Not mine", created_by=w.hung)
    with pytest.raises(ValidationError):
        make_incident(w.lan, tlp="GREEN", distribution="group", group=hidden)
    assert not Incident.objects.exists()
