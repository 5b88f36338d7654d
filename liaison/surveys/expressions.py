"""Evaluate a form's expressions over one submission's answers; re-validate a submission.

The expressions are the XForm binds pyxform generated (``${q}`` already an absolute path such as
``/data/profile/q``), evaluated by :mod:`liaison.surveys.xpath` over an instance document built
from the answers exactly as ODK builds it: one element per question, nested in its groups.

:func:`validate_submission` is the server's re-validation of a submitted questionnaire: an answer
is required when its question is relevant and ``required``; a relevant answer must satisfy its
``constraint``, have the question's type (integer, decimal, date) and be one of its choices.
Questions that are not relevant are treated as empty, as ODK does when it submits.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from xml.etree import ElementTree as ET

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.utils.translation import gettext as _

from liaison.surveys.xlsform import (
    CALCULATE,
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    RANGE,
    SELECT_MULTIPLE,
    SELECT_ONE,
    TIME,
    Form,
    Question,
)
from liaison.surveys.xpath import (
    Environment,
    ExpressionError,
    compile_xpath,
    evaluate,
    to_boolean,
    to_string,
)

Answer = str | int | float | Decimal | date | datetime | time | Sequence[str] | None
"""One answer as callers hold it: text, a number, a date, or the options of a select_multiple."""

INTEGER_PATTERN = re.compile(r"^\s*[+-]?\d+\s*$")
DECIMAL_PATTERN = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")
DATE_PATTERN = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
_XPATH_OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})
_WHERE_TOKEN = re.compile(r"""'[^']*'|"[^"]*"|\$\{[^}]*\}|[A-Za-z_][\w.\-]*|\s+|.""", re.DOTALL)


class FieldErrorCode(enum.StrEnum):
    REQUIRED = "required"
    CONSTRAINT = "constraint"
    INVALID = "invalid"
    UNKNOWN_CHOICE = "unknown_choice"
    NOT_RELEVANT = "not_relevant"
    UNKNOWN_QUESTION = "unknown_question"
    EXPRESSION = "expression"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one answer, with a message naming the question."""

    name: str
    code: FieldErrorCode
    message: str


def answer_text(value: Answer) -> str:
    """The XForm text of an answer: select_multiple space-separated, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float):
        return "" if value != value else repr(value).removesuffix(".0")  # NaN is missing
    if isinstance(value, int | Decimal):
        return str(value)
    return " ".join(str(item).strip() for item in value if str(item).strip())


def field_name(form: Form, question: Question, language: str | None = None) -> str:
    """How messages name a question: its label and, for the designer, its name."""
    label = form.question_label(question, language)
    if label == question.name:
        return f"“{question.name}”"
    return _("“%(label)s” (%(name)s)") % {"label": label, "name": question.name}


class SubmissionInstance:
    """The instance document of one submission (``<data><group><q>…</q></group></data>``)."""

    def __init__(
        self,
        form: Form,
        answers: Mapping[str, Answer] | None = None,
        *,
        only: Sequence[Question] | None = None,
    ) -> None:
        """``only``: build just these questions' elements (enough for an expression that reads
        nothing else — much faster when one expression is evaluated many times)."""
        self.form = form
        self.root = ET.Element(form.root_name)
        self._elements: dict[str, ET.Element] = {"/" + form.root_name: self.root}
        if only is None:
            for group in form.groups:
                self._element(group.path)
        for question in form.questions if only is None else only:
            if not question.in_repeat:
                self._element(question.path)
        for name, value in (answers or {}).items():
            if form.has_question(name):
                self.set(name, value)

    def _element(self, path: str) -> ET.Element:
        element = self._elements.get(path)
        if element is None:
            parent_path, _sep, tag = path.rpartition("/")
            element = ET.SubElement(self._element(parent_path), tag)
            self._elements[path] = element
        return element

    def set(self, name: str, value: Answer) -> None:
        question = self.form.question(name)
        if not question.in_repeat:
            self._element(question.path).text = answer_text(value) or None

    def value(self, name: str) -> str:
        question = self.form.question(name)
        element = self._elements.get(question.path)
        return (element.text or "") if element is not None else ""

    def element(self, path: str) -> ET.Element | None:
        return self._elements.get(path)

    def evaluate(
        self, expression: str, *, at: str | None = None, environment: Environment | None = None
    ) -> object:
        item = self._element(at) if at else None
        return evaluate(
            expression,
            self.root,
            item=item,
            environment=environment or self.form.environment(),
        )


