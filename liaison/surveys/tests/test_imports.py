from __future__ import annotations

import codecs
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaison.surveys.imports import (
    ExportError,
    ExportFormat,
    ExportRejected,
    _factorize_objects,
    _lines_end_within,
    answers_frame,
    decode_export,
    read_export,
)
from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.builders import kobo_export, odk_export
from liaison.tabular import LIMITS
from tests.encodings import windows_1258

KOBO_TEXT = patrol_fixture.KOBO_PATH.read_text(encoding="utf-8")
ODK_TEXT = patrol_fixture.ODK_PATH.read_text(encoding="utf-8")


def test_a_kobotoolbox_export_is_recognised_and_read(kobo_table):
    assert kobo_table.format is ExportFormat.KOBOTOOLBOX
    assert len(kobo_table) == 33
    assert kobo_table.instance_ids.is_unique
    assert kobo_table.notices == ()
    first = kobo_table.rows()[0]
    assert first.row == 2
    assert first.instance_id == patrol_fixture._instance_id(0)
    assert first.submitted_at == "2010-08-18T09:00:00"
    assert first.answers["blo"] == "dien_bien"
    assert "intro" not in first.answers


def test_an_odk_central_export_is_recognised_and_read(odk_table):
    assert odk_table.format is ExportFormat.ODK_CENTRAL
    assert len(odk_table) == 33
    # ODK's instance IDs are "uuid:…"; they are kept without the prefix so that a submission
    # exported from both tools has one ID.
    assert odk_table.instance_ids.iloc[0] == patrol_fixture._instance_id(0)


def test_both_exports_of_the_same_submissions_give_the_same_answers(kobo_table, odk_table):
    kobo = kobo_table.answers.sort_index(axis=1)
    odk = odk_table.answers.sort_index(axis=1)
    pd.testing.assert_frame_equal(kobo, odk)
    assert list(kobo_table.instance_ids) == list(odk_table.instance_ids)


def test_select_multiple_is_read_as_space_separated_names(kobo_table):
    expected = [row.get("precursors", "") for row in patrol_fixture.respondents()]
    assert list(kobo_table.answers["precursors"]) == expected
    assert any(" " in value for value in expected)


def test_vietnamese_text_survives_the_import(kobo_table):
    comments = [value for value in kobo_table.answers["comments"] if value]
    assert "Đề nghị tổ chức học tiếng Lào cho cán bộ BLO." in comments


def _without_columns(text: str, delimiter: str, keep) -> str:
    lines = text.splitlines()
    header = lines[0].split(delimiter)
    chosen = [index for index, column in enumerate(header) if keep(column.strip('"'))]
    return "\n".join(
        delimiter.join(line.split(delimiter)[index] for index in chosen) for line in lines
    )


def test_option_columns_alone_rebuild_the_select_multiple(patrol_form, kobo_table):
    main_columns = {"drugs/precursors", "smuggling_trafficking/trafficking_forms"}
    text = _without_columns(KOBO_TEXT, ";", lambda column: column not in main_columns)
    table = read_export(text.encode(), patrol_form, filename="split.csv")
    assert list(table.answers["precursors"]) == list(kobo_table.answers["precursors"])
    assert list(table.answers["trafficking_forms"]) == list(kobo_table.answers["trafficking_forms"])


def test_headers_without_group_paths_are_matched(patrol_form, kobo_table):
    lines = KOBO_TEXT.splitlines()

    def ungrouped(column: str) -> str:
        parts = column.strip('"').split("/")
        if len(parts) >= 2 and patrol_form.has_question(parts[-2]):
            return f'"{parts[-2]}/{parts[-1]}"'  # an option column: question/option
        return f'"{parts[-1]}"'

    header = ";".join(ungrouped(column) for column in lines[0].split(";"))
    table = read_export("\n".join([header, *lines[1:]]).encode(), patrol_form)
    assert table.notices == ()
    pd.testing.assert_frame_equal(
        table.answers.sort_index(axis=1), kobo_table.answers.sort_index(axis=1)
    )


