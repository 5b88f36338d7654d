"""The engine's results as rows a template can show (templates cannot index dicts by variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from liaison.surveys.analysis import (
    AnalysisResult,
    AssociationTest,
    ComparisonResult,
    QuestionResult,
    ThemeScore,
)
from liaison.surveys.figures import (
    decimal_text,
    p_number,
    p_text,
    percent_interval,
    percent_text,
    signed_interval,
    signed_text,
)


@dataclass(frozen=True)
class ChoiceRow:
    name: str
    label: str
    count: int
    percent: str
    percent_value: float
    ci: str
    by: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TestLine:
    test: str
    statistic: str
    p_value: str
    """As a sentence writes it: ``p < 0.001``, ``p = 0.03``."""
    cramers_v: str
    significant: bool


def _test(test: AssociationTest | None) -> TestLine | None:
    if test is None:
        return None
    return TestLine(
        test="Fisher" if test["test"] == "fisher" else "χ²",
        statistic=decimal_text(test["statistic"], 2),
        p_value=p_text(test["p_value"]),
        cramers_v=decimal_text(test["cramers_v"], 2),
        significant=test["significant"],
    )


@dataclass(frozen=True)
class QuestionTable:
    name: str
    label: str
    type: str
    theme: str
    theme_name: str
    answered: int
    missing: int
    rows: list[ChoiceRow]
    numeric: list[tuple[str, str]]
    by_answered: list[int]
    test: TestLine | None
    likert: str


def question_tables(result: AnalysisResult) -> list[QuestionTable]:
    """The questions asked once per respondent (a repeat's are in :func:`repeat_sections`)."""
    groups = list(result["by_groups"])
    tables = []
    for name, question in result["questions"].items():
        if "repeat" not in question:
            tables.append(_question_table(name, question, groups, result["themes"]))
    return tables


@dataclass(frozen=True)
class ResultSection:
    """A theme of the questionnaire (a top-level group) and its questions' tables: one part
    of the results page that opens on its own."""

    name: str
    label: str
    tables: list[QuestionTable]


def result_sections(result: AnalysisResult, other_label: str) -> list[ResultSection]:
    """The tables of :func:`question_tables` by theme, in the questionnaire's order; questions
    outside every group come last under ``other_label``."""
    by_theme: dict[str, list[QuestionTable]] = {}
    for table in question_tables(result):
        by_theme.setdefault(table.theme_name, []).append(table)
    labels = result["themes"]
    order = [name for name in labels if name in by_theme]
    order += [name for name in by_theme if name not in labels]
    return [
        ResultSection(
            name=name or "other",
            label=labels.get(name, "") or name or other_label,
            tables=by_theme[name],
        )
        for name in order
    ]


@dataclass(frozen=True)
class RepeatSection:
    name: str
    label: str
    instances: int
    respondents_with_instances: int
    tables: list[QuestionTable]


def repeat_sections(result: AnalysisResult) -> list[RepeatSection]:
    """One section per repeat of the form, its questions counted over its instances."""
    groups = list(result["by_groups"])
    sections = []
    for name, summary in result.get("repeats", {}).items():
        tables = [
            _question_table(question_name, question, groups, result["themes"])
            for question_name, question in result["questions"].items()
            if question.get("repeat") == name
        ]
        sections.append(
            RepeatSection(
                name=name,
                label=summary["label"],
                instances=summary["instances"],
                respondents_with_instances=summary["respondents_with_instances"],
                tables=tables,
            )
        )
    return sections


def _question_table(
    name: str, question: QuestionResult, groups: list[str], themes: dict[str, str]
) -> QuestionTable:
    by = question.get("by") or {}
    rows = []
    for choice, count in question["counts"].items():
        percent = question["percent"].get(choice)
        cells = []
        for group in groups:
            stats = by.get(group)
            if stats is None or not stats["answered"]:
                cells.append("–")
            else:
                cells.append(
                    f"{percent_text(stats['percent'].get(choice))} "
                    f"({stats['counts'].get(choice, 0)})"
                )
        rows.append(
            ChoiceRow(
                name=choice,
                label=question["choice_labels"].get(choice, choice),
                count=count,
                percent=percent_text(percent),
                percent_value=percent or 0.0,
                ci=percent_interval(question["ci95"].get(choice)),
                by=cells,
            )
        )
    numeric: list[tuple[str, str]] = []
    summary = question.get("numeric")
    if summary and summary["n"]:
        numeric = [
            ("mean", decimal_text(summary["mean"])),
            ("sd", decimal_text(summary["sd"])),
            ("min", decimal_text(summary["min"])),
            ("median", decimal_text(summary["median"])),
            ("max", decimal_text(summary["max"])),
        ]
    likert = question.get("likert")
    return QuestionTable(
        name=name,
        label=question["label"],
        type=question["type"],
        theme=themes.get(question["theme"] or "", ""),
        theme_name=question["theme"] or "",
        answered=question["answered"],
        missing=question["missing"],
        rows=rows,
        numeric=numeric,
        by_answered=[(by.get(group) or {"answered": 0})["answered"] for group in groups]
        if by
        else [],
        test=_test(question.get("test")),
        likert=(
            f"{decimal_text(likert['mean'], 2)} / {decimal_text(likert['median'], 1)}"
            if likert
            else ""
        ),
    )


@dataclass(frozen=True)
class ScoreRow:
    label: str
    respondents: int
    mean: str
    median: str
    ci: str
    clusters: list[str]


def _score_row(score: ThemeScore, clusters: list[str]) -> ScoreRow:
    interval = score["ci95"]
    return ScoreRow(
        label=score["label"],
        respondents=score["respondents"],
        mean=percent_text(score["mean"]),
        median=percent_text(score["median"]),
        ci=percent_interval(interval),
        clusters=clusters,
    )


@dataclass(frozen=True)
class ScoreTable:
    cluster_names: list[str]
    rows: list[ScoreRow]


def score_table(result: AnalysisResult, cluster_labels: dict[str, str]) -> ScoreTable:
    """Knowledge scores per theme and overall, with one column per cluster."""
    scores = result["scores"]
    clusters = list(scores["by_cluster"])

    def per_cluster(theme: str) -> list[str]:
        cells = []
        for cluster in clusters:
            score = scores["by_cluster"][cluster].get(theme)
            if score is None or not score["respondents"]:
                cells.append("–")
            else:
                cells.append(f"{percent_text(score['mean'])} (n = {score['respondents']})")
        return cells

    rows = [_score_row(score, per_cluster(theme)) for theme, score in scores["themes"].items()]
    rows.append(_score_row(scores["overall"], per_cluster("__overall__")))
    return ScoreTable(
        cluster_names=[cluster_labels.get(cluster, cluster) for cluster in clusters],
        rows=rows,
    )


@dataclass(frozen=True)
class ChangeRow:
    label: str
    baseline: str
    followup: str
    change: str
    ci: str
    p_value: str
    significant: bool


@dataclass(frozen=True)
class ChangeTable:
    name: str
    label: str
    baseline_n: int
    followup_n: int
    rows: list[ChangeRow]
    significant: bool


def comparison_tables(comparison: ComparisonResult) -> tuple[list[ChangeTable], list[ChangeRow]]:
    tables = []
    for name, question in comparison["questions"].items():
        rows = []
        for choice, change in question["choices"].items():
            interval = change["ci95_pp"]
            rows.append(
                ChangeRow(
                    label=question["choice_labels"].get(choice, choice),
                    baseline=percent_text(change["baseline"]),
                    followup=percent_text(change["followup"]),
                    change=signed_text(change["change_pp"]),
                    ci=signed_interval(interval),
                    p_value=p_number(change["p_value"]),
                    significant=change["significant"],
                )
            )
        tables.append(
            ChangeTable(
                name=name,
                label=question["label"],
                baseline_n=question["baseline_answered"],
                followup_n=question["followup_answered"],
                rows=rows,
                significant=any(row.significant for row in rows),
            )
        )
    scores = [
        ChangeRow(
            label=score["label"],
            baseline=percent_text(score["baseline"]),
            followup=percent_text(score["followup"]),
            change=signed_text(score["change_pp"]),
            ci="–",
            p_value=p_number(score["p_value"]),
            significant=score["significant"],
        )
        for score in comparison["scores"].values()
    ]
    return tables, scores
