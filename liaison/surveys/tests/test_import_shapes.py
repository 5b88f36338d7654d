"""Imports of the files the tools really produce: labels exports with space-joined options,
plain tables of question names, another form's file, missing columns, header-only files,
conflicting duplicates, repeat files, and every problem of a file reported in one pass."""

from __future__ import annotations

import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from liaison.surveys.analysis import analyze
from liaison.surveys.imports import (
    ExportError,
    ExportFormat,
    ExportRejected,
    SubmissionTable,
    read_export,
)
from liaison.surveys.models import Questionnaire, Submission
from liaison.surveys.services import do_import_export, do_upload_questionnaire
from liaison.surveys.tests.builders import (
    EN,
    VI,
    kobo_export,
    make_form,
    make_workbook,
    odk_export,
)
from liaison.surveys.tests.rounds import make_round
from liaison.surveys.xlsform import Form

SURVEY = [
    {
        "type": "select_one agency",
        "name": "agency",
        f"label::{EN}": "Agency",
        f"label::{VI}": "Cơ quan",
        "required": "yes",
    },
    {
        "type": "integer",
        "name": "years",
        f"label::{EN}": "Years at the border",
        f"label::{VI}": "Số năm ở biên giới",
        "constraint": ". >= 0 and . <= 45",
    },
    {
        "type": "select_multiple topic",
        "name": "topics",
        f"label::{EN}": "Training wanted",
        f"label::{VI}": "Nội dung cần tập huấn",
    },
    {"type": "text", "name": "comments", f"label::{EN}": "Comments", f"label::{VI}": "Ý kiến"},
]
CHOICES = [
    {"list_name": "agency", "name": "police", f"label::{EN}": "Police", f"label::{VI}": "Công an"},
    {
        "list_name": "agency",
        "name": "army",
        f"label::{EN}": "Border Army",
        f"label::{VI}": "Bộ đội Biên phòng",
    },
    {
        "list_name": "topic",
        "name": "first_aid",
        f"label::{EN}": "First aid",
        f"label::{VI}": "Sơ cứu",
    },
    {
        "list_name": "topic",
        "name": "smuggling",
        f"label::{EN}": "Smuggling",
        f"label::{VI}": "Buôn lậu",
    },
    {"list_name": "topic", "name": "drugs", f"label::{EN}": "Drugs", f"label::{VI}": "Ma túy"},
    {
        "list_name": "topic",
        "name": "drug_smuggling",
        f"label::{EN}": "Smuggling drugs",
        f"label::{VI}": "Buôn lậu ma túy",
    },
]
SETTINGS = [{"form_id": "blo_log", "form_title": "Nhật ký BLO", "default_language": EN}]


@pytest.fixture(scope="module")
def form() -> Form:
    return make_form(survey=SURVEY, choices=CHOICES, settings=SETTINGS)


def _read(form: Form, rows: list[dict[str, str]], columns: list[str]) -> SubmissionTable:
    return read_export(kobo_export(rows, columns).encode(), form, filename="f.csv")


@pytest.mark.parametrize(
    ("joined", "expected"),
    [
        ("First aid Drugs", "first_aid drugs"),
        ("Sơ cứu Ma túy", "first_aid drugs"),
        ("Smuggling First aid", "smuggling first_aid"),
    ],
)
def test_kobo_labels_export_splits_space_joined_option_labels(form, joined, expected):
    rows = [{"Cơ quan": "Công an", "Nội dung cần tập huấn": joined, "Ý kiến": "Cần thêm lớp"}]
    table = _read(form, rows, ["Cơ quan", "Nội dung cần tập huấn", "Ý kiến"])
    assert list(table.answers["topics"]) == [expected]
    assert list(table.answers["comments"]) == ["Cần thêm lớp"]