@pytest.mark.parametrize("language", ["en", "vi"])
def test_a_labels_export_maps_headers_and_values_back_to_names(small_form, language):
    label = {"en": 2, "vi": 3}[language]

    def text(question: str) -> str:
        return str(list(small_form.question(question).labels.values())[label - 2])

    def choice(question: str, name: str) -> str:
        return str(small_form.choice_label(small_form.question(question), name, language))

    ods = small_form.question("ods_list")
    columns = [text("agency"), text("knows_ods")] + [
        f"{text('ods_list')}/{choice('ods_list', name)}" for name in ods.choice_names
    ]
    rows = [
        {
            text("agency"): choice("agency", "army"),
            text("knows_ods"): choice("knows_ods", "yes"),
            **{
                f"{text('ods_list')}/{choice('ods_list', n)}": str(int(n in ("cfc", "co2")))
                for n in ods.choice_names
            },
        },
        {text("agency"): choice("agency", "customs"), text("knows_ods"): choice("knows_ods", "no")},
    ]
    table = read_export(kobo_export(rows, columns).encode(), small_form, filename="labels.csv")
    assert list(table.answers["agency"]) == ["army", "customs"]
    assert list(table.answers["knows_ods"]) == ["yes", "no"]
    assert list(table.answers["ods_list"]) == ["cfc co2", ""]


def test_a_utf8_bom_and_crlf_line_ends_are_read(patrol_form, kobo_table):
    data = codecs.BOM_UTF8 + KOBO_TEXT.replace("\n", "\r\n").encode("utf-8")
    table = read_export(data, patrol_form, filename="bom.csv")
    assert table.encoding == "utf-8-sig"
    pd.testing.assert_frame_equal(table.answers, kobo_table.answers)


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (ODK_TEXT.encode("utf-16"), "utf-16"),
        (ODK_TEXT.encode("utf-16-le"), "utf-16-le"),
        (ODK_TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_utf16_exports_are_decoded(patrol_form, odk_table, encoded, encoding):
    table = read_export(encoded, patrol_form, filename="utf16.csv")
    assert table.encoding == encoding
    pd.testing.assert_frame_equal(table.answers, odk_table.answers)


def test_a_windows_1258_export_is_refused_with_a_clear_message(patrol_form):
    data = windows_1258(KOBO_TEXT)
    with pytest.raises(ExportError) as raised:
        read_export(data, patrol_form, filename="excel.csv")
    message = str(raised.value)
    assert "excel.csv is not UTF-8" in message
    assert "Windows-1258" in message
    assert "CSV UTF-8" in message


def test_a_legacy_byte_deep_in_a_large_export_is_found_where_it_is(patrol_form):
    # Only the start of the file is checked before reading; the CSV reader finds the rest.
    header, *rows = KOBO_TEXT.encode().split(b"\n")
    data = b"\n".join([header, *(rows[:-1] * 40)]) + b"\n"
    assert len(data) > 1_000_000
    position = len(data) - 40
    data = data[:position] + b"\xe0" + data[position + 1 :]  # "à" in Windows-1258
    with pytest.raises(ExportError) as raised:
        read_export(data, patrol_form, filename="late.csv")
    message = str(raised.value)
    assert "late.csv is not UTF-8" in message
    assert f"position {position}" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "is empty"),
        (b"PK\x03\x04...", "not a readable zip archive"),
        (b"colour,size\nred,big\n", "match 0 of the form's 67 questions"),
        (b'"_uuid";"agency";"agency"\n"1";"a";"b"\n', "column agency twice"),
        (b"\x1f\x8b\x08\x00rest", "x.csv is a gzip file, not a CSV export"),
        (b"%PDF-1.7\n", "x.csv is a PDF file, not a CSV export"),
        (b'  [{"_uuid": "1", "agency": "police"}]', r"looks like JSON \(it starts with \[\)"),
        (b'{"results": []}', r"looks like JSON \(it starts with \{\)"),
        (b"[A] Agency;_uuid\npolice;1\n", "match 0 of the form's 67 questions"),
    ],
)
def test_files_that_are_not_exports_are_refused(patrol_form, data, expected):
    with pytest.raises(ExportError, match=expected):
        read_export(data, patrol_form, filename="x.csv")


