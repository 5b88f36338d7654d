"""Survey analysis: distributions, cross-tabs, knowledge scores, baseline/follow-up comparison.

Input is a frame with one row per respondent and one column per question name (the shape
:func:`liaison.surveys.imports.read_export` and :func:`liaison.surveys.imports.answers_frame`
produce): answers as XForm text, select_multiple space-separated, ``""`` or NaN when unanswered.

Rules, as the PATROL report applies them:

* a percentage is over the respondents who answered the question; missing answers leave the
  denominator and ``answered`` (the n) is always reported;
* a select_multiple option's percentage is the share of answering respondents who ticked it;
* every proportion carries a Wilson 95 % interval (the closed formula statsmodels'
  ``proportion_confint(method="wilson")`` computes, vectorised here);
* a cross-tab by a select_one or calculate question is tested with Fisher's exact test when it
  is 2×2 and chi-square otherwise, with Cramér's V (scipy);
* knowledge questions (options marked in the ``correct`` column) score 1 when a select_one's
  chosen option is marked, or when a select_multiple's ticked set is exactly the marked set;
  partial credit for a select_multiple is the share of its options classified correctly
  (ticked when marked, unticked when not), reported separately. A respondent's theme score is
  the percentage of the theme's knowledge questions they answered correctly (unanswered ones
  leave the denominator).

The main path is vectorised: each column is factorised once and counted with ``numpy.bincount``
over the distinct values; no Python loop runs over respondents. A ``where`` filter and a
calculate question missing from the data are evaluated once per distinct combination of the
answers they read.

SciPy and statsmodels are imported where a test or an interval needs them, not with this module:
``scipy.stats`` alone takes about a second to import, longer than analysing 100,000 respondents,
and every ``liaison`` command would pay it. The Wilson interval needs only the normal quantile
(the standard library's); the chi-square test and the t interval of a score need a
distribution's tail, which ``scipy.special`` gives at a fraction of ``scipy.stats``' import time.
"""

from __future__ import annotations

import contextlib
import math
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import NotRequired, TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.utils.translation import gettext as _

from liaison.surveys.expressions import evaluate_frame, holds_frame, to_xpath
from liaison.surveys.xlsform import (
    CALCULATE,
    NOTE,
    SELECT_MULTIPLE,
    SELECT_ONE,
    Form,
    Group,
    Question,
)
from liaison.surveys.xpath import ExpressionError, to_string

SIGNIFICANCE = 0.05
CONFIDENCE = 1 - SIGNIFICANCE
# The two-sided normal quantile of the 95 % intervals (about 1.96).
_Z = NormalDist().inv_cdf(1 - SIGNIFICANCE / 2)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class AnalysisError(ValueError):
    """A request the analysis cannot answer (unknown ``--by`` question, broken filter …)."""


# --- the JSON payloads -------------------------------------------------------------------------


class NumericSummary(TypedDict):
    n: int
    mean: float | None
    sd: float | None
    min: float | None
    q1: float | None
    median: float | None
    q3: float | None
    max: float | None


class LikertSummary(TypedDict):
    scale: list[str]
    n: int
    mean: float | None
    median: float | None


class AssociationTest(TypedDict):
    test: str
    """``fisher`` (2×2) or ``chi2``."""
    statistic: float | None
    """The odds ratio for Fisher's test, the chi-square statistic otherwise."""
    dof: int | None
    p_value: float | None
    cramers_v: float | None
    significant: bool


class GroupStats(TypedDict):
    answered: int
    counts: dict[str, int]
    percent: dict[str, float | None]
    ci95: dict[str, list[float] | None]
    numeric: NotRequired[NumericSummary]


class KnowledgeScore(TypedDict):
    theme: str | None
    answered: int
    correct: int
    percent_correct: float | None
    ci95: list[float] | None
    partial_mean: float | None
    """Mean partial credit (0–100) of a select_multiple; ``None`` for a select_one."""
    correct_choices: list[str]


class QuestionResult(TypedDict):
    type: str
    label: str
    answered: int
    missing: int
    counts: dict[str, int]
    percent: dict[str, float | None]
    ci95: dict[str, list[float] | None]
    group: str
    theme: str | None
    choice_labels: dict[str, str]
    by: NotRequired[dict[str, GroupStats]]
    test: NotRequired[AssociationTest | None]
    option_tests: NotRequired[dict[str, AssociationTest | None]]
    numeric: NotRequired[NumericSummary]
    likert: NotRequired[LikertSummary]
    knowledge: NotRequired[KnowledgeScore]
    unlisted: NotRequired[int]
    codes: NotRequired[dict[str, int]]
    """Of a text question of a stored round: coded passages of its answers, per code."""
    repeat: NotRequired[str]
    """Of a question inside a repeat: the repeat's name. Its figures count the repeat's
    instances (``answered`` and ``missing`` are instances, percentages are of the instances
    that answered); a ``by`` group is that of the instance's respondent."""
    instances: NotRequired[int]
    respondents_with_instances: NotRequired[int]


class RepeatSummary(TypedDict):
    label: str
    parent: str | None
    """The repeat it is nested in (``None``: asked once per respondent)."""
    instances: int
    respondents_with_instances: int


class ThemeScore(TypedDict):
    label: str
    questions: list[str]
    respondents: int
    mean: float | None
    median: float | None
    sd: float | None
    ci95: list[float] | None


class ScoreSummary(TypedDict):
    questions: dict[str, KnowledgeScore]
    themes: dict[str, ThemeScore]
    overall: ThemeScore
    cluster: str | None
    """The question respondents are grouped by in ``by_cluster``."""
    by_cluster: dict[str, dict[str, ThemeScore]]