def test_labels_are_split_as_the_export_wrote_them_case_and_all(form):
    # "Buôn lậu Ma túy" is two options (Buôn lậu, Ma túy); "Buôn lậu ma túy" is one: KoboToolbox
    # writes each label as the form has it
    rows = [
        {"Cơ quan": "Công an", "Nội dung cần tập huấn": "Buôn lậu Ma túy"},
        {"Cơ quan": "Công an", "Nội dung cần tập huấn": "Sơ cứu Buôn lậu ma túy"},
    ]
    table = _read(form, rows, ["Cơ quan", "Nội dung cần tập huấn"])
    assert list(table.answers["topics"]) == ["smuggling drugs", "first_aid drug_smuggling"]
    assert not [n for n in table.notices if "split more than one way" in n.message]


@pytest.fixture(scope="module")
def same_case_form() -> Form:
    """A form whose one option's label is two others' joined, case and all."""
    choices = [
        {**row, f"label::{VI}": "Buôn lậu Ma túy"} if row["name"] == "drug_smuggling" else row
        for row in CHOICES
    ]
    return make_form(survey=SURVEY, choices=choices, settings=SETTINGS)


def test_labels_that_split_two_ways_take_the_option_columns(same_case_form):
    # "Buôn lậu Ma túy" is Buôn lậu + Ma túy, or Buôn lậu Ma túy: only the 1/0 columns know.
    options = {name: f"Nội dung cần tập huấn/{label}" for name, label in _topic_labels().items()}
    columns = ["Cơ quan", "Nội dung cần tập huấn", *options.values()]
    rows = [
        {
            "Cơ quan": "Công an",
            "Nội dung cần tập huấn": "Buôn lậu Ma túy",
            **{column: str(int(name == "drug_smuggling")) for name, column in options.items()},
        },
        {
            "Cơ quan": "Công an",
            "Nội dung cần tập huấn": "Buôn lậu Ma túy",
            **{
                column: str(int(name in ("smuggling", "drugs"))) for name, column in options.items()
            },
        },
    ]
    table = _read(same_case_form, rows, columns)
    assert list(table.answers["topics"]) == ["drug_smuggling", "smuggling drugs"]
    assert not [n for n in table.notices if "split more than one way" in n.message]


def test_labels_that_split_two_ways_without_option_columns_are_read_by_the_longest(
    same_case_form,
):
    # given a labels export without the 1/0 option columns
    rows = [
        {"Cơ quan": "Công an", "Nội dung cần tập huấn": "Sơ cứu Buôn lậu Ma túy"},
        {"Cơ quan": "Công an", "Nội dung cần tập huấn": "Sơ cứu"},
        {"Cơ quan": "Công an", "Nội dung cần tập huấn": "Buôn lậu Ma túy"},
    ]
    # when it is read
    table = _read(same_case_form, rows, ["Cơ quan", "Nội dung cần tập huấn"])
    # then the words that split two ways take the longest labels, and a notice names the rows
    assert list(table.answers["topics"]) == [
        "first_aid drug_smuggling",
        "first_aid",
        "drug_smuggling",
    ]
    [notice] = [n for n in table.notices if "split more than one way" in n.message]
    assert notice.column == "Nội dung cần tập huấn"
    assert "2 row(s)" in notice.message and "(rows 2, 4)" in notice.message
    assert "Buôn lậu Ma túy → drug_smuggling" in notice.message


def test_words_that_are_no_label_are_still_a_problem(form):
    rows = [{"Cơ quan": "Công an", "Nội dung cần tập huấn": "Sơ cứu Buôn bán"}]
    with pytest.raises(ExportRejected) as raised:
        _read(form, rows, ["Cơ quan", "Nội dung cần tập huấn"])
    assert [(p.row, p.column) for p in raised.value.problems] == [(2, "Nội dung cần tập huấn")]


def _topic_labels() -> dict[str, str]:
    return {row["name"]: row[f"label::{VI}"] for row in CHOICES if row["list_name"] == "topic"}


