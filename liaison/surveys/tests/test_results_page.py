"""The results page a programme officer reads on a tablet: its sections, a filter built by
choosing a question and its answers, and the language's decimal mark."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from lxml import html as lxml_html  # type: ignore[import-untyped]

from liaison.registry.models import User
from liaison.surveys.analysis import analyze, filter_respondents
from liaison.surveys.tests.rounds import import_kobo, patrol_round, signed_in

pytestmark = pytest.mark.django_db


def page(response: Any) -> Any:
    return lxml_html.fromstring(response.content.decode())


def speaking(user: User, language: str) -> Client:
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    return signed_in(user)


@pytest.fixture
def patrol(world: Any) -> Any:
    survey_round = patrol_round(world)
    import_kobo(survey_round, world.ainsley)
    return survey_round


def results_url(survey_round: Any) -> str:
    return f"/surveys/rounds/{survey_round.pk}/results/"


def test_each_theme_is_a_section_that_opens_on_its_own_listed_in_the_contents(world, patrol):
    document = page(speaking(world.ainsley, "en").get(results_url(patrol)))
    sections = document.xpath("//details[contains(@class, 'section')]")
    ids = [section.get("id") for section in sections]
    assert ids[:3] == ["scores", "theme-profile", "theme-smuggling_trafficking"]
    # closed until opened, one open at a time (they share a name), each with a heading
    assert all(section.get("open") is None for section in sections)
    assert {section.get("name") for section in sections} == {"results-section"}
    assert all(section.xpath("summary/h2") for section in sections)
    contents = document.xpath("//nav[@id='contents']//a/@href")
    assert contents == [f"#{id_}" for id_ in ids]
    # every question is inside its theme's section
    (drugs,) = document.xpath("//details[@id='theme-drugs']")
    assert drugs.xpath(".//section[@data-question='dealt_drugs']")
    assert "/static/surveys/results" in document.xpath("//script/@src")[-1]


def test_numbers_and_p_values_take_the_readers_decimal_mark(world, patrol):
    url = results_url(patrol)
    vietnamese = page(speaking(world.ainsley, "vi").get(url, {"by": "cluster"}))
    (row,) = vietnamese.xpath(
        "//section[@data-question='agency']//tr[@data-choice='provincial_police']"
    )
    assert row.xpath("string(td[@data-percent])") == "39,4 %"
    tests = vietnamese.xpath("//p[@data-test]/text()")
    assert tests and all("p = " in text or "p < 0,001" in text for text in tests)
    assert not any("e-0" in text for text in tests)
    assert not any(re.search(r"\d\.\d", text) for text in tests)
    english = page(speaking(world.ainsley, "en").get(url))
    (row,) = english.xpath(
        "//section[@data-question='agency']//tr[@data-choice='provincial_police']"
    )
    assert row.xpath("string(td[@data-percent])") == "39.4 %"


def test_choosing_a_question_lists_its_answers_and_choosing_answers_filters(
    world, patrol, kobo_table, patrol_form
):
    client = speaking(world.ainsley, "en")
    url = results_url(patrol)
    # when a question is chosen, its answers are offered as boxes to tick
    chosen = page(client.get(url, {"question": "agency"}))
    boxes = chosen.xpath("//fieldset[@id='filter-answers']//input[@name='answer']/@value")
    assert "customs" in boxes and "provincial_police" in boxes
    assert chosen.get_element_by_id("respondents").text == "33"  # nothing filtered yet
    # when two answers are ticked, only those respondents are counted
    response = client.get(url, {"question": "agency", "answer": ["customs", "border_army"]})
    assert response.status_code == 200
    document = page(response)
    expected = filter_respondents(
        patrol_form, kobo_table.answers, "agency = 'customs' or agency = 'border_army'"
    )
    assert document.get_element_by_id("respondents").text == str(len(expected))
    assert 0 < len(expected) < 33
    summary = document.get_element_by_id("filter-summary").text_content()
    assert "Customs" in summary
    agency_rows = document.xpath("//section[@data-question='agency']//tr[@data-choice]")
    counts = {row.get("data-choice"): row.xpath("string(td[@data-count])") for row in agency_rows}
    assert counts["provincial_police"] == "0"


def test_a_select_multiple_question_filters_by_any_ticked_answer(
    world, patrol, kobo_table, patrol_form
):
    response = speaking(world.ainsley, "en").get(
        results_url(patrol), {"question": "trafficking_forms", "answer": "forced_marriage"}
    )
    assert response.status_code == 200
    expected = analyze(
        patrol_form,
        filter_respondents(
            patrol_form, kobo_table.answers, "selected(trafficking_forms, 'forced_marriage')"
        ),
    )
    assert page(response).get_element_by_id("respondents").text == str(expected["respondents"])


def test_the_chosen_filter_combines_with_a_typed_one_and_a_cross_tabulation(world, patrol):
    response = speaking(world.ainsley, "en").get(
        results_url(patrol),
        {"question": "agency", "answer": "customs", "where": "knows_ods = 'yes'", "by": "cluster"},
    )
    assert response.status_code == 200
    document = page(response)
    assert int(document.get_element_by_id("respondents").text) <= 6
    headers = document.xpath("//section[@data-question='meet_crossborder']//thead//th")
    assert len(headers) == 5 + 2  # the answer's columns, then one per cluster


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"question": "nonsense"}, "nonsense is not a question of this questionnaire."),
        ({"question": "agency", "answer": "navy"}, "navy is not an answer of the question"),
        ({"question": "years_border", "answer": "4"}, "answered from a list"),
        ({"answer": "customs"}, "Choose the question whose answers you chose."),
    ],
)
def test_a_choice_that_is_not_the_forms_is_a_clear_400_never_a_500(world, patrol, query, message):
    response = speaking(world.ainsley, "en").get(results_url(patrol), query)
    assert response.status_code == 400
    document = page(response)
    assert message in document.get_element_by_id("results-error").text_content()
    assert document.get_element_by_id("respondents").text == "33"