def test_a_ragged_csv_is_refused_without_a_traceback(small_form):
    data = b'"agency";"_uuid"\n"police";"a";"extra";"fields"\n'
    with pytest.raises(ExportError, match="not a well-formed CSV"):
        read_export(data, small_form)


def test_a_file_with_bad_rows_is_rejected_whole_with_each_problem(small_form):
    columns = ["profile/agency", "profile/years", "ods/knows_ods", "ods/ods_list"]
    rows = [
        {"profile/agency": "police", "profile/years": "4", "ods/knows_ods": "no"},
        {"profile/agency": "navy", "profile/years": "4", "ods/knows_ods": "no"},
        {"profile/agency": "police", "profile/years": "four", "ods/knows_ods": "no"},
        {"profile/agency": "police", "profile/years": "4", "ods/knows_ods": "maybe"},
        {"profile/agency": "customs", "ods/knows_ods": "yes", "ods/ods_list": "cfc ozone"},
    ]
    with pytest.raises(ExportRejected) as raised:
        read_export(kobo_export(rows, columns).encode(), small_form, filename="bad.csv")
    problems = [(p.row, p.column) for p in raised.value.problems]
    assert problems == [
        (3, "profile/agency"),
        (4, "profile/years"),
        (5, "ods/knows_ods"),
        (6, "ods/ods_list"),
    ]
    assert raised.value.total == 4
    reasons = [p.reason for p in raised.value.problems]
    assert "navy is not one of the choices" in reasons[0]
    assert "four is not a whole number" in reasons[1]
    assert "ozone" in reasons[3]
    assert "row 3, column profile/agency" in str(raised.value.problems[0])


def test_constraints_and_required_answers_are_checked_on_import(small_form):
    columns = ["profile/agency", "profile/years", "ods/knows_ods", "ods/ods_list"]
    rows = [
        {"profile/agency": "police", "profile/years": "50", "ods/knows_ods": "no"},
        {"profile/agency": "police", "profile/years": "5", "ods/knows_ods": "yes"},
        {"profile/agency": "", "profile/years": "5", "ods/knows_ods": "no"},
    ]
    with pytest.raises(ExportRejected) as raised:
        read_export(kobo_export(rows, columns).encode(), small_form)
    found = {(p.row, p.column): p.reason for p in raised.value.problems}
    assert "breaks the constraint . >= 0 and . <= 45" in found[(2, "profile/years")]
    assert found[(3, "ods/ods_list")] == "an answer is required"
    assert found[(4, "profile/agency")] == "an answer is required"


def test_disagreeing_option_columns_reject_the_row(small_form):
    columns = ["ods/knows_ods", "ods/ods_list", "ods/ods_list/cfc", "ods/ods_list/halons"]
    rows = [
        {
            "ods/knows_ods": "yes",
            "ods/ods_list": "cfc",
            "ods/ods_list/cfc": "1",
            "ods/ods_list/halons": "0",
        },
        {
            "ods/knows_ods": "yes",
            "ods/ods_list": "cfc",
            "ods/ods_list/cfc": "0",
            "ods/ods_list/halons": "1",
        },
    ]
    with pytest.raises(ExportRejected) as raised:
        read_export(kobo_export(rows, columns).encode(), small_form)
    assert [(p.row, p.reason) for p in raised.value.problems] == [
        (3, "the answer disagrees with its 1/0 option columns")
    ]


def test_an_unknown_column_is_a_notice_not_an_error(small_form):
    columns = ["profile/agency", "profile/favourite_colour"]
    rows = [{"profile/agency": "police", "profile/favourite_colour": "blue"}]
    table = read_export(kobo_export(rows, columns).encode(), small_form)
    assert [notice.column for notice in table.notices if notice.column] == [
        "profile/favourite_colour"
    ]
    assert list(table.answers.columns) == ["agency"]


