from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

import liaison
from liaison.surveys.forms import build_patrol_tna
from liaison.surveys.tests.builders import (
    EN,
    SMALL_CHOICES,
    SMALL_SURVEY,
    VI,
    make_form,
    make_workbook,
)
from liaison.surveys.xlsform import (
    CALCULATE,
    SELECT_MULTIPLE,
    SELECT_ONE,
    FormError,
    load_form,
)


def _examples_root() -> Path:
    shared = Path(liaison.__file__).resolve().parents[2] / "shared" / "xlsform-examples"
    if shared.is_dir():
        return shared
    return Path(os.environ.get("LIAISON_XLSFORM_EXAMPLES", str(shared)))


EXAMPLES = _examples_root()
CORPUS = sorted(
    [*EXAMPLES.glob("example_xls/*"), *EXAMPLES.glob("bug_example_xls/*")],
    key=lambda path: (path.parent.name, path.name),
) or [EXAMPLES / "example_xls" / "(the corpus is missing)"]  # fail, never skip


def test_the_xlsform_example_corpus_is_present():
    # The parametrised test below would silently run zero cases without the folder.
    assert (EXAMPLES / "example_xls").is_dir(), f"missing corpus: {EXAMPLES}"
    assert (EXAMPLES / "bug_example_xls").is_dir(), f"missing corpus: {EXAMPLES}"
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_example_form_loads_or_is_refused_with_a_clear_message(path: Path):
    assert path.is_file(), f"missing corpus file: {path}"
    try:
        form = load_form(path)
    except FormError as error:
        message = str(error)
        assert path.name in message
        assert "Traceback" not in message
        assert len(message) > len(path.name) + 20
        return
    assert form.xform.lstrip().startswith("<?xml")
    assert form.form_id
    names = [question.name for question in form.questions]
    assert len(names) == len(set(names))
    for question in form.questions:
        assert question.path.startswith(f"/{form.root_name}/")
        if question.type == SELECT_ONE and question.choices:
            assert all(choice.name for choice in question.choices)


def test_a_calculation_that_is_not_xpath_is_refused_at_its_row_and_column():
    with pytest.raises(FormError) as raised:
        load_form(EXAMPLES / "bug_example_xls" / "bad_calc.xlsx")
    error = raised.value
    assert (error.sheet, error.row, error.column) == ("survey", 2, "calculation")
    assert "because pyxform doesn't know what to do" in str(error)


def test_the_patrol_questionnaire_has_its_themes_profile_and_languages(patrol_form):
    assert [group.name for group in patrol_form.themes()] == [
        "profile",
        "smuggling_trafficking",
        "drugs",
        "wildlife_timber",
        "ods_waste",
        "operations",
    ]
    assert [language.code for language in patrol_form.languages] == ["en", "vi"]
    agency = patrol_form.question("agency")
    assert agency.type == SELECT_ONE
    assert [patrol_form.choice_label(agency, c, "en") for c in agency.choice_names] == [
        "Provincial Police",
        "Border Army",
        "Customs",
        "Provincial Anti-Narcotics Police",
        "Others",
    ]
    assert patrol_form.choice_label(agency, "border_army", "vi") == "Bộ đội Biên phòng"
    years = patrol_form.question("years_border")
    assert years.constraint == ". >= 0 and . <= 45"
    assert patrol_form.label(years.constraint_message, "vi") == "Nhập số năm từ 0 đến 45."
    cluster = patrol_form.question("cluster")
    assert cluster.type == CALCULATE
    assert "/data/profile/blo" in (cluster.calculation or "")
    assert cluster.choice_names == ("CL1", "CL2")


def test_the_training_grid_is_a_group_inside_the_operations_theme(patrol_form):
    rows = [q for q in patrol_form.questions if q.group_path == ("operations", "training_grid")]
    assert [q.name for q in rows] == [
        "tr_investigation",
        "tr_checkpoint",
        "tr_intelligence",
        "tr_patrolling",
        "tr_awareness",
        "tr_computer",
    ]
    assert {q.theme for q in rows} == {"operations"}
    assert rows[0].choice_names == (
        "not_needed_position",
        "already_trained",
        "more_advanced",
        "require_training",
    )


def test_knowledge_questions_carry_the_correct_marks(patrol_form):
    precursors = patrol_form.question("precursors")
    assert precursors.type == SELECT_MULTIPLE
    assert precursors.is_knowledge
    assert precursors.correct_names == {
        "ephedrine",
        "pseudoephedrine",
        "acetic_anhydride",
        "potassium_permanganate",
        "safrole",
    }
    ods = patrol_form.question("ods_substances")
    assert ods.correct_names == {"cfc", "hcfc22", "halons", "methyl_bromide"}
    assert patrol_form.question("integrity").correct_names == {"refuse"}
    assert not patrol_form.question("agency").is_knowledge


def test_vietnamese_labels_keep_their_diacritics(patrol_form):
    assert (
        patrol_form.question_label(patrol_form.question("tr_computer"), "vi") == "Đào tạo tin học"
    )
    assert patrol_form.question_label(patrol_form.question("blo"), "vi").startswith(
        "Anh/chị công tác tại"
    )


