"""The audit log page shows an entry's words only to readers who may read the entry's object."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from liaison.audit.models import AuditAction, AuditEntry
from liaison.audit.services import record
from liaison.exchange.models import Alert, IntelligenceReport
from liaison.exchange.services import do_record_intelligence, do_send_alert
from tests.builders import ensure_vocabulary, make_incident


@pytest.fixture
def exchange_world(world):
    ensure_vocabulary()
    return world


def client(user) -> Client:
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def red_report(actor, title: str) -> IntelligenceReport:
    return do_record_intelligence(
        IntelligenceReport(
            blo=actor.blo,
            title=title,
            crime_area="wildlife",
            source_reliability="B",
            information_credibility="2",
            body="…",
            tlp="RED",
            distribution="agency",
        ),
        source="",
        actor=actor,
    )


def test_coordinator_and_administrator_do_not_read_titles_or_plates_of_records_they_cannot_read(
    exchange_world,
) -> None:
    w = exchange_world
    # given a RED agency-only report (its title also written by an older release into an entry)
    report = red_report(w.lan, "Tiger bones at kilometre 12")
    record(
        actor=w.lan,
        action=AuditAction.VIEW,
        obj=report,
        summary=f"{report.reference} Tiger bones at kilometre 12",
    )
    alert = do_send_alert(Alert(subject="Hino truck 70C-123.45"), actor=w.lan)
    record(actor=w.lan, action=AuditAction.SHARE, obj=alert, summary="Hino truck 70C-123.45")
    for reader in (w.huong, w.root):
        page = client(reader).get("/audit/").content.decode()
        assert "Tiger bones" not in page
        assert "70C-123.45" not in page
        assert report.reference not in page
        # what happened, when and by whom stays on the page
        assert "lan" in page and "Created" in page


def test_coordinator_of_another_country_does_not_read_what_she_gets_404_for(
    exchange_world,
) -> None:
    w = exchange_world
    incident = make_incident(w.lan, tlp="AMBER", distribution="counterpart")
    # Dara, at the counterpart post, reads it; Vanna (Cambodia's coordinator) may not
    assert client(w.dara).get(f"/exchange/incidents/{incident.reference}/").status_code == 200
    record(actor=w.dara, action=AuditAction.VIEW, obj=incident, summary="Scales in cashew bags")
    assert client(w.vanna).get(f"/exchange/incidents/{incident.reference}/").status_code == 404
    page = client(w.vanna).get("/audit/").content.decode()
    assert "dara" in page
    assert "Scales in cashew bags" not in page


def test_coordinator_reads_the_words_of_entries_whose_record_she_may_read(exchange_world) -> None:
    w = exchange_world
    incident = make_incident(w.lan, tlp="GREEN", distribution="national")
    page = client(w.huong).get("/audit/").content.decode()
    assert incident.reference in page


def test_the_page_asks_the_permission_layer_once_per_page_not_once_per_row(
    exchange_world,
) -> None:
    w = exchange_world

    def queries() -> int:
        c = client(w.huong)
        with CaptureQueriesContext(connection) as captured:
            assert c.get("/audit/").status_code == 200
        return len(captured.captured_queries)

    make_incident(w.lan, tlp="GREEN", distribution="national")
    few = queries()
    for _ in range(12):
        make_incident(w.lan, tlp="GREEN", distribution="national")
    assert AuditEntry.objects.count() > 12
    assert queries() <= few
