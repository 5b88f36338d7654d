"""Every CSV and XLSX export writes text that a spreadsheet would evaluate as plain text."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from liaison.exchange.models import Incident, MigrantSmugglingReport
from liaison.registry.models import BLO, Agency, Cluster, Country, Crossing, Province
from liaison.registry.transfer import SHEETS
from liaison.tabular import FORMULA_TRIGGERS, spreadsheet_text, write_csv, write_xlsx
from tests.builders import ensure_vocabulary, exported, make_incident

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def export_names() -> set[str]:
    """The names of every URL that serves an export."""
    found: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name and "export" in pattern.name:
                found.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return found


EXPORTS = {
    "exchange:incident_export": [
        "/exchange/incidents/export.csv",
        "/exchange/incidents/export.xlsx",
    ],
    "exchange:vrs_export": ["/exchange/incidents/vrs-msrc.csv"],
    # the exchange's exports are written by the worker and downloaded from their own page: the
    # paths above ask for them (see fetch)
    "exchange:export_detail": [],
    "exchange:export_file": [],
    "registry:export": ["/registry/export.xlsx"],
    "registry:export_csv": [f"/registry/export/{table}.csv" for table in SHEETS],
}


def test_every_export_url_is_walked_here() -> None:
    assert {name for name in export_names() if not name.startswith("surveys:")} == set(EXPORTS)


@pytest.fixture
def planted(world):
    """A post, crossing, country and smuggling report whose text begins with each trigger."""
    ensure_vocabulary()
    incident = make_incident(world.lan, crime_area="migrant_smuggling")
    Country.objects.filter(pk=world.vn.pk).update(name_local="@SUM(1+1)*cmd|' /C calc'!A0")
    BLO.objects.filter(pk=world.moc_bai.pk).update(
        name_en='=HYPERLINK("http://evil.example","x")', notes="\t=1+2"
    )
    crossing = Crossing.objects.get(blo=world.moc_bai)
    Crossing.objects.filter(pk=crossing.pk).update(code="+1+cmd", name_en="-2+3", name_local="\r=1")
    Incident.objects.filter(pk=incident.pk).update(crossing=crossing)
    Agency.objects.filter(pk=world.vn_customs.pk).update(name_local="=1+1")
    Province.objects.filter(country=world.vn).update(name_local="+1+1")
    Cluster.objects.filter(country=world.vn).update(name_local="@x")
    MigrantSmugglingReport.objects.create(
        incident=incident, fee_currency="=1", means_of_transport="@x", methods=["-1+1"]
    )
    return world


def cells_of(path: str, body: bytes) -> list[str]:
    if path.endswith(".xlsx"):
        book = openpyxl.load_workbook(io.BytesIO(body))
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path, cell.coordinate, cell.value)
                    if cell.value is not None:
                        cells.append(str(cell.value))
        return cells
    text = body.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def fetch(client: Client, path: str) -> bytes:
    if path.startswith("/exchange/"):
        return exported(client, path).content
    response = client.get(path)
    assert response.status_code == 200
    return response.content


def is_plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("path", [path for paths in EXPORTS.values() for path in paths])
def test_export_cells_never_begin_a_formula(planted, path: str) -> None:
    client = Client()
    client.force_login(planted.lan)
    cells = cells_of(path, fetch(client, path))
    assert cells
    for cell in cells:
        assert not cell.startswith(TRIGGERS) or is_plain_number(cell), (path, cell)


def test_planted_text_reaches_the_exports_quoted(planted) -> None:
    client = Client()
    client.force_login(planted.lan)
    seen: set[str] = set()
    for paths in EXPORTS.values():
        for path in paths:
            seen.update(cells_of(path, fetch(client, path)))
    for trigger in TRIGGERS:
        assert any(cell.startswith("'" + trigger) for cell in seen), repr(trigger)


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_writers_quote_each_trigger_and_keep_numbers(trigger: str) -> None:
    rows: list[list[Any]] = [["name", "amount"], [f"{trigger}cmd", -12.5], ["-12.5", "ok"]]
    csv_cells = cells_of("x.csv", write_csv(rows))
    assert csv_cells == ["name", "amount", f"'{trigger}cmd", "-12.5", "-12.5", "ok"]
    xlsx_cells = cells_of("x.xlsx", write_xlsx({"sheet": rows}))
    assert xlsx_cells == ["name", "amount", f"'{trigger}cmd", "-12.5", "-12.5", "ok"]
    assert spreadsheet_text("-3+2") == "'-3+2"