def test_the_committed_patrol_workbook_is_what_the_build_script_writes(tmp_path):
    rebuilt = tmp_path / "patrol_tna.xlsx"
    build_patrol_tna.main([str(rebuilt)])
    committed = openpyxl.load_workbook(build_patrol_tna.FORM_PATH)
    fresh = openpyxl.load_workbook(rebuilt)
    assert committed.sheetnames == fresh.sheetnames
    for name in committed.sheetnames:
        assert list(committed[name].values) == list(fresh[name].values), name


def test_labels_hints_and_expressions_come_from_the_xform_binds(small_form):
    question = small_form.question("ods_list")
    assert question.group_path == ("ods",)
    assert question.path == "/data/ods/ods_list"
    assert dict(question.labels) == {EN: "Which are ODS?", VI: "Chất nào là ODS?"}
    assert question.relevant is not None
    assert "/data/ods/knows_ods" in question.relevant
    assert question.source_expressions["relevant"] == "${knows_ods} = 'yes'"
    assert question.required == "true()"
    assert small_form.question("seen").is_likert
    assert small_form.default_language == EN


def test_or_other_adds_the_other_choice_and_its_text_question():
    survey = [
        {"type": "select_one agency or_other", "name": "agency", f"label::{EN}": "Agency"},
    ]
    form = make_form(survey=survey, choices=SMALL_CHOICES[:3])
    agency = form.question("agency")
    assert agency.or_other
    assert agency.choice_names[-1] == "other"
    other = form.question("agency_other")
    assert other.type == "text"
    assert "selected(" in (other.relevant or "")


def test_a_form_without_a_survey_sheet_is_refused():
    with pytest.raises(FormError) as raised:
        load_form(make_workbook(survey=None), filename="nosurvey.xlsx")
    assert "nosurvey.xlsx" in str(raised.value)
    assert "'survey'" in str(raised.value)


def test_an_unknown_choice_list_is_refused_with_its_row():
    survey = [*SMALL_SURVEY, {"type": "select_one nowhere", "name": "lost", f"label::{EN}": "?"}]
    with pytest.raises(FormError) as raised:
        load_form(make_workbook(survey=survey), filename="lists.xlsx")
    assert raised.value.row == len(survey) + 1
    assert "nowhere" in str(raised.value)


def test_a_duplicate_question_name_is_refused_naming_both_rows():
    survey = [*SMALL_SURVEY, {"type": "integer", "name": "years", f"label::{EN}": "Again"}]
    with pytest.raises(FormError) as raised:
        load_form(make_workbook(survey=survey), filename="dup.xlsx")
    error = raised.value
    assert (error.sheet, error.column, error.row) == ("survey", "name", len(survey) + 1)
    assert f"rows 4, {len(survey) + 1}" in str(error)


def test_a_broken_relevant_expression_is_refused_at_its_cell():
    survey = [
        *SMALL_SURVEY,
        {"type": "integer", "name": "odd", f"label::{EN}": "Odd", "relevant": "${years} >>> 3"},
    ]
    with pytest.raises(FormError) as raised:
        load_form(make_workbook(survey=survey), filename="broken.xlsx")
    error = raised.value
    assert (error.sheet, error.row, error.column) == ("survey", len(survey) + 1, "relevant")
    assert "${years} >>> 3" in str(error)
    assert str(error).startswith("form broken.xlsx, sheet “survey”")


def test_a_reference_to_an_unknown_question_is_refused():
    survey = [
        *SMALL_SURVEY,
        {"type": "integer", "name": "odd", f"label::{EN}": "Odd", "relevant": "${nobody} > 3"},
    ]
    with pytest.raises(FormError) as raised:
        load_form(make_workbook(survey=survey), filename="ref.xlsx")
    assert raised.value.column == "relevant"
    assert "nobody" in str(raised.value)


def test_the_correct_column_takes_only_one_or_zero():
    choices = [*SMALL_CHOICES[:-1], {**SMALL_CHOICES[-1], "correct": "maybe"}]
    with pytest.raises(FormError) as raised:
        load_form(make_workbook(choices=choices), filename="marks.xlsx")
    error = raised.value
    assert (error.sheet, error.row, error.column) == ("choices", len(choices) + 1, "correct")


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"", "empty.xlsx", "empty"),
        (b"type,name\ninteger,a\n", "form.csv", "not an Excel workbook"),
        (b"PK\x03\x04 not really a zip", "damaged.xlsx", "cannot be opened"),
        (b"\xd0\xcf\x11\xe0 not really an xls", "damaged.xls", "cannot be opened"),
    ],
)
def test_an_unreadable_file_is_refused_with_a_form_error(content, name, expected):
    with pytest.raises(FormError) as raised:
        load_form(content, filename=name)
    assert expected in str(raised.value)
    assert name in str(raised.value)


def test_form_errors_speak_vietnamese_when_asked(tmp_path):
    with translation.override("vi"), pytest.raises(FormError) as raised:
        load_form(tmp_path / "absent.xlsx")
    assert str(raised.value) == "biểu mẫu absent.xlsx: Tệp không tồn tại."


def test_a_missing_path_or_a_folder_is_refused(tmp_path):
    with pytest.raises(FormError, match="does not exist"):
        load_form(tmp_path / "absent.xlsx")
    with pytest.raises(FormError, match="folder"):
        load_form(tmp_path)


def test_xls_workbooks_load_through_pyxform():
    form = load_form(EXAMPLES / "example_xls" / "yes_or_no_question.xls")
    question = form.questions[0]
    assert question.type == SELECT_ONE
    assert question.choice_names == ("yes", "no")