class AnalysisResult(TypedDict):
    form_id: str
    title: str
    respondents: int
    questions: dict[str, QuestionResult]
    language: str
    by: str | None
    by_label: str | None
    by_groups: dict[str, str]
    """The ``by`` groups in order, with their labels."""
    where: str | None
    themes: dict[str, str]
    scores: ScoreSummary
    repeats: dict[str, RepeatSummary]
    """The form's repeats in form order, whether the data have instances of them or not."""


@dataclass(frozen=True)
class RepeatAnswers:
    """The instances of one repeat: one row per instance, one column per question of the
    repeat (as the respondents' frame), and per instance the row of its parent — in the
    respondents' frame, or in the frame of the repeat it is nested in (``parent``)."""

    name: str
    answers: pd.DataFrame
    parent_rows: IntArray
    parent: str | None = None


@dataclass(frozen=True)
class SurveyAnswers:
    """What an analysis reads: the respondents, and the instances of the form's repeats."""

    respondents: pd.DataFrame
    repeats: tuple[RepeatAnswers, ...] = ()


class ChoiceChange(TypedDict):
    baseline: float | None
    followup: float | None
    change_pp: float | None
    ci95_pp: list[float] | None
    p_value: float | None
    significant: bool
    baseline_count: int
    followup_count: int


class QuestionChange(TypedDict):
    type: str
    label: str
    baseline_answered: int
    followup_answered: int
    choice_labels: dict[str, str]
    choices: dict[str, ChoiceChange]


class ThemeChange(TypedDict):
    label: str
    baseline: float | None
    followup: float | None
    change_pp: float | None
    baseline_n: int
    followup_n: int
    p_value: float | None
    """Two-sided Mann–Whitney U test of the respondents' theme scores."""
    significant: bool


class ComparisonResult(TypedDict):
    form_id: str
    title: str
    language: str
    baseline_respondents: int
    followup_respondents: int
    questions: dict[str, QuestionChange]
    scores: dict[str, ThemeChange]


# --- small helpers -----------------------------------------------------------------------------


