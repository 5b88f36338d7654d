"""Repeats: a seizure log whose respondents list their seizures (a repeat) and each seizure's
suspects (a repeat inside it), imported from the shapes the tools really export — KoboToolbox's
XLSX (a sheet per repeat) and CSV files, ODK Central's zip (a CSV per repeat) — stored with their
submission, and analysed over the instances, checked against pandas."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from lxml import html as lxml_html  # type: ignore[import-untyped]
from openpyxl import Workbook

from liaison.surveys.analysis import AnalysisError, RepeatAnswers, analyze
from liaison.surveys.imports import ExportError, ExportRejected, SubmissionTable, read_export
from liaison.surveys.models import Submission
from liaison.surveys.selectors import round_result
from liaison.surveys.services import do_import_export, do_upload_questionnaire
from liaison.surveys.tests.builders import EN, VI, make_form, make_workbook
from liaison.surveys.tests.rounds import make_round, signed_in
from liaison.surveys.xlsform import Form

SURVEY = [
    {
        "type": "select_one blo",
        "name": "blo",
        f"label::{EN}": "BLO",
        f"label::{VI}": "Văn phòng liên lạc biên giới",
    },
    {
        "type": "select_one agency",
        "name": "agency",
        f"label::{EN}": "Agency",
        f"label::{VI}": "Cơ quan",
        "required": "yes",
    },
    {
        "type": "begin_repeat",
        "name": "seizures",
        f"label::{EN}": "Seizures",
        f"label::{VI}": "Vụ bắt giữ",
    },
    {
        "type": "select_one item",
        "name": "item",
        f"label::{EN}": "What was seized",
        f"label::{VI}": "Tang vật",
    },
    {
        "type": "integer",
        "name": "qty",
        f"label::{EN}": "Quantity (kg)",
        f"label::{VI}": "Khối lượng (kg)",
        "constraint": ". >= 0",
    },
    {
        "type": "select_multiple route",
        "name": "routes",
        f"label::{EN}": "Route",
        f"label::{VI}": "Tuyến vận chuyển",
    },
    {"type": "text", "name": "note", f"label::{EN}": "Note", f"label::{VI}": "Ghi chú"},
    {
        "type": "begin_repeat",
        "name": "suspects",
        f"label::{EN}": "Suspects",
        f"label::{VI}": "Đối tượng",
    },
    {
        "type": "select_one nationality",
        "name": "nationality",
        f"label::{EN}": "Nationality",
        f"label::{VI}": "Quốc tịch",
    },
    {"type": "end_repeat", "name": ""},
    {"type": "end_repeat", "name": ""},
]


def _choices(list_name: str, pairs: Sequence[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [
        {"list_name": list_name, "name": name, f"label::{EN}": en, f"label::{VI}": vi}
        for name, en, vi in pairs
    ]


CHOICES = [
    *_choices("blo", [("moc_bai", "Moc Bai", "Mộc Bài"), ("dien_bien", "Dien Bien", "Điện Biên")]),
    *_choices(
        "agency",
        [
            ("police", "Police", "Công an"),
            ("customs", "Customs", "Hải quan"),
            ("army", "Border Army", "Bộ đội Biên phòng"),
        ],
    ),
    *_choices(
        "item",
        [
            ("drugs", "Drugs", "Ma túy"),
            ("timber", "Timber", "Gỗ"),
            ("wildlife", "Wildlife", "Động vật hoang dã"),
        ],
    ),
    *_choices(
        "route",
        [
            ("road", "Road", "Đường bộ"),
            ("river", "River", "Đường sông"),
            ("forest", "Forest", "Rừng"),
        ],
    ),
    *_choices(
        "nationality",
        [("vn", "Vietnamese", "Việt Nam"), ("kh", "Cambodian", "Campuchia"), ("la", "Lao", "Lào")],
    ),
]
SETTINGS = [{"form_id": "seizure_log", "form_title": "Sổ bắt giữ", "default_language": EN}]
NOTES = ("Bắt tại cửa khẩu", "Phối hợp với Campuchia", "Đối tượng bỏ chạy", "")

# --- the data: 14 respondents, some with no seizure, seizures with 0–2 suspects ----------------


def _data() -> tuple[list[dict[str, str]], list[dict[str, Any]], list[dict[str, Any]]]:
    rng = np.random.default_rng(2010)
    respondents: list[dict[str, str]] = []
    seizures: list[dict[str, Any]] = []
    suspects: list[dict[str, Any]] = []
    for index in range(14):
        respondents.append(
            {
                "uuid": f"8c0f6a2e-0000-4000-8000-{index:012d}",
                "blo": ("moc_bai", "dien_bien")[index % 2],
                "agency": ("police", "customs", "army")[index % 3],
            }
        )
        for _ in range(int(rng.integers(0, 4)) if index % 5 else 0):
            ticked = [route for route in ("road", "river", "forest") if rng.random() < 0.5]
            seizure = {
                "parent": index,
                "item": ("drugs", "timber", "wildlife")[int(rng.integers(0, 3))],
                "qty": "" if rng.random() < 0.15 else str(int(rng.integers(1, 60))),
                "routes": " ".join(ticked),
                "note": NOTES[int(rng.integers(0, len(NOTES)))],
            }
            seizures.append(seizure)
            for _ in range(int(rng.integers(0, 3))):
                nationality = ("vn", "kh", "la")[int(rng.integers(0, 3))]
                suspects.append({"parent": len(seizures) - 1, "nationality": nationality})
    return respondents, seizures, suspects


RESPONDENTS, SEIZURES, SUSPECTS = _data()
ROUTES = ("road", "river", "forest")


@pytest.fixture(scope="module")
def form() -> Form:
    return make_form(survey=SURVEY, choices=CHOICES, settings=SETTINGS)


# --- the export shapes ---------------------------------------------------------------------------


def _kobo_tables() -> dict[str, list[list[str]]]:
    """KoboToolbox's tables: the submissions with ``_index``; each repeat with its own
    ``_index`` and its parent's in ``_parent_index``, group paths in the headers, select_multiple
    as the answer and one 1/0 column per option."""
    main = [["blo", "agency", "_id", "_uuid", "_submission_time", "_index"]]
    for index, row in enumerate(RESPONDENTS):
        main.append(
            [
                row["blo"],
                row["agency"],
                str(500 + index),
                row["uuid"],
                "2026-03-02T09:00:00",
                str(index + 1),
            ]
        )
    routes = [f"seizures/routes/{route}" for route in ROUTES]
    seizure_rows = [
        [
            "seizures/item",
            "seizures/qty",
            "seizures/routes",
            *routes,
            "seizures/note",
            "_index",
            "_parent_table_name",
            "_parent_index",
            "_submission__uuid",
        ]
    ]
    for index, seizure in enumerate(SEIZURES):
        ticked = seizure["routes"].split()
        seizure_rows.append(
            [
                seizure["item"],
                seizure["qty"],
                seizure["routes"],
                *(str(int(route in ticked)) for route in ROUTES),
                seizure["note"],
                str(index + 1),
                "Sổ bắt giữ",
                str(seizure["parent"] + 1),
                RESPONDENTS[seizure["parent"]]["uuid"],
            ]
        )
    suspect_rows = [
        ["seizures/suspects/nationality", "_index", "_parent_table_name", "_parent_index"]
    ]
    for index, suspect in enumerate(SUSPECTS):
        suspect_rows.append(
            [suspect["nationality"], str(index + 1), "seizures", str(suspect["parent"] + 1)]
        )
    return {"Sổ bắt giữ": main, "seizures": seizure_rows, "suspects": suspect_rows}


def kobo_xlsx(tables: Mapping[str, list[list[str]]] | None = None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in (tables or _kobo_tables()).items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            # Kobo writes _index and integers as numbers
            sheet.append([int(cell) if cell.isdigit() else cell for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(rows: Sequence[Sequence[str]], delimiter: str = ",", quote_all: bool = False) -> str:
    out = io.StringIO()
    if quote_all:
        writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n")
    else:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue()


def _zip(files: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def kobo_csv_zip() -> bytes:
    """KoboToolbox's CSV export holds the submissions only; its repeat tables saved as CSV
    (``;``, every field quoted) beside it, in one zip."""
    tables = _kobo_tables()
    return _zip(
        {
            "so_bat_giu.csv": _csv(tables["Sổ bắt giữ"], ";", quote_all=True),
            "seizures.csv": _csv(tables["seizures"], ";", quote_all=True),
            "suspects.csv": _csv(tables["suspects"], ";", quote_all=True),
        }
    )


def odk_central_zip() -> bytes:
    """ODK Central's zip: ``form.csv`` and ``form-repeat.csv`` per repeat; ``KEY`` is the
    instance ID for a submission and ``uuid:…/seizures[2]`` for an instance; ``PARENT_KEY`` the
    parent's ``KEY``; split select_multiple columns as ``routes/road``."""
    main = [
        ["SubmissionDate", "blo", "agency", "meta-instanceID", "KEY", "SubmitterID", "ReviewState"]
    ]
    keys = []
    for row in RESPONDENTS:
        key = f"uuid:{row['uuid']}"
        keys.append(key)
        main.append(["2026-03-02T02:00:00.000Z", row["blo"], row["agency"], key, key, "7", ""])
    seizure_rows = [
        ["item", "qty", "routes", *(f"routes/{r}" for r in ROUTES), "note", "PARENT_KEY", "KEY"]
    ]
    seizure_keys: list[str] = []
    counts: dict[int, int] = {}
    for seizure in SEIZURES:
        parent = seizure["parent"]
        counts[parent] = counts.get(parent, 0) + 1
        key = f"{keys[parent]}/seizures[{counts[parent]}]"
        seizure_keys.append(key)
        ticked = seizure["routes"].split()
        seizure_rows.append(
            [
                seizure["item"],
                seizure["qty"],
                seizure["routes"],
                *(str(int(route in ticked)) for route in ROUTES),
                seizure["note"],
                keys[parent],
                key,
            ]
        )
    suspect_rows = [["nationality", "PARENT_KEY", "KEY"]]
    suspect_counts: dict[int, int] = {}
    for suspect in SUSPECTS:
        parent = suspect["parent"]
        suspect_counts[parent] = suspect_counts.get(parent, 0) + 1
        parent_key = seizure_keys[parent]
        suspect_rows.append(
            [suspect["nationality"], parent_key, f"{parent_key}/suspects[{suspect_counts[parent]}]"]
        )
    return _zip(
        {
            "seizure_log.csv": _csv(main),
            "seizure_log-seizures.csv": _csv(seizure_rows),
            "seizure_log-suspects.csv": _csv(suspect_rows),
        }
    )


