"""The survey pages: what each persona sees and does, without a browser (and without JavaScript)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from lxml import html as lxml_html  # type: ignore[import-untyped]

from liaison.registry.models import User
from liaison.surveys.analysis import analyze
from liaison.surveys.figures import percent_text
from liaison.surveys.models import (
    ImportBatch,
    Questionnaire,
    Submission,
    SubmissionStatus,
    SurveyRound,
)
from liaison.surveys.services import do_import_export, do_save_submission
from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.builders import SMALL_SURVEY, kobo_export, make_workbook
from liaison.surveys.tests.rounds import (
    PATROL_ANSWERS,
    import_kobo,
    make_round,
    patrol_round,
    signed_in,
    upload_patrol,
    upload_small,
)

pytestmark = pytest.mark.django_db


def page(response: Any) -> Any:
    return lxml_html.fromstring(response.content.decode())


def english(user: User) -> Client:
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return signed_in(user)


def post_answers(answers: dict[str, str], action: str) -> dict[str, Any]:
    data = {f"q-{name}": value for name, value in answers.items()}
    data["action"] = action
    return data


# --- the list and the questionnaires ---------------------------------------------------------------


def test_the_list_shows_each_persona_the_rounds_that_concern_them(world):
    survey_round = patrol_round(world)
    assert survey_round.title in signed_in(world.lan).get("/surveys/").content.decode()
    assert survey_round.title in signed_in(world.huong).get("/surveys/").content.decode()
    assert survey_round.title not in signed_in(world.dara).get("/surveys/").content.decode()


def test_a_good_xlsform_is_uploaded_from_the_page(world):
    client = english(world.ainsley)
    with patrol_fixture.FORM_PATH.open("rb") as file:
        response = client.post("/surveys/questionnaires/", {"file": file})
    questionnaire = Questionnaire.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/surveys/questionnaires/{questionnaire.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "patrol_tna_vn" in detail and "years_border" in detail


def test_a_bad_xlsform_is_shown_with_sheet_row_and_column_and_nothing_saved(world, tmp_path):
    survey = [dict(row) for row in SMALL_SURVEY]
    survey[2] = {**survey[2], "constraint": ". >= 0 and and . <= 45"}
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(make_workbook(survey=survey))
    with bad.open("rb") as file:
        response = english(world.ainsley).post("/surveys/questionnaires/", {"file": file})
    assert response.status_code == 400
    box = page(response).get_element_by_id("form-error")
    assert box.xpath("string(.//dd[@data-sheet])") == "survey"
    assert box.xpath("string(.//dd[@data-row])") == "4"
    assert box.xpath("string(.//dd[@data-column])") == "constraint"
    assert not Questionnaire.objects.exists()


def test_the_xlsform_file_is_downloaded_as_uploaded(world):
    questionnaire = upload_patrol(world.ainsley)
    response = signed_in(world.ainsley).get(f"/surveys/questionnaires/{questionnaire.pk}/file/")
    assert response.status_code == 200
    assert response.getvalue() == patrol_fixture.FORM_PATH.read_bytes()


# --- rounds ------------------------------------------------------------------------------------


def test_programme_staff_create_a_round_with_its_sample_plan(world):
    questionnaire = upload_patrol(world.ainsley)
    client = english(world.ainsley)
    form = client.get(f"/surveys/questionnaires/{questionnaire.pk}/new-round/").content.decode()
    assert 'name="agency_min__customs"' in form
    response = client.post(
        f"/surveys/questionnaires/{questionnaire.pk}/new-round/",
        {
            "title": "Viet Nam 2026",
            "country": world.vn.pk,
            "starts_on": "2026-03-01",
            "ends_on": "2026-05-31",
            "status": "open",
            "sites": [world.moc_bai.pk, world.dien_bien.pk],
            "min_share": "8",
            "max_share": "25",
            "min_respondents": "42",
            "site_question": "blo",
            "agency_question": "agency",
            "cluster_question": "cluster",
            "agency_min__customs": "6",
            "agency_min__border_army": "6",
        },
    )
    survey_round = SurveyRound.objects.get()
    assert response.status_code == 302, response.content.decode()
    assert survey_round.min_per_agency == {"customs": 6, "border_army": 6}
    assert survey_round.max_share == Decimal(25)
    assert set(survey_round.sites.all()) == {world.moc_bai, world.dien_bien}


def test_a_round_with_a_blo_abroad_is_refused_on_the_page(world):
    questionnaire = upload_patrol(world.ainsley)
    response = english(world.ainsley).post(
        f"/surveys/questionnaires/{questionnaire.pk}/new-round/",
        {
            "title": "Mixed",
            "country": world.vn.pk,
            "starts_on": "2026-03-01",
            "status": "open",
            "sites": [world.bavet.pk],
            "min_share": "0",
            "max_share": "100",
            "min_respondents": "0",
            "site_question": "blo",
            "agency_question": "agency",
            "cluster_question": "cluster",
        },
    )
    assert response.status_code == 200
    assert "Not in Viet Nam: Bavet." in response.content.decode()
    assert not SurveyRound.objects.exists()


def test_the_round_page_shows_progress_and_the_limitations_of_the_sample(world):
    survey_round = patrol_round(
        world, min_respondents=42, min_per_agency={"border_army": 6}, min_share=Decimal(30)
    )
    import_kobo(survey_round, world.ainsley)
    response = english(world.ainsley).get(f"/surveys/rounds/{survey_round.pk}/")
    document = page(response)
    assert document.get_element_by_id("submitted-count").text == "33"
    rows = {row.get("data-blo"): row.get("data-count") for row in document.xpath("//tr[@data-blo]")}
    assert rows == {"VN-MOCBAI": "9", "VN-DIENBIEN": "10"}
    shortfalls = document.get_element_by_id("shortfalls").text_content()
    assert "The sample has 33 respondents, fewer than the 42 planned." in shortfalls
    assert "Border Army: 5 respondents, fewer than the 6 planned." in shortfalls
    assert "Moc Bai has 27.3 % of the respondents (9), under the 30 % minimum." in shortfalls


def test_an_officer_sees_the_round_to_fill_but_no_results(world):
    survey_round = patrol_round(world)
    import_kobo(survey_round, world.ainsley)
    document = page(signed_in(world.lan).get(f"/surveys/rounds/{survey_round.pk}/"))
    assert document.get_element_by_id("fill") is not None
    assert not document.xpath("//*[@id='progress' or @id='results' or @id='shortfalls']")


# --- the questionnaire page (without JavaScript) ----------------------------------------------------


def test_the_questionnaire_is_shown_in_vietnamese_with_the_officers_blo_and_agency(world):
    survey_round = patrol_round(world)
    response = signed_in(world.lan).get(f"/surveys/rounds/{survey_round.pk}/fill/")
    document = page(response)
    assert (
        "Anh/chị đã công tác tại khu vực biên giới này bao nhiêu năm?" in response.content.decode()
    )
    assert (
        document.xpath("//fieldset[@id='g-profile']/legend")[0].text == "Thông tin về người trả lời"
    )
    assert document.xpath("//input[@name='q-blo'][@checked]/@value") == ["moc_bai"]
    assert document.xpath("//input[@name='q-agency'][@checked]/@value") == ["customs"]
    assert document.xpath("//input[@name='q-years_border']/@type") == ["number"]
    assert document.xpath("//input[@name='q-cluster']/@type") == ["hidden"]
    assert document.xpath("//input[@name='q-precursors']/@type")[0] == "checkbox"
    spec = json.loads(document.get_element_by_id("questionnaire-spec").text)
    binds = {question["name"]: question for question in spec["questions"]}
    assert binds["years_border"]["constraint"] == ". >= 0 and . <= 45"
    assert binds["years_border"]["constraintMessage"] == "Nhập số năm từ 0 đến 45."
    assert binds["cites_what"]["relevant"].split() == [
        "/data/wildlife_timber/heard_cites",
        "=",
        "'yes'",
    ]
    assert "openrosa-xpath.min.js" in response.content.decode()


def test_without_javascript_the_server_shows_a_constraint_error_next_to_the_field(world):
    survey_round = patrol_round(world)
    response = signed_in(world.lan).post(
        f"/surveys/rounds/{survey_round.pk}/fill/",
        post_answers({**PATROL_ANSWERS, "years_border": "60"}, "submit"),
    )
    assert response.status_code == 400
    document = page(response)
    assert document.get_element_by_id("q-years_border-error").text == "Nhập số năm từ 0 đến 45."
    # what was typed is kept
    assert document.xpath("//input[@name='q-years_border']/@value") == ["60"]
    assert not Submission.objects.exists()


def test_without_javascript_a_missing_required_answer_is_refused(world):
    survey_round = patrol_round(world)
    answers = {key: value for key, value in PATROL_ANSWERS.items() if key != "integrity"}
    response = english(world.lan).post(
        f"/surveys/rounds/{survey_round.pk}/fill/", post_answers(answers, "submit")
    )
    assert response.status_code == 400
    error = page(response).get_element_by_id("q-integrity-error").text
    assert "an answer is required" in error
    assert not Submission.objects.exists()


def test_a_draft_is_saved_then_submitted_from_the_page(world):
    survey_round = patrol_round(world)
    client = signed_in(world.lan)
    url = f"/surveys/rounds/{survey_round.pk}/fill/"
    response = client.post(
        url, post_answers({"agency": "customs", "precursors": "ephedrine"}, "draft")
    )
    assert response.status_code == 302
    draft = Submission.objects.get()
    assert draft.status == SubmissionStatus.DRAFT
    # the draft comes back when the page is opened again
    document = page(client.get(url))
    assert document.xpath("//input[@name='q-precursors'][@checked]/@value") == ["ephedrine"]
    data = post_answers(PATROL_ANSWERS, "submit")
    data["q-precursors"] = ["ephedrine", "safrole"]
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == f"/surveys/rounds/{survey_round.pk}/"
    draft.refresh_from_db()
    assert draft.status == SubmissionStatus.SUBMITTED
    assert draft.answers["precursors"] == "ephedrine safrole"
    # a submitted questionnaire is shown, not filled again
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == f"/surveys/submissions/{draft.pk}/"
    mine = client.get(again["Location"]).content.decode()
    assert "Hải quan" in mine
    assert not page(client.get(f"/surveys/rounds/{survey_round.pk}/")).xpath("//*[@id='fill']")


# --- imports -----------------------------------------------------------------------------------


def test_an_export_is_imported_from_the_page(world):
    survey_round = patrol_round(world)
    client = english(world.ainsley)
    url = f"/surveys/rounds/{survey_round.pk}/import/"
    assert 'id="upload-progress"' in client.get(url).content.decode()
    with patrol_fixture.ODK_PATH.open("rb") as file:
        response = client.post(url, {"file": file})
    assert response.status_code == 302
    assert Submission.objects.filter(round=survey_round).count() == 33
    # the progress bar's XMLHttpRequest gets JSON; the same file again adds nothing
    with patrol_fixture.KOBO_PATH.open("rb") as file:
        response = client.post(url, {"file": file}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.json() == {"redirect": f"/surveys/rounds/{survey_round.pk}/"}
    batch = ImportBatch.objects.latest("pk")
    assert (batch.format, batch.rows_added, batch.rows_skipped) == ("kobotoolbox", 0, 33)
    assert Submission.objects.filter(round=survey_round).count() == 33


def test_a_rejected_export_lists_row_column_and_reason(world, tmp_path):
    survey_round = patrol_round(world)
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
    client = english(world.ainsley)
    url = f"/surveys/rounds/{survey_round.pk}/import/"
    with bad.open("rb") as file:
        response = client.post(url, {"file": file})
    assert response.status_code == 400
    rows = [
        [cell.text_content().strip() for cell in row.xpath("td")]
        for row in page(response).xpath("//table[@id='problems']/tbody/tr")
    ]
    assert rows[0][:2] == ["2", "profile/agency"]
    assert "navy is not one of the choices" in rows[0][2]
    with bad.open("rb") as file:
        response = client.post(url, {"file": file}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 400
    assert "navy is not one of the choices" in response.json()["html"]
    assert not Submission.objects.exists()


# --- results, report, comparison ------------------------------------------------------------------


def test_the_results_page_shows_the_engines_numbers(world, kobo_table, patrol_form):
    survey_round = patrol_round(world)
    import_kobo(survey_round, world.ainsley)
    response = english(world.ainsley).get(f"/surveys/rounds/{survey_round.pk}/results/")
    assert response.status_code == 200
    document = page(response)
    expected = analyze(patrol_form, kobo_table.answers, language="en", cluster="cluster")
    assert document.get_element_by_id("respondents").text == "33"
    for name, question in expected["questions"].items():
        (section,) = document.xpath(f"//section[@data-question='{name}']")
        assert section.get("data-answered") == str(question["answered"]), name
        for choice, count in question["counts"].items():
            (row,) = section.xpath(f".//tr[@data-choice='{choice}']")
            assert row.xpath("string(td[@data-count])") == str(count), (name, choice)
            percent = percent_text(question["percent"][choice])
            assert row.xpath("string(td[@data-percent])") == percent, (name, choice)
    agency = document.xpath(
        "//section[@data-question='agency']//tr[@data-choice='provincial_police']"
    )
    assert agency[0].xpath("string(td[@data-percent])") == "39.4 %"
    # long cluster names are abbreviated in the header, whole in its title
    headers = document.xpath("//details[@id='scores']//thead//abbr/@title")
    assert "CL1 - north-western BLOs (Lao border)" in headers


def test_results_cross_tabulate_and_filter(world):
    survey_round = patrol_round(world)
    import_kobo(survey_round, world.ainsley)
    client = english(world.ainsley)
    url = f"/surveys/rounds/{survey_round.pk}/results/"
    document = page(client.get(url, {"by": "cluster"}))
    (section,) = document.xpath("//section[@data-question='meet_crossborder']")
    (row,) = section.xpath(".//tr[@data-choice='no_regular']")
    cells = [cell.text_content().strip() for cell in row.xpath("td")]
    assert cells[-2:] == ["18.8 % (3)", "58.8 % (10)"]
    assert section.xpath(".//p[@data-test]")
    filtered = page(client.get(url, {"where": "knows_ods = 'yes'"}))
    assert filtered.get_element_by_id("respondents").text == "17"
    broken = client.get(url, {"where": "knows_odz = 'yes'"})
    assert broken.status_code == 400
    assert "knows_odz is not a question" in page(broken).get_element_by_id("results-error").text


def test_the_report_comes_in_english_and_vietnamese(world):
    # a small questionnaire: the PATROL report's forty charts take a while to draw
    questionnaire = upload_small(world.ainsley)
    survey_round = make_round(
        questionnaire, world.ainsley, [world.moc_bai], site_question="", min_respondents=5
    )
    rows = [
        {"profile/agency": "police", "ods/knows_ods": "yes", "ods/ods_list": "cfc halons"},
        {"profile/agency": "army", "ods/knows_ods": "no", "ods/montreal": "ozone"},
    ]
    columns = ["profile/agency", "ods/knows_ods", "ods/ods_list", "ods/montreal"]
    do_import_export(
        survey_round, kobo_export(rows, columns).encode(), file_name="s.csv", actor=world.ainsley
    )
    client = signed_in(world.huong)
    url = f"/surveys/rounds/{survey_round.pk}/report"
    text = client.get(f"{url}.html", {"lang": "en"}).content.decode()
    assert "Summary of main findings" in text
    assert "data:image/png;base64," in text  # the charts
    assert "The sample has 2 respondents, fewer than the 5 planned." in text
    vietnamese = client.get(f"{url}.html", {"lang": "vi"}).content.decode()
    assert "Tóm tắt các phát hiện chính" in vietnamese
    # the PDF is drawn by the background worker (at once in the tests), then downloaded
    drawing = client.post(f"/surveys/rounds/{survey_round.pk}/reports/", {"lang": "vi"})
    assert drawing.status_code == 302
    pdf = client.get(f"{drawing['Location']}report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert (
        pdf["Content-Disposition"] == f'attachment; filename="assessment-{survey_round.pk}-vi.pdf"'
    )
    assert pdf.content.startswith(b"%PDF")


def _round_with_one_answer(world: Any, file_name: str) -> Any:
    """A round of the small questionnaire at Moc Bai with one imported answer."""
    questionnaire = upload_small(world.ainsley)
    survey_round = make_round(questionnaire, world.ainsley, [world.moc_bai], site_question="")
    columns = ["profile/agency", "ods/knows_ods"]
    do_import_export(
        survey_round,
        kobo_export([{"profile/agency": "police", "ods/knows_ods": "yes"}], columns).encode(),
        file_name=file_name,
        actor=world.ainsley,
    )
    return survey_round


def test_a_khmer_reader_is_offered_the_report_in_khmer_first_and_gets_it(world):
    """A report may be drawn in any language of the interface: the results page offers the
    reader's own first, then Vietnamese and English (the programme's)."""
    survey_round = _round_with_one_answer(world, "s.csv")
    world.huong.preferred_language = "km"
    world.huong.save(update_fields=["preferred_language"])
    client = signed_in(world.huong)
    results = page(client.get(f"/surveys/rounds/{survey_round.pk}/results/"))
    offered = [link.get("data-report") for link in results.xpath("//*[@id='reports']//a")]
    assert offered == ["html-km", "html-vi", "html-en"]
    text = client.get(f"/surveys/rounds/{survey_round.pk}/report.html", {"lang": "km"})
    document = text.content.decode()
    assert 'lang="km"' in document
    assert "សេចក្ដីសង្ខេបនៃលទ្ធផលសំខាន់ៗ" in document
    # a language the interface does not speak falls back to the reader's
    other = client.get(f"/surveys/rounds/{survey_round.pk}/report.html", {"lang": "xx"})
    assert 'lang="km"' in other.content.decode()


def test_the_report_is_drawn_once_and_again_when_the_answers_change(world, monkeypatch):
    from liaison.surveys import report as reports

    drawn: list[str] = []
    real = reports.render_html

    def counting(*args: Any, **kwargs: Any) -> str:
        drawn.append(kwargs.get("language") or "")
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "render_html", counting)
    survey_round = _round_with_one_answer(world, "first.csv")
    columns = ["profile/agency", "ods/knows_ods"]
    client = signed_in(world.huong)
    url = f"/surveys/rounds/{survey_round.pk}/report.html"
    first = client.get(url, {"lang": "en"}).content
    assert client.get(url, {"lang": "en"}).content == first
    assert drawn == ["en"]  # the second request was served the stored copy
    client.get(url, {"lang": "vi"})
    assert drawn == ["en", "vi"]  # each language is its own report
    do_import_export(
        survey_round,
        kobo_export(
            [{"profile/agency": "army", "ods/knows_ods": "no", "_uuid": "second-file-row-1"}],
            columns,
        ).encode(),
        file_name="second.csv",
        actor=world.ainsley,
    )
    again = client.get(url, {"lang": "en"}).content
    assert drawn == ["en", "vi", "en"]  # new answers: drawn again
    assert again != first
    survey_round.refresh_from_db()
    survey_round.min_respondents = 9
    survey_round.save()
    client.get(url, {"lang": "en"})
    assert drawn == ["en", "vi", "en", "en"]  # new round settings: drawn again


def test_two_rounds_are_compared_with_significant_changes_flagged(world):
    questionnaire = upload_patrol(world.ainsley)
    baseline = make_round(questionnaire, world.ainsley, [world.moc_bai], title="2010")
    import_kobo(baseline, world.ainsley)
    followup = make_round(questionnaire, world.ainsley, [world.moc_bai], title="2026")
    columns = ["profile/agency", "profile/blo", "profile/years_border", "operations/integrity"]
    rows = [
        {
            "profile/agency": "customs",
            "profile/blo": "moc_bai",
            "profile/years_border": "3",
            "operations/integrity": "refuse",
            "_uuid": f"f{index}",
        }
        for index in range(20)
    ]
    do_import_export(
        followup, kobo_export(rows, columns).encode(), file_name="f.csv", actor=world.ainsley
    )
    response = english(world.tuan).get(
        "/surveys/compare/", {"baseline": baseline.pk, "followup": followup.pk}
    )
    assert response.status_code == 200
    (section,) = page(response).xpath("//section[@data-question='integrity']")
    (refuse,) = [row for row in section.xpath(".//tbody/tr") if "Refuse" in row.text_content()]
    assert refuse.get("data-significant") is not None
    assert refuse.xpath("string(td[@data-change])") == f"{100 - 100 * 9 / 33:+.1f}"


def test_an_officer_reads_her_own_answers(world):
    survey_round = patrol_round(world)
    saved = do_save_submission(
        survey_round, PATROL_ANSWERS, submit=True, language="vi", actor=world.lan
    )
    response = signed_in(world.lan).get(f"/surveys/submissions/{saved.submission.pk}/")
    assert response.status_code == 200
    assert "Mộc Bài" in response.content.decode()