def _is_true(
    instance: SubmissionInstance, expression: str | None, at: str, env: Environment
) -> bool:
    if expression is None:
        return True
    return to_boolean(instance.evaluate(expression, at=at, environment=env))


def settle(
    form: Form, answers: Mapping[str, Answer], *, environment: Environment | None = None
) -> tuple[SubmissionInstance, dict[str, bool]]:
    """Build the instance, run the calculations and decide each question's relevance.

    Calculations run in form order, twice so that one referring to a later one settles.
    Questions that are not relevant are emptied, as ODK does on submission. Returns the instance
    and the relevance of every question (by name).
    """
    env = environment or form.environment()
    instance = SubmissionInstance(form, answers)
    for _round in range(2):
        for question in form.questions:
            if question.calculation and not question.in_repeat:
                result = instance.evaluate(question.calculation, at=question.path, environment=env)
                instance.set(question.name, to_string(result))
    group_relevance: dict[str, bool] = {}
    for group in form.groups:
        parent = "/" + "/".join((form.root_name, *group.group_path))
        inherited = group_relevance.get(parent, True)
        group_relevance[group.path] = inherited and _is_true(
            instance, group.relevant, group.path, env
        )
    relevance: dict[str, bool] = {}
    for question in form.questions:
        if question.in_repeat:
            relevance[question.name] = False
            continue
        parent = "/" + "/".join((form.root_name, *question.group_path))
        relevant = group_relevance.get(parent, True) and _is_true(
            instance, question.relevant, question.path, env
        )
        relevance[question.name] = relevant
        if not relevant:
            instance.set(question.name, None)
    return instance, relevance


def relevant_questions(
    form: Form, answers: Mapping[str, Answer], *, environment: Environment | None = None
) -> list[Question]:
    """The questions that apply to this respondent given their answers, in form order."""
    _instance, relevance = settle(form, answers, environment=environment)
    return [question for question in form.questions if relevance[question.name]]


def validate_submission(
    form: Form,
    answers: Mapping[str, Answer],
    *,
    language: str | None = None,
    environment: Environment | None = None,
) -> list[FieldError]:
    """Re-validate one submission; an empty list means it is acceptable."""
    env = environment or form.environment(language)
    errors: list[FieldError] = [
        FieldError(
            name=name,
            code=FieldErrorCode.UNKNOWN_QUESTION,
            message=_("%(name)s is not a question of this form.") % {"name": name},
        )
        for name in answers
        if not form.has_question(name)
    ]
    try:
        instance, relevance = settle(form, answers, environment=env)
    except ExpressionError as error:
        return [*errors, FieldError(name="", code=FieldErrorCode.EXPRESSION, message=str(error))]
    for question in form.questions:
        if not question.takes_answer:
            continue
        given = answer_text(answers.get(question.name))
        if not relevance[question.name]:
            if given:
                errors.append(
                    FieldError(
                        name=question.name,
                        code=FieldErrorCode.NOT_RELEVANT,
                        message=_(
                            "%(field)s is answered although it does not apply to this respondent."
                        )
                        % {"field": field_name(form, question, language)},
                    )
                )
            continue
        problem_found: FieldError | None
        try:
            problem_found = _check_answer(form, question, given, instance, env, language)
        except ExpressionError as problem:
            problem_found = FieldError(
                name=question.name,
                code=FieldErrorCode.EXPRESSION,
                message=_("%(field)s: %(problem)s")
                % {"field": field_name(form, question, language), "problem": problem},
            )
        if problem_found is not None:
            errors.append(problem_found)
    return errors


def _check_answer(
    form: Form,
    question: Question,
    given: str,
    instance: SubmissionInstance,
    env: Environment,
    language: str | None,
) -> FieldError | None:
    field = field_name(form, question, language)
    if not given:
        if question.required and _is_true(instance, question.required, question.path, env):
            message = form.label(question.required_message, language) or (
                _("%(field)s: an answer is required.") % {"field": field}
            )
            return FieldError(question.name, FieldErrorCode.REQUIRED, message)
        return None
    problem = type_problem(question, given)
    if problem is not None:
        code = FieldErrorCode.UNKNOWN_CHOICE if question.is_select else FieldErrorCode.INVALID
        return FieldError(
            question.name,
            code,
            _("%(field)s: %(problem)s")
            % {
                "field": field,
                "problem": problem,
            },
        )
    if question.constraint and not _is_true(instance, question.constraint, question.path, env):
        custom = form.label(question.constraint_message, language)
        message = custom or _("%(field)s: the answer %(value)s is not allowed (%(rule)s).") % {
            "field": field,
            "value": given,
            "rule": question.source_expressions.get("constraint", question.constraint),
        }
        return FieldError(question.name, FieldErrorCode.CONSTRAINT, message)
    return None