SHAPES = {
    "kobo.xlsx": kobo_xlsx,
    "kobo_csv.zip": kobo_csv_zip,
    "seizure_log.zip": odk_central_zip,
}


def _expected_answers() -> list[dict[str, Any]]:
    """Each submission's answers as they are stored: repeats as lists, empty answers left out."""
    stored: list[dict[str, Any]] = [
        {"blo": row["blo"], "agency": row["agency"]} for row in RESPONDENTS
    ]
    instances: list[dict[str, Any]] = []
    for seizure in SEIZURES:
        instance = {
            name: seizure[name] for name in ("item", "qty", "routes", "note") if seizure[name]
        }
        instances.append(instance)
        stored[seizure["parent"]].setdefault("seizures", []).append(instance)
    for suspect in SUSPECTS:
        instances[suspect["parent"]].setdefault("suspects", []).append(
            {"nationality": suspect["nationality"]}
        )
    return stored


# --- imports ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_name", list(SHAPES))
def test_each_export_shape_joins_instances_to_their_submission(form, file_name):
    # when each shape of the same data is read
    table = read_export(SHAPES[file_name](), form, filename=file_name)
    # then the submissions carry their seizures and the seizures their suspects
    assert [repeat.name for repeat in table.repeats] == ["seizures", "suspects"]
    assert [len(repeat) for repeat in table.repeats] == [len(SEIZURES), len(SUSPECTS)]
    assert [row.answers for row in table.rows()] == _expected_answers()
    assert "Phối hợp với Campuchia" in set(table.repeats[0].answers["note"])
    assert not [n for n in table.notices if "matches no question" in n.message]