def _number(value: float | np.floating | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _missing_mask(values: Sequence[object]) -> BoolArray:
    return np.array(
        [
            value is None
            or (isinstance(value, float) and math.isnan(value))
            or str(value).strip() == ""
            for value in values
        ],
        dtype=bool,
    )


def _factorize(series: pd.Series) -> tuple[IntArray, list[str]]:
    """Codes per row (-1 when missing) and the distinct non-missing values as text."""
    raw: npt.NDArray[np.integer]
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Imported answers are categorical already: their codes are the factorisation.
        raw = np.asarray(series.cat.codes)
        texts = [str(value).strip() for value in series.cat.categories]
    else:
        factorized, uniques = pd.factorize(series, use_na_sentinel=True)
        raw = np.asarray(factorized)
        texts = [str(value).strip() for value in uniques]
    empty = np.array([text == "" for text in texts] + [True], dtype=bool)
    codes = raw.astype(np.int64)
    # Index -1 lands on the appended True: NaN and "" are both missing.
    codes[empty[codes]] = -1
    return codes, texts


def _natural_order(values: Sequence[str]) -> list[str]:
    def key(value: str) -> tuple[int, float, str]:
        try:
            return (0, float(value), value)
        except ValueError:
            return (1, 0.0, value)

    return sorted(values, key=key)


@dataclass(frozen=True)
class _Categorical:
    """A single-answer column coded against its categories: -1 missing, -2 not in the list."""

    codes: IntArray
    categories: list[str]

    @property
    def answered(self) -> BoolArray:
        return self.codes >= 0


@dataclass(frozen=True)
class _MultiSelect:
    """A select_multiple: per-row code of its distinct value and each value's ticked options."""

    codes: IntArray
    ticks: npt.NDArray[np.int64]
    """(distinct values × options) 0/1."""
    answered_values: BoolArray
    unlisted_values: BoolArray
    categories: list[str]


NOT_A_NUMBER = "NaN"
"""What ODK records for a calculation over missing answers (``${a} + ${b}`` with ``b`` empty):
no value, counted as missing like an empty answer, not as a category of its own."""


def _categorical(series: pd.Series, categories: Sequence[str] | None) -> _Categorical:
    raw, texts = _factorize(series)
    missing = {""}
    if categories is None:
        # A calculation's values are its categories; NaN is the absence of one.
        missing.add(NOT_A_NUMBER)
        categories = _natural_order(sorted(set(texts) - missing))
    index = {name: position for position, name in enumerate(categories)}
    index.update(dict.fromkeys(missing - set(index), -1))
    lookup = np.array([index.get(text, -2) for text in texts] + [-1], dtype=np.int64)
    return _Categorical(codes=lookup[raw], categories=list(categories))


def _multiselect(series: pd.Series, categories: Sequence[str]) -> _MultiSelect:
    raw, texts = _factorize(series)
    index = {name: position for position, name in enumerate(categories)}
    ticks = np.zeros((len(texts), len(categories)), dtype=np.int64)
    unlisted = np.zeros(len(texts), dtype=bool)
    for row, text in enumerate(texts):
        for token in text.split():
            position = index.get(token)
            if position is None:
                unlisted[row] = True
            else:
                ticks[row, position] = 1
    answered = np.array([text != "" for text in texts], dtype=bool)
    return _MultiSelect(
        codes=raw,
        ticks=ticks,
        answered_values=answered,
        unlisted_values=unlisted,
        categories=list(categories),
    )


def _wilson(counts: npt.ArrayLike, nobs: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Wilson's score interval (95 %), in percent; NaN where ``nobs`` is 0.

    The formula of statsmodels' ``proportion_confint(method="wilson")``, clipped to [0, 100]
    as it is; the tests check the two agree. Written out because importing statsmodels imports
    all of ``scipy.stats``, and every analysis computes these intervals."""
    count_array = np.asarray(counts, dtype=np.float64)
    nobs_array = np.broadcast_to(np.asarray(nobs, dtype=np.float64), count_array.shape)
    low = np.full(count_array.shape, np.nan)
    high = np.full(count_array.shape, np.nan)
    valid = nobs_array > 0
    if valid.any():
        n = nobs_array[valid]
        share = count_array[valid] / n
        z2 = _Z * _Z
        denominator = 1 + z2 / n
        centre = (share + z2 / (2 * n)) / denominator
        half = _Z * np.sqrt(share * (1.0 - share) / n + z2 / (4.0 * n * n)) / denominator
        low[valid] = np.clip(centre - half, 0.0, 1.0) * 100
        high[valid] = np.clip(centre + half, 0.0, 1.0) * 100
    # Wilson's interval ends exactly at 0 % (none) and 100 % (all); keep float noise out.
    low[valid & (count_array == 0)] = 0.0
    high[valid & (count_array == nobs_array)] = 100.0
    return low, high


class _Intervals:
    """Wilson intervals, gathered and then computed in one vectorised call."""

    def __init__(self) -> None:
        self._requests: list[tuple[dict[str, list[float] | None], list[str], IntArray, int]] = []

    def request(
        self,
        target: dict[str, list[float] | None],
        names: Sequence[str],
        counts: IntArray,
        nobs: int,
    ) -> None:
        if nobs > 0 and len(names):
            self._requests.append((target, list(names), counts, nobs))

    def resolve(self) -> None:
        if not self._requests:
            return
        counts = np.concatenate([request[2] for request in self._requests])
        nobs = np.concatenate(
            [np.full(len(request[2]), request[3], dtype=np.int64) for request in self._requests]
        )
        low, high = _wilson(counts, nobs)
        offset = 0
        for target, names, request_counts, _nobs in self._requests:
            for index, name in enumerate(names):
                target[name] = [float(low[offset + index]), float(high[offset + index])]
            offset += len(request_counts)
        self._requests.clear()


def _distribution(
    categories: Sequence[str], counts: npt.ArrayLike, answered: int, intervals: _Intervals
) -> tuple[dict[str, int], dict[str, float | None], dict[str, list[float] | None]]:
    count_array = np.asarray(counts, dtype=np.int64)
    count_map = {name: int(count) for name, count in zip(categories, count_array, strict=True)}
    ci95: dict[str, list[float] | None] = dict.fromkeys(categories)
    if answered == 0:
        return count_map, dict.fromkeys(categories), ci95
    percent: dict[str, float | None] = {
        name: float(count) / answered * 100
        for name, count in zip(categories, count_array, strict=True)
    }
    intervals.request(ci95, categories, count_array, answered)
    return count_map, percent, ci95


def association_test(table: npt.ArrayLike) -> AssociationTest | None:
    """Fisher's exact test for a 2×2 table, chi-square otherwise, with Cramér's V.

    Rows and columns that are all zero are dropped first; a table smaller than 2×2 has no test.
    """
    array = np.asarray(table, dtype=np.int64)
    array = array[array.sum(axis=1) > 0]
    if array.ndim != 2 or array.shape[0] == 0:
        return None
    array = array[:, array.sum(axis=0) > 0]
    if array.shape[0] < 2 or array.shape[1] < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # Beyond 2×2 (more than one degree of freedom) no continuity correction applies, so
        # this χ² is also the one Cramér's V is defined on, as
        # scipy.stats.contingency.association computes it: one χ² serves both.
        chi2 = _chi_square(array)
        cramers_v = _number(math.sqrt(chi2.statistic / (int(array.sum()) * (min(array.shape) - 1))))
        if array.shape == (2, 2):
            from scipy import stats

            fisher = stats.fisher_exact(array)
            p_value = _number(fisher.pvalue)
            return AssociationTest(
                test="fisher",
                statistic=_number(fisher.statistic),
                dof=None,
                p_value=p_value,
                cramers_v=cramers_v,
                significant=p_value is not None and p_value < SIGNIFICANCE,
            )
        p_value = _number(chi2.pvalue)
        return AssociationTest(
            test="chi2",
            statistic=_number(chi2.statistic),
            dof=int(chi2.dof),
            p_value=p_value,
            cramers_v=cramers_v,
            significant=p_value is not None and p_value < SIGNIFICANCE,
        )


def import_statistics_meanwhile() -> threading.Thread:
    """Start importing ``scipy.special`` on another thread and return that thread.

    For a caller about to read an export: pandas' CSV tokenizer releases the GIL, so the
    import (a fifth of a second, half a bare read of 100,000 answers) runs meanwhile on the
    other core instead of after the read. A failed import is left to the code that needs it."""

    def load() -> None:
        with contextlib.suppress(ImportError):
            import scipy.special  # noqa: F401 - imported for its side effect, the module cache

    thread = threading.Thread(target=load, name="import scipy.special", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class _ChiSquare:
    statistic: float
    dof: int
    pvalue: float


def _chi_square(observed: IntArray) -> _ChiSquare:
    """Pearson's χ² test of independence of a table with no all-zero row or column, without
    continuity correction: what ``scipy.stats.chi2_contingency(observed, correction=False)``
    returns (the tests check the two agree), with the tail probability from ``scipy.special``.
    """
    from scipy.special import chdtrc

    table = observed.astype(np.float64)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    return _ChiSquare(statistic=statistic, dof=dof, pvalue=float(chdtrc(dof, statistic)))


def _t_interval(values: FloatArray) -> tuple[float, float]:
    """The 95 % t interval of the mean of ``values`` (at least two, not all equal): what
    ``scipy.stats.t.interval(0.95, n - 1, loc=mean, scale=scipy.stats.sem(values))`` returns,
    with the t quantiles from ``scipy.special``."""
    from scipy.special import stdtrit

    n = len(values)
    mean = float(values.mean())
    sem = float(values.std(ddof=1)) / math.sqrt(n)
    low = mean + sem * float(stdtrit(n - 1, (1.0 - CONFIDENCE) / 2))
    high = mean + sem * float(stdtrit(n - 1, (1.0 + CONFIDENCE) / 2))
    return low, high


def _numeric_values(series: pd.Series) -> pd.Series:
    raw, texts = _factorize(series)
    numbers = pd.to_numeric(pd.Series([*texts, ""], dtype=object), errors="coerce").to_numpy(
        dtype=np.float64
    )
    return pd.Series(numbers[raw])


_EMPTY_SUMMARY = NumericSummary(
    n=0, mean=None, sd=None, min=None, q1=None, median=None, q3=None, max=None
)


def _numeric_summary(values: FloatArray) -> NumericSummary:
    """Count, mean, standard deviation (n − 1), minimum, quartiles (linear interpolation, as
    pandas' ``describe``) and maximum of the non-missing values, computed by numpy."""
    # Sorted first: numpy's selection then finds the quartiles in about a third of the time
    # (survey answers repeat few values), which a sort more than pays for.
    present = np.sort(values[~np.isnan(values)])
    if not len(present):
        return _EMPTY_SUMMARY
    q1, median, q3 = np.quantile(present, [0.25, 0.5, 0.75])
    return NumericSummary(
        n=len(present),
        mean=_number(present.mean()),
        sd=_number(present.std(ddof=1)) if len(present) > 1 else None,
        min=_number(present[0]),
        q1=_number(q1),
        median=_number(median),
        q3=_number(q3),
        max=_number(present[-1]),
    )


def _grouped_summaries(
    values: Mapping[str, FloatArray], codes: IntArray, groups: int
) -> dict[str, dict[int, NumericSummary]]:
    """Numeric summaries per column and group code (codes below 0 belong to no group).

    The rows are ordered by group once, so each group is a slice of every column."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(groups + 1))
    summaries: dict[str, dict[int, NumericSummary]] = {}
    for name, column in values.items():
        ordered = column[order]
        per_group: dict[int, NumericSummary] = {}
        for group in range(groups):
            summary = _numeric_summary(ordered[bounds[group] : bounds[group + 1]])
            if summary["n"]:
                per_group[group] = summary
        summaries[name] = per_group
    return summaries


# --- preparing the frame -----------------------------------------------------------------------


def analysable(question: Question) -> bool:
    """Questions that get a result: answered ones and calculations, not notes or metadata.
    Questions inside a repeat are analysed apart, over the repeat's instances."""
    return not (question.in_repeat or question.is_metadata or question.type == NOTE)


def _in_repeat_scope(form: Form, question: Question, scope: Group | None) -> bool:
    if scope is None:
        return analysable(question)
    return not (question.is_metadata or question.type == NOTE) and form.repeat_of(question) == scope


def prepare(form: Form, answers: pd.DataFrame) -> pd.DataFrame:
    """The answers with every calculate question the data lacks computed from the form."""
    frame = answers.reset_index(drop=True)
    for question in form.questions:
        if question.type != CALCULATE or not question.calculation or question.in_repeat:
            continue
        if (
            question.name in frame.columns
            and not _missing_mask(frame[question.name].tolist()).all()
        ):
            continue
        try:
            values = evaluate_frame(form, question.calculation, frame, to_string, context=question)
        except ExpressionError as error:
            raise AnalysisError(
                _("The calculation of %(name)s cannot be evaluated: %(reason)s")
                % {"name": question.name, "reason": error}
            ) from None
        frame = frame.assign(**{question.name: values})
    return frame


def filter_respondents(form: Form, frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """The respondents for whom the ``where`` expression is true."""
    return frame[_where_mask(form, frame, where)].reset_index(drop=True)


def _where_mask(form: Form, frame: pd.DataFrame, where: str) -> BoolArray:
    try:
        xpath = to_xpath(form, where)
        return holds_frame(form, xpath, frame)
    except ExpressionError as error:
        raise AnalysisError(
            _("The filter %(where)s cannot be used: %(reason)s")
            % {"where": where, "reason": error.reason}
        ) from None


def _by_question(form: Form, by: str) -> Question:
    if not form.has_question(by):
        raise AnalysisError(
            _(
                "%(name)s is not a question of the form; --by takes a select_one or calculate "
                "question."
            )
            % {"name": by}
        )
    question = form.question(by)
    repeat = form.repeat_of(question)
    if repeat is not None:
        raise AnalysisError(
            _(
                "%(name)s is inside the repeat %(repeat)s; --by takes a question asked once per "
                "respondent (a repeat's questions are grouped by their respondent's answer)."
            )
            % {"name": by, "repeat": repeat.name}
        )
    if question.type not in (SELECT_ONE, CALCULATE):
        raise AnalysisError(
            _("%(name)s is a %(type)s question; --by takes a select_one or calculate question.")
            % {"name": by, "type": question.type}
        )
    return question


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([""] * len(frame), dtype=object)


# --- analysis ----------------------------------------------------------------------------------


class _Analysis:
    def __init__(
        self,
        form: Form,
        frame: pd.DataFrame,
        language: str | None,
        scope: Group | None = None,
    ) -> None:
        self.form = form
        self.frame = frame
        self.language = language
        self.scope = scope
        """The repeat whose instances are the rows (``None``: the respondents)."""
        self.n = len(frame)
        self.single: dict[str, _Categorical] = {}
        self.multi: dict[str, _MultiSelect] = {}
        self.intervals = _Intervals()
        self._numeric: (
            tuple[dict[str, NumericSummary], dict[str, dict[int, NumericSummary]]] | None
        ) = None

    def categories(self, question: Question) -> list[str] | None:
        return list(question.choice_names) if question.choices else None

    def coded(self, question: Question) -> _Categorical:
        if question.name not in self.single:
            self.single[question.name] = _categorical(
                _column(self.frame, question.name), self.categories(question)
            )
        return self.single[question.name]

    def multiselect(self, question: Question) -> _MultiSelect:
        if question.name not in self.multi:
            self.multi[question.name] = _multiselect(
                _column(self.frame, question.name), question.choice_names
            )
        return self.multi[question.name]

    def choice_labels(self, question: Question, categories: Sequence[str]) -> dict[str, str]:
        return {name: self.form.choice_label(question, name, self.language) for name in categories}

    def result(self, question: Question, by: _Categorical | None) -> QuestionResult:
        base = QuestionResult(
            type=question.type,
            label=self.form.question_label(question, self.language),
            answered=0,
            missing=self.n,
            counts={},
            percent={},
            ci95={},
            group="/".join(question.group_path),
            theme=question.theme,
            choice_labels={},
        )
        if question.type == SELECT_MULTIPLE and question.choices:
            self._multi_result(base, question, by)
        elif question.type == SELECT_ONE or question.type == CALCULATE:
            self._single_result(base, question, by)
        elif question.is_numeric:
            self._numeric_result(base, question, by)
        else:
            # Once per distinct answer, not per respondent: free text repeats little, but a
            # Python test of 100,000 answers took longer than the rest of the question.
            codes, _texts = _factorize(_column(self.frame, question.name))
            answered = int((codes >= 0).sum())
            base["answered"] = answered
            base["missing"] = self.n - answered
        return base

    def _single_result(
        self, result: QuestionResult, question: Question, by: _Categorical | None
    ) -> None:
        coded = self.coded(question)
        k = len(coded.categories)
        answered_rows = coded.answered
        answered = int(answered_rows.sum())
        counts = np.bincount(coded.codes[answered_rows], minlength=k)
        result["answered"] = answered
        result["missing"] = self.n - answered
        result["counts"], result["percent"], result["ci95"] = _distribution(
            coded.categories, counts, answered, self.intervals
        )
        result["choice_labels"] = self.choice_labels(question, coded.categories)
        unlisted = int((coded.codes == -2).sum())
        if unlisted:
            result["unlisted"] = unlisted
        if question.is_likert and answered:
            positions = pd.Series(coded.codes[answered_rows] + 1, dtype=np.float64)
            result["likert"] = LikertSummary(
                scale=list(coded.categories),
                n=answered,
                mean=_number(positions.mean()),
                median=_number(positions.median()),
            )
        if by is not None:
            groups = len(by.categories)
            both = answered_rows & by.answered
            joint = np.bincount(
                coded.codes[both] * groups + by.codes[both], minlength=k * groups
            ).reshape(k, groups)
            result["by"] = self._by_groups(coded.categories, joint, joint.sum(axis=0), by)
            result["test"] = association_test(joint) if k else None

    def _multi_result(
        self, result: QuestionResult, question: Question, by: _Categorical | None
    ) -> None:
        multi = self.multiselect(question)
        valid_rows = multi.codes >= 0
        value_counts = np.bincount(multi.codes[valid_rows], minlength=len(multi.answered_values))
        answered = int(value_counts @ multi.answered_values)
        counts = multi.ticks.T @ value_counts
        result["answered"] = answered
        result["missing"] = self.n - answered
        result["counts"], result["percent"], result["ci95"] = _distribution(
            multi.categories, counts, answered, self.intervals
        )
        result["choice_labels"] = self.choice_labels(question, multi.categories)
        unlisted = int(value_counts @ multi.unlisted_values)
        if unlisted:
            result["unlisted"] = unlisted
        if by is not None:
            groups = len(by.categories)
            both = valid_rows & by.answered
            distinct = len(multi.answered_values)
            joint = np.bincount(
                multi.codes[both] * groups + by.codes[both], minlength=distinct * groups
            ).reshape(distinct, groups)
            group_answered = multi.answered_values.astype(np.int64) @ joint
            group_counts = multi.ticks.T @ joint
            result["by"] = self._by_groups(multi.categories, group_counts, group_answered, by)
            result["option_tests"] = {
                name: association_test(
                    np.vstack([group_counts[position], group_answered - group_counts[position]])
                )
                for position, name in enumerate(multi.categories)
            }

    def numeric_summaries(
        self, by: _Categorical | None
    ) -> tuple[dict[str, NumericSummary], dict[str, dict[int, NumericSummary]]]:
        """Summaries of every numeric question at once (one pandas pass, not one per question),
        overall and per ``by`` group."""
        names = [
            q.name
            for q in self.form.questions
            if q.is_numeric and _in_repeat_scope(self.form, q, self.scope)
        ]
        if not names:
            return {}, {}
        values = {
            name: _numeric_values(_column(self.frame, name)).to_numpy(dtype=np.float64)
            for name in names
        }
        overall = {name: _numeric_summary(column) for name, column in values.items()}
        grouped: dict[str, dict[int, NumericSummary]] = {}
        if by is not None:
            grouped = _grouped_summaries(values, by.codes, len(by.categories))
        return overall, grouped

    def _numeric_result(
        self, result: QuestionResult, question: Question, by: _Categorical | None
    ) -> None:
        if self._numeric is None:
            self._numeric = self.numeric_summaries(by)
        overall, grouped = self._numeric
        summary = overall[question.name]
        result["answered"] = summary["n"]
        result["missing"] = self.n - summary["n"]
        result["numeric"] = summary
        if by is not None:
            per_group = grouped.get(question.name, {})
            result["by"] = {
                name: GroupStats(
                    answered=(per_group.get(position) or _EMPTY_SUMMARY)["n"],
                    counts={},
                    percent={},
                    ci95={},
                    numeric=per_group.get(position) or _EMPTY_SUMMARY,
                )
                for position, name in enumerate(by.categories)
            }

    def _by_groups(
        self,
        categories: Sequence[str],
        counts: npt.NDArray[np.int64],
        answered: npt.NDArray[np.int64],
        by: _Categorical,
    ) -> dict[str, GroupStats]:
        groups: dict[str, GroupStats] = {}
        for position, group in enumerate(by.categories):
            group_answered = int(answered[position])
            count_map, percent, ci95 = _distribution(
                categories, counts[:, position], group_answered, self.intervals
            )
            groups[group] = GroupStats(
                answered=group_answered, counts=count_map, percent=percent, ci95=ci95
            )
        return groups

    # --- knowledge scores --------------------------------------------------------------------

    def knowledge_matrix(self) -> tuple[list[str], FloatArray, dict[str, FloatArray]]:
        """Knowledge question names; per respondent × question 1/0/NaN (correct or not, NaN
        when unanswered); and per select_multiple the partial credit 0–1 per respondent.

        Each question's column is one lookup: a table of the score of each distinct answer,
        indexed by the answer codes (shifted so that missing and unlisted codes read NaN)."""
        questions = [q for q in self.form.questions if q.is_knowledge and analysable(q)]
        matrix = np.empty((self.n, len(questions)), order="F")
        partial: dict[str, FloatArray] = {}
        for column, question in enumerate(questions):
            correct = np.array([bool(choice.correct) for choice in question.choices], dtype=bool)
            if question.type == SELECT_ONE:
                coded = self.coded(question)
                # codes: -2 unlisted, -1 missing, 0… the choices
                table = np.concatenate([[np.nan, np.nan], correct.astype(np.float64)])
                matrix[:, column] = table[coded.codes + 2]
            else:
                multi = self.multiselect(question)
                classified = multi.ticks.astype(bool) == correct
                exact = np.append(classified.all(axis=1).astype(np.float64), np.nan)
                credit = np.append(classified.mean(axis=1), np.nan)
                exact[:-1][~multi.answered_values] = np.nan
                credit[:-1][~multi.answered_values] = np.nan
                # code -1 (missing) reads the appended NaN
                matrix[:, column] = exact[multi.codes]
                partial[question.name] = credit[multi.codes]
        return [question.name for question in questions], matrix, partial

    def theme_scores(
        self, names: Sequence[str], answered: BoolArray, correct: FloatArray
    ) -> dict[str, FloatArray]:
        """Per respondent: the percentage correct in each theme and overall (NaN: nothing),
        from the respondents × questions matrices of answered and correct (1/0) answers."""
        themes = [self.form.question(name).theme for name in names]
        order = [theme or "" for theme in _knowledge_themes(self.form)]
        # One matrix product per figure instead of a column copy per theme: membership is a
        # questions × themes 0/1 matrix, so answered @ membership counts per theme at once.
        membership = np.zeros((len(names), len(order) + 1))
        for column, theme in enumerate(order):
            for index, value in enumerate(themes):
                if (value or "") == theme:
                    membership[index, column] = 1.0
        membership[:, len(order)] = 1.0  # the overall score counts every question
        counts = answered.astype(np.float64) @ membership
        sums = correct @ membership
        by_theme: dict[str, FloatArray] = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for column, theme in enumerate([*order, "__overall__"]):
                by_theme[theme] = np.where(
                    counts[:, column] > 0, sums[:, column] / counts[:, column] * 100, np.nan
                )
        return by_theme

    def scores(self, cluster: _Categorical | None, cluster_name: str | None) -> ScoreSummary:
        names, matrix, partial = self.knowledge_matrix()
        present = ~np.isnan(matrix)
        right = np.where(present, matrix, 0.0)
        answered = present.sum(axis=0)
        correct = right.sum(axis=0).astype(np.int64)
        low, high = _wilson(correct, answered)
        questions: dict[str, KnowledgeScore] = {}
        for index, name in enumerate(names):
            question = self.form.question(name)
            n = int(answered[index])
            partial_mean = None
            if name in partial and n:
                partial_mean = _number(pd.Series(partial[name]).mean() * 100)
            questions[name] = KnowledgeScore(
                theme=question.theme,
                answered=n,
                correct=int(correct[index]),
                percent_correct=int(correct[index]) / n * 100 if n else None,
                ci95=[float(low[index]), float(high[index])] if n else None,
                partial_mean=partial_mean,
                correct_choices=sorted(question.correct_names),
            )
        per_respondent = self.theme_scores(names, present, right)
        themes = {
            theme: self._theme_score(theme, values, names)
            for theme, values in per_respondent.items()
            if theme != "__overall__"
        }
        overall = self._theme_score("__overall__", per_respondent["__overall__"], names)
        by_cluster: dict[str, dict[str, ThemeScore]] = {}
        if cluster is not None:
            for position, group in enumerate(cluster.categories):
                members = cluster.codes == position
                by_cluster[group] = {
                    theme: self._theme_score(theme, values[members], names)
                    for theme, values in per_respondent.items()
                }
        return ScoreSummary(
            questions=questions,
            themes=themes,
            overall=overall,
            cluster=cluster_name,
            by_cluster=by_cluster,
        )

    def _theme_score(self, theme: str, scores: FloatArray, names: Sequence[str]) -> ThemeScore:
        present = pd.Series(scores[~np.isnan(scores)])
        if theme == "__overall__":
            label = _("All themes")
            questions = list(names)
        else:
            group = self.form.group_at(f"/{self.form.root_name}/{theme}")
            label = self.form.label(group.labels, self.language) if group else theme
            questions = [
                name for name in names if self.form.question(name).theme == (theme or None)
            ]
        ci95: list[float] | None = None
        if len(present) > 1 and present.std() > 0:
            ci95 = list(_t_interval(scores[~np.isnan(scores)]))
        return ThemeScore(
            label=label or theme or _("Questions outside any theme"),
            questions=questions,
            respondents=len(present),
            mean=_number(present.mean()) if len(present) else None,
            median=_number(present.median()) if len(present) else None,
            sd=_number(present.std()) if len(present) > 1 else None,
            ci95=ci95,
        )


def _knowledge_themes(form: Form) -> list[str | None]:
    themes: list[str | None] = []
    for question in form.questions:
        if question.is_knowledge and analysable(question) and question.theme not in themes:
            themes.append(question.theme)
    return themes


def _by_categorical(analysis: _Analysis, question: Question) -> _Categorical:
    return analysis.coded(question)


def analyze(
    form: Form,
    answers: pd.DataFrame,
    *,
    by: str | None = None,
    where: str | None = None,
    language: str | None = None,
    cluster: str | None = None,
    repeats: Sequence[RepeatAnswers] = (),
) -> AnalysisResult:
    """Analyse the respondents in ``answers`` (one row each, columns by question name).

    ``repeats`` holds the instances of the form's repeats: their questions are counted over
    the instances, with the number of instances and of respondents with at least one.

    ``by`` cross-tabulates every question by a select_one or calculate question; ``where``
    keeps the respondents for whom an expression such as ``knows_ods = 'yes'`` holds;
    ``language`` picks the labels (a code such as ``vi``, default: the form's default);
    knowledge scores are broken down by ``cluster`` (default: ``by``, else a question named
    ``cluster`` if the form has one).
    """
    by_question = _by_question(form, by) if by else None
    frame = prepare(form, answers)
    kept: BoolArray | None = None
    if where:
        kept = _where_mask(form, frame, where)
        frame = frame[kept].reset_index(drop=True)
    analysis = _Analysis(form, frame, language)
    by_coded = _by_categorical(analysis, by_question) if by_question else None
    questions = {
        question.name: analysis.result(question, by_coded)
        for question in form.questions
        if analysable(question)
    }
    repeat_summaries: dict[str, RepeatSummary] = {}
    if form.repeats():
        repeat_results, repeat_summaries = _repeat_results(form, repeats, kept, by_coded, language)
        questions.update(repeat_results)
        questions = {q.name: questions[q.name] for q in form.questions if q.name in questions}
    cluster_name = cluster or by or ("cluster" if form.has_question("cluster") else None)
    cluster_coded: _Categorical | None = None
    if cluster_name:
        cluster_coded = _by_categorical(analysis, _by_question(form, cluster_name))
    language_name = form.language_code(language) or form.default_language
    themes = {
        group.name: form.label(group.labels, language) or group.name for group in form.themes()
    }
    by_groups: dict[str, str] = {}
    if by_question is not None and by_coded is not None:
        by_groups = {
            name: form.choice_label(by_question, name, language) for name in by_coded.categories
        }
    result = AnalysisResult(
        form_id=form.form_id,
        title=form.title,
        respondents=len(frame),
        questions=questions,
        language=language_name,
        by=by,
        by_label=form.question_label(by_question, language) if by_question else None,
        by_groups=by_groups,
        where=where,
        themes=themes,
        scores=analysis.scores(cluster_coded, cluster_name),
        repeats=repeat_summaries,
    )
    analysis.intervals.resolve()
    return result


def _repeat_results(
    form: Form,
    repeats: Sequence[RepeatAnswers],
    kept: BoolArray | None,
    by: _Categorical | None,
    language: str | None,
) -> tuple[dict[str, QuestionResult], dict[str, RepeatSummary]]:
    """The questions of every repeat, counted over its instances (those of the respondents
    ``kept`` by the filter); an instance's ``by`` group is its respondent's."""
    given = {repeat.name: repeat for repeat in repeats}
    respondent_of: dict[str, IntArray] = {}
    results: dict[str, QuestionResult] = {}
    summaries: dict[str, RepeatSummary] = {}
    for group in form.repeats():
        outer = form.repeat_of(group)
        repeat = given.get(group.name)
        frame = pd.DataFrame()
        respondents = np.zeros(0, dtype=np.int64)
        if repeat is not None and (outer is None or outer.name in respondent_of):
            parents = np.asarray(repeat.parent_rows, dtype=np.int64)
            respondents = parents if outer is None else respondent_of[outer.name][parents]
            frame = repeat.answers.reset_index(drop=True)
        respondent_of[group.name] = respondents
        if kept is not None:
            inside = kept[respondents]
            respondents = (np.cumsum(kept) - 1)[respondents[inside]]
            frame = frame.iloc[np.flatnonzero(inside)].reset_index(drop=True)
        analysis = _Analysis(form, frame, language, scope=group)
        instance_by = None
        if by is not None:
            instance_by = _Categorical(codes=by.codes[respondents], categories=by.categories)
        with_instances = len(np.unique(respondents))
        for question in form.questions:
            if not _in_repeat_scope(form, question, group):
                continue
            result = analysis.result(question, instance_by)
            result["repeat"] = group.name
            result["instances"] = len(frame)
            result["respondents_with_instances"] = with_instances
            results[question.name] = result
        analysis.intervals.resolve()
        summaries[group.name] = RepeatSummary(
            label=form.label(group.labels, language) or group.name,
            parent=outer.name if outer is not None else None,
            instances=len(frame),
            respondents_with_instances=with_instances,
        )
    return results, summaries


def respondent_scores(form: Form, answers: pd.DataFrame) -> pd.DataFrame:
    """Each respondent's knowledge score (percentage correct) per theme and ``__overall__``."""
    analysis = _Analysis(form, prepare(form, answers), None)
    names, matrix, _partial = analysis.knowledge_matrix()
    present = ~np.isnan(matrix)
    return pd.DataFrame(analysis.theme_scores(names, present, np.where(present, matrix, 0.0)))


# --- baseline and follow-up --------------------------------------------------------------------


def _change(
    baseline_count: int, baseline_n: int, followup_count: int, followup_n: int
) -> ChoiceChange:
    baseline = baseline_count / baseline_n * 100 if baseline_n else None
    followup = followup_count / followup_n * 100 if followup_n else None
    change = followup - baseline if baseline is not None and followup is not None else None
    interval: list[float] | None = None
    p_value: float | None = None
    if baseline_n and followup_n:
        from scipy import stats
        from statsmodels.stats.proportion import confint_proportions_2indep

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = confint_proportions_2indep(
                followup_count,
                followup_n,
                baseline_count,
                baseline_n,
                method="newcomb",
                compare="diff",
                alpha=SIGNIFICANCE,
            )
        interval = [float(low) * 100, float(high) * 100]
        table = [
            [followup_count, followup_n - followup_count],
            [baseline_count, baseline_n - baseline_count],
        ]
        p_value = _number(stats.fisher_exact(table).pvalue)
    return ChoiceChange(
        baseline=baseline,
        followup=followup,
        change_pp=change,
        ci95_pp=interval,
        p_value=p_value,
        significant=p_value is not None and p_value < SIGNIFICANCE,
        baseline_count=baseline_count,
        followup_count=followup_count,
    )


def compare(
    form: Form,
    baseline: pd.DataFrame,
    followup: pd.DataFrame,
    *,
    language: str | None = None,
) -> ComparisonResult:
    """Compare two rounds (or two countries) question by question and theme by theme."""
    from scipy import stats

    before = analyze(form, baseline, language=language)
    after = analyze(form, followup, language=language)
    questions: dict[str, QuestionChange] = {}
    for name, result in before["questions"].items():
        question = form.question(name)
        if not (question.is_select or question.type == CALCULATE) or "repeat" in result:
            continue
        later = after["questions"][name]
        categories = list(result["counts"])
        categories += [choice for choice in later["counts"] if choice not in result["counts"]]
        if question.type == CALCULATE:
            categories = _natural_order(categories)
        labels = {**result["choice_labels"], **later["choice_labels"]}
        questions[name] = QuestionChange(
            type=question.type,
            label=result["label"],
            baseline_answered=result["answered"],
            followup_answered=later["answered"],
            choice_labels={choice: labels.get(choice, choice) for choice in categories},
            choices={
                choice: _change(
                    result["counts"].get(choice, 0),
                    result["answered"],
                    later["counts"].get(choice, 0),
                    later["answered"],
                )
                for choice in categories
            },
        )
    before_scores = respondent_scores(form, baseline)
    after_scores = respondent_scores(form, followup)
    theme_labels = {theme: score["label"] for theme, score in before["scores"]["themes"].items()}
    scores: dict[str, ThemeChange] = {}
    for theme in before_scores.columns:
        first = before_scores[theme].dropna()
        second = after_scores[theme].dropna() if theme in after_scores else pd.Series(dtype=float)
        p_value: float | None = None
        if len(first) and len(second) and not (first.nunique() == 1 and second.equals(first)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                p_value = _number(stats.mannwhitneyu(second, first, alternative="two-sided").pvalue)
        first_mean = _number(first.mean()) if len(first) else None
        second_mean = _number(second.mean()) if len(second) else None
        key = "overall" if theme == "__overall__" else theme
        if theme == "__overall__":
            label = before["scores"]["overall"]["label"]
        else:
            label = theme_labels.get(theme, theme)
        scores[key] = ThemeChange(
            label=label,
            baseline=first_mean,
            followup=second_mean,
            change_pp=(
                second_mean - first_mean
                if first_mean is not None and second_mean is not None
                else None
            ),
            baseline_n=len(first),
            followup_n=len(second),
            p_value=p_value,
            significant=p_value is not None and p_value < SIGNIFICANCE,
        )
    return ComparisonResult(
        form_id=form.form_id,
        title=form.title,
        language=before["language"],
        baseline_respondents=before["respondents"],
        followup_respondents=after["respondents"],
        questions=questions,
        scores=scores,
    )


def as_percent_text(value: float | None, decimals: int = 1) -> str:
    """A percentage as the report prints it: half-up rounding (31.25 → 31.3), ``–`` when none."""
    if value is None:
        return "–"
    from decimal import ROUND_HALF_UP, Decimal

    quantum = Decimal(1).scaleb(-decimals)
    return f"{Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)}%"


def payload_labels(result: AnalysisResult) -> Mapping[str, str]:
    """Question labels by name (for tables and charts)."""
    return {name: question["label"] for name, question in result["questions"].items()}