def type_problem(question: Question, text: str) -> str | None:
    """Why ``text`` is not a valid answer of the question's type (None when it is)."""
    kind = question.type
    if kind == INTEGER and not INTEGER_PATTERN.match(text):
        return _("%(value)s is not a whole number.") % {"value": text}
    if kind in (DECIMAL, RANGE) and not DECIMAL_PATTERN.match(text):
        return _("%(value)s is not a number.") % {"value": text}
    if kind == DATE:
        try:
            if not DATE_PATTERN.match(text):
                raise ValueError(text)
            date.fromisoformat(text.strip())
        except ValueError:
            return _("%(value)s is not a date (YYYY-MM-DD).") % {"value": text}
    if kind == DATETIME:
        try:
            datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return _("%(value)s is not a date and time.") % {"value": text}
    if kind == TIME:
        try:
            time.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return _("%(value)s is not a time of day.") % {"value": text}
    if kind in (SELECT_ONE, SELECT_MULTIPLE) and question.choices:
        names = question.choice_names
        values = text.split() if kind == SELECT_MULTIPLE else [text.strip()]
        unknown = [value for value in values if value not in names]
        if kind == SELECT_ONE and len(text.split()) > 1 and text.strip() not in names:
            unknown = [text.strip()]
        if unknown:
            return _("%(value)s is not one of the choices (%(choices)s).") % {
                "value": " ".join(unknown),
                "choices": ", ".join(names),
            }
    return None


# --- expressions written by people (the --where filter) ----------------------------------------


def to_xpath(form: Form, expression: str) -> str:
    """Turn a filter such as ``knows_ods = 'yes'`` or ``${knows_ods} = 'yes'`` into XPath.

    ``${name}`` becomes the question's absolute path, as pyxform does; so does a bare name that
    is a question of the form (outside string literals, not a function name or an axis step).
    The result is then parsed, so a broken filter raises :class:`ExpressionError`.
    """
    tokens = [match[0] for match in _WHERE_TOKEN.finditer(expression)]
    output: list[str] = []
    depth = 0  # inside a predicate, bare names are element names of a secondary instance
    for index, token in enumerate(tokens):
        depth += {"[": 1, "]": -1}.get(token, 0)
        if token.startswith("${") and token.endswith("}"):
            name = token[2:-1].strip()
            if not form.has_question(name):
                raise ExpressionError(
                    _("%(name)s is not a question of this form.") % {"name": name},
                    expression=expression,
                )
            output.append(" " + form.question(name).path + " ")
            continue
        if re.match(r"[A-Za-z_]", token) and form.has_question(token):
            before = "".join(output).rstrip()[-1:]
            after = "".join(tokens[index + 1 :]).lstrip()[:1]
            if (
                before not in ("/", "@", "$", ":")
                and after not in ("(", ":")
                and token not in _XPATH_OPERATOR_NAMES
            ):
                output.append(form.question(token).path)
                continue
        elif re.match(r"[A-Za-z_]", token) and depth == 0:
            before = "".join(output).rstrip()[-1:]
            after = "".join(tokens[index + 1 :]).lstrip()[:2]
            if (
                before not in ("/", "@", "$", ":")
                and not after.startswith(("(", ":"))
                and token not in _XPATH_OPERATOR_NAMES
            ):
                raise ExpressionError(
                    _("%(name)s is not a question of this form.") % {"name": token},
                    expression=expression,
                )
        output.append(token)
    xpath = "".join(output).strip()
    compile_xpath(xpath, written=expression)
    return xpath


