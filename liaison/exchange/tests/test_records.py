from __future__ import annotations

import datetime
import io
import subprocess

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from liaison.audit.models import AuditAction, AuditEntry
from liaison.exchange.imports import import_seizures
from liaison.exchange.models import Incident, IntelligenceReport, SeizureItem
from liaison.exchange.services import (
    StaleEdit,
    do_record_intelligence,
    do_update_incident,
    do_update_intelligence,
)
from liaison.registry.permissions import visible
from liaison.tabular import TableError
from tests.builders import exported, make_incident


def client_for(user, language: str = "en") -> Client:
    user.preferred_language = language
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_second_save_is_refused_with_the_others_change_shown(exchange_world) -> None:
    incident = make_incident(exchange_world.lan, summary="first text")
    # given Lan and Thu both open version 1; Thu saves first
    do_update_incident(
        incident.reference, {"summary": "Thu's text"}, expected_version=1, actor=exchange_world.thu
    )
    # when Lan saves her change on version 1
    with pytest.raises(StaleEdit) as stale:
        do_update_incident(
            incident.reference,
            {"summary": "Lan's text"},
            expected_version=1,
            actor=exchange_world.lan,
        )
    # then nothing is overwritten, and she is shown Thu's value
    assert stale.value.changes["summary"] == {"from": "Thu's text", "to": "Lan's text"}
    incident.refresh_from_db()
    assert incident.summary == "Thu's text" and incident.version == 2


def test_edit_page_keeps_the_users_text_on_conflict(exchange_world) -> None:
    incident = make_incident(exchange_world.lan, summary="first text")
    client = client_for(exchange_world.lan)
    form = client.get(f"/exchange/incidents/{incident.reference}/edit/")
    assert form.status_code == 200
    do_update_incident(
        incident.reference, {"summary": "Thu's text"}, expected_version=1, actor=exchange_world.thu
    )
    data = {
        "version": "1",
        "occurred_at": timezone.localtime(incident.occurred_at).strftime("%Y-%m-%dT%H:%M"),
        "location_kind": incident.location_kind,
        "direction": incident.direction,
        "crime_area": incident.crime_area,
        "detection_method": incident.detection_method,
        "concealment_method": incident.concealment_method,
        "conveyance": incident.conveyance,
        "origin_country": "KH",
        "destination_country": "VN",
        "summary": "Lan's careful text",
        "summary_language": "vi",
    }
    page = client.post(f"/exchange/incidents/{incident.reference}/edit/", data).content.decode()
    assert 'id="conflict"' in page
    assert "Lan&#x27;s careful text" in page or "Lan's careful text" in page
    assert "Thu&#x27;s text" in page or "Thu's text" in page
    incident.refresh_from_db()
    assert incident.summary == "Thu's text"


def test_intelligence_edit_saves_and_keeps_the_users_text_on_conflict(exchange_world) -> None:
    report = do_record_intelligence(
        IntelligenceReport(
            blo=exchange_world.moc_bai,
            title="Cashew route",
            crime_area="wildlife",
            source_reliability="B",
            information_credibility="2",
            body="first text",
            tlp="AMBER",
            distribution="counterpart",
        ),
        source="",
        actor=exchange_world.lan,
    )
    url = f"/exchange/intelligence/{report.reference}/edit/"
    client = client_for(exchange_world.lan)
    assert client.get(url).status_code == 200
    data = {
        "version": "1",
        "title": "Cashew route",
        "crime_area": "wildlife",
        "source_reliability": "B",
        "information_credibility": "2",
        "body": "Lan's second look",
        "body_language": "en",
        "route": "",
        "tlp": "AMBER",
    }
    saved = client.post(url, data)
    assert saved.status_code == 302 and saved["Location"] == report.get_absolute_url()
    report.refresh_from_db()
    assert report.body == "Lan's second look" and report.version == 2
    # Thu saves version 2 before Lan's next save, made from the page she opened at version 2
    do_update_intelligence(
        report.reference, {"body": "Thu's text"}, expected_version=2, actor=exchange_world.thu
    )
    page = client.post(url, {**data, "version": "2", "body": "Lan's careful text"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Lan&#x27;s careful text" in text or "Lan's careful text" in text
    assert 'value="3"' in text  # the form now carries the saved version's number
    report.refresh_from_db()
    assert report.body == "Thu's text"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"occurred_at": timezone.now() + datetime.timedelta(days=2)}, "occurred_at"),
        ({"latitude": 123}, "latitude"),
        ({"crime_area": "jewellery"}, "crime_area"),
    ],
)
def test_invalid_values_are_refused_with_the_field_named(exchange_world, changes, field) -> None:
    incident = make_incident(exchange_world.lan)
    with pytest.raises(ValidationError) as error:
        do_update_incident(
            incident.reference, changes, expected_version=1, actor=exchange_world.lan
        )
    assert field in error.value.message_dict


