"""The training plan from an assessment's training grid (PATROL TNA question 5.9, Table 2).

Input is plain per-respondent answers — one mapping per officer with ``blo``, ``agency``,
``cluster`` and one key per grid topic (:class:`GridTopic` values) holding the answer
(:class:`GridAnswer` values, or the report's English labels) — so that the same function serves
a survey round stored in the app, an export read by the survey module, and a fixture round.

Rules, as the report computes Table 2: a topic's percentages are over the respondents who
answered that row (missing answers leave the denominator: the report's rows have n = 33, 31 and
32); a topic's *need* is the share answering "Require training" plus the share answering
"Received training but require more advanced training". Topics are ranked by need (or by
"Require training" alone), ties broken by the other share, then by the grid's order.
"""

from __future__ import annotations

import csv
import functools
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from django.utils import translation

from liaison.training.models import GridAnswer, GridTopic, PlanRanking

GROUP_KEYS = ("blo", "agency", "cluster")

# Spellings of the answers met in forms and exports, folded to lower case; the report's own
# labels (in English and Vietnamese) are added by ``_aliases``.
ANSWER_ALIASES: dict[str, GridAnswer] = {
    **{answer.value: answer for answer in GridAnswer},
    "not_needed_position": GridAnswer.NOT_NEEDED,
    "not_needed_for_my_position": GridAnswer.NOT_NEEDED,
    "not_needed_trained": GridAnswer.ALREADY_TRAINED,
    "already_received": GridAnswer.ALREADY_TRAINED,
    "more_advanced": GridAnswer.ADVANCED,
    "advanced_training": GridAnswer.ADVANCED,
    "require_advanced": GridAnswer.ADVANCED,
    "require": GridAnswer.REQUIRED,
    "require_training": GridAnswer.REQUIRED,
    "need_training": GridAnswer.REQUIRED,
}


@functools.cache
def _aliases() -> dict[str, GridAnswer]:
    aliases = dict(ANSWER_ALIASES)
    for language in ("en", "vi"):
        with translation.override(language):
            aliases.update({str(answer.label).casefold(): answer for answer in GridAnswer})
    return aliases


class TopicShare(TypedDict):
    topic: str
    answered: int
    counts: dict[str, int]
    percent: dict[str, float]
    need: float
    required: float
    advanced: float
    rank: int


class GroupPlan(TypedDict):
    respondents: int
    topics: list[TopicShare]


class PlanAnalysis(TypedDict):
    respondents: int
    ranking: str
    overall: list[TopicShare]
    by_blo: dict[str, GroupPlan]
    by_agency: dict[str, GroupPlan]
    by_cluster: dict[str, GroupPlan]


@dataclass(frozen=True)
class InputProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


class PlanInputError(ValueError):
    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def parse_answer(value: Any) -> GridAnswer | None:
    """A grid answer from any of its spellings; ``None`` for an unanswered row."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from a data frame
        return None
    text = str(value).strip()
    if not text:
        return None
    answer = _aliases().get(text.casefold())
    if answer is None:
        raise ValueError(text)
    return answer


def normalise_respondents(
    rows: Iterable[Mapping[str, Any]], *, first_row: int = 1
) -> list[dict[str, Any]]:
    """Check and normalise respondent rows; raise ``PlanInputError`` naming every bad value."""
    problems: list[InputProblem] = []
    clean: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=first_row):
        item: dict[str, Any] = {key: str(row.get(key) or "").strip() for key in GROUP_KEYS}
        for topic in GridTopic:
            try:
                item[topic.value] = parse_answer(row.get(topic.value))
            except ValueError as exc:
                problems.append(InputProblem(number, topic.value, f"{exc} is not a grid answer"))
        clean.append(item)
    if problems:
        raise PlanInputError(problems)
    return clean


def _share(count: int, total: int) -> float:
    return count * 100 / total if total else 0.0


def topic_shares(
    respondents: Sequence[Mapping[str, Any]], ranking: PlanRanking = PlanRanking.NEED
) -> list[TopicShare]:
    """The grid's topics with their answer distribution and need, ranked."""
    shares: list[TopicShare] = []
    for topic in GridTopic:
        counts = Counter(
            GridAnswer(r[topic.value]) for r in respondents if r.get(topic.value) is not None
        )
        answered = sum(counts.values())
        percent = {a.value: _share(counts[a], answered) for a in GridAnswer}
        shares.append(
            {
                "topic": topic.value,
                "answered": answered,
                "counts": {a.value: counts[a] for a in GridAnswer},
                "percent": percent,
                "need": percent[GridAnswer.REQUIRED] + percent[GridAnswer.ADVANCED],
                "required": percent[GridAnswer.REQUIRED],
                "advanced": percent[GridAnswer.ADVANCED],
                "rank": 0,
            }
        )
    order = {topic.value: index for index, topic in enumerate(GridTopic)}

    def key(share: TopicShare) -> tuple[bool, float, float, int]:
        # Shares are compared at the report's printed precision, so 93.94 and 93.939… tie.
        need, required = round(share["need"], 6), round(share["required"], 6)
        primary, secondary = (
            (required, need) if ranking == PlanRanking.REQUIRED else (need, required)
        )
        return (share["answered"] == 0, -primary, -secondary, order[share["topic"]])

    ranked = sorted(shares, key=key)
    for position, share in enumerate(ranked, start=1):
        share["rank"] = position
    return ranked