def test_kobo_csv_of_the_submissions_alone_says_the_repeats_are_missing(form):
    main = _kobo_tables()["Sổ bắt giữ"]
    table = read_export(_csv(main, ";", quote_all=True).encode(), form, filename="so_bat_giu.csv")
    assert len(table) == len(RESPONDENTS)
    assert table.repeats == ()
    assert any(
        "no table for the repeat(s) seizures, suspects" in notice.message
        for notice in table.notices
    )


def test_an_orphan_row_and_every_other_problem_are_reported_in_one_pass(form):
    # given a workbook with a bad agency, a seizure of an unknown item, a negative … non-number
    # quantity, and a seizure and a suspect whose parents are not in the file
    tables = _kobo_tables()
    tables["Sổ bắt giữ"][3][1] = "hai_quan"
    tables["seizures"][2][0] = "vàng"
    tables["seizures"][4][1] = "năm"
    tables["seizures"].append(
        ["drugs", "3", "road", "1", "0", "0", "", "99", "Sổ bắt giữ", "77", "mất"]
    )
    tables["suspects"].append(["vn", "50", "seizures", "404"])
    # when it is read
    with pytest.raises(ExportRejected) as raised:
        read_export(kobo_xlsx(tables), form, filename="so_bat_giu.xlsx")
    # then nothing is taken and each problem names its sheet, row and column
    groups = {(g.sheet, g.column, g.kind): [p.row for p in g.first] for g in raised.value.groups}
    orphan_seizure = len(SEIZURES) + 2
    assert groups == {
        ("Sổ bắt giữ", "agency", "not one of the choices"): [4],
        ("seizures", "seizures/item", "not one of the choices"): [3],
        ("seizures", "seizures/qty", "not a valid value"): [5],
        ("seizures", "_parent_index", "parent row not found"): [orphan_seizure],
        ("suspects", "_parent_index", "parent row not found"): [len(SUSPECTS) + 2],
    }
    assert raised.value.total == 5
    orphan = next(g for g in raised.value.groups if g.kind == "parent row not found")
    assert str(orphan) == (
        f"sheet seizures, column _parent_index, parent row not found: 1 row(s) ({orphan_seizure})"
    )
    assert "no row of the submissions has _index 77" in orphan.first[0].reason


def test_an_odk_central_orphan_names_its_file_and_parent_key(form):
    archive = zipfile.ZipFile(io.BytesIO(odk_central_zip()))
    files = {name: archive.read(name).decode() for name in archive.namelist()}
    files["seizure_log-seizures.csv"] += "drugs,2,,0,0,0,,uuid:không-có,uuid:không-có/seizures[1]\n"
    with pytest.raises(ExportRejected) as raised:
        read_export(_zip(files), form, filename="seizure_log.zip")
    [group] = raised.value.groups
    assert (group.sheet, group.column, group.first[0].row) == (
        "seizure_log-seizures.csv",
        "PARENT_KEY",
        len(SEIZURES) + 2,
    )
    assert "KEY uuid:không-có" in group.first[0].reason


# --- storage ---------------------------------------------------------------------------------------


def _seizure_round(world: Any) -> Any:
    questionnaire = do_upload_questionnaire(
        data=make_workbook(survey=SURVEY, choices=CHOICES, settings=SETTINGS),
        file_name="so_bat_giu.xlsx",
        actor=world.ainsley,
    )
    return make_round(
        questionnaire, world.ainsley, [world.moc_bai, world.dien_bien], cluster_question=""
    )


def test_an_import_stores_each_submissions_instances_with_it_once(world):
    # given a round of the seizure log
    survey_round = _seizure_round(world)
    # when the Kobo workbook is imported twice
    first = do_import_export(
        survey_round, kobo_xlsx(), file_name="so_bat_giu.xlsx", actor=world.ainsley
    )
    second = do_import_export(
        survey_round, kobo_xlsx(), file_name="so_bat_giu.xlsx", actor=world.ainsley
    )
    # then each submission holds its seizures and their suspects, and nothing is added twice
    assert (first.rows_added, second.rows_added, second.rows_skipped) == (14, 0, 14)
    stored = {
        submission.instance_id: submission.answers
        for submission in Submission.objects.filter(round=survey_round)
    }
    assert [stored[row["uuid"]] for row in RESPONDENTS] == _expected_answers()