_COMPARED_WITH_TEXT = re.compile(
    r"(?:\$\{\s*(?P<name>[A-Za-z_][\w.\-]*)\s*\}|(?P<bare>[A-Za-z_][\w.\-]*))\s*!?=\s*"
    r"(?P<quote>['\"])(?P<text>[^'\"]*)(?P=quote)"
    r"|selected\s*\(\s*(?:\$\{\s*(?P<s_name>[A-Za-z_][\w.\-]*)\s*\}|(?P<s_bare>[A-Za-z_][\w.\-]*))"
    r"\s*,\s*(?P<s_quote>['\"])(?P<s_text>[^'\"]*)(?P=s_quote)\s*\)"
)


def filter_hints(form: Form, expression: str) -> list[str]:
    """What a filter compares a choice question with that is none of its choices (``agency =
    'police'`` when the choices are ``provincial_police`` …): the filter is valid, and keeps
    nobody for that comparison, which is more likely a slip than a wish."""
    hints: list[str] = []
    for match in _COMPARED_WITH_TEXT.finditer(expression):
        name = match["name"] or match["bare"] or match["s_name"] or match["s_bare"]
        text = match["text"] if match["text"] is not None else match["s_text"]
        if not name or not form.has_question(name):
            continue
        question = form.question(name)
        names = question.choice_names
        if not question.choices or text in names or text == "":
            continue
        shown = ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
        hints.append(
            _(
                "The filter compares %(question)s with '%(value)s', which is not one of its "
                "choices (%(choices)s)."
            )
            % {"question": name, "value": text, "choices": shown}
        )
    return hints


_ABSOLUTE_PATH = re.compile(r"(?<![\w.\-)\]])/[A-Za-z_][\w.\-]*(?:/[A-Za-z_][\w.\-]*)*")
_RELATIVE_PATH = re.compile(r"(?<![\w.\-/])((?:\.\./)+)([A-Za-z_][\w.\-]*(?:/[A-Za-z_][\w.\-]*)*)")
_OPAQUE = re.compile(r"\binstance\s*\(|\bcurrent\s*\(|//|/\s*\*|\bindexed-repeat\s*\(")


def referenced_questions(
    form: Form, xpath: str, *, context: Question | None = None, at: str | None = None
) -> list[Question] | None:
    """The questions an expression reads, or ``None`` when that cannot be told from its text.

    ``context`` is the question the expression belongs to (``.`` is its answer); ``at`` the
    path relative references start from when the expression belongs to a group.
    """
    base_path = at or (context.path if context is not None else None)
    if _OPAQUE.search(xpath):
        return None
    found: dict[str, Question] = {}
    for match in _ABSOLUTE_PATH.finditer(xpath):
        question = form.question_at(match[0])
        if question is not None:
            found[question.name] = question
        elif form.group_at(match[0]) is None and match[0] != "/" + form.root_name:
            return None
    for match in _RELATIVE_PATH.finditer(xpath):
        if base_path is None:
            return None
        steps_up = match[1].count("../")
        base = base_path.split("/")[: -steps_up or None]
        question = form.question_at("/".join(base) + "/" + match[2])
        if question is None:
            return None
        found[question.name] = question
    if context is not None and re.search(r"(?<![.\w])\.(?![.\w/])", xpath):
        found[context.name] = context
    return list(found.values())


def evaluate_where(
    form: Form, xpath: str, answers: Mapping[str, Answer], *, environment: Environment | None = None
) -> bool:
    """Whether one respondent passes a filter already turned into XPath by :func:`to_xpath`."""
    instance = SubmissionInstance(form, answers)
    return to_boolean(instance.evaluate(xpath, environment=environment or form.environment()))


def calculate(
    form: Form,
    question: Question,
    answers: Mapping[str, Answer],
    *,
    environment: Environment | None = None,
) -> str:
    """The value of one calculate question given the answers it refers to."""
    if question.type != CALCULATE or not question.calculation:
        return answer_text(answers.get(question.name))
    instance = SubmissionInstance(form, answers)
    result = instance.evaluate(
        question.calculation, at=question.path, environment=environment or form.environment()
    )
    return to_string(result)


# --- many respondents at once ----------------------------------------------------------------


def evaluate_frame(
    form: Form,
    xpath: str,
    frame: pd.DataFrame,
    convert: Callable[[object], object],
    *,
    context: Question | None = None,
    at: str | None = None,
    environment: Environment | None = None,
    rows: npt.NDArray[np.bool_] | None = None,
    memo: dict[tuple[str, str], object] | None = None,
) -> npt.NDArray[np.object_]:
    """Evaluate an expression for every row of ``frame`` (or those ``rows`` selects); each
    value passed through ``convert`` (``to_boolean``, ``to_string`` …)."""
    results, codes = _evaluate_distinct(
        form,
        xpath,
        frame,
        convert,
        context=context,
        at=at,
        environment=environment,
        rows=rows,
        memo=memo,
    )
    distinct = np.empty(len(results), dtype=object)
    distinct[:] = results
    return distinct[codes]


