from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from liaison.registry.models import (
    BLO,
    CounterpartProposal,
    Country,
    Crossing,
    PairingStatus,
    Role,
)
from liaison.registry.services import do_accept_counterpart, do_import_registry
from liaison.registry.transfer import RegistryImportError, export_rows, export_xlsx
from tests.builders import make_user
from tests.encodings import windows_1258


def workbook(sheets: dict[str, list[list[str]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_export_then_import_round_trips_without_change(world) -> None:
    exported = export_xlsx(world.root)
    before = export_rows(world.root)
    summary = do_import_registry(exported, "liaison-registry.xlsx", actor=world.root)
    assert summary.created == {}
    assert export_rows(world.root) == before
    assert summary.updated["blos"] == BLO.objects.count()


def test_import_creates_blos_and_proposes_their_pair_across_the_border(world) -> None:
    raw = workbook(
        {
            "blos": [
                [
                    "code",
                    "country",
                    "name_en",
                    "name_local",
                    "counterparts",
                    "latitude",
                    "longitude",
                ],
                ["VN-LAOBAO", "VN", "Lao Bao", "Lao Bảo", "LA-DANSAVANH", "16.62", "106.58"],
                ["LA-DANSAVANH", "LA", "Dansavanh", "ແດນສະຫວັນ", "", "16.63", "106.56"],
            ],
            "crossings": [
                ["code", "blo", "kind", "name_en", "name_local"],
                ["VN-LAOBAO-X1", "VN-LAOBAO", "international", "Lao Bao", "Lao Bảo"],
            ],
        }
    )
    summary = do_import_registry(raw, "network.xlsx", actor=world.root)
    assert summary.created == {"blos": 2, "crossings": 1}
    assert summary.pairs_proposed == 1
    lao_bao = BLO.objects.get(code="VN-LAOBAO")
    dansavanh = BLO.objects.get(code="LA-DANSAVANH")
    assert dansavanh.name_local == "ແດນສະຫວັນ"
    # the file proposes the pair; it stands only once the Lao side accepts it
    assert not lao_bao.counterparts.exists()
    proposal = CounterpartProposal.objects.get(from_blo=lao_bao, to_blo=dansavanh)
    assert proposal.status == PairingStatus.PENDING
    la_coordinator = make_user("bounmy", Role.NATIONAL_COORDINATOR, country=world.la)
    do_accept_counterpart(proposal, actor=la_coordinator)
    assert [b.code for b in lao_bao.counterparts.all()] == ["LA-DANSAVANH"]


def test_bad_file_is_rejected_whole_with_row_level_reasons(world) -> None:
    raw = workbook(
        {
            "blos": [
                ["code", "country", "name_en", "latitude", "counterparts"],
                ["VN-LAOBAO", "VN", "Lao Bao", "16.62", ""],  # good row
                ["VN-CAUTREO", "XX", "Cau Treo", "18.39", ""],  # unknown country
                ["VN-MOCCHAU", "VN", "Moc Chau", "north", ""],  # not a number
                [
                    "VN-TAYTRANG",
                    "VN",
                    "",
                    "95",
                    "VN-MOCBAI",
                ],  # no name, latitude out of range, same-country pair
            ],
        }
    )
    with pytest.raises(RegistryImportError) as caught:
        do_import_registry(raw, "network.xlsx", actor=world.root)
    problems = {(p.sheet, p.row, p.column) for p in caught.value.problems}
    assert ("blos", 3, "country") in problems
    assert ("blos", 4, "latitude") in problems
    assert ("blos", 5, "name_en") in problems
    assert ("blos", 5, "latitude") in problems
    # nothing is half-saved: not even the good first row
    assert not BLO.objects.filter(code="VN-LAOBAO").exists()


def test_csv_with_bom_semicolons_and_crlf_imports(world) -> None:
    text = "code;country;name_en;name_local\r\nVN-LAOBAO;VN;Lao Bao;Lao Bảo\r\n"
    raw = ("\ufeff" + text).encode("utf-8")
    do_import_registry(raw, "blos.csv", actor=world.root)
    assert BLO.objects.get(code="VN-LAOBAO").name_local == "Lao Bảo"


def test_utf16_csv_decodes_and_windows_1258_is_refused_clearly(world) -> None:
    text = "code,country,name_en,name_local\nVN-LAOBAO,VN,Lao Bao,Lao Bảo\n"
    do_import_registry(text.encode("utf-16"), "blos.csv", actor=world.root)
    assert BLO.objects.get(code="VN-LAOBAO").name_local == "Lao Bảo"
    legacy = windows_1258("code,country,name_en,name_local\nVN-CAUTREO,VN,Cau Treo,Cầu Treo\n")
    with pytest.raises(RegistryImportError) as caught:
        do_import_registry(legacy, "blos.csv", actor=world.root)
    assert "UTF-8" in str(caught.value.problems[0])
    assert not BLO.objects.filter(code="VN-CAUTREO").exists()


def test_unknown_column_and_missing_required_column_are_named(world) -> None:
    with pytest.raises(RegistryImportError) as caught:
        do_import_registry(b"code,colour\nX,red\n", "countries.csv", actor=world.root)
    columns = {p.column for p in caught.value.problems}
    assert {"colour", "name_en", "language"} <= columns


def test_coordinator_may_not_import_into_another_country(world) -> None:
    raw = b"code,country,name_en\nKH-NEW,KH,New post\nVN-NEW,VN,New post\n"
    with pytest.raises(RegistryImportError) as caught:
        do_import_registry(raw, "blos.csv", actor=world.huong)
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "code")]
    assert not BLO.objects.filter(code__in=["KH-NEW", "VN-NEW"]).exists()


def test_import_page_shows_problems_and_saves_nothing(world) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.root)
    upload = io.BytesIO(b"code,blo,kind,name_en\nVN-X9,VN-MOCBAI,bridge,Bridge\n")
    upload.name = "crossings.csv"
    response = client.post("/registry/import/", {"file": upload})
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "bridge" in page and "crossings" in page
    assert not Crossing.objects.filter(code="VN-X9").exists()


def test_import_page_is_refused_to_officers_and_heads(world) -> None:
    for username in ("lan", "tuan", "ainsley"):
        client = Client()
        client.force_login(getattr(world, username))
        assert client.get("/registry/import/").status_code == 403


def test_export_holds_only_what_the_user_may_see(world) -> None:
    client = Client()
    client.force_login(world.dara)
    response = client.get("/registry/export/blos.csv")
    text = response.content.decode("utf-8-sig")
    assert "KH-BAVET" in text and "VN-MOCBAI" in text
    assert "VN-DIENBIEN" not in text and "LA-PANGHOK" not in text
    book = openpyxl.load_workbook(io.BytesIO(client.get("/registry/export.xlsx").content))
    codes = {row[0] for row in book["countries"].iter_rows(min_row=2, values_only=True)}
    assert codes == {"KH"}
    assert Country.objects.count() == 3