def test_a_rejected_import_with_repeats_saves_nothing(world):
    survey_round = _seizure_round(world)
    tables = _kobo_tables()
    tables["suspects"].append(["vn", "50", "seizures", "404"])
    with pytest.raises(ExportRejected):
        do_import_export(
            survey_round, kobo_xlsx(tables), file_name="so_bat_giu.xlsx", actor=world.ainsley
        )
    assert not Submission.objects.filter(round=survey_round).exists()
    assert not survey_round.imports.exists()


# --- analysis, checked against pandas ----------------------------------------------------------------


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    respondents = pd.DataFrame(RESPONDENTS).reset_index(names="respondent")
    seizures = pd.DataFrame(SEIZURES).reset_index(names="seizure")
    seizures = seizures.merge(respondents, left_on="parent", right_on="respondent")
    suspects = pd.DataFrame(SUSPECTS).merge(seizures, left_on="parent", right_on="seizure")
    return respondents, seizures, suspects


def _repeats(table: SubmissionTable) -> list[RepeatAnswers]:
    return [
        RepeatAnswers(repeat.name, repeat.answers, repeat.parent_rows, repeat.parent)
        for repeat in table.repeats
    ]


def test_repeat_questions_are_counted_over_instances_as_pandas_counts_them(form):
    # given the ODK Central zip
    table = read_export(odk_central_zip(), form, filename="seizure_log.zip")
    # when it is analysed by agency
    result = analyze(form, table.answers, repeats=_repeats(table), by="agency", language="vi")
    respondents, seizures, suspects = _frames()
    questions = result["questions"]
    # then the repeat questions are listed with the others, in form order
    assert list(questions) == ["blo", "agency", "item", "qty", "routes", "note", "nationality"]
    item = questions["item"]
    assert (item["repeat"], item["instances"]) == ("seizures", len(seizures))
    assert item["respondents_with_instances"] == seizures["respondent"].nunique()
    assert item["label"] == "Tang vật"
    assert item["choice_labels"]["wildlife"] == "Động vật hoang dã"
    # a select_one: counts and percentages of the instances
    expected = seizures["item"].value_counts()
    assert item["counts"] == {c: int(expected.get(c, 0)) for c in ("drugs", "timber", "wildlife")}
    for choice, count in item["counts"].items():
        assert item["percent"][choice] == pytest.approx(count / len(seizures) * 100)
    # a select_multiple: each option's share of the instances that ticked any
    answered = seizures[seizures["routes"] != ""]
    ticks = answered["routes"].str.split().explode().value_counts()
    routes = questions["routes"]
    assert routes["answered"] == len(answered)
    assert routes["missing"] == len(seizures) - len(answered)
    for route in ROUTES:
        assert routes["counts"][route] == int(ticks.get(route, 0))
        assert routes["percent"][route] == pytest.approx(ticks.get(route, 0) / len(answered) * 100)
    # an integer: the instances' summary
    quantities = pd.to_numeric(seizures["qty"].replace("", np.nan))
    numeric = questions["qty"]["numeric"]
    assert numeric["n"] == quantities.count()
    assert numeric["mean"] == pytest.approx(quantities.mean())
    assert numeric["median"] == pytest.approx(quantities.median())
    assert numeric["sd"] == pytest.approx(quantities.std())
    # a text: answered instances
    assert questions["note"]["answered"] == int((seizures["note"] != "").sum())
    # --by across the parent link: the instance's respondent's agency
    crosstab = pd.crosstab(seizures["item"], seizures["agency"])
    for agency in ("police", "customs", "army"):
        group = item["by"][agency]
        assert group["answered"] == int(crosstab[agency].sum())
        for choice in ("drugs", "timber", "wildlife"):
            assert group["counts"][choice] == int(crosstab[agency].get(choice, 0))
    assert questions["qty"]["by"]["police"]["numeric"]["mean"] == pytest.approx(
        quantities[seizures["agency"] == "police"].mean()
    )
    # the nested repeat: counted over the suspects, respondents through the seizure
    nationality = questions["nationality"]
    assert nationality["repeat"] == "suspects"
    assert nationality["instances"] == len(suspects)
    assert nationality["respondents_with_instances"] == suspects["respondent"].nunique()
    expected_nat = suspects["nationality"].value_counts()
    assert nationality["counts"] == {c: int(expected_nat.get(c, 0)) for c in ("vn", "kh", "la")}
    nat_by = pd.crosstab(suspects["nationality"], suspects["agency"])
    assert nationality["by"]["army"]["counts"]["kh"] == int(nat_by["army"].get("kh", 0))
    # the repeats themselves, and the respondents untouched
    assert result["repeats"]["seizures"] == {
        "label": "Vụ bắt giữ",
        "parent": None,
        "instances": len(seizures),
        "respondents_with_instances": seizures["respondent"].nunique(),
    }
    assert result["repeats"]["suspects"]["parent"] == "seizures"
    assert result["respondents"] == len(respondents)
    assert questions["agency"]["answered"] == len(respondents)


