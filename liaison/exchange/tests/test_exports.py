"""Exports of incidents are written by the background worker and downloaded from their page, by
the person who asked only, and never hand out a record that person may no longer read."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from liaison.audit.models import AuditAction, AuditEntry
from liaison.exchange.models import ExportStatus, Incident, IncidentExport
from tests.builders import ensure_vocabulary, exported, make_incident

pytestmark = pytest.mark.django_db


def references(body: bytes) -> set[str]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    return {row[0] for row in rows[1:]}


def signed_in(user) -> Client:
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seizures(world):
    ensure_vocabulary()
    wildlife = make_incident(world.lan, crime_area="wildlife", summary="pangolin scales")
    drugs = make_incident(
        world.lan, crime_area="drugs", commodity="drug:methamphetamine-crystalline"
    )
    hidden = make_incident(world.hung, crime_area="wildlife", summary="at another post")
    return wildlife, drugs, hidden


def test_the_asking_page_counts_and_writes_nothing(world, seizures) -> None:
    minh = signed_in(world.minh)
    # when Minh opens the export of his search
    page = minh.get("/exchange/incidents/export.csv?area=wildlife")
    # then the page asks, with the search kept, and nothing is written yet
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 incident is found by this search" in text
    assert 'name="area" value="wildlife"' in text
    assert not IncidentExport.objects.exists()


def test_the_worker_writes_what_the_search_finds_and_audits_it(world, seizures) -> None:
    wildlife, _drugs, _hidden = seizures
    minh = signed_in(world.minh)
    # when Minh exports the wildlife incidents he may read
    asked = minh.post("/exchange/incidents/export.csv", {"area": "wildlife"})
    # then he follows the export on its page, which offers the file once written
    assert asked.status_code == 302
    page = minh.get(asked["Location"])
    assert "data-export-download" in page.content.decode()
    progress = minh.get(asked["Location"] + "?format=json").json()
    assert progress["status"] == "done" and progress["rows"] == 1
    body = minh.get(asked["Location"] + "file")
    assert body["Content-Disposition"].startswith('attachment; filename="liaison-incidents-')
    assert references(body.content) == {wildlife.reference}
    # and the export is in the audit log, as his, with its size
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=world.minh).get()
    assert entry.changes == {"rows": 1}


def test_xlsx_and_vrs_exports_are_written_too(world, seizures) -> None:
    smuggling = make_incident(world.lan, crime_area="migrant_smuggling")
    minh = signed_in(world.minh)
    xlsx = exported(minh, "/exchange/incidents/export.xlsx")
    assert xlsx.content[:2] == b"PK"
    vrs = exported(minh, "/exchange/incidents/vrs-msrc.csv")
    assert references(vrs.content) == {smuggling.reference}


def test_another_person_cannot_see_or_download_an_export(world, seizures) -> None:
    minh = signed_in(world.minh)
    asked = minh.post("/exchange/incidents/export.csv")
    lan = signed_in(world.lan)
    assert lan.get(asked["Location"]).status_code == 404
    assert lan.get(asked["Location"] + "file").status_code == 404
    assert lan.get(asked["Location"] + "?format=json").status_code == 404


def test_a_record_narrowed_after_the_file_was_written_is_not_handed_out(world, seizures) -> None:
    wildlife, drugs, _hidden = seizures
    minh = signed_in(world.minh)
    # given Minh's export, written while Lan's seizures were shared with all of Moc Bai
    asked = minh.post("/exchange/incidents/export.csv")
    export = IncidentExport.objects.get()
    assert set(export.references) == {wildlife.reference, drugs.reference}
    # when one of them is narrowed to Lan's agency (customs; Minh is police)
    Incident.objects.filter(pk=drugs.pk).update(distribution="agency")
    # then the file is not handed out, and is thrown away
    refused = minh.get(asked["Location"] + "file", follow=True)
    assert refused.redirect_chain[-1][0] == asked["Location"]
    assert "no longer shared with you" in refused.content.decode()
    export.refresh_from_db()
    assert export.status == ExportStatus.DISCARDED
    assert bytes(export.content) == b"" and export.references == []
    # and exporting again gives what he may read now
    assert references(exported(minh, "/exchange/incidents/export.csv").content) == {
        wildlife.reference
    }


def test_bad_addresses_answer_404_and_get_does_not_download_a_running_export(
    world, seizures
) -> None:
    minh = signed_in(world.minh)
    assert minh.get("/exchange/incidents/export.pdf").status_code == 404
    assert minh.post("/exchange/incidents/export.exe").status_code == 404
    assert minh.get("/exchange/exports/999999/").status_code == 404
    assert minh.post("/exchange/exports/1/file").status_code in {404, 405}
    # an export not yet written sends its page, not a file
    asked = minh.post("/exchange/incidents/export.csv")
    IncidentExport.objects.update(status=ExportStatus.WRITING, content=b"")
    response = minh.get(asked["Location"] + "file")
    assert response.status_code == 302 and response["Location"] == asked["Location"]


def test_signed_out_exports_go_to_sign_in(world, seizures) -> None:
    response = Client().post("/exchange/incidents/export.csv")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not IncidentExport.objects.exists()