def test_odk_group_paths_use_dashes(small_form):
    columns = ["profile-agency", "profile-years", "cluster", "ods-knows_ods", "ods-ods_list"]
    rows = [
        {
            "profile-agency": "army",
            "profile-years": "2",
            "cluster": "south",
            "ods-knows_ods": "yes",
            "ods-ods_list": "cfc halons",
        }
    ]
    table = read_export(odk_export(rows, columns).encode(), small_form)
    assert table.format is ExportFormat.ODK_CENTRAL
    assert table.rows()[0].answers == {
        "agency": "army",
        "years": "2",
        "cluster": "south",
        "knows_ods": "yes",
        "ods_list": "cfc halons",
    }


def test_reimporting_the_same_file_adds_nothing(patrol_form, kobo_table):
    stored = set(kobo_table.instance_ids)
    again = read_export(patrol_fixture.KOBO_PATH, patrol_form).excluding(stored)
    assert len(again) == 0
    half = set(list(kobo_table.instance_ids)[:10])
    assert len(kobo_table.excluding(half)) == 23


def test_a_submission_twice_in_one_file_is_kept_once(small_form):
    columns = ["profile/agency"]
    rows = [
        {"profile/agency": "police", "_uuid": "same"},
        {"profile/agency": "police", "_uuid": "same"},
        {"profile/agency": "army", "_uuid": "other"},
    ]
    table = read_export(kobo_export(rows, columns).encode(), small_form)
    assert list(table.instance_ids) == ["same", "other"]
    assert any("appear twice" in notice.message for notice in table.notices)


def test_a_row_without_an_instance_id_is_rejected(small_form):
    rows = [{"profile/agency": "police", "_uuid": ""}]
    with pytest.raises(ExportRejected) as raised:
        read_export(kobo_export(rows, ["profile/agency"]).encode(), small_form)
    assert [(p.row, p.column) for p in raised.value.problems] == [(2, "_uuid")]


def test_stored_submissions_make_the_same_frame_as_the_export(patrol_form, kobo_table):
    stored = [row.answers for row in kobo_table.rows()]
    frame = answers_frame(patrol_form, stored)
    for name in kobo_table.answers.columns:
        assert list(frame[name]) == list(kobo_table.answers[name]), name


def test_decoding_reports_the_encoding_it_found():
    assert decode_export(b"a,b\n1,2\n")[0] == "utf-8"
    assert decode_export(codecs.BOM_UTF8 + b"a,b\n")[0] == "utf-8-sig"
    assert decode_export("a,b\nđ,ư\n".encode("utf-16"))[1] == "a,b\nđ,ư\n".encode()


def test_the_committed_exports_are_what_the_fixture_script_writes():
    rows = patrol_fixture.respondents()
    assert patrol_fixture.kobo_csv(rows) == KOBO_TEXT
    assert patrol_fixture.odk_central_csv(rows) == ODK_TEXT


@given(
    lines=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=30),
    limit=st.integers(min_value=1, max_value=25),
)
def test_the_quick_line_length_check_never_passes_a_line_over_the_limit(lines, limit):
    # Given a file of lines of these lengths (the last one without a line end)
    data = b"\n".join(b"x" * length for length in lines)
    # when the quick check says every line ends within the limit, then none is longer
    if _lines_end_within(data, limit):
        assert max(lines) <= limit