def test_a_filter_keeps_the_instances_of_the_respondents_it_keeps(form):
    table = read_export(kobo_xlsx(), form, filename="so_bat_giu.xlsx")
    result = analyze(form, table.answers, repeats=_repeats(table), where="blo = 'moc_bai'")
    _respondents, seizures, suspects = _frames()
    kept = seizures[seizures["blo"] == "moc_bai"]
    assert result["questions"]["item"]["instances"] == len(kept)
    assert result["questions"]["item"]["counts"]["drugs"] == int((kept["item"] == "drugs").sum())
    kept_suspects = suspects[suspects["blo"] == "moc_bai"]
    assert result["questions"]["nationality"]["instances"] == len(kept_suspects)


def test_a_question_inside_a_repeat_cannot_be_the_by_question(form):
    table = read_export(kobo_xlsx(), form, filename="so_bat_giu.xlsx")
    with pytest.raises(AnalysisError, match="inside the repeat seizures"):
        analyze(form, table.answers, repeats=_repeats(table), by="item")


def test_without_repeat_data_the_repeat_questions_count_no_instances(form):
    table = read_export(_csv(_kobo_tables()["Sổ bắt giữ"]).encode(), form, filename="main.csv")
    result = analyze(form, table.answers)
    assert result["questions"]["item"]["instances"] == 0
    assert result["questions"]["item"]["answered"] == 0
    assert result["repeats"]["seizures"]["respondents_with_instances"] == 0


