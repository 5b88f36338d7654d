from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.builders import kobo_export, make_workbook

FORM = str(patrol_fixture.FORM_PATH)
KOBO = str(patrol_fixture.KOBO_PATH)
ODK = str(patrol_fixture.ODK_PATH)
REPOSITORY = Path(__file__).resolve().parents[3]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("survey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_analyze_writes_the_json_contract(tmp_path):
    target = tmp_path / "out.json"
    _out, err = run("analyze", FORM, KOBO, "--json", str(target))
    payload = json.loads(target.read_text(encoding="utf-8"))
    assert payload["form_id"] == "patrol_tna_vn"
    assert payload["respondents"] == 33
    agency = payload["questions"]["agency"]
    assert agency["counts"]["provincial_police"] == 13
    assert agency["percent"]["provincial_police"] == pytest.approx(100 * 13 / 33)
    assert agency["ci95"]["provincial_police"][0] < agency["percent"]["provincial_police"]
    assert all("by" not in question for question in payload["questions"].values())
    assert "Wrote" in err


def test_analyze_by_a_calculation_with_vietnamese_labels(tmp_path):
    target = tmp_path / "by.json"
    run("analyze", FORM, ODK, "--by", "cluster", "--lang", "vi", "--json", str(target))
    payload = json.loads(target.read_text(encoding="utf-8"))
    meetings = payload["questions"]["meet_crossborder"]
    assert meetings["label"].startswith("5.1 Họp song phương")
    assert meetings["by"]["CL1"]["answered"] == 16
    assert meetings["by"]["CL2"]["counts"]["no_regular"] == 10


def test_analyze_with_a_filter_prints_a_summary():
    out, _err = run("analyze", FORM, KOBO, "--where", "knows_ods = 'yes'")
    assert out.startswith("PATROL training needs assessment (patrol_tna_vn): 17 respondents")
    assert "knows_ods — 4.3 Do you know what ozone depleting substances (ODS) are? (n = 17)" in out


def test_json_to_standard_output():
    out, _err = run("analyze", FORM, KOBO, "--json", "-")
    assert json.loads(out)["respondents"] == 33


def test_compare_writes_changes_in_percentage_points(tmp_path):
    baseline = tmp_path / "baseline.csv"
    rows = [
        {
            "profile/agency": "customs",
            "operations/integrity": "refuse",
            "profile/blo": "moc_bai",
            "profile/years_border": "3",
        }
    ] * 20
    baseline.write_text(
        kobo_export(
            [{**row, "_uuid": f"b{index}"} for index, row in enumerate(rows)],
            ["profile/agency", "profile/blo", "profile/years_border", "operations/integrity"],
        ),
        encoding="utf-8",
    )
    target = tmp_path / "compare.json"
    run("compare", FORM, str(baseline), KOBO, "--json", str(target))
    payload = json.loads(target.read_text(encoding="utf-8"))
    refuse = payload["questions"]["integrity"]["choices"]["refuse"]
    assert refuse["baseline"] == 100.0
    assert refuse["followup"] == pytest.approx(100 * 9 / 33)
    assert refuse["change_pp"] == pytest.approx(100 * 9 / 33 - 100)
    assert refuse["ci95_pp"][1] < 0
    assert refuse["p_value"] < 0.05
    assert payload["scores"]["operations"]["baseline"] == 100.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("analyze", "missing.xlsx", KOBO), "form missing.xlsx: The file does not exist."),
        (("analyze", FORM, "missing.csv"), "missing.csv does not exist"),
        (("analyze", FORM, KOBO, "--by", "years_border"), "years_border is a integer question"),
        (("analyze", FORM, KOBO, "--where", "knows_odz = 'yes'"), "knows_odz is not a question"),
    ],
)
def test_errors_end_the_command_with_their_message(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_rejected_file_lists_its_problems(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        kobo_export(
            [
                {
                    "profile/agency": "navy",
                    "profile/blo": "moc_bai",
                    "profile/years_border": "60",
                    "operations/integrity": "refuse",
                }
            ],
            ["profile/agency", "profile/blo", "profile/years_border", "operations/integrity"],
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as raised:
        run("analyze", FORM, str(bad))
    message = str(raised.value)
    assert "bad.csv is rejected" in message
    assert "row 2, column profile/agency: navy is not one of the choices" in message


def test_the_command_line_exits_non_zero_without_a_traceback(tmp_path):
    completed = subprocess.run(  # noqa: S603 - fixed arguments of the test
        [sys.executable, "manage.py", "survey", "analyze", str(tmp_path / "none.xlsx"), KOBO],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode != 0
    assert "form none.xlsx: The file does not exist." in completed.stderr
    assert "Traceback" not in completed.stderr


def test_analyze_writes_the_report_as_html_and_pdf(tmp_path):
    form = tmp_path / "small.xlsx"
    form.write_bytes(make_workbook())
    data = tmp_path / "small.csv"
    rows = [
        {"profile/agency": "police", "ods/knows_ods": "yes", "ods/ods_list": "cfc halons"},
        {"profile/agency": "army", "ods/knows_ods": "no", "ods/montreal": "ozone"},
    ]
    columns = ["profile/agency", "ods/knows_ods", "ods/ods_list", "ods/montreal"]
    data.write_text(kobo_export(rows, columns), encoding="utf-8")
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    run("analyze", str(form), str(data), "--lang", "vi", "--html", str(html), "--pdf", str(pdf))
    document = html.read_text(encoding="utf-8")
    assert "Tóm tắt các phát hiện chính" in document
    assert "data:image/png;base64," in document
    assert pdf.read_bytes().startswith(b"%PDF")


def test_compare_writes_an_html_report(tmp_path):
    html = tmp_path / "compare.html"
    run("compare", FORM, KOBO, ODK, "--html", str(html))
    document = html.read_text(encoding="utf-8")
    assert "Knowledge scores by theme" in document
    assert "5.10 Imagine that Mr. Y" in document


@pytest.mark.parametrize(
    ("environment", "lang", "expected"),
    [
        ({"LANG": "en_US.UTF-8"}, "vi", "Give 1 data source(s)"),
        ({"LANG": "vi_VN.UTF-8"}, "en", "Cần cung cấp 1 nguồn dữ liệu"),
        ({"LANG": "vi_VN.UTF-8", "LC_ALL": "C"}, "vi", "Give 1 data source(s)"),
        ({"LC_MESSAGES": "vi_VN.UTF-8", "LANG": "en_GB.UTF-8"}, "en", "Cần cung cấp"),
        ({}, "vi", "Give 1 data source(s)"),
    ],
)
def test_messages_follow_the_terminal_locale_not_the_report_language(
    monkeypatch, environment, lang, expected
):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(CommandError) as raised:
        run("analyze", FORM, "--lang", lang)
    assert expected in str(raised.value)


def test_a_report_in_vietnamese_keeps_english_messages_on_an_english_terminal(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    target = tmp_path / "vi.json"
    _out, err = run("analyze", FORM, KOBO, "--lang", "vi", "--json", str(target))
    assert f"Wrote {target}" in err
    payload = json.loads(target.read_text(encoding="utf-8"))
    assert payload["questions"]["meet_crossborder"]["label"].startswith("5.1 Họp song phương")


def test_a_rejected_file_shows_every_kind_of_problem_with_its_first_rows(tmp_path):
    columns = ["profile/agency", "profile/blo", "profile/years_border"]
    rows = [
        {"profile/agency": "navy", "profile/blo": "moc_bai", "profile/years_border": "5"},
        {"profile/agency": "customs", "profile/blo": "moc_bai", "profile/years_border": "60"},
        {"profile/agency": "customs", "profile/blo": "moc_bai", "profile/years_border": "70"},
    ]
    bad = tmp_path / "hai_loi.csv"
    bad.write_text(kobo_export(rows, columns), encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        run("analyze", FORM, str(bad))
    message = str(raised.value)
    assert "column profile/agency, not one of the choices: 1 row(s) (2)" in message
    assert "column profile/years_border, breaks the constraint: 2 row(s) (3, 4)" in message
    assert "row 4, column profile/years_border: 70 breaks the constraint" in message


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({"LANG": "km_KH.UTF-8"}, "km"), ({"LANG": "lo_LA.UTF-8"}, "lo"), ({"LANG": "fr_FR"}, "en")],
)
def test_messages_speak_every_language_of_the_interface(environment, expected):
    from liaison.surveys.management.commands.survey import terminal_language

    assert terminal_language(environment) == expected


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("km", "សេចក្ដីសង្ខេបនៃលទ្ធផលសំខាន់ៗ"),
        ("lo", None),
        ("th", None),
        ("zh-hans", None),
    ],
)
def test_the_report_speaks_every_interface_language(tmp_path, language, heading):
    """``--lang`` takes each language of the interface, as the results page does (the form's
    labels stay in its own languages when it has none in that one)."""
    from django.utils import translation

    html = tmp_path / "report.html"
    run("analyze", FORM, KOBO, "--lang", language, "--html", str(html))
    document = html.read_text(encoding="utf-8")
    with translation.override(language):
        expected = translation.gettext("Summary of main findings")
    assert expected != "Summary of main findings"
    assert expected in document
    if heading:
        assert heading in document
    assert f'lang="{language}"' in document


def test_a_filter_on_a_value_that_is_no_choice_says_so_and_that_it_kept_nobody():
    """``agency = 'police'`` is a valid filter; on the PATROL form, whose police choice is
    ``provincial_police``, it keeps nobody: the command says why instead of reporting 0."""
    out, err = run("analyze", FORM, KOBO, "--where", "${agency} = 'police'", "--json", "-")
    assert json.loads(out)["respondents"] == 0
    assert (
        "The filter compares agency with 'police', which is not one of its choices "
        "(provincial_police, border_army, customs, anti_narcotics, other)."
    ) in err
    assert "No respondent of the 33 meets the filter ${agency} = 'police'." in err
    _out, quiet = run("analyze", FORM, KOBO, "--where", "agency = 'customs'", "--json", "-")
    assert "choices" not in quiet and "No respondent" not in quiet


def test_a_broken_filter_is_explained_without_positions_in_the_translated_xpath():
    with pytest.raises(CommandError) as raised:
        run("analyze", FORM, KOBO, "--where", "blo = ")
    assert str(raised.value) == "The filter blo =  cannot be used: unexpected end of source"