def holds_frame(
    form: Form,
    xpath: str,
    frame: pd.DataFrame,
    *,
    context: Question | None = None,
    at: str | None = None,
    environment: Environment | None = None,
    rows: npt.NDArray[np.bool_] | None = None,
    memo: dict[tuple[str, str], object] | None = None,
) -> npt.NDArray[np.bool_]:
    """Whether a condition (``relevant``, ``constraint``, ``required``, a filter) holds for
    every row of ``frame`` (or those ``rows`` selects), as booleans."""
    results, codes = _evaluate_distinct(
        form,
        xpath,
        frame,
        to_boolean,
        context=context,
        at=at,
        environment=environment,
        rows=rows,
        memo=memo,
    )
    return np.array([bool(result) for result in results], dtype=bool)[codes]


def _evaluate_distinct(
    form: Form,
    xpath: str,
    frame: pd.DataFrame,
    convert: Callable[[object], object],
    *,
    context: Question | None,
    at: str | None,
    environment: Environment | None,
    rows: npt.NDArray[np.bool_] | None,
    memo: dict[tuple[str, str], object] | None,
) -> tuple[list[object], npt.NDArray[np.intp]]:
    """The value for each distinct combination of the answers ``xpath`` reads, and per row
    (of those ``rows`` selects) the position of its combination in that list.

    An expression reads few questions and those take few distinct values, so it is evaluated
    once per distinct combination of the answers it reads, not once per respondent: a filter over
    100,000 respondents who answered a yes/no question is evaluated twice or three times.
    An expression that reads only its own answer (``. >= 0``) gives the same result for the same
    value whatever the question; pass a ``memo`` dict to share those results between questions.
    """
    env = environment or form.environment()
    references = referenced_questions(form, xpath, context=context, at=at)
    only: list[Question] | None = references
    if references is None:
        references = [question for question in form.questions if question.name in frame.columns]
    columns = [question.name for question in references if question.name in frame.columns]
    if at is None and context is not None:
        at = context.path
    size = len(frame) if rows is None else int(rows.sum())
    if not columns or size == 0:
        instance = SubmissionInstance(form, only=only)
        value = convert(instance.evaluate(xpath, at=at, environment=env))
        return [value], np.zeros(size, dtype=np.intp)
    subset = frame[columns] if rows is None else frame[columns][rows]
    codes: npt.NDArray[np.intp]
    if len(columns) == 1:
        codes = np.asarray(pd.factorize(subset.iloc[:, 0], use_na_sentinel=False)[0])
    else:
        keys = pd.util.hash_pandas_object(subset.astype(object).fillna(""), index=False)
        codes = np.asarray(pd.factorize(keys.to_numpy())[0])
    # codes run 0…k-1 in order of first appearance; the first row holding each one, without a
    # sort: writing row numbers backwards leaves the earliest in place.
    first_rows = np.empty(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
    first_rows[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    self_only = (
        memo is not None
        and context is not None
        and columns == [context.name]
        and at == context.path
        and not _ABSOLUTE_PATH.search(xpath)
        and not _RELATIVE_PATH.search(xpath)
    )
    results: list[object] = []
    for row in first_rows:
        if self_only and memo is not None and context is not None:
            own: object = subset.iat[int(row), 0]
            key = (xpath, "" if pd.isna(own) else str(own))  # type: ignore[call-overload]
            if key not in memo:
                answers_one: dict[str, Answer] = {context.name: key[1]}
                instance = SubmissionInstance(form, answers_one, only=only)
                memo[key] = convert(instance.evaluate(xpath, at=at, environment=env))
            results.append(memo[key])
            continue
        answers: dict[str, Answer] = {}
        for position, name in enumerate(columns):
            cell: object = subset.iat[int(row), position]
            answers[name] = None if pd.isna(cell) else str(cell)  # type: ignore[call-overload]
        instance = SubmissionInstance(form, answers, only=only)
        results.append(convert(instance.evaluate(xpath, at=at, environment=env)))
    return results, codes