def test_a_plain_csv_of_question_names_is_read_with_a_notice(form):
    data = "agency,years,topics,comments\npolice,4,first_aid drugs,Cán bộ mới\narmy,,,\n"
    table = read_export(data.encode(), form, filename="plain.csv")
    assert table.format is ExportFormat.PLAIN
    assert list(table.answers["agency"]) == ["police", "army"]
    assert list(table.answers["comments"]) == ["Cán bộ mới", ""]
    assert any("no submission IDs" in notice.message for notice in table.notices)


def test_another_forms_export_is_refused_with_the_match_rate(form):
    columns = ["ho_ten", "don_vi", "so_vu_bat_giu", "agency"]
    rows = [{"ho_ten": "Nguyễn Văn A", "don_vi": "Đồn Mộc Bài", "so_vu_bat_giu": "3"}] * 5
    with pytest.raises(ExportError) as raised:
        _read(form, rows, columns)
    message = str(raised.value)
    assert "match 1 of the form's 4 questions (25 %)" in message
    assert "1 of its 4 answer columns" in message


def test_a_missing_column_is_a_notice_naming_the_question(form):
    rows = [{"agency": "police", "years": "3", "topics": "drugs"}]
    table = _read(form, rows, ["agency", "years", "topics"])
    [notice] = table.notices
    assert "no column for 1 question(s) of the form (comments)" in notice.message


def test_a_header_only_file_is_read_with_a_notice(form):
    table = _read(form, [], ["agency", "years", "topics", "comments"])
    assert len(table) == 0
    assert [n.message for n in table.notices] == ["The file has a header but no submissions."]


def test_a_submission_twice_with_different_answers_says_what_differs(form):
    columns = ["agency", "years", "topics", "comments"]
    rows = [
        {"agency": "police", "years": "3", "comments": "Lần đầu", "_uuid": "same"},
        {"agency": "police", "years": "4", "comments": "Sửa lại", "_uuid": "same"},
        {"agency": "army", "years": "1", "_uuid": "other"},
    ]
    table = _read(form, rows, columns)
    assert list(table.instance_ids) == ["same", "other"]
    messages = [notice.message for notice in table.notices]
    assert (
        "Submission same is on rows 2 and 3 with different answers (years, comments); "
        "row 2 is kept." in messages
    )


def test_a_repeat_file_is_recognised_not_read_as_respondents(form):
    data = (
        '"topics";"_index";"_parent_table_name";"_parent_index";"_submission__uuid"\n'
        '"drugs";"1";"blo_log";"1";"abc"\n'
    )
    with pytest.raises(ExportError, match=r"is the export of a repeat .* _parent_index"):
        read_export(data.encode(), form, filename="topics.csv")


def test_every_problem_of_a_file_is_reported_in_one_pass_grouped_by_kind(form):
    # given a file with an unknown choice, a broken constraint and a missing required answer
    columns = ["agency", "years", "topics", "comments"]
    rows = [
        {"agency": "navy", "years": "3"},
        {"agency": "police", "years": "60"},
        {"agency": "", "years": "2"},
        {"agency": "police", "years": "70"},
        {"agency": "army", "years": "bốn"},
    ]
    # when it is read
    with pytest.raises(ExportRejected) as raised:
        _read(form, rows, columns)
    # then each kind of problem is there, with its rows
    groups = {(g.column, g.kind): [p.row for p in g.first] for g in raised.value.groups}
    assert groups == {
        ("agency", "not one of the choices"): [2],
        ("years", "not a valid value"): [6],
        ("years", "breaks the constraint"): [3, 5],
        ("agency", "answer required"): [4],
    }
    assert raised.value.total == 5