def test_negative_quantity_and_wrong_unit_are_refused(exchange_world) -> None:
    with pytest.raises(ValidationError):
        make_incident(exchange_world.lan, quantity="-3")
    with pytest.raises(ValidationError, match="counted in"):
        make_incident(exchange_world.lan, commodity="ods:hcfc-22", unit="tablets")
    with pytest.raises(ValidationError, match="whole"):
        make_incident(
            exchange_world.lan,
            commodity="drug:methamphetamine-tablets",
            quantity="10.5",
            unit="tablets",
        )
    assert not Incident.objects.exists()


def test_recording_through_the_page(exchange_world) -> None:
    client = client_for(exchange_world.lan)
    assert client.get("/exchange/incidents/new/").status_code == 200
    data = {
        "blo": exchange_world.moc_bai.pk,
        "occurred_at": (timezone.localtime() - datetime.timedelta(hours=2)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "location_kind": "international_checkpoint",
        "direction": "entry",
        "crime_area": "wildlife",
        "detection_method": "scanner",
        "concealment_method": "mixed_with_cargo",
        "conveyance": "truck",
        "origin_country": "KH",
        "destination_country": "VN",
        "summary": "48 kg vảy tê tê",
        "summary_language": "vi",
        "tlp": "AMBER",
        "distribution": "counterpart",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-commodity": "species:manis-javanica",
        "items-0-quantity": "48",
        "items-0-unit": "kg",
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "0",
        "nominal-TOTAL_FORMS": "2",
        "nominal-INITIAL_FORMS": "0",
        "nominal-0-kind": "vehicle",
        "nominal-0-role": "other",
        "nominal-0-name": "Hino truck",
        "nominal-0-identifier": "70C-123.45",
        "nominal-0-distribution": "blo",
    }
    response = client.post("/exchange/incidents/new/", data)
    ctx = response.context
    assert response.status_code == 302, (
        [ctx[k].errors for k in ("form", "items", "people", "nominal", "smuggling")]
        if ctx
        else None
    )
    incident = Incident.objects.get()
    species = incident.items.get().species
    assert species is not None and species.code == "manis-javanica"
    assert incident.nominal_entries.get().identifier == "70C-123.45"
    # the same form with a future date is refused, nothing saved
    data["occurred_at"] = (timezone.localtime() + datetime.timedelta(days=3)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    page = client.post("/exchange/incidents/new/", data).content.decode()
    assert "cannot be in the future" in page
    assert Incident.objects.count() == 1


def test_counterpart_reads_labels_in_english_without_nominal(exchange_world) -> None:
    incident = make_incident(
        exchange_world.lan,
        distribution="counterpart",
        nominal=[
            {
                "kind": "vehicle",
                "role": "other",
                "name": "Hino truck",
                "identifier": "70C-123.45",
                "distribution": "blo",
            }
        ],
    )
    page = client_for(exchange_world.dara, "en").get(incident.get_absolute_url()).content.decode()
    assert "Wildlife" in page and "Sunda pangolin" in page
    assert "70C-123.45" not in page
    assert "nominal-withheld" in page
    vietnamese = (
        client_for(exchange_world.lan, "vi").get(incident.get_absolute_url()).content.decode()
    )
    assert "70C-123.45" in vietnamese
    assert "Tê tê" in vietnamese or "tê tê" in vietnamese


def test_seizure_import_is_all_or_nothing(exchange_world) -> None:
    good = (
        "case;occurred_at;location;direction;crime_area;commodity;quantity;unit;origin_country\r\n"
        "A1;14/03/2026 08:30;international_checkpoint;entry;wildlife;species:manis-javanica;12;kg;KH\r\n"
        "A1;14/03/2026 08:30;international_checkpoint;entry;wildlife;species:python-bivittatus;3;animals;KH\r\n"
        "B2;2026-04-02;between_checkpoints;exit;drugs;drug:heroin;1,5;kg;\r\n"
    ).encode("utf-8-sig")
    result = import_seizures(
        good, "tay-ninh-march.csv", blo=exchange_world.moc_bai, actor=exchange_world.lan
    )
    assert result.count == 2
    assert SeizureItem.objects.count() == 3
    bad = (
        b"occurred_at,location,direction,crime_area,commodity,quantity,unit\n"
        b"2026-05-01,international_checkpoint,entry,wildlife,species:manis-javanica,5,kg\n"
        b"2031-05-01,international_checkpoint,entry,wildlife,species:manis-javanica,5,kg\n"
        b"2026-05-02,on the river,entry,wildlife,unicorn horn,-5,kg\n"
    )
    with pytest.raises(TableError) as caught:
        import_seizures(bad, "may.csv", blo=exchange_world.moc_bai, actor=exchange_world.lan)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert {(3, "occurred_at"), (4, "location"), (4, "commodity"), (4, "quantity")} <= found
    assert Incident.objects.count() == 2


def test_seizure_import_reads_xlsx(exchange_world) -> None:
    book = openpyxl.Workbook()
    sheet = book.worksheets[0]
    sheet.title = "seizures"
    sheet.append(
        ["occurred_at", "location", "direction", "crime_area", "commodity", "quantity", "unit"]
    )
    sheet.append(
        [
            datetime.datetime(2026, 2, 1, 9, 0, tzinfo=datetime.UTC).replace(tzinfo=None),
            "local_checkpoint",
            "entry",
            "ods",
            "ods:hcfc-22",
            40,
            "cylinders",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_seizures(
        buffer.getvalue(), "feb.xlsx", blo=exchange_world.moc_bai, actor=exchange_world.lan
    )
    substance = result.incidents[0].items.get().ozone_substance
    assert substance is not None and substance.code == "hcfc-22"


def test_intelligence_source_stays_with_the_originating_agency(exchange_world) -> None:
    report = do_record_intelligence(
        IntelligenceReport(
            blo=exchange_world.moc_bai,
            title="Cashew route",
            crime_area="wildlife",
            source_reliability="B",
            information_credibility="2",
            body="Cargo consolidated in Phnom Penh.",
            tlp="AMBER",
            distribution="counterpart",
        ),
        source="Informant TT-07 at the truck park",
        actor=exchange_world.lan,
    )
    thu_page = client_for(exchange_world.thu).get(report.get_absolute_url()).content.decode()
    assert "Informant TT-07" in thu_page
    dara_page = client_for(exchange_world.dara).get(report.get_absolute_url()).content.decode()
    assert "Informant TT-07" not in dara_page
    assert "B2" in dara_page and "TLP:AMBER" in dara_page
    views = AuditEntry.objects.filter(action=AuditAction.VIEW, object_id=str(report.pk))
    assert {e.actor_username for e in views} == {"thu", "dara"}
    assert not visible(exchange_world.hung, IntelligenceReport).exists()


def test_record_pdf_carries_the_tlp_label_and_vietnamese(exchange_world, tmp_path) -> None:
    incident = make_incident(exchange_world.lan, summary="Vảy tê tê giấu trong bao hạt điều")
    response = client_for(exchange_world.lan, "vi").get(
        f"/exchange/incidents/{incident.reference}/pdf/"
    )
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(  # noqa: S603 - a fixed command on a file the test wrote
        ["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.count("TLP:AMBER") >= 3  # header, footer and the label line
    assert "Vảy tê tê giấu trong bao hạt điều" in text


@pytest.mark.parametrize(
    ("language", "summary", "font", "readable"),
    [
        # pdftotext reads Lao and Chinese back whole; Khmer and Thai come back with their
        # combining marks reordered or remapped, so for those a word without such marks is
        # checked, and the script's font must be embedded.
        ("km", "ស្រកាសត្វលលកលាក់ក្នុងបាវ", "Noto-Sans-Khmer", "បាវ"),
        ("lo", "ເກັດລີ່ນຖືກເຊື່ອງໄວ້ໃນຖົງ", "DejaVu-Sans", "ເກັດລີ່ນຖືກເຊື່ອງໄວ້ໃນຖົງ"),
        ("th", "เกล็ดตัวนิ่มซ่อนในรถกระบะ", "Noto-Sans-Thai", "รถกระบะ"),
        ("zh-hans", "穿山甲鳞片藏在腰果袋中", "Noto-Sans-CJK-SC", "穿山甲鳞片藏在腰果袋中"),
    ],
)
def test_record_pdf_renders_in_each_interface_language(
    exchange_world, tmp_path, language: str, summary: str, font: str, readable: str
) -> None:
    from django.utils import translation

    incident = make_incident(exchange_world.lan, summary=summary)
    response = client_for(exchange_world.lan, language).get(
        f"/exchange/incidents/{incident.reference}/pdf/"
    )
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(  # noqa: S603 - a fixed command on a file the test wrote
        ["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    fonts = subprocess.run(  # noqa: S603 - a fixed command on a file the test wrote
        ["/usr/bin/pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert readable in text
    assert font in fonts  # the script's own font is embedded: no missing-glyph boxes
    # the labels are in the reader's language too
    with translation.override(language):
        label = translation.gettext("Detection method")
    assert label != "Detection method"
    assert "Detection method" not in text


def test_vrs_export_has_the_profiles_and_no_names(exchange_world) -> None:
    from liaison.exchange.models import MigrantSmugglingReport, PersonCount
    from liaison.exchange.services import IncidentParts, do_record_incident

    incident = Incident(
        blo=exchange_world.moc_bai,
        occurred_at=timezone.now() - datetime.timedelta(days=1),
        location_kind="between_checkpoints",
        direction="exit",
        crime_area="migrant_smuggling",
        detection_method="patrol",
        concealment_method="none",
        conveyance="motorbike",
        origin_country="VN",
        destination_country="KH",
        distribution="blo",
        tlp="AMBER",
    )
    do_record_incident(
        incident,
        IncidentParts(
            people=[
                PersonCount(
                    category="smuggled_migrant",
                    sex="female",
                    age_band="18-24",
                    nationality="VN",
                    count=4,
                )
            ],
            smuggling=MigrantSmugglingReport(
                fee_per_person=300, means_of_transport="motorbike", methods=["clandestine"]
            ),
            nominal=[],
        ),
        actor=exchange_world.lan,
    )
    written = exported(client_for(exchange_world.minh), "/exchange/incidents/vrs-msrc.csv")
    body = written.content.decode("utf-8-sig")
    header, row = body.strip().splitlines()[:2]
    assert header.startswith("incident_reference,reporting_country")
    assert "smuggled_migrant,VN,female,18-24,4" in row
    assert "300.00,USD" in row
