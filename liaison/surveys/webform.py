"""The questionnaire page: an XLSForm rendered as an HTML form, and its answers read back.

The page is server-rendered from the engine's :class:`Form` (groups, questions, choices, labels
in the reader's language with the form's default language as fallback) and works without
JavaScript: every question is shown, the server drops the answers of branches that do not apply
and validates the rest. With JavaScript, ``static/surveys/questionnaire.js`` evaluates the binds
described by :func:`client_spec` — ``relevant``, ``required``, ``constraint`` and ``calculate``,
as pyxform wrote them with absolute ``/data/…`` paths — with Enketo's OpenRosa XPath engine over
an XML instance of the current answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.http import QueryDict
from django.utils.translation import gettext as _

from liaison.registry.models import User
from liaison.surveys.expressions import FieldError
from liaison.surveys.models import SurveyRound, site_choice
from liaison.surveys.xlsform import (
    CALCULATE,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    NOTE,
    RANGE,
    SELECT_MULTIPLE,
    SELECT_ONE,
    TEXT,
    TIME,
    Form,
    Question,
)

FIELD_PREFIX = "q-"
_STATIC_TRUE = frozenset({"true()", "true", "1", "yes"})


def input_name(question_name: str) -> str:
    return FIELD_PREFIX + question_name


def widget_for(question: Question) -> str:
    """How a question is shown: one of the names the template knows."""
    kind = question.type
    if kind == SELECT_ONE:
        if question.is_likert:
            return "likert"
        if "minimal" in question.appearance.split():
            return "dropdown"
        return "radio"
    if kind == SELECT_MULTIPLE:
        return "checkbox"
    if kind == INTEGER:
        return "integer"
    if kind in (DECIMAL, RANGE):
        return "decimal"
    if kind == DATE:
        return "date"
    if kind == TIME:
        return "time"
    if kind == DATETIME:
        return "datetime"
    if kind == NOTE:
        return "note"
    if kind == CALCULATE:
        return "calculate"
    if kind == TEXT and "multiline" in question.appearance.split():
        return "textarea"
    return "text"


@dataclass(frozen=True)
class ChoiceOption:
    name: str
    label: str
    selected: bool


@dataclass
class FieldItem:
    name: str
    path: str
    widget: str
    label: str
    hint: str
    value: str
    required: bool
    error: str = ""
    choices: list[ChoiceOption] = field(default_factory=list)
    kind: str = "field"

    @property
    def input_name(self) -> str:
        return input_name(self.name)

    @property
    def dom_id(self) -> str:
        return input_name(self.name)


@dataclass
class GroupItem:
    name: str
    path: str
    label: str
    repeat: bool
    children: list[FieldItem | GroupItem]
    kind: str = "group"


Item = FieldItem | GroupItem


def _is_statically_required(question: Question) -> bool:
    return question.required is not None and question.required.strip() in _STATIC_TRUE


def build_items(
    form: Form,
    *,
    language: str | None,
    values: Mapping[str, str],
    errors: Mapping[str, str],
) -> list[Item]:
    """The questionnaire as nested groups and fields, in form order, with values and errors."""

    def walk(children: Sequence[Mapping[str, Any]], parents: tuple[str, ...]) -> list[Item]:
        items: list[Item] = []
        for element in children:
            kind = str(element.get("type") or "")
            name = str(element.get("name") or "")
            path = "/" + "/".join((form.root_name, *parents, name))
            if kind in ("group", "repeat"):
                control = element.get("control") or {}
                if name == "meta" and not parents and control.get("bodyless"):
                    continue
                group = form.group_at(path)
                nested = walk(element.get("children") or [], (*parents, name))
                if group is None or not nested:
                    continue
                items.append(
                    GroupItem(
                        name=name,
                        path=path,
                        label=form.label(group.labels, language),
                        repeat=group.repeat,
                        children=nested,
                    )
                )
                continue
            question = form.question_at(path)
            if question is None or question.is_metadata or question.in_repeat:
                continue
            items.append(_field(form, question, language, values, errors))
        return items

    return walk(form.definition.get("children") or [], ())


def _field(
    form: Form,
    question: Question,
    language: str | None,
    values: Mapping[str, str],
    errors: Mapping[str, str],
) -> FieldItem:
    value = values.get(question.name, "")
    selected = set(value.split()) if question.type == SELECT_MULTIPLE else {value}
    return FieldItem(
        name=question.name,
        path=question.path,
        widget=widget_for(question),
        label=form.label(question.labels, language) or question.name,
        hint=form.label(question.hints, language),
        value=value,
        required=_is_statically_required(question),
        error=errors.get(question.name, ""),
        choices=[
            ChoiceOption(
                name=choice.name,
                label=form.label(choice.labels, language) or choice.name,
                selected=choice.name in selected,
            )
            for choice in question.choices
        ]
        if question.is_select
        else [],
    )


def answers_from_post(form: Form, data: QueryDict) -> dict[str, str]:
    """The answers a posted questionnaire holds (calculations are the server's to compute)."""
    answers: dict[str, str] = {}
    for question in form.questions:
        if not question.takes_answer:
            continue
        key = input_name(question.name)
        if question.type == SELECT_MULTIPLE:
            text = " ".join(value.strip() for value in data.getlist(key) if value.strip())
        else:
            text = str(data.get(key, "")).strip()
        if text:
            answers[question.name] = text
    return answers


def error_map(errors: Sequence[FieldError]) -> tuple[dict[str, str], list[str]]:
    """Messages by question name, and those that belong to no question."""
    by_name: dict[str, str] = {}
    general: list[str] = []
    for error in errors:
        if error.name and error.name not in by_name:
            by_name[error.name] = error.message
        elif not error.name:
            general.append(error.message)
    return by_name, general


def profile_defaults(survey_round: SurveyRound, form: Form, user: User) -> dict[str, str]:
    """A new questionnaire's BLO and agency answers, from the officer's own account."""
    defaults: dict[str, str] = {}
    site = survey_round.site_question
    if site and form.has_question(site) and user.blo is not None:
        blo_choice = site_choice(form.question(site), user.blo)
        if blo_choice:
            defaults[site] = blo_choice
    agency_question = survey_round.agency_question
    if agency_question and form.has_question(agency_question) and user.agency is not None:
        agency = user.agency
        keys = {_fold(agency.kind), _fold(agency.name_en), _fold(agency.name_local)} - {""}
        for choice in form.question(agency_question).choices:
            names = {_fold(choice.name), *(_fold(label) for label in choice.labels.values())}
            if names & keys or any(
                key.startswith(_fold(choice.name)) and len(_fold(choice.name)) > 5 for key in keys
            ):
                defaults[agency_question] = choice.name
                break
    return defaults


def _fold(text: str) -> str:
    return "".join(character for character in text.casefold() if character.isalnum())


# --- what the browser evaluates ----------------------------------------------------------------


class ClientQuestion(TypedDict):
    name: str
    path: str
    type: str
    takesAnswer: bool
    relevant: str | None
    required: str | None
    constraint: str | None
    calculation: str | None
    constraintMessage: str
    requiredMessage: str


class ClientGroup(TypedDict):
    path: str
    relevant: str | None


class ClientMessages(TypedDict):
    required: str
    constraint: str
    integer: str
    decimal: str
    summary: str


class ClientSpec(TypedDict):
    root: str
    prefix: str
    groups: list[ClientGroup]
    questions: list[ClientQuestion]
    messages: ClientMessages


def client_spec(form: Form, language: str | None) -> ClientSpec:
    """The binds of the form for ``questionnaire.js``, messages in the reader's language."""
    return ClientSpec(
        root=form.root_name,
        prefix=FIELD_PREFIX,
        groups=[
            ClientGroup(path=group.path, relevant=group.relevant)
            for group in form.groups
            if not group.repeat
        ],
        questions=[
            ClientQuestion(
                name=question.name,
                path=question.path,
                type=question.type,
                takesAnswer=question.takes_answer,
                relevant=question.relevant,
                required=question.required,
                constraint=question.constraint,
                calculation=question.calculation,
                constraintMessage=form.label(question.constraint_message, language),
                requiredMessage=form.label(question.required_message, language),
            )
            for question in form.questions
            if not (question.in_repeat or question.is_metadata)
        ],
        messages=ClientMessages(
            required=_("An answer is required."),
            constraint=_("This answer is not allowed."),
            integer=_("Enter a whole number."),
            decimal=_("Enter a number."),
            summary=_("Some answers need your attention before the questionnaire can be sent."),
        ),
    )