def test_a_rule_the_server_cannot_evaluate_is_a_notice_not_a_refusal():
    survey = [
        {
            "type": "integer",
            "name": "seized",
            f"label::{EN}": "Số vụ",
            "constraint": "pulldata('prices', 'kg', 'name', .) > 0",
        },
    ]
    form = make_form(survey=survey, choices=None, settings=SETTINGS)
    table = read_export(b"seized\n3\n", form, filename="plain.csv")
    assert list(table.answers["seized"]) == ["3"]
    assert any("cannot be checked on the server" in n.message for n in table.notices)


def _version(version: str, agencies: list[tuple[str, str]]) -> Form:
    choices = [row for row in CHOICES if row["list_name"] != "agency"]
    choices += [
        {"list_name": "agency", "name": name, f"label::{EN}": name, f"label::{VI}": label}
        for name, label in agencies
    ]
    settings = [{**SETTINGS[0], "version": version}]
    return make_form(survey=SURVEY, choices=choices, settings=settings)


V2024 = [("police", "Công an"), ("army", "Bộ đội Biên phòng"), ("forestry", "Kiểm lâm")]
V2025 = [("police", "Công an"), ("army", "Bộ đội Biên phòng"), ("customs", "Hải quan")]


def _versioned_rows(versions_and_agencies: list[tuple[str, str]]) -> str:
    columns = ["agency", "years", "__version__"]
    rows = [
        {"agency": agency, "years": "2", "__version__": version}
        for version, agency in versions_and_agencies
    ]
    return kobo_export(rows, columns)


def test_a_choice_of_an_older_form_version_is_a_notice_on_its_rows():
    data = _versioned_rows(
        [("2025", "customs"), ("2024", "forestry"), ("2025", "police"), ("2024", "army")]
    )
    table = read_export(data.encode(), _version("2025", V2025), filename="hai_phien_ban.csv")
    assert list(table.answers["agency"]) == ["customs", "forestry", "police", "army"]
    [notice] = [n for n in table.notices if n.column == "agency"]
    assert "1 row(s) answered with another version" in notice.message
    assert "version 2025 does not have (forestry; rows 3)" in notice.message


def test_an_unknown_choice_of_the_forms_own_version_is_still_a_problem():
    data = _versioned_rows([("2025", "forestry"), ("2024", "forestry")])
    with pytest.raises(ExportRejected) as raised:
        read_export(data.encode(), _version("2025", V2025), filename="sai.csv")
    assert [(p.row, p.column) for p in raised.value.problems] == [(2, "agency")]


def test_the_version_column_selects_the_questionnaire_version():
    versions = [_version("2024", V2024), _version("2025", V2025)]
    data = _versioned_rows([("2024", "forestry"), ("2024", "army"), ("2025", "customs")])
    table = read_export(data.encode(), versions, filename="cu.csv")
    assert list(table.answers["agency"]) == ["forestry", "army", "customs"]
    [notice] = [n for n in table.notices if n.column == "agency"]
    assert "version 2024 does not have (customs; rows 4)" in notice.message