def _grouped(
    respondents: Sequence[Mapping[str, Any]], key: str, ranking: PlanRanking
) -> dict[str, GroupPlan]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for respondent in respondents:
        value = str(respondent.get(key) or "")
        if value:
            groups.setdefault(value, []).append(respondent)
    return {
        name: {"respondents": len(members), "topics": topic_shares(members, ranking)}
        for name, members in sorted(groups.items())
    }


def analyse_training_needs(
    rows: Iterable[Mapping[str, Any]], ranking: PlanRanking = PlanRanking.NEED
) -> PlanAnalysis:
    """Rank the grid's topics overall, per BLO, per agency and per cluster."""
    respondents = normalise_respondents(rows)
    return {
        "respondents": len(respondents),
        "ranking": ranking.value,
        "overall": topic_shares(respondents, ranking),
        "by_blo": _grouped(respondents, "blo", ranking),
        "by_agency": _grouped(respondents, "agency", ranking),
        "by_cluster": _grouped(respondents, "cluster", ranking),
    }


# Question names of the grid in the PATROL TNA questionnaire shipped by the survey module
# (``liaison/surveys/forms/patrol_tna.xlsx``, group ``training_grid``, list ``training_need``).
PATROL_TNA_COLUMNS: dict[str, str] = {
    "blo": "blo",
    "agency": "agency",
    "cluster": "cluster",
    GridTopic.INVESTIGATION.value: "tr_investigation",
    GridTopic.CHECKPOINT.value: "tr_checkpoint",
    GridTopic.INTELLIGENCE.value: "tr_intelligence",
    GridTopic.PATROLLING.value: "tr_patrolling",
    GridTopic.AWARENESS.value: "tr_awareness",
    GridTopic.COMPUTER.value: "tr_computer",
}


def respondents_from_rows(
    rows: Iterable[Mapping[Any, Any]], columns: Mapping[str, str] = PATROL_TNA_COLUMNS
) -> list[dict[str, Any]]:
    """Rename the columns of survey rows (e.g. ``frame.to_dict("records")`` of the survey
    module's answers frame) to the planner's keys: ``columns`` maps a planner key (``blo``,
    ``agency``, ``cluster`` or a :class:`GridTopic` value) to the survey question's name."""
    return [{key: row.get(name) for key, name in columns.items()} for row in rows]


def read_respondents_csv(text: str) -> list[dict[str, Any]]:
    """Respondents from a CSV with the planner's own column names (see ``CSV_COLUMNS``)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = set(reader.fieldnames or [])
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise PlanInputError([InputProblem(1, c, "column missing") for c in missing])
    rows = list(reader)
    if not rows:
        raise PlanInputError([InputProblem(2, "", "the file has no respondents")])
    return normalise_respondents(rows, first_row=2)  # row 1 is the header


CSV_COLUMNS: tuple[str, ...] = (*GROUP_KEYS, *(topic.value for topic in GridTopic))