def test_survey_analyze_json_lists_repeat_questions(tmp_path: Path):
    # given the form and the ODK Central zip on disk
    form_path = tmp_path / "so_bat_giu.xlsx"
    form_path.write_bytes(make_workbook(survey=SURVEY, choices=CHOICES, settings=SETTINGS))
    data_path = tmp_path / "seizure_log.zip"
    data_path.write_bytes(odk_central_zip())
    # when the command analyses it by agency
    out = StringIO()
    call_command(
        "survey", "analyze", str(form_path), str(data_path), "--by", "agency", "--json", "-",
        stdout=out, stderr=StringIO(),
    )  # fmt: skip
    payload = json.loads(out.getvalue())
    # then the repeat questions are there with their instances
    _respondents, seizures, _suspects = _frames()
    item = payload["questions"]["item"]
    assert (item["repeat"], item["instances"]) == ("seizures", len(seizures))
    assert item["respondents_with_instances"] == seizures["respondent"].nunique()
    assert item["by"]["customs"]["answered"] == int((seizures["agency"] == "customs").sum())
    with pytest.raises(CommandError, match="inside the repeat seizures"):
        call_command(
            "survey", "analyze", str(form_path), str(data_path), "--by", "qty",
            stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip


def test_a_stored_round_is_analysed_as_the_file_it_came_from(world, form):
    survey_round = _seizure_round(world)
    do_import_export(
        survey_round, odk_central_zip(), file_name="seizure_log.zip", actor=world.ainsley
    )
    table = read_export(odk_central_zip(), form, filename="seizure_log.zip")
    from_file = analyze(form, table.answers, repeats=_repeats(table), by="blo")
    stored = round_result(survey_round, by="blo")
    for name in ("item", "qty", "routes", "note", "nationality"):
        for key in ("answered", "counts", "instances", "respondents_with_instances", "by"):
            assert stored["questions"][name].get(key) == from_file["questions"][name].get(key)
    assert stored["repeats"] == from_file["repeats"]


def test_the_results_page_shows_each_repeat_in_its_own_section(world):
    # given a round with the seizure log imported
    survey_round = _seizure_round(world)
    do_import_export(survey_round, kobo_xlsx(), file_name="so_bat_giu.xlsx", actor=world.ainsley)
    # when its results are read in Vietnamese
    response = signed_in(world.ainsley).get(
        f"/surveys/rounds/{survey_round.pk}/results/", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.status_code == 200
    document = lxml_html.fromstring(response.content.decode())
    # then each repeat has its section (one that opens on its own), labelled, with its instances,
    # holding its questions
    _respondents, seizures, suspects = _frames()
    (section,) = document.xpath("//details[@data-repeat='seizures']")
    assert section.get("data-instances") == str(len(seizures))
    assert section.xpath("string(summary/h2)") == "Vụ bắt giữ"
    (nested,) = document.xpath("//details[@data-repeat='suspects']")
    assert nested.get("data-instances") == str(len(suspects))
    assert section.xpath(".//section[@data-question='item']")
    (item_row,) = document.xpath("//section[@data-question='item']//tr[@data-choice='drugs']")
    assert item_row.xpath("string(td[@data-count])") == str(
        int((seizures["item"] == "drugs").sum())
    )
    # and the respondents' questions stay where they were
    assert document.xpath("//section[@data-question='agency']")


# --- rules inside repeats, checked on import ---------------------------------------------------------

RULED_SURVEY = [
    {
        "type": "select_one agency",
        "name": "agency",
        f"label::{EN}": "Agency",
        f"label::{VI}": "Cơ quan",
    },
    {
        "type": "integer",
        "name": "limit",
        f"label::{EN}": "Largest seizure allowed (kg)",
        f"label::{VI}": "Khối lượng tối đa (kg)",
    },
    {
        "type": "begin_repeat",
        "name": "seizures",
        f"label::{EN}": "Seizures",
        f"label::{VI}": "Vụ bắt giữ",
    },
    {
        "type": "select_one item",
        "name": "item",
        f"label::{EN}": "What was seized",
        f"label::{VI}": "Tang vật",
        "required": "yes",
    },
    {
        "type": "integer",
        "name": "qty",
        f"label::{EN}": "Quantity (kg)",
        f"label::{VI}": "Khối lượng (kg)",
        "constraint": ". >= 0 and . <= ${limit}",
    },
    {
        "type": "text",
        "name": "note",
        f"label::{EN}": "Species",
        f"label::{VI}": "Loài",
        "required": "${item} = 'wildlife'",
    },
    {
        "type": "begin_repeat",
        "name": "suspects",
        f"label::{EN}": "Suspects",
        f"label::{VI}": "Đối tượng",
    },
    {
        "type": "integer",
        "name": "age",
        f"label::{EN}": "Age",
        f"label::{VI}": "Tuổi",
        "constraint": ". >= 16",
    },
    {
        "type": "select_one role",
        "name": "role",
        f"label::{EN}": "Role",
        f"label::{VI}": "Vai trò",
        "required": "yes",
        "relevant": "${item} = 'drugs'",
    },
    {"type": "end_repeat", "name": ""},
    {"type": "end_repeat", "name": ""},
]
RULED_CHOICES = [
    *[row for row in CHOICES if row["list_name"] in ("agency", "item")],
    *_choices("role", [("courier", "Courier", "Người vận chuyển"), ("owner", "Owner", "Chủ hàng")]),
]
# The submissions: (uuid, agency, limit); the seizures: (parent, item, qty, note); the suspects:
# (parent seizure, age, role). Bad: seizure 2 (12 kg over a limit of 10), 3 (wildlife without
# its species), 4 (no item), 5 (60 kg over 50); suspect 2 (15 years, and a drug seizure's
# suspect without a role). Suspect 3 has no role either, but its seizure is of wildlife.
RULED_MAIN = [("a-1", "police", "10"), ("a-2", "customs", "50")]
RULED_SEIZURES = [
    (0, "drugs", "5", ""),
    (0, "timber", "12", "Gỗ trắc"),
    (1, "wildlife", "40", ""),
    (1, "", "3", "Không rõ"),
    (1, "wildlife", "60", "Tê tê"),
]
RULED_SUSPECTS = [(0, "30", "courier"), (0, "15", ""), (2, "40", ""), (1, "20", "")]


@pytest.fixture(scope="module")
def ruled_form() -> Form:
    return make_form(survey=RULED_SURVEY, choices=RULED_CHOICES, settings=SETTINGS)


def _ruled_kobo(
    seizures: Sequence[tuple[int, str, str, str]] = RULED_SEIZURES,
    suspects: Sequence[tuple[int, str, str]] = RULED_SUSPECTS,
) -> bytes:
    main = [["agency", "limit", "_uuid", "_index"]]
    main += [
        [agency, limit, uuid, str(i + 1)] for i, (uuid, agency, limit) in enumerate(RULED_MAIN)
    ]
    seizure_rows = [
        ["seizures/item", "seizures/qty", "seizures/note", "_index", "_parent_index"],
        *(
            [item, qty, note, str(i + 1), str(parent + 1)]
            for i, (parent, item, qty, note) in enumerate(seizures)
        ),
    ]
    suspect_rows = [
        ["seizures/suspects/age", "seizures/suspects/role", "_index", "_parent_index"],
        *(
            [age, role, str(i + 1), str(parent + 1)]
            for i, (parent, age, role) in enumerate(suspects)
        ),
    ]
    return kobo_xlsx({"Sổ bắt giữ": main, "seizures": seizure_rows, "suspects": suspect_rows})


def _ruled_odk(
    seizures: Sequence[tuple[int, str, str, str]] = RULED_SEIZURES,
    suspects: Sequence[tuple[int, str, str]] = RULED_SUSPECTS,
) -> bytes:
    main = [["SubmissionDate", "agency", "limit", "meta-instanceID", "KEY"]]
    main += [
        ["2026-03-02T02:00:00.000Z", agency, limit, f"uuid:{uuid}", f"uuid:{uuid}"]
        for uuid, agency, limit in RULED_MAIN
    ]
    keys = [
        f"uuid:{RULED_MAIN[parent][0]}/seizures[{i + 1}]"
        for i, (parent, *_answers) in enumerate(seizures)
    ]
    seizure_rows = [
        ["item", "qty", "note", "PARENT_KEY", "KEY"],
        *(
            [item, qty, note, f"uuid:{RULED_MAIN[parent][0]}", keys[i]]
            for i, (parent, item, qty, note) in enumerate(seizures)
        ),
    ]
    suspect_rows = [
        ["age", "role", "PARENT_KEY", "KEY"],
        *(
            [age, role, keys[parent], f"{keys[parent]}/suspects[{i + 1}]"]
            for i, (parent, age, role) in enumerate(suspects)
        ),
    ]
    return _zip(
        {
            "seizure_log.csv": _csv(main),
            "seizure_log-seizures.csv": _csv(seizure_rows),
            "seizure_log-suspects.csv": _csv(suspect_rows),
        }
    )


@pytest.mark.parametrize(
    ("shape", "sheets", "prefix"),
    [
        (_ruled_kobo, ("seizures", "suspects"), ("seizures/", "seizures/suspects/")),
        (_ruled_odk, ("seizure_log-seizures.csv", "seizure_log-suspects.csv"), ("", "")),
    ],
)
def test_constraints_and_required_answers_inside_repeats_are_checked_on_import(
    ruled_form, shape, sheets, prefix
):
    # given an export whose instances break rules that read their own answers, their
    # submission's (the limit) and their outer instance's (a suspect's role is asked for drugs)
    # when it is read
    with pytest.raises(ExportRejected) as raised:
        read_export(shape(), ruled_form, filename="so_bat_giu")
    # then every broken rule is a problem naming its sheet, column and row, in one rejection
    seizures, suspects = sheets
    groups = {(g.sheet, g.column, g.kind): [p.row for p in g.first] for g in raised.value.groups}
    assert groups == {
        (seizures, f"{prefix[0]}item", "answer required"): [5],
        (seizures, f"{prefix[0]}qty", "breaks the constraint"): [3, 6],
        (seizures, f"{prefix[0]}note", "answer required"): [4],
        (suspects, f"{prefix[1]}age", "breaks the constraint"): [3],
        (suspects, f"{prefix[1]}role", "answer required"): [3],
    }
    qty = next(g for g in raised.value.groups if g.kind == "breaks the constraint")
    assert qty.first[0].reason == "12 breaks the constraint . >= 0 and . <= ${limit}"
    assert raised.value.total == 6


@pytest.mark.parametrize("shape", [_ruled_kobo, _ruled_odk])
def test_instances_within_their_rules_are_imported(ruled_form, shape):
    # given seizures within their submission's limit and suspects of age, the one without a
    # role being a wildlife seizure's (the role is asked for drugs only)
    seizures = [(0, "drugs", "5", ""), (1, "wildlife", "40", "Tê tê Java"), (1, "timber", "3", "")]
    suspects = [(0, "30", "courier"), (1, "41", ""), (2, "19", "")]
    # when the export is read
    table = read_export(shape(seizures, suspects), ruled_form, filename="dung.zip")
    # then every instance is taken, and no rule went unchecked
    assert [len(repeat) for repeat in table.repeats] == [3, 3]
    assert table.rows()[1].answers["seizures"][0] == {
        "item": "wildlife",
        "qty": "40",
        "note": "Tê tê Java",
        "suspects": [{"age": "41"}],
    }
    assert not [notice for notice in table.notices if "checked" in notice.message]


def test_a_rule_inside_a_repeat_that_reads_another_repeat_is_a_notice(ruled_form):
    survey = [
        *RULED_SURVEY[:2],
        {
            "type": "begin_repeat",
            "name": "boats",
            f"label::{EN}": "Boats",
            f"label::{VI}": "Thuyền",
        },
        {"type": "text", "name": "boat", f"label::{EN}": "Boat", f"label::{VI}": "Thuyền"},
        {"type": "end_repeat", "name": ""},
        {"type": "begin_repeat", "name": "seizures", f"label::{EN}": "Seizures"},
        {
            "type": "integer",
            "name": "qty",
            f"label::{EN}": "Quantity (kg)",
            "constraint": ". <= count(${boat}) * 100",
        },
        {"type": "end_repeat", "name": ""},
    ]
    form = make_form(survey=survey, choices=RULED_CHOICES, settings=SETTINGS)
    main = [["agency", "limit", "_uuid", "_index"], ["police", "10", "b-1", "1"]]
    seizure_rows = [["seizures/qty", "_index", "_parent_index"], ["7", "1", "1"]]
    table = read_export(
        kobo_xlsx({"Sổ": main, "seizures": seizure_rows}), form, filename="thuyen.xlsx"
    )
    assert list(table.repeats[0].answers["qty"]) == ["7"]
    assert any(
        "rules of question qty cannot be checked on the server" in notice.message
        and "in another repeat" in notice.message
        for notice in table.notices
    )


@pytest.mark.parametrize(
    "constraint",
    [
        "position(..) <= 3",
        ". <= sum(/data/seizures/qty) div 2",
        ". > 0 and count(/data/seizures) < 9",
    ],
)
def test_a_rule_over_the_instances_beside_one_is_a_notice_not_a_false_refusal(constraint):
    survey = [
        *RULED_SURVEY[:2],
        {"type": "begin_repeat", "name": "seizures", f"label::{EN}": "Seizures"},
        {
            "type": "integer",
            "name": "qty",
            f"label::{EN}": "Quantity (kg)",
            f"label::{VI}": "Khối lượng (kg)",
            "constraint": constraint,
        },
        {"type": "end_repeat", "name": ""},
    ]
    form = make_form(survey=survey, choices=RULED_CHOICES, settings=SETTINGS)
    main = [["agency", "limit", "_uuid", "_index"], ["police", "10", "b-1", "1"]]
    seizure_rows = [["seizures/qty", "_index", "_parent_index"]]
    seizure_rows += [[str(qty), str(i + 1), "1"] for i, qty in enumerate((4, 5, 3, 2))]
    table = read_export(
        kobo_xlsx({"Sổ": main, "seizures": seizure_rows}), form, filename="bon_vu.xlsx"
    )
    assert list(table.repeats[0].answers["qty"]) == ["4", "5", "3", "2"]
    assert any(
        "depends on the other instances of the repeat" in notice.message for notice in table.notices
    )


def test_a_broken_rule_inside_a_repeat_refuses_the_import_and_saves_nothing(world):
    # given a round of the questionnaire whose seizures may not pass their submission's limit
    questionnaire = do_upload_questionnaire(
        data=make_workbook(survey=RULED_SURVEY, choices=RULED_CHOICES, settings=SETTINGS),
        file_name="so_bat_giu_gioi_han.xlsx",
        actor=world.ainsley,
    )
    survey_round = make_round(
        questionnaire, world.ainsley, [world.moc_bai], site_question="", cluster_question=""
    )
    # when the ODK Central zip with broken rules is imported
    with pytest.raises(ExportRejected) as raised:
        do_import_export(
            survey_round, _ruled_odk(), file_name="seizure_log.zip", actor=world.ainsley
        )
    # then nothing is saved, and the refusal names the file's table, row and column
    assert not Submission.objects.filter(round=survey_round).exists()
    assert not survey_round.imports.exists()
    assert any(
        str(group).startswith("sheet seizure_log-seizures.csv, column qty, breaks the constraint")
        for group in raised.value.groups
    )


# --- a form that asks everything inside its repeat ----------------------------------------

ROSTER_SURVEY = [
    {"type": "calculate", "name": "members", "calculation": "2"},
    {"type": "begin_repeat", "name": "roster", f"label::{EN}": "Crew", f"label::{VI}": "Tổ"},
    {
        "type": "select_one agency",
        "name": "crew_agency",
        f"label::{EN}": "Agency",
        f"label::{VI}": "Cơ quan",
    },
    {"type": "end_repeat", "name": ""},
]
ROSTER_CHOICES = _choices(
    "agency", [("customs", "Customs", "Hải quan"), ("police", "Police", "Công an")]
)


def _roster_form(survey: Sequence[Mapping[str, str]] = ROSTER_SURVEY) -> Form:
    return make_form(
        survey=survey,
        choices=ROSTER_CHOICES,
        settings=[{"form_id": "to_tuan_tra", "form_title": "Tổ tuần tra", "default_language": EN}],
    )


def _roster_tables(main_header: Sequence[str]) -> dict[str, list[list[str]]]:
    main = [[*main_header, "_id", "_uuid", "_submission_time", "_index"]]
    for index in range(2):
        values = ["2"] if "members" in main_header else []
        main.append([*values, str(index + 7), f"u{index}", "2026-03-02T09:00:00", str(index + 1)])
    roster = [["roster/crew_agency", "_index", "_parent_table_name", "_parent_index"]]
    for index, (agency, parent) in enumerate([("customs", 1), ("police", 1), ("customs", 2)]):
        roster.append([agency, str(index + 1), "Tổ tuần tra", str(parent)])
    return {"Tổ tuần tra": main, "roster": roster}


def test_a_form_that_asks_only_inside_its_repeat_is_read_and_analysed():
    """Nothing is asked outside the repeat but a calculation (a repeat_count, as in pyxform's
    repeat_date_test): the submissions' sheet matches the form by that calculation, and the
    repeat's answers are counted over its instances."""
    form = _roster_form()
    table = read_export(kobo_xlsx(_roster_tables(["members"])), form, filename="to.xlsx")
    assert len(table.answers) == 2
    result = analyze(form, table.answers, repeats=_repeats(table))
    crew = result["questions"]["crew_agency"]
    assert crew["repeat"] == "roster"
    assert crew["counts"] == {"customs": 2, "police": 1}


def test_submissions_without_the_calculation_are_read_when_the_form_asks_nothing_else():
    survey = [row for row in ROSTER_SURVEY if row["name"] != "members"]
    form = _roster_form(survey)
    table = read_export(kobo_xlsx(_roster_tables([])), form, filename="to.xlsx")
    assert len(table.answers) == 2
    assert [len(repeat.answers) for repeat in table.repeats] == [3]


def test_another_forms_columns_are_refused_even_when_the_form_asks_only_in_repeats():
    survey = [row for row in ROSTER_SURVEY if row["name"] != "members"]
    form = _roster_form(survey)
    other = "so_vu;loai_hang;_uuid;_index\n3;gỗ;u1;1\n"
    with pytest.raises(ExportError) as raised:
        read_export(other.encode(), form, filename="khac.csv")
    message = str(raised.value)
    assert "khac.csv does not look like data of the form to_tuan_tra" in message
    assert "so_vu, loai_hang" in message


def test_a_file_of_submission_details_alone_is_refused_as_holding_no_answers():
    form = _roster_form()
    with pytest.raises(ExportError) as raised:
        read_export(b"_uuid;_index;_submission_time\nu1;1;2026-03-02\n", form, filename="meta.csv")
    assert str(raised.value) == (
        "meta.csv holds no answers: its columns (_uuid, _index, _submission_time) are the "
        "details of each submission, none is a question of the form to_tuan_tra."
    )


def test_a_form_of_a_loop_alone_is_refused_naming_the_loop(tmp_path: Path):
    """pyxform's ``begin loop over`` stays in the XForm; Liaison does not analyse it, and says
    so instead of reading every file as empty submissions."""
    form_path = tmp_path / "vong_lap.xlsx"
    form_path.write_bytes(
        make_workbook(
            survey=[
                {"type": "begin loop over agency", "name": "per_agency", f"label::{EN}": "Per"},
                {"type": "integer", "name": "officers", f"label::{EN}": "Officers"},
                {"type": "end loop", "name": ""},
            ],
            choices=ROSTER_CHOICES,
        )
    )
    data = tmp_path / "data.csv"
    data.write_text("per_agency/customs/officers;_uuid;_index\n4;u1;1\n", encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("survey", "analyze", str(form_path), str(data), "--json", "-")
    assert str(raised.value) == (
        "The form small has no question whose answers can be analysed. "
        "Loops are not analysed: per_agency."
    )