def _workbook(sheets: dict[str, list[list[str]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_kobo_xlsx_export_reads_its_main_sheet_and_names_a_sheet_of_no_repeat(form):
    data = _workbook(
        {
            "Nhật ký BLO": [
                ["agency", "years", "topics", "comments", "_uuid", "_index"],
                ["police", "4", "drugs", "Bắt giữ tại cửa khẩu", "u-1", "1"],
                ["army", "2", "", "", "u-2", "2"],
            ],
            "seizures": [
                ["item", "_index", "_parent_table_name", "_parent_index"],
                ["Ma túy đá", "1", "Nhật ký BLO", "1"],
            ],
        }
    )
    table = read_export(data, form, filename="kobo.xlsx")
    assert table.format is ExportFormat.KOBOTOOLBOX
    assert list(table.answers["comments"]) == ["Bắt giữ tại cửa khẩu", ""]
    assert list(table.instance_ids) == ["u-1", "u-2"]
    assert any(
        "the table seizures is ignored: it matches no repeat of the form" in n.message
        for n in table.notices
    )


def test_an_odk_central_zip_reads_the_table_without_a_parent_key(form):
    main = odk_export(
        [{"agency": "police", "years": "3", "comments": "Tuần tra chung"}],
        ["agency", "years", "topics", "comments"],
    )
    repeat = "item,PARENT_KEY,KEY\nMa túy,uuid:a,uuid:a/seizures[1]\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("blo_log-seizures.csv", repeat)
        archive.writestr("blo_log.csv", main)
    table = read_export(buffer.getvalue(), form, filename="blo_log.zip")
    assert table.format is ExportFormat.ODK_CENTRAL
    assert list(table.answers["comments"]) == ["Tuần tra chung"]
    assert any("blo_log-seizures.csv" in n.message for n in table.notices)


def _version_workbook(version: str, agencies: list[tuple[str, str]]) -> bytes:
    choices = [row for row in CHOICES if row["list_name"] != "agency"]
    choices += [
        {"list_name": "agency", "name": name, f"label::{EN}": name, f"label::{VI}": label}
        for name, label in agencies
    ]
    return make_workbook(
        survey=SURVEY, choices=choices, settings=[{**SETTINGS[0], "version": version}]
    )


def test_an_import_into_a_round_reads_each_row_with_the_uploaded_version_it_names(world):
    # given both versions of the questionnaire uploaded, and a round of the newer one
    for version, agencies in (("2024", V2024), ("2025", V2025)):
        do_upload_questionnaire(
            data=_version_workbook(version, agencies),
            file_name=f"nhat_ky_{version}.xlsx",
            actor=world.ainsley,
        )
    newer = Questionnaire.objects.get(form_id="blo_log", version="2025")
    survey_round = make_round(
        newer, world.ainsley, [world.moc_bai], site_question="", cluster_question=""
    )
    # when an export answered mostly with the older version is imported
    data = _versioned_rows([("2024", "forestry"), ("2024", "army"), ("2025", "customs")])
    batch = do_import_export(
        survey_round, data.encode(), file_name="hai_phien_ban.csv", actor=world.ainsley
    )
    # then every row is kept (the older version has the Forest Protection Department), and the
    # newer version's choice on the row answered with it is a notice naming the row
    assert batch.rows_added == 3
    stored = sorted(s.answers["agency"] for s in Submission.objects.filter(round=survey_round))
    assert stored == ["army", "customs", "forestry"]
    assert any(
        "version 2024 does not have (customs; rows 4)" in n["message"] for n in batch.notices
    )
    # and the older version stays uploaded beside the newer
    assert Questionnaire.objects.filter(form_id="blo_log").count() == 2


def test_the_command_line_takes_other_versions_of_the_questionnaire(tmp_path):
    # given both versions of the questionnaire and an export answered mostly with the older
    older, newer = tmp_path / "nhat_ky_2024.xlsx", tmp_path / "nhat_ky_2025.xlsx"
    older.write_bytes(_version_workbook("2024", V2024))
    newer.write_bytes(_version_workbook("2025", V2025))
    data = tmp_path / "hai_phien_ban.csv"
    data.write_text(
        _versioned_rows([("2024", "forestry"), ("2024", "army"), ("2025", "customs")]),
        encoding="utf-8",
    )
    # when it is analysed with the older version given beside the newer
    out, err = StringIO(), StringIO()
    call_command(
        "survey", "analyze", str(newer), str(data), "--form-version", str(older),
        "--json", "-", stdout=out, stderr=err,
    )  # fmt: skip
    # then the rows are read with the version most of them answered, the newer one's choice
    # on its row a notice
    agency = json.loads(out.getvalue())["questions"]["agency"]
    assert (agency["counts"]["army"], agency["counts"]["customs"]) == (1, 1)
    assert "version 2024 does not have (customs; rows 4)" in err.getvalue()
    # and another questionnaire is not taken for a version
    other = tmp_path / "khac.xlsx"
    other.write_bytes(make_workbook(settings=[{"form_id": "khac", "version": "1"}]))
    with pytest.raises(CommandError, match="is the questionnaire khac, not a version of blo_log"):
        call_command(
            "survey", "analyze", str(newer), str(data), "--form-version", str(other),
            stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip


def test_a_choice_of_an_older_version_inside_a_repeat_instance_is_a_notice():
    survey = [
        *SURVEY[:2],
        {
            "type": "begin_repeat",
            "name": "patrols",
            f"label::{EN}": "Patrols",
            f"label::{VI}": "Tuần tra",
        },
        {
            "type": "select_one agency",
            "name": "partner",
            f"label::{EN}": "With",
            f"label::{VI}": "Phối hợp với",
        },
        {"type": "end_repeat", "name": ""},
    ]
    choices = [
        {"list_name": "agency", "name": n, f"label::{EN}": n, f"label::{VI}": v} for n, v in V2025
    ]
    settings = [{**SETTINGS[0], "version": "2025"}]
    form = make_form(survey=survey, choices=choices, settings=settings)
    main = [
        ["agency", "years", "__version__", "_uuid", "_index"],
        ["police", "3", "2025", "u-1", "1"],
        ["army", "4", "2024", "u-2", "2"],
    ]
    patrols = [
        ["patrols/partner", "_index", "_parent_index"],
        ["customs", "1", "1"],
        ["forestry", "2", "2"],
    ]
    table = read_export(_workbook({"Nhật ký": main, "patrols": patrols}), form, filename="tt.xlsx")
    assert list(table.repeats[0].answers["partner"]) == ["customs", "forestry"]
    assert any(
        "Table patrols:" in n.message and "(forestry; rows 3)" in n.message for n in table.notices
    )
    # the same choice on an instance of the form's own version is a problem
    patrols[1][0] = "forestry"
    with pytest.raises(ExportRejected) as raised:
        read_export(_workbook({"Nhật ký": main, "patrols": patrols}), form, filename="tt.xlsx")
    [group] = raised.value.groups
    assert (group.sheet, group.column, [p.row for p in group.first]) == (
        "patrols",
        "patrols/partner",
        [2],
    )


@pytest.mark.parametrize(
    ("data", "matched"),
    [
        # another form's export with its header only
        ('"ho_ten";"don_vi";"so_vu";"_uuid";"_index"\n', "match 0 of the form's 4 questions (0 %)"),
        # KoboToolbox's columns and nothing of this form
        (
            '"ho_ten";"_uuid";"_submission_time";"_index"\n"Trần Thị B";"u-1";"2026-03-02";"1"\n',
            "match 0 of the form's 4 questions (0 %)",
        ),
    ],
)
def test_another_forms_file_is_never_taken_for_empty_submissions(form, data, matched):
    with pytest.raises(ExportError) as raised:
        read_export(data.encode(), form, filename="khac.csv")
    assert not isinstance(raised.value, ExportRejected)
    assert matched in str(raised.value)
    assert "does not look like data of the form blo_log" in str(raised.value)


# --- a label shared by several questions -----------------------------------------------------

CASCADE_SURVEY = [
    {"type": "select_one zone", "name": "zone", f"label::{EN}": "Zone", f"label::{VI}": "Khu vực"},
    {
        "type": "select_one agency",
        "name": "agency_north",
        f"label::{EN}": "Agency",
        f"label::{VI}": "Cơ quan",
        "relevant": "${zone} = 'north'",
    },
    {
        "type": "select_one agency",
        "name": "agency_south",
        f"label::{EN}": "Agency",
        f"label::{VI}": "Cơ quan",
        "relevant": "${zone} = 'south'",
    },
]
CASCADE_CHOICES = [
    *[row for row in CHOICES if row["list_name"] == "agency"],
    {"list_name": "zone", "name": "north", f"label::{EN}": "North", f"label::{VI}": "Phía Bắc"},
    {"list_name": "zone", "name": "south", f"label::{EN}": "South", f"label::{VI}": "Phía Nam"},
]


@pytest.fixture(scope="module")
def cascade_form() -> Form:
    return make_form(survey=CASCADE_SURVEY, choices=CASCADE_CHOICES, settings=SETTINGS)


def test_a_labels_export_with_a_label_shared_by_two_questions_reads_them_in_order(cascade_form):
    """KoboToolbox heads the two branches' question "Cơ quan" alike: the columns are the
    questions' in the form's order, as the export writes them."""
    export = (
        '"Khu vực";"Cơ quan";"Cơ quan";"_uuid";"_index"\n'
        '"Phía Bắc";"Bộ đội Biên phòng";"";"u1";"1"\n'
        '"Phía Nam";"";"Công an";"u2";"2"\n'
    )
    table = read_export(export.encode(), cascade_form, filename="nhan.csv")
    assert list(table.answers["agency_north"]) == ["army", ""]
    assert list(table.answers["agency_south"]) == ["", "police"]
    # the same file saved again by a spreadsheet, with separators past its last column
    resaved = "\n".join(line + ";;" for line in export.splitlines()) + "\n"
    table = read_export(resaved.encode(), cascade_form, filename="nhan.csv")
    assert list(table.answers["agency_south"]) == ["", "police"]


def test_a_label_heading_more_columns_than_the_form_has_questions_is_still_refused(
    cascade_form,
):
    export = '"Cơ quan";"Cơ quan";"Cơ quan";"_uuid"\n"Công an";"";"";"u1"\n'
    with pytest.raises(ExportError, match="has the column Cơ quan twice"):
        read_export(export.encode(), cascade_form, filename="nhan.csv")


def test_a_kobo_workbook_with_dates_and_numbers_stored_as_the_spreadsheets_own_is_read():
    """KoboToolbox's XLSX export keeps dates and numbers as spreadsheet values unless told to
    store them as text: a date is then a date-time at midnight, a count a float."""
    import datetime

    form = make_form(
        survey=[
            {"type": "date", "name": "ngay_bat", f"label::{EN}": "Seized on"},
            {"type": "integer", "name": "so_luong", f"label::{EN}": "How many"},
            {"type": "decimal", "name": "khoi_luong", f"label::{EN}": "Weight (kg)"},
            {"type": "time", "name": "gio", f"label::{EN}": "At"},
            {"type": "dateTime", "name": "luc", f"label::{EN}": "When"},
            {"type": "text", "name": "ghi_chu", f"label::{EN}": "Note"},
        ],
        choices=None,
        settings=SETTINGS,
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Nhật ký BLO"
    sheet.append(["ngay_bat", "so_luong", "khoi_luong", "gio", "luc", "ghi_chu", "_uuid", "_index"])
    sheet.append(
        [
            datetime.datetime(2024, 7, 14),  # noqa: DTZ001 - a spreadsheet has no time zone
            3.0,
            2.5,
            datetime.time(10, 30),
            datetime.datetime(2024, 7, 14, 22, 5, 9),  # noqa: DTZ001
            "Vảy tê tê",
            "u1",
            1,
        ]
    )
    sheet.append([datetime.date(2024, 7, 15), 4, 1.0, "10:30", "", 12, "u2", 2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_export(buffer.getvalue(), form, filename="nhat_ky.xlsx")
    assert table.answers.to_dict("records") == [
        {
            "ngay_bat": "2024-07-14",
            "so_luong": "3",
            "khoi_luong": "2.5",
            "gio": "10:30:00",
            "luc": "2024-07-14T22:05:09",
            "ghi_chu": "Vảy tê tê",
        },
        {
            "ngay_bat": "2024-07-15",
            "so_luong": "4",
            "khoi_luong": "1",
            "gio": "10:30",
            "luc": "",
            "ghi_chu": "12",
        },
    ]


def test_an_odk_central_geopoint_split_in_four_columns_is_read_as_one_answer():
    """ODK Central's CSV gives a geopoint four columns (…-Latitude, -Longitude, -Altitude,
    -Accuracy): the point is the answer ODK recorded, counted as answered."""
    form = make_form(
        survey=[
            {"type": "begin_group", "name": "vu_viec", f"label::{EN}": "Incident"},
            {"type": "geopoint", "name": "noi_bat", f"label::{EN}": "Where it was seized"},
            {"type": "end_group", "name": ""},
            {"type": "integer", "name": "so_luong", f"label::{EN}": "How many"},
        ],
        choices=None,
        settings=SETTINGS,
    )
    export = (
        "SubmissionDate,vu_viec-noi_bat-Latitude,vu_viec-noi_bat-Longitude,"
        "vu_viec-noi_bat-Altitude,vu_viec-noi_bat-Accuracy,so_luong,meta-instanceID,KEY\n"
        "2026-03-02T09:00:00.000Z,11.0512,106.2031,12.5,4.9,2,uuid:a,uuid:a\n"
        "2026-03-02T09:05:00.000Z,,,,,3,uuid:b,uuid:b\n"
        "2026-03-02T09:10:00.000Z,10.9,106.1,,8,1,uuid:c,uuid:c\n"
    )
    table = read_export(export.encode(), form, filename="central.csv")
    assert list(table.answers["noi_bat"]) == ["11.0512 106.2031 12.5 4.9", "", "10.9 106.1 0 8"]
    assert not table.notices
    result = analyze(form, table.answers)
    assert result["questions"]["noi_bat"]["answered"] == 2


@pytest.mark.parametrize("far", ["XFD1048576", "A900000", "HZZ2"])
def test_a_workbook_with_a_far_away_cell_is_refused_before_it_is_read(form, far):
    """The export's workbook is read by calamine, which holds a sheet as a dense table: a cell
    far past the limits is refused from the sheet's XML, in an instant, naming the cell."""
    import time

    from tests import crafted_files

    def change(xml: str) -> str:
        row = "".join(ch for ch in far if ch.isdigit())
        cell = f'<row r="{row}"><c r="{far}" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace("</sheetData>", cell + "</sheetData>")

    raw = crafted_files.rewrite_sheet(
        crafted_files.workbook([["agency", "years", "_uuid"], ["police", "3", "u1"]], "blo_log"),
        change,
    )
    started = time.monotonic()
    with pytest.raises(ExportError) as raised:
        read_export(raw, form, filename="xa.xlsx")
    assert time.monotonic() - started < 2.0
    assert "A sheet has a cell at" in str(raised.value)
    assert far.lstrip("AHZ") in str(raised.value)


def test_a_large_kobotoolbox_workbook_is_read_within_the_imports_time():
    """12,000 respondents × 150 columns (1.8 million cells): openpyxl took about a minute,
    past the import's 20 seconds; calamine reads it in a few seconds."""
    import time

    form = make_form(
        survey=[
            {"type": "integer", "name": f"q{index:03d}", f"label::{EN}": f"Q{index}"}
            for index in range(148)
        ],
        choices=None,
        settings=SETTINGS,
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Nhật ký BLO")
    sheet.append([f"q{index:03d}" for index in range(148)] + ["_uuid", "_index"])
    for row in range(12_000):
        sheet.append([(row + index) % 40 for index in range(148)] + [f"u{row}", row + 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    started = time.monotonic()
    table = read_export(buffer.getvalue(), form, filename="lon.xlsx")
    elapsed = time.monotonic() - started
    assert len(table.answers) == 12_000
    assert list(table.answers["q007"][:3]) == ["7", "8", "9"]
    assert elapsed < 20.0
