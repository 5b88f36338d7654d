"""The qualitative half of an assessment: Q&A sessions, notes, the codebook, coded passages of
notes and of open answers; their counts by BLO and cluster, in the results, the report, the
command's JSON; who may see and write them.

Personas (``world``): Ainsley (programme staff) runs a round over Moc Bai (cluster "Southern
border with Cambodia") and Dien Bien (no cluster); Tuan heads Moc Bai, Hương coordinates Viet Nam,
Lan is an officer at Moc Bai, Dara a Cambodian officer at Bavet.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.http import Http404

from liaison.registry.demo import load_demo_registry
from liaison.surveys import access
from liaison.surveys.demo import BASELINE_TITLE, load_demo_surveys
from liaison.surveys.demo_qa import PASSAGES
from liaison.surveys.models import (
    Code,
    CodedPassage,
    QASession,
    SessionKind,
    SessionNote,
    SurveyRound,
)
from liaison.surveys.qualitative import code_counts, qa_section, round_passages
from liaison.surveys.selectors import round_fingerprint, round_report
from liaison.surveys.services import (
    SessionData,
    do_add_code,
    do_add_guide_question,
    do_code_passage,
    do_record_note,
    do_record_session,
    do_save_submission,
)
from liaison.surveys.tests import patrol_fixture
from liaison.surveys.tests.rounds import PATROL_ANSWERS, patrol_round, signed_in

pytestmark = pytest.mark.django_db

FORM = str(patrol_fixture.FORM_PATH)
DIEN_BIEN_NOTE = (
    "- Thiếu trang thiết bị\n- Khó khăn về ngôn ngữ khi trao đổi với đối tác\n- Thiếu đào tạo"
)


def session_at(world: Any, survey_round: SurveyRound, blo: Any) -> QASession:
    return do_record_session(
        survey_round,
        SessionData(
            held_on=datetime.date(2026, 3, 12),
            blo=blo,
            kind=SessionKind.HEAD_OF_BLO,
            interviewer="Ainsley",
            language="vi",
            participants=[{"role": "Trưởng BLO", "agency": "Công an tỉnh"}],
        ),
        actor=world.ainsley,
    )


@pytest.fixture
def coded_round(world: Any) -> dict[str, Any]:
    """A round with a head-of-BLO session at Dien Bien (notes coded twice) and Lan's submitted
    questionnaire at Moc Bai whose open comment is coded once."""
    survey_round = patrol_round(world)
    question = do_add_guide_question(
        survey_round,
        {"en": "What are the main constraints of the BLOs?", "vi": "Những khó khăn chính?"},
        actor=world.ainsley,
    )
    session = session_at(world, survey_round, world.dien_bien)
    note = do_record_note(session, question, text=DIEN_BIEN_NOTE, actor=world.ainsley)
    language = do_add_code(survey_round, "constraint: language", actor=world.ainsley)
    equipment = do_add_code(survey_round, "constraint: equipment", actor=world.ainsley)
    do_add_code(survey_round, "cooperation with China", actor=world.ainsley)
    do_code_passage(equipment, note=note, quote="Thiếu trang thiết bị", actor=world.ainsley)
    do_code_passage(language, note=note, quote="Khó khăn về ngôn ngữ", actor=world.ainsley)
    answers = {**PATROL_ANSWERS, "comments": "We need English courses and radios."}
    submission = do_save_submission(
        survey_round, answers, submit=True, language="en", actor=world.lan
    ).submission
    do_code_passage(
        language,
        submission=submission,
        question_name="comments",
        quote="English courses",
        actor=world.ainsley,
    )
    return {
        "round": survey_round,
        "session": session,
        "note": note,
        "submission": submission,
        "language": language,
        "equipment": equipment,
    }


# --- coding ------------------------------------------------------------------------------------


def test_a_quoted_passage_is_stored_with_its_characters(coded_round):
    note = coded_round["note"]
    for passage in CodedPassage.objects.filter(note=note):
        assert note.text[passage.start : passage.end] == passage.quote
    passage = CodedPassage.objects.get(submission=coded_round["submission"])
    assert (passage.start, passage.end, passage.quote) == (8, 23, "English courses")


def test_a_passage_given_by_its_characters_is_quoted(world, coded_round):
    note = coded_round["note"]
    passage = do_code_passage(
        coded_round["equipment"], note=note, start=2, end=22, actor=world.ainsley
    )
    assert passage.quote == "Thiếu trang thiết bị"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quote": "not said"}, "The quoted excerpt is not in the text being coded."),
        ({"start": 5, "end": 500}, "A passage runs from character 0 to at most"),
        ({}, "Quote the passage or give its characters."),
    ],
)
def test_a_passage_outside_the_notes_is_refused(world, coded_round, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        do_code_passage(
            coded_round["equipment"], note=coded_round["note"], actor=world.ainsley, **kwargs
        )
    assert CodedPassage.objects.count() == 3


def test_only_open_questions_of_a_submission_are_coded(world, coded_round):
    with pytest.raises(ValidationError, match="agency is not an open question"):
        do_code_passage(
            coded_round["language"],
            submission=coded_round["submission"],
            question_name="agency",
            quote="customs",
            actor=world.ainsley,
        )


def test_coded_notes_cannot_be_rewritten(world, coded_round):
    note = coded_round["note"]
    with pytest.raises(ValidationError, match="cannot be rewritten"):
        do_record_note(note.session, note.question, text="Something else", actor=world.ainsley)
    translated = do_record_note(
        note.session,
        note.question,
        text=note.text,
        translation="- Lack of equipment",
        translation_language="en",
        actor=world.ainsley,
    )
    assert translated.text_in("en") == "- Lack of equipment"
    assert translated.text_in("vi") == DIEN_BIEN_NOTE


def test_a_session_is_held_at_one_of_the_rounds_blos(world):
    survey_round = patrol_round(world)
    with pytest.raises(ValidationError, match="Bavet is not one of the round's BLOs"):
        session_at(world, survey_round, world.bavet)
    assert not QASession.objects.exists()


@pytest.mark.parametrize("persona", ["huong", "tuan", "lan", "dara"])
def test_only_programme_staff_record_sessions_and_codes(world, persona):
    survey_round = patrol_round(world)
    user = getattr(world, persona)
    with pytest.raises(PermissionDenied):
        do_add_code(survey_round, "constraint: language", actor=user)
    with pytest.raises(PermissionDenied):
        do_record_session(
            survey_round,
            SessionData(
                held_on=datetime.date(2026, 3, 12),
                blo=world.moc_bai,
                kind=SessionKind.GROUP,
                interviewer="x",
                language="vi",
            ),
            actor=user,
        )
    assert not Code.objects.exists() and not QASession.objects.exists()


# --- counts ------------------------------------------------------------------------------------


def test_counts_per_code_by_blo_and_cluster_match_the_coded_passages(coded_round):
    survey_round = coded_round["round"]
    counts = {
        row["name"]: row
        for row in code_counts(survey_round, round_passages(survey_round), form=survey_round.form())
    }
    for name, row in counts.items():
        assert row["total"] == CodedPassage.objects.filter(code__name=name).count()
        assert sum(row["by_blo"].values()) == row["total"]
        assert sum(row["by_cluster"].values()) == row["total"]
    assert counts["constraint: language"]["by_blo"] == {"Dien Bien": 1, "Moc Bai": 1}
    assert counts["constraint: language"]["by_cluster"] == {
        "Southern border with Cambodia": 1,
        "no cluster": 1,
    }
    assert counts["constraint: equipment"]["by_blo"] == {"Dien Bien": 1}
    assert counts["cooperation with China"]["total"] == 0
    quotes = [quote["text"] for quote in counts["constraint: language"]["quotes"]]
    assert quotes == ["Khó khăn về ngôn ngữ", "English courses"]


def test_a_draft_answer_is_not_counted(world, coded_round):
    survey_round = coded_round["round"]
    draft = do_save_submission(
        survey_round,
        {**PATROL_ANSWERS, "comments": "English courses please"},
        submit=False,
        language="en",
        actor=world.minh,
    ).submission
    do_code_passage(
        coded_round["language"],
        submission=draft,
        question_name="comments",
        quote="English courses",
        actor=world.ainsley,
    )
    counts = {
        row["name"]: row["total"] for row in code_counts(survey_round, round_passages(survey_round))
    }
    assert counts["constraint: language"] == 2


def test_analyze_json_gives_the_codes_of_text_questions(coded_round):
    survey_round = coded_round["round"]
    out = StringIO()
    call_command(
        "survey", "analyze", FORM, "--round", str(survey_round.pk), "--json", "-", stdout=out
    )
    questions = json.loads(out.getvalue())["questions"]
    expected = {
        code.name: count
        for code in Code.objects.filter(round=survey_round)
        if (count := code.passages.filter(question_name="comments").count())
    }
    assert questions["comments"]["codes"] == expected == {"constraint: language": 1}
    assert questions["agency_other"]["codes"] == {}
    assert "codes" not in questions["agency"]


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("ainsley", 200), ("huong", 200), ("tuan", 200), ("lan", 404), ("dara", 404)],
)
def test_the_session_page_is_read_like_the_rounds_results(world, coded_round, persona, status):
    url = coded_round["session"].get_absolute_url()
    assert signed_in(getattr(world, persona)).get(url).status_code == status


def test_an_officer_of_another_country_cannot_reach_a_session(world, coded_round):
    with pytest.raises(Http404):
        access.access_qa_session(world.dara, coded_round["session"].pk)
    assert not access.visible_qa_sessions(world.dara, coded_round["round"]).exists()


@pytest.mark.parametrize("persona", ["huong", "tuan"])
def test_readers_cannot_write_on_the_qa_pages(world, coded_round, persona):
    client = signed_in(getattr(world, persona))
    survey_round = coded_round["round"]
    note = coded_round["note"]
    for url, data in (
        (f"/surveys/rounds/{survey_round.pk}/qa/codes/", {"name": "x"}),
        (f"/surveys/qa/notes/{note.pk}/code/", {f"n{note.pk}-quote": "Thiếu"}),
        (f"/surveys/rounds/{survey_round.pk}/qa/answers/", {}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert CodedPassage.objects.count() == 3


def in_english(user: Any) -> Any:
    """``user``, reading the pages in English (the messages these tests look for)."""
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return user


def test_a_bad_passage_gets_a_message_on_the_page(world, coded_round):
    note = coded_round["note"]
    client = signed_in(in_english(world.ainsley))
    response = client.post(
        f"/surveys/qa/notes/{note.pk}/code/",
        {f"n{note.pk}-code": coded_round["equipment"].pk, f"n{note.pk}-quote": "never said"},
    )
    assert response.status_code == 400
    assert "The quoted excerpt is not in the text being coded." in response.content.decode()


def test_the_results_page_shows_counts_and_quotes(world, coded_round):
    survey_round = coded_round["round"]
    page = signed_in(world.tuan).get(f"/surveys/rounds/{survey_round.pk}/results/")
    html = page.content.decode()
    assert 'data-code="constraint: language" data-count="2"' in html
    assert "Thiếu trang thiết bị" in html and "English courses" in html


def test_a_new_passage_draws_the_report_again(world, coded_round):
    survey_round = coded_round["round"]
    before = round_fingerprint(survey_round)
    do_code_passage(
        coded_round["equipment"], note=coded_round["note"], quote="Thiếu đào tạo", actor=None
    )
    assert round_fingerprint(survey_round) != before


# --- the demo's 2010 baseline ------------------------------------------------------------------


@pytest.fixture
def baseline(db: None) -> SurveyRound:
    load_demo_registry()
    load_demo_surveys()
    load_demo_surveys()
    return SurveyRound.objects.get(title=BASELINE_TITLE)


def test_the_baseline_carries_the_two_qa_sessions_of_the_report_coded(baseline):
    sessions = list(baseline.qa_sessions.order_by("blo__code"))
    assert [(s.blo.code, s.kind) for s in sessions] == [
        ("VN-DIENBIEN", SessionKind.HEAD_OF_BLO),
        ("VN-MOCBAI", SessionKind.GROUP),
    ]
    assert baseline.guide_questions.count() == 10
    assert SessionNote.objects.filter(session__round=baseline).count() == 11
    assert CodedPassage.objects.filter(code__round=baseline).count() == len(PASSAGES)
    for passage in CodedPassage.objects.filter(code__round=baseline):
        assert passage.note is not None
        assert passage.note.text[passage.start : passage.end] == passage.quote
    section = qa_section(baseline, language="en")
    assert section is not None
    counts = {row["name"]: row["total"] for row in section["codes"]}
    assert counts["constraint: language"] == 2
    assert counts["smuggling off the crossings"] == 2


def _pdf_text(pdf: bytes, tmp_path: Any) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 - fixed arguments of the test
        ["/usr/bin/pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_baseline_reports_have_the_qa_sessions_section(baseline, tmp_path):
    html = round_report(baseline, language="en", fmt="html").decode()
    pdf_text = " ".join(
        _pdf_text(round_report(baseline, language="en", fmt="pdf"), tmp_path).split()
    )
    for text in (html, pdf_text):
        assert "Q&amp;A sessions" in text or "Q&A sessions" in text
        for phrase in (
            "How important are the Border Liaison Offices for border security?",
            "29 cases of drug trafficking have been successfully investigated",
            "Lack of equipment",
            "Use of non official checkpoints.",
            "There are no patrols.",
            "constraint: language",
            "Head of BLO (Deputy Director of the Provincial Police)",
        ):
            assert phrase in text, phrase
    vietnamese = round_report(baseline, language="vi", fmt="html").decode()
    assert "Những khó khăn, hạn chế chính của các BLO là gì?" in vietnamese
    assert "Thiếu các chương trình đào tạo." in vietnamese  # the notes' translation
    assert "“Lack of equipment”" in vietnamese  # a quote stays as it was said


# --- the export --------------------------------------------------------------------------------


def _cells(fmt: str, body: bytes) -> dict[str, list[list[str]]]:
    import csv
    import io

    import openpyxl

    if fmt == "csv":
        text = body.decode("utf-8-sig")
        return {"passages": list(csv.reader(io.StringIO(text, newline="")))}
    book = openpyxl.load_workbook(io.BytesIO(body))
    found = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
        found[sheet.title] = [
            ["" if value is None else str(value) for value in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    return found


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_counts_every_coded_passage_and_quotes_it(world, coded_round, fmt):
    survey_round = coded_round["round"]
    do_code_passage(
        coded_round["equipment"],
        submission=coded_round["submission"],
        question_name="comments",
        quote="radios",
        actor=world.ainsley,
    )
    CodedPassage.objects.filter(quote="radios").update(quote="=HYPERLINK(1)")
    world.huong.preferred_language = "en"  # the export's labels are read in English here
    world.huong.save(update_fields=["preferred_language"])
    response = signed_in(world.huong).get(f"/surveys/rounds/{survey_round.pk}/qa/codes.{fmt}")
    assert response.status_code == 200
    tables = _cells(fmt, response.content)
    passages = tables["passages"][1:]
    for code in Code.objects.filter(round=survey_round):
        assert sum(1 for row in passages if row[0] == code.name) == code.passages.count()
    assert ["constraint: equipment", "Questionnaire, open question comments", "'=HYPERLINK(1)"] in (
        passages
    )
    if fmt == "xlsx":
        totals = {row[0]: int(row[2]) for row in tables["codes"][1:]}
        assert totals == {
            code.name: code.passages.count() for code in Code.objects.filter(round=survey_round)
        }


@pytest.mark.parametrize(("persona", "status"), [("lan", 403), ("dara", 404), ("tuan", 200)])
def test_the_export_is_read_like_the_results(world, coded_round, persona, status):
    url = f"/surveys/rounds/{coded_round['round'].pk}/qa/codes.csv"
    assert signed_in(getattr(world, persona)).get(url).status_code == status


# --- the pages programme staff write on --------------------------------------------------------


def test_programme_staff_add_a_guide_question_in_the_rounds_languages(world, coded_round):
    survey_round = coded_round["round"]
    client = signed_in(in_english(world.ainsley))
    url = f"/surveys/rounds/{survey_round.pk}/qa/guide/"
    refused = client.post(url, {"text_en": " ", "text_vi": ""})
    assert refused.status_code == 400
    assert "Write the question in at least one language." in refused.content.decode()
    response = client.post(
        url, {"text_en": "How often do you meet?", "text_vi": "Anh/chị gặp đối tác bao lâu?"}
    )
    assert response.status_code == 302
    added = survey_round.guide_questions.order_by("position").last()
    assert added is not None and added.position == 2
    assert added.texts == {"en": "How often do you meet?", "vi": "Anh/chị gặp đối tác bao lâu?"}


def test_programme_staff_code_an_open_answer_on_the_answers_page(world, coded_round):
    survey_round = coded_round["round"]
    submission = coded_round["submission"]
    client = signed_in(in_english(world.ainsley))
    url = f"/surveys/rounds/{survey_round.pk}/qa/answers/"
    page = client.get(url).content.decode()
    assert "We need English courses and radios." in page
    prefix = f"s{submission.pk}-comments"
    data = {
        "prefix": prefix,
        f"{prefix}-submission": submission.pk,
        f"{prefix}-question_name": "comments",
        f"{prefix}-code": coded_round["equipment"].pk,
        f"{prefix}-quote": "radios",
    }
    assert client.post(url, data).status_code == 302
    assert CodedPassage.objects.filter(submission=submission, quote="radios").count() == 1
    refused = client.post(url, {**data, f"{prefix}-question_name": "agency"})
    assert refused.status_code == 400
    assert "agency is not an open question of the questionnaire." in refused.content.decode()
