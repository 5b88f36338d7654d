"""The assessment report, as the PATROL report is laid out: HTML and PDF, English or Vietnamese.

Sections: summary of main findings (largest shares, lowest knowledge scores, most-needed
trainings ranked), sample statistics, sample limitations (computed from a :class:`SamplePlan`),
findings by theme, findings by cluster, Annex I (every question with its full distribution) and
the cluster annex. Charts are drawn with matplotlib and embedded as PNG data URIs, so the HTML is
one standalone file; the PDF is WeasyPrint's rendering of that HTML with the DejaVu Sans font,
which carries every Vietnamese diacritic.
"""

from __future__ import annotations

import base64
import functools
import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liaison.surveys.analysis import (
    AnalysisResult,
    ComparisonResult,
    QuestionResult,
    as_percent_text,
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
from liaison.surveys.xlsform import CALCULATE, SELECT_MULTIPLE, SELECT_ONE, Form

if TYPE_CHECKING:
    from liaison.surveys.qualitative import QASection

FONT_FAMILY = "DejaVu Sans"
CHART_DPI = 96
_BAR_COLOUR = "#2f6b8a"
_PIE_COLOURS = ["#2f6b8a", "#e0a030", "#7aa35a", "#b8504b", "#8a6fb0", "#4fa3a5", "#c98bb0"]


# --- the sample plan -------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplePlan:
    """The prescriptive criteria the PATROL report recommends for a survey's sample.

    Every targeted site (a choice of ``site_question``, e.g. a BLO) should hold between
    ``min_share`` and ``max_share`` per cent of the respondents, each agency named in
    ``min_per_agency`` at least that many respondents, and the whole sample ``min_respondents``.
    """

    site_question: str = "blo"
    sites: tuple[str, ...] = ()
    min_share: float = 0.0
    max_share: float = 100.0
    agency_question: str = "agency"
    min_per_agency: Mapping[str, int] = field(default_factory=dict)
    min_respondents: int = 0


@dataclass(frozen=True, slots=True)
class SampleShortfall:
    """Where the sample falls short of the plan, in a sentence for the report."""

    kind: str
    subject: str
    message: str


PATROL_SAMPLE_PLAN = SamplePlan(
    site_question="blo",
    sites=("dien_bien", "moc_chau", "cau_treo", "lao_bao", "moc_bai", "song_tien", "long_binh"),
    min_share=8.0,
    max_share=25.0,
    agency_question="agency",
    min_per_agency={"provincial_police": 6, "border_army": 6, "customs": 6, "anti_narcotics": 6},
    min_respondents=42,
)


def sample_shortfalls(
    plan: SamplePlan, result: AnalysisResult, form: Form, language: str | None = None
) -> list[SampleShortfall]:
    """Where the analysed sample falls short of ``plan`` (an empty list: it meets the plan)."""
    shortfalls: list[SampleShortfall] = []
    total = result["respondents"]
    if total < plan.min_respondents:
        shortfalls.append(
            SampleShortfall(
                kind="size",
                subject="",
                message=_(
                    "The sample has %(count)s respondents, fewer than the %(expected)s planned."
                )
                % {"count": total, "expected": plan.min_respondents},
            )
        )
    sites = result["questions"].get(plan.site_question)
    if sites is not None and form.has_question(plan.site_question):
        question = form.question(plan.site_question)
        answered = sites["answered"]
        for site in plan.sites:
            label = form.choice_label(question, site, language)
            count = sites["counts"].get(site, 0)
            share = count / answered * 100 if answered else 0.0
            if count == 0:
                shortfalls.append(
                    SampleShortfall(
                        kind="site_missing",
                        subject=site,
                        message=_("%(site)s is not represented (no respondent).") % {"site": label},
                    )
                )
            elif share < plan.min_share:
                shortfalls.append(
                    SampleShortfall(
                        kind="site_under",
                        subject=site,
                        message=_(
                            "%(site)s has %(share)s of the respondents (%(count)s), under the "
                            "%(minimum)s minimum."
                        )
                        % {
                            "site": label,
                            "share": percent_text(share),
                            "count": count,
                            "minimum": percent_text(plan.min_share, 0),
                        },
                    )
                )
            elif share > plan.max_share:
                shortfalls.append(
                    SampleShortfall(
                        kind="site_over",
                        subject=site,
                        message=_(
                            "%(site)s has %(share)s of the respondents (%(count)s), over the "
                            "%(maximum)s maximum."
                        )
                        % {
                            "site": label,
                            "share": percent_text(share),
                            "count": count,
                            "maximum": percent_text(plan.max_share, 0),
                        },
                    )
                )
    agencies = result["questions"].get(plan.agency_question)
    if agencies is not None and form.has_question(plan.agency_question):
        question = form.question(plan.agency_question)
        for agency, minimum in plan.min_per_agency.items():
            count = agencies["counts"].get(agency, 0)
            if count < minimum:
                shortfalls.append(
                    SampleShortfall(
                        kind="agency_under",
                        subject=agency,
                        message=_(
                            "%(agency)s: %(count)s respondents, fewer than the %(minimum)s planned."
                        )
                        % {
                            "agency": form.choice_label(question, agency, language),
                            "count": count,
                            "minimum": minimum,
                        },
                    )
                )
    return shortfalls


# --- charts ----------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Any:
    # A bare Figure (no pyplot): no global state, so reports can be drawn from any thread.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    figure.set_dpi(CHART_DPI)
    return figure


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=CHART_DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _wrap(text: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _style() -> None:
    import matplotlib

    matplotlib.rcParams["font.family"] = chart_fonts()
    matplotlib.rcParams["font.size"] = 8


CHART_FONTS = (
    "DejaVu Sans",
    "Noto Sans Lao",
    "Noto Sans Khmer",
    "Noto Sans Thai",
    "Noto Sans CJK SC",
)
"""The charts' fonts, in the order Matplotlib tries them for each character: DejaVu for Latin
and Vietnamese, Noto for the scripts it lacks (the fonts the PDFs embed, README: deploying)."""


@functools.cache
def chart_fonts() -> list[str]:
    """The chart fonts this machine has (a missing one would only be a warning per chart)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in CHART_FONTS if name in installed] or [FONT_FAMILY]


def pie_chart(title: str, labels: Sequence[str], values: Sequence[float]) -> str:
    """A pie as a PNG data URI, each slice labelled with its name and percentage."""
    _style()
    figure = _figure(6.0, 3.4)
    axes = figure.add_axes((0.22, 0.04, 0.56, 0.82))
    shown = [(label, value) for label, value in zip(labels, values, strict=True) if value > 0]
    total = sum(value for _label, value in shown) or 1.0
    axes.pie(
        [value for _label, value in shown],
        labels=[
            f"{_wrap(label, 22)},\n{percent_text(value / total * 100)}" for label, value in shown
        ],
        colors=_PIE_COLOURS[: len(shown)],
        startangle=90,
        counterclock=False,
        wedgeprops={"linewidth": 1, "edgecolor": "white"},
    )
    axes.axis("equal")
    figure.suptitle(title, fontsize=9, fontweight="bold")
    return _png(figure)


def bar_chart(title: str, labels: Sequence[str], percents: Sequence[float | None]) -> str:
    """Horizontal bars of percentages as a PNG data URI."""
    _style()
    wrapped = [_wrap(label, 44) for label in labels]
    title_lines = _wrap(title, 95)
    lines_per_bar = max((label.count("\n") + 1 for label in wrapped), default=1)
    bar_height = 0.16 + 0.13 * lines_per_bar
    head = 0.22 + 0.14 * (title_lines.count("\n") + 1)
    width, height = 6.4, head + 0.35 + bar_height * max(1, len(labels))
    figure = _figure(width, height)
    longest = max((len(line) for label in wrapped for line in label.split("\n")), default=10)
    left = min(0.5, 0.04 + 0.0098 * longest)
    axes = figure.add_axes((left, 0.35 / height, 0.93 - left, 1 - (head + 0.35) / height))
    values = [value or 0.0 for value in percents]
    positions = list(range(len(labels)))
    axes.barh(positions, values, color=_BAR_COLOUR, height=0.6)
    axes.set_yticks(positions, wrapped)
    axes.set_ylim(len(labels) - 0.5, -0.5)
    axes.set_xlim(0, 112)
    axes.tick_params(axis="x", labelsize=7)
    for position, value in zip(positions, percents, strict=True):
        axes.text((value or 0.0) + 1, position, percent_text(value), va="center", fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    figure.text(0.01, 1 - 0.1 / height, title_lines, va="top", ha="left", fontsize=8)
    return _png(figure)


# --- building the report ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReportOptions:
    """What the report calls out. The defaults fit the PATROL questionnaire."""

    sample_plan: SamplePlan = PATROL_SAMPLE_PLAN
    profile_questions: tuple[str, ...] = ("agency", "blo", "years_band")
    training_need_choices: tuple[str, ...] = ("require_training",)
    training_topic_suffix: str = "training_needs"
    charts: bool = True
    largest_shares: int = 8
    lowest_scores: int = 5


def _sort_number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _closed(question: QuestionResult) -> bool:
    return question["type"] in (SELECT_ONE, SELECT_MULTIPLE, CALCULATE) and bool(question["counts"])


def _rows(question: QuestionResult) -> list[dict[str, Any]]:
    rows = []
    for choice, count in question["counts"].items():
        interval = question["ci95"].get(choice)
        rows.append(
            {
                "label": question["choice_labels"].get(choice, choice),
                "count": count,
                "percent": percent_text(question["percent"].get(choice)),
                "ci": percent_interval(interval),
            }
        )
    return rows


def _numeric_rows(question: QuestionResult) -> list[dict[str, str]]:
    summary = question.get("numeric")
    if not summary:
        return []
    labels = {
        "mean": _("Mean"),
        "sd": _("Standard deviation"),
        "min": _("Minimum"),
        "median": _("Median"),
        "max": _("Maximum"),
    }
    rows = []
    for key, label in labels.items():
        value = summary.get(key)
        number = float(value) if isinstance(value, int | float) else None
        rows.append({"label": label, "value": decimal_text(number)})
    return rows


def _without_repeats(result: AnalysisResult) -> AnalysisResult:
    if not result.get("repeats"):
        return result
    questions = {
        name: question for name, question in result["questions"].items() if "repeat" not in question
    }
    copied = result.copy()
    copied["questions"] = questions
    return copied


class _ReportBuilder:
    def __init__(
        self,
        form: Form,
        result: AnalysisResult,
        by_result: AnalysisResult | None,
        language: str | None,
        options: ReportOptions,
    ) -> None:
        self.form = form
        # The report's sections are about respondents; a repeat's questions (counted over its
        # instances) are on the results page and in the JSON, not in this report yet.
        self.result = _without_repeats(result)
        self.by_result = (
            _without_repeats(by_result) if by_result is not None and by_result["by"] else None
        )
        self.language = language
        self.options = options
        self.qa: QASection | None = None

    def chart(self, name: str, question: QuestionResult) -> str | None:
        if not self.options.charts or not _closed(question) or not question["answered"]:
            return None
        labels = [question["choice_labels"].get(choice, choice) for choice in question["counts"]]
        return bar_chart(
            f"{question['label']} (n = {question['answered']})",
            labels,
            list(question["percent"].values()),
        )

    def question_block(self, name: str, question: QuestionResult, chart: bool) -> dict[str, Any]:
        return {
            "name": name,
            "label": question["label"],
            "type": question["type"],
            "answered": question["answered"],
            "missing": question["missing"],
            "rows": _rows(question),
            "numeric": _numeric_rows(question),
            "closed": _closed(question),
            "chart": self.chart(name, question) if chart else None,
        }

    def summary(self) -> dict[str, Any]:
        questions = self.result["questions"]
        profile = set(self.options.profile_questions)
        shares = []
        for name, question in questions.items():
            if name in profile or not _closed(question) or not question["answered"]:
                continue
            if question["type"] == CALCULATE or any(
                choice in question["counts"] for choice in self.options.training_need_choices
            ):
                continue  # calculations and the training grid have sections of their own
            choice, percent = max(
                ((choice, value or 0.0) for choice, value in question["percent"].items()),
                key=lambda item: item[1],
            )
            shares.append(
                {
                    "question": question["label"],
                    "answer": question["choice_labels"].get(choice, choice),
                    "percent": percent,
                    "percent_text": percent_text(percent),
                    "n": question["answered"],
                }
            )
        shares.sort(key=lambda item: -_sort_number(item["percent"]))
        scores = self.result["scores"]
        lowest = sorted(
            (
                {
                    "question": questions[name]["label"],
                    "percent": score["percent_correct"],
                    "percent_text": percent_text(score["percent_correct"]),
                    "n": score["answered"],
                }
                for name, score in scores["questions"].items()
                if score["percent_correct"] is not None
            ),
            key=lambda item: _sort_number(item["percent"]),
        )
        themes = sorted(
            (
                {
                    "theme": theme["label"],
                    "mean": theme["mean"],
                    "mean_text": percent_text(theme["mean"]),
                    "n": theme["respondents"],
                }
                for theme in scores["themes"].values()
                if theme["mean"] is not None
            ),
            key=lambda item: _sort_number(item["mean"]),
        )
        return {
            "largest_shares": shares[: self.options.largest_shares],
            "lowest_scores": lowest[: self.options.lowest_scores],
            "theme_scores": themes,
            "overall_score": percent_text(scores["overall"]["mean"]),
            "trainings": self.trainings(),
            "topics": self.training_topics(),
        }

    def trainings(self) -> list[dict[str, Any]]:
        ranked = []
        for question in self.result["questions"].values():
            for choice in self.options.training_need_choices:
                if choice in question["counts"] and question["answered"]:
                    percent = question["percent"][choice] or 0.0
                    ranked.append(
                        {
                            "training": question["label"],
                            "percent": percent,
                            "percent_text": percent_text(percent),
                            "n": question["answered"],
                        }
                    )
        ranked.sort(key=lambda item: -_sort_number(item["percent"]))
        for rank, item in enumerate(ranked, start=1):
            item["rank"] = rank
        return ranked

    def training_topics(self) -> list[dict[str, Any]]:
        topics = []
        for name, question in self.result["questions"].items():
            if not name.endswith(self.options.training_topic_suffix) or not question["answered"]:
                continue
            best = sorted(question["percent"].items(), key=lambda item: -(item[1] or 0.0))[:3]
            topics.append(
                {
                    "question": question["label"],
                    "theme": self.result["themes"].get(question["theme"] or "", ""),
                    "top": [
                        {
                            "label": question["choice_labels"].get(choice, choice),
                            "percent_text": percent_text(percent),
                        }
                        for choice, percent in best
                    ],
                }
            )
        return topics

    def sample(self) -> dict[str, Any]:
        questions = self.result["questions"]
        blocks = []
        for position, name in enumerate(self.options.profile_questions):
            question = questions.get(name)
            if question is None or not _closed(question):
                continue
            labels = [question["choice_labels"].get(c, c) for c in question["counts"]]
            chart = None
            if self.options.charts and question["answered"]:
                if position == 0:
                    chart = pie_chart(
                        _("Participants by %(subject)s") % {"subject": question["label"].lower()}
                        if name != "agency"
                        else _("Participants by agency"),
                        labels,
                        [float(count) for count in question["counts"].values()],
                    )
                else:
                    chart = self.chart(name, question)
            blocks.append(
                {
                    "name": name,
                    "label": question["label"],
                    "answered": question["answered"],
                    "rows": _rows(question),
                    "chart": chart,
                }
            )
        shortfalls = sample_shortfalls(
            self.options.sample_plan, self.result, self.form, self.language
        )
        return {"blocks": blocks, "shortfalls": shortfalls}

    def themes(self) -> list[dict[str, Any]]:
        scores = self.result["scores"]["themes"]
        themes = []
        for group in self.form.themes():
            if group.name in self.options.profile_questions or group.name == "profile":
                continue
            names = [
                name
                for name, question in self.result["questions"].items()
                if question["theme"] == group.name
            ]
            if not names:
                continue
            score = scores.get(group.name)
            themes.append(
                {
                    "name": group.name,
                    "label": self.result["themes"].get(group.name, group.name),
                    "score": percent_text(score["mean"]) if score else None,
                    "score_n": score["respondents"] if score else 0,
                    "questions": [
                        self.question_block(name, self.result["questions"][name], chart=True)
                        for name in names
                        if _closed(self.result["questions"][name])
                        or self.result["questions"][name].get("numeric")
                    ],
                }
            )
        return themes

    def clusters(self) -> dict[str, Any] | None:
        if self.by_result is None:
            return None
        by_result = self.by_result
        groups = by_result["by_groups"]
        scores = by_result["scores"]
        theme_rows = []
        if scores["cluster"] == by_result["by"]:
            for theme, theme_score in scores["themes"].items():
                values = []
                for group in groups:
                    group_score = scores["by_cluster"].get(group, {}).get(theme)
                    values.append(percent_text(group_score["mean"] if group_score else None))
                theme_rows.append({"label": theme_score["label"], "values": values})
        significant = []
        annex = []
        for name, question in by_result["questions"].items():
            if name == by_result["by"] or not _closed(question) or "by" not in question:
                continue
            test = question.get("test")
            if test and test["significant"]:
                significant.append(
                    {
                        "question": question["label"],
                        "test": test["test"],
                        "p_value": p_number(test["p_value"]),
                        "cramers_v": (decimal_text(test["cramers_v"], 2)),
                    }
                )
            by = question["by"]
            annex.append(
                {
                    "name": name,
                    "label": question["label"],
                    "answered": [by[group]["answered"] for group in groups],
                    "rows": [
                        {
                            "label": question["choice_labels"].get(choice, choice),
                            "values": [
                                percent_text(by[group]["percent"].get(choice)) for group in groups
                            ],
                        }
                        for choice in question["counts"]
                    ],
                    "test": (
                        {
                            "name": test["test"],
                            "p_value": p_number(test["p_value"]),
                            "p_text": p_text(test["p_value"]),
                            "cramers_v": decimal_text(test["cramers_v"], 2),
                        }
                        if test
                        else None
                    ),
                }
            )
        return {
            "by_label": by_result["by_label"],
            "groups": list(groups.values()),
            "theme_scores": theme_rows,
            "significant": significant,
            "annex": annex,
        }

    def annex(self) -> list[dict[str, Any]]:
        return [
            self.question_block(name, question, chart=False)
            for name, question in self.result["questions"].items()
        ]

    def context(self) -> dict[str, Any]:
        return {
            "title": self.result["title"],
            "form_id": self.result["form_id"],
            "respondents": self.result["respondents"],
            "where": self.result["where"],
            "generated": timezone.localtime(),
            "language": self.language or "en",
            "font_family": FONT_FAMILY,
            "summary": self.summary(),
            "sample": self.sample(),
            "themes": self.themes(),
            "clusters": self.clusters(),
            "annex": self.annex(),
            "qa": self.qa,
        }


def render_html(
    form: Form,
    result: AnalysisResult,
    *,
    by_result: AnalysisResult | None = None,
    language: str | None = None,
    options: ReportOptions | None = None,
    qa: QASection | None = None,
) -> str:
    """The report as one standalone HTML document (CSS and charts inline).

    ``by_result`` is the same analysis with a ``by`` question (the cluster), for the findings
    by cluster and the cluster annex; when ``result`` itself has a ``by`` it is used. ``qa`` is
    the round's *Q&A sessions* section (:func:`liaison.surveys.qualitative.qa_section`).
    """
    code = language or "en"
    with translation.override(code):
        builder = _ReportBuilder(
            form,
            result,
            by_result if by_result is not None else result,
            language,
            options or ReportOptions(),
        )
        builder.qa = qa
        return render_to_string("surveys/report.html", builder.context())


def render_pdf(
    form: Form,
    result: AnalysisResult,
    *,
    by_result: AnalysisResult | None = None,
    language: str | None = None,
    options: ReportOptions | None = None,
) -> bytes:
    """The report as PDF (WeasyPrint), fonts embedded."""
    return pdf_from_html(
        render_html(form, result, by_result=by_result, language=language, options=options)
    )


def pdf_from_html(html: str) -> bytes:
    """A rendered report (from :func:`render_html`) as PDF."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def render_comparison_html(
    form: Form, comparison: ComparisonResult, *, language: str | None = None
) -> str:
    """The baseline/follow-up comparison as a standalone HTML document."""
    with translation.override(language or "en"):
        questions = []
        for name, question in comparison["questions"].items():
            rows = []
            for choice, change in question["choices"].items():
                interval = change["ci95_pp"]
                rows.append(
                    {
                        "label": question["choice_labels"].get(choice, choice),
                        "baseline": percent_text(change["baseline"]),
                        "followup": percent_text(change["followup"]),
                        "change": (signed_text(change["change_pp"])),
                        "ci": signed_interval(interval),
                        "p_value": (p_number(change["p_value"])),
                        "significant": change["significant"],
                    }
                )
            questions.append(
                {
                    "name": name,
                    "label": question["label"],
                    "baseline_n": question["baseline_answered"],
                    "followup_n": question["followup_answered"],
                    "rows": rows,
                }
            )
        scores = [
            {
                "label": score["label"],
                "baseline": percent_text(score["baseline"]),
                "followup": percent_text(score["followup"]),
                "change": signed_text(score["change_pp"]),
                "baseline_n": score["baseline_n"],
                "followup_n": score["followup_n"],
                "p_value": p_number(score["p_value"]),
                "significant": score["significant"],
            }
            for score in comparison["scores"].values()
        ]
        return render_to_string(
            "surveys/comparison.html",
            {
                "title": comparison["title"],
                "form_id": comparison["form_id"],
                "baseline_respondents": comparison["baseline_respondents"],
                "followup_respondents": comparison["followup_respondents"],
                "generated": timezone.localtime(),
                "language": language or "en",
                "font_family": FONT_FAMILY,
                "questions": questions,
                "scores": scores,
            },
        )


def render_comparison_pdf(
    form: Form, comparison: ComparisonResult, *, language: str | None = None
) -> bytes:
    return pdf_from_html(render_comparison_html(form, comparison, language=language))


def text_summary(result: AnalysisResult) -> str:
    """A plain-text digest for the terminal: every question's distribution with its n."""
    lines = [
        f"{result['title']} ({result['form_id']}): "
        + _("%(count)s respondents") % {"count": result["respondents"]}
    ]
    for name, question in result["questions"].items():
        lines.append("")
        lines.append(f"{name} — {question['label']} (n = {question['answered']})")
        for choice, count in question["counts"].items():
            label = question["choice_labels"].get(choice, choice)
            percent = as_percent_text(question["percent"].get(choice))
            lines.append(f"  {label[:50]:<50} {count:>6} {percent:>7}")
        numeric = question.get("numeric")
        if numeric and numeric["n"]:
            lines.append(
                "  "
                + _("mean %(mean).1f, median %(median).1f, min %(min)s, max %(max)s")
                % {
                    "mean": numeric["mean"] or 0.0,
                    "median": numeric["median"] or 0.0,
                    "min": numeric["min"],
                    "max": numeric["max"],
                }
            )
    return "\n".join(lines) + "\n"


def comparison_summary(comparison: ComparisonResult) -> str:
    lines = [
        f"{comparison['title']}: "
        + _("baseline %(baseline)s respondents, follow-up %(followup)s")
        % {
            "baseline": comparison["baseline_respondents"],
            "followup": comparison["followup_respondents"],
        }
    ]
    for name, question in comparison["questions"].items():
        lines.append("")
        lines.append(f"{name} — {question['label']}")
        for choice, change in question["choices"].items():
            flag = " *" if change["significant"] else ""
            delta = "–" if change["change_pp"] is None else f"{change['change_pp']:+.1f} pp"
            lines.append(
                f"  {question['choice_labels'].get(choice, choice)[:40]:<40} "
                f"{as_percent_text(change['baseline']):>7} → "
                f"{as_percent_text(change['followup']):>7}  {delta}{flag}"
            )
    return "\n".join(lines) + "\n"


__all__ = [
    "PATROL_SAMPLE_PLAN",
    "ReportOptions",
    "SamplePlan",
    "SampleShortfall",
    "bar_chart",
    "comparison_summary",
    "pdf_from_html",
    "pie_chart",
    "render_comparison_html",
    "render_comparison_pdf",
    "render_html",
    "render_pdf",
    "sample_shortfalls",
    "text_summary",
]
