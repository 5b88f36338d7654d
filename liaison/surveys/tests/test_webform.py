"""The questionnaire page built from an XLSForm: every kind of question, labels in the reader's
language, the answers read back from a post."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import QueryDict

from liaison.surveys.tests.builders import EN, VI, make_form
from liaison.surveys.webform import (
    FieldItem,
    GroupItem,
    Item,
    answers_from_post,
    build_items,
    client_spec,
)

SURVEY = [
    {
        "type": "begin_group",
        "name": "about",
        f"label::{EN}": "About you",
        f"label::{VI}": "Về anh/chị",
    },
    {"type": "note", "name": "welcome", f"label::{EN}": "Welcome", f"label::{VI}": "Xin chào"},
    {
        "type": "select_one agency or_other",
        "name": "agency",
        f"label::{EN}": "Agency",
        f"label::{VI}": "Cơ quan",
        "required": "yes",
    },
    {
        "type": "select_multiple agency or_other",
        "name": "worked_with",
        f"label::{EN}": "Worked with",
    },
    {
        "type": "integer",
        "name": "years",
        f"label::{EN}": "Years",
        "constraint": ". <= 45",
        f"constraint_message::{EN}": "At most 45.",
        f"constraint_message::{VI}": "Tối đa 45.",
    },
    {"type": "decimal", "name": "distance", f"label::{EN}": "Distance to the border (km)"},
    {"type": "date", "name": "posted_on", f"label::{EN}": "Posted on"},
    {"type": "text", "name": "remarks", f"label::{EN}": "Remarks", "appearance": "multiline"},
    {"type": "end_group", "name": "about"},
    {"type": "calculate", "name": "senior", "calculation": "if(${years} > 10, 'yes', 'no')"},
    {
        "type": "select_one yes_no",
        "name": "likes",
        f"label::{EN}": "Do you like it?",
        "relevant": "${senior} = 'yes'",
    },
]
CHOICES = [
    {"list_name": "agency", "name": "police", f"label::{EN}": "Police", f"label::{VI}": "Công an"},
    {
        "list_name": "agency",
        "name": "customs",
        f"label::{EN}": "Customs",
        f"label::{VI}": "Hải quan",
    },
    {"list_name": "yes_no", "name": "yes", f"label::{EN}": "Yes", f"label::{VI}": "Có"},
    {"list_name": "yes_no", "name": "no", f"label::{EN}": "No"},
]


def flatten(items: list[Item]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, GroupItem):
            yield item
            yield from flatten(item.children)
        else:
            yield item


def test_every_kind_of_question_gets_its_widget_in_form_order():
    form = make_form(survey=SURVEY, choices=CHOICES)
    items = build_items(form, language="en", values={}, errors={})
    group, calculation, likes = items
    assert isinstance(group, GroupItem) and group.label == "About you"
    widgets = [(item.name, item.widget) for item in group.children if isinstance(item, FieldItem)]
    assert widgets == [
        ("welcome", "note"),
        ("agency", "radio"),
        ("agency_other", "text"),
        ("worked_with", "checkbox"),
        ("worked_with_other", "text"),
        ("years", "integer"),
        ("distance", "decimal"),
        ("posted_on", "date"),
        ("remarks", "textarea"),
    ]
    assert isinstance(calculation, FieldItem) and isinstance(likes, FieldItem)
    assert (calculation.name, calculation.widget) == ("senior", "calculate")
    assert (likes.name, likes.widget) == ("likes", "radio")
    agency = next(item for item in flatten(items) if item.name == "agency")
    assert [choice.name for choice in agency.choices] == ["police", "customs", "other"]
    assert agency.required


def test_labels_follow_the_readers_language_and_fall_back_to_english():
    form = make_form(survey=SURVEY, choices=CHOICES)
    items = list(flatten(build_items(form, language="vi", values={"likes": "no"}, errors={})))
    by_name = {item.name: item for item in items}
    assert by_name["about"].label == "Về anh/chị"
    assert by_name["agency"].label == "Cơ quan"
    assert [c.label for c in by_name["agency"].choices][:2] == ["Công an", "Hải quan"]
    assert by_name["distance"].label == "Distance to the border (km)"  # no Vietnamese label
    assert [(c.label, c.selected) for c in by_name["likes"].choices] == [
        ("Có", False),
        ("No", True),
    ]


def test_values_and_errors_are_put_back_in_their_fields():
    form = make_form(survey=SURVEY, choices=CHOICES)
    items = build_items(
        form,
        language="en",
        values={"worked_with": "police other", "years": "50"},
        errors={"years": "At most 45."},
    )
    by_name = {item.name: item for item in flatten(items)}
    assert [c.name for c in by_name["worked_with"].choices if c.selected] == ["police", "other"]
    assert (by_name["years"].value, by_name["years"].error) == ("50", "At most 45.")


def test_a_post_is_read_back_as_answers_without_calculations():
    form = make_form(survey=SURVEY, choices=CHOICES)
    data = QueryDict(mutable=True)
    data.setlist("q-worked_with", ["police", "customs"])
    data.update(
        {
            "q-agency": "other",
            "q-agency_other": " Navy ",
            "q-years": "12",
            "q-senior": "forged",
            "q-remarks": "",
            "csrfmiddlewaretoken": "x",
        }
    )
    assert answers_from_post(form, data) == {
        "agency": "other",
        "agency_other": "Navy",
        "worked_with": "police customs",
        "years": "12",
    }


def test_the_browser_gets_the_binds_with_absolute_paths_and_localised_messages():
    form = make_form(survey=SURVEY, choices=CHOICES)
    spec = client_spec(form, "vi")
    binds = {question["name"]: question for question in spec["questions"]}
    assert spec["root"] == "data"
    assert binds["years"]["path"] == "/data/about/years"
    assert binds["years"]["constraintMessage"] == "Tối đa 45."
    assert binds["agency_other"]["relevant"] == "selected(../agency, 'other')"
    assert str(binds["likes"]["relevant"]).split() == ["/data/senior", "=", "'yes'"]
    assert str(binds["senior"]["calculation"]).startswith("if(")
    assert binds["senior"]["takesAnswer"] is False
    assert spec["groups"] == [{"path": "/data/about", "relevant": None}]