def test_a_cell_over_the_cell_limit_is_refused_with_its_row_and_column(small_form):
    long_cell = "Hà Nội " * (LIMITS.cell_chars // 7 + 1)
    data = f'"profile/agency";"_uuid"\n"police";"a"\n"army";"{long_cell}"\n'.encode()
    with pytest.raises(ExportError, match="row 3, column 2: the cell is longer than"):
        read_export(data, small_form, filename="dài.csv")


def test_a_long_line_of_short_cells_is_read(small_form):
    # a line longer than the cell limit, made of cells within it, is not a long cell
    notes = "Ghi chú " * (LIMITS.cell_chars // 8 // 2 * 3 // 2)
    assert len(notes) < LIMITS.cell_chars < 2 * len(notes)
    data = f'"profile/agency";"_uuid";"_notes";"_tags"\n"police";"a";"{notes}";"{notes}"\n'
    table = read_export(data.encode(), small_form, filename="rộng.csv")
    assert list(table.answers["agency"]) == ["police"]


_CELLS = st.one_of(
    st.sampled_from(["Có", "Không", "", " Có", "ma túy", "1", "1.0"]),
    st.text(max_size=4),
    st.sampled_from([1, 1.0, float("nan"), None, True]),
)


@given(st.lists(_CELLS, max_size=40), st.booleans())
def test_columns_are_factorised_by_identity_as_pandas_factorises_them(cells, shared):
    """The import factorises a column by its cells' objects first, then their texts: the
    codes and the distinct values, in order, must be pandas' own, whether equal cells share
    one object (as pandas' CSV reader leaves them) or not."""
    if shared:
        kept: dict[object, object] = {}
        cells = [kept.setdefault((type(cell), cell), cell) for cell in cells]
    else:
        cells = [cell.encode().decode() if isinstance(cell, str) else cell for cell in cells]
    values = np.array(cells, dtype=object)
    expected_codes, expected_uniques = pd.factorize(values, use_na_sentinel=True)
    codes, uniques = _factorize_objects(values)
    assert codes.tolist() == expected_codes.tolist()
    assert len(uniques) == len(expected_uniques)
    for ours, theirs in zip(uniques, expected_uniques, strict=True):
        assert ours is theirs or ours == theirs


def test_a_column_read_from_a_csv_is_factorised_as_pandas_does_even_when_strided():
    """A column cut from a frame with a step is not contiguous: it is copied first."""
    frame = pd.read_csv(
        io.StringIO("a;b\n" + "".join(f"Có;{i % 7}\n" for i in range(500))),
        sep=";",
        dtype=object,
    )
    strided = frame.to_numpy(dtype=object)[::3, 1]
    codes, uniques = _factorize_objects(strided)
    expected_codes, expected_uniques = pd.factorize(strided, use_na_sentinel=True)
    assert codes.tolist() == expected_codes.tolist()
    assert uniques.tolist() == expected_uniques.tolist()
    assert len(uniques) == 7


def _saved_by_a_spreadsheet(export: str, trailing: str = ";;", blank_rows: int = 0) -> bytes:
    lines = export.splitlines()
    width = lines[0].count(";") + len(trailing)
    lines = [line + trailing for line in lines] + [";" * width] * blank_rows
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


_SPREADSHEET_ROWS = [
    {"profile/agency": "police", "profile/years": "5"},
    {"profile/agency": "army", "profile/years": "12"},
]


def test_a_csv_saved_by_a_spreadsheet_is_read_without_its_empty_columns_and_rows(small_form):
    """A spreadsheet that saves a CSV may add separators past the last column (columns with
    no header and no cells) and lines of separators alone at the end: neither is data."""
    rows = [{**row, "ods/knows_ods": "no"} for row in _SPREADSHEET_ROWS]
    export = kobo_export(rows, ["profile/agency", "profile/years", "ods/knows_ods"])
    table = read_export(
        _saved_by_a_spreadsheet(export, ";;", blank_rows=3), small_form, filename="luu_lai.csv"
    )
    assert list(table.answers["agency"]) == ["police", "army"]
    messages = [notice.message for notice in table.notices]
    assert "luu_lai.csv: 3 empty row(s) at the end are ignored." in messages
    assert not [message for message in messages if "header" in message or "Unnamed" in message]


def test_cells_under_no_header_are_named_by_their_column_and_ignored(small_form):
    export = (
        '"profile/agency";"";"_uuid"\n'
        '"police";"ghi chú lạc";"00000000-0000-4000-8000-000000000001"\n'
    )
    table = read_export(export.encode(), small_form, filename="x.csv")
    assert list(table.answers["agency"]) == ["police"]
    assert "x.csv: column 2 has no header; its cells are ignored." in [
        notice.message for notice in table.notices
    ]
