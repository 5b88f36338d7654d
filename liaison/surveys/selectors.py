"""Reading a round's answers for analysis, progress and other modules.

These functions do not check permissions: views call them after ``access_round`` and
``may_see_results`` (see :mod:`liaison.surveys.access`); other modules check their own rule first.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from django.core.cache import caches
from django.db.models import Count, Max, Q, QuerySet
from django.utils import translation

from liaison.registry.models import BLO
from liaison.surveys.analysis import (
    AnalysisResult,
    RepeatAnswers,
    SurveyAnswers,
    analyze,
    prepare,
)
from liaison.surveys.expressions import answer_text, evaluate_frame
from liaison.surveys.imports import answers_frame
from liaison.surveys.models import (
    Code,
    CodedPassage,
    DrawingStatus,
    GuideQuestion,
    QASession,
    ReportDrawing,
    SessionNote,
    Submission,
    SubmissionSource,
    SubmissionStatus,
    SurveyRound,
)
from liaison.surveys.qualitative import qa_section
from liaison.surveys.report import SampleShortfall, sample_shortfalls
from liaison.surveys.xlsform import CALCULATE, NOTE, Form
from liaison.surveys.xpath import to_string

GROUP_KEYS = ("blo", "agency", "cluster")


def submitted(survey_round: SurveyRound) -> QuerySet[Submission]:
    """The round's submitted questionnaires (drafts are not data yet)."""
    return Submission.objects.filter(round=survey_round, status=SubmissionStatus.SUBMITTED)


def _fill_calculations(form: Form, frame: pd.DataFrame) -> pd.DataFrame:
    """Calculations the stored answers lack, computed from the form for those rows only.

    Web submissions store their calculations; an export may lack a calculation's column
    (``prepare`` computes it for everyone) or leave it empty for some rows (computed here).
    """
    for question in form.questions:
        if question.type != CALCULATE or not question.calculation or question.in_repeat:
            continue
        if question.name not in frame.columns:
            continue
        column = frame[question.name].astype(object)
        empty = column.isna().to_numpy() | (column.astype(str).str.strip() == "").to_numpy()
        if empty.any() and not empty.all():
            values = evaluate_frame(
                form, question.calculation, frame, to_string, context=question, rows=empty
            )
            filled = column.to_numpy(copy=True)
            filled[empty] = values
            frame = frame.assign(**{question.name: filled})
    return frame


def round_frame(survey_round: SurveyRound, form: Form | None = None) -> pd.DataFrame:
    """One row per submitted respondent, one column per question (the analysis's input)."""
    return round_answers_and_repeats(survey_round, form).respondents


def round_answers_and_repeats(survey_round: SurveyRound, form: Form | None = None) -> SurveyAnswers:
    """The round's respondents (as :func:`round_frame`) and the instances of its repeats."""
    form = form or survey_round.form()
    rows = list(submitted(survey_round).order_by("pk").values_list("answers", flat=True))
    stored = [row if isinstance(row, dict) else {} for row in rows]
    frame = answers_frame(form, stored)
    respondents = prepare(form, _fill_calculations(form, frame))
    return SurveyAnswers(respondents, repeat_frames(form, stored))


def repeat_frames(form: Form, rows: Sequence[Mapping[str, Any]]) -> tuple[RepeatAnswers, ...]:
    """The instances of each repeat stored in the answers (a list of dicts under the repeat's
    name; a nested repeat's under its name in each instance), outer repeats first."""
    repeats = form.repeats()
    if not repeats:
        return ()
    holders: dict[str | None, Sequence[Mapping[str, Any]]] = {None: rows}
    found: list[RepeatAnswers] = []
    for group in repeats:
        outer = form.repeat_of(group)
        parents = holders.get(outer.name if outer is not None else None)
        if parents is None:
            continue
        names = [
            question.name
            for question in form.questions
            if form.repeat_of(question) == group and question.type != NOTE
        ]
        instances: list[Mapping[str, Any]] = []
        parent_rows: list[int] = []
        for position, parent in enumerate(parents):
            listed = parent.get(group.name)
            if not isinstance(listed, list):
                continue
            for instance in listed:
                if isinstance(instance, dict):
                    instances.append(instance)
                    parent_rows.append(position)
        holders[group.name] = instances
        frame = pd.DataFrame.from_records(
            [{name: answer_text(row.get(name)) for name in names} for row in instances],
            columns=names,
        ).astype(object)
        found.append(
            RepeatAnswers(
                name=group.name,
                answers=frame,
                parent_rows=np.array(parent_rows, dtype=np.int64),
                parent=outer.name if outer is not None else None,
            )
        )
    return tuple(found)


def round_answers(survey_round: SurveyRound) -> list[dict[str, Any]]:
    """Per submitted respondent: answers by question name, plus ``blo``, ``agency``, ``cluster``.

    Values are the questionnaire's own (choice names such as ``moc_bai``, ``customs``, ``CL1``;
    select_multiple space-separated; ``""`` when unanswered). ``blo``, ``agency`` and ``cluster``
    are read from the round's site, agency and cluster questions, so they are there whatever the
    questionnaire calls them. This is the input of the training module's plan builder
    (``liaison.training.planning.respondents_from_rows``).
    """
    form = survey_round.form()
    frame = round_frame(survey_round, form)
    sources = {
        "blo": survey_round.site_question,
        "agency": survey_round.agency_question,
        "cluster": survey_round.cluster_question,
    }
    respondents: list[dict[str, Any]] = []
    for record in frame.to_dict("records"):
        row: dict[str, Any] = {
            str(name): ""
            if value is None or (isinstance(value, float) and value != value)
            else str(value)
            for name, value in record.items()
        }
        for key, question in sources.items():
            row[key] = row.get(question, "") if question else row.get(key, "")
        respondents.append(row)
    return respondents


def round_result(
    survey_round: SurveyRound,
    *,
    form: Form | None = None,
    by: str | None = None,
    where: str | None = None,
    language: str | None = None,
) -> AnalysisResult:
    """The engine's analysis of the round (raises ``AnalysisError`` for a bad ``by``/``where``)."""
    form = form or survey_round.form()
    cluster = survey_round.cluster_question
    if not cluster or not form.has_question(cluster):
        cluster = ""
    data = round_answers_and_repeats(survey_round, form)
    return analyze(
        form,
        data.respondents,
        by=by or None,
        where=where or None,
        language=language,
        cluster=cluster or None,
        repeats=data.repeats,
    )


@functools.cache
def _report_software() -> str:
    """A digest of what draws the report (the analysis, the report module, its templates, the
    translations), so that a new release draws reports again."""
    package = Path(__file__).resolve().parents[1]
    files = [
        package / "surveys" / "analysis.py",
        package / "surveys" / "report.py",
        package / "surveys" / "qualitative.py",
        *sorted((package / "surveys" / "templates" / "surveys").glob("*report*.html")),
        *sorted(package.glob("locale/*/LC_MESSAGES/django.po")),
        *sorted(package.parent.glob("locale/*/LC_MESSAGES/django.po")),
    ]
    digest = hashlib.sha256()
    for path in files:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _qualitative_state(survey_round: SurveyRound) -> list[object]:
    """What changes when a session, a note, the guide, the codebook or a coded passage does."""
    sessions = QASession.objects.filter(round=survey_round).aggregate(
        count=Count("pk"), last=Max("updated")
    )
    notes = SessionNote.objects.filter(session__round=survey_round).aggregate(
        count=Count("pk"), last=Max("updated")
    )
    return [
        sessions["count"],
        sessions["last"].isoformat() if sessions["last"] else "",
        notes["count"],
        notes["last"].isoformat() if notes["last"] else "",
        GuideQuestion.objects.filter(round=survey_round).aggregate(top=Max("pk"), n=Count("pk")),
        Code.objects.filter(round=survey_round).aggregate(top=Max("pk"), n=Count("pk")),
        CodedPassage.objects.filter(code__round=survey_round).aggregate(
            top=Max("pk"), n=Count("pk")
        ),
    ]


def round_fingerprint(survey_round: SurveyRound) -> str:
    """A digest that changes whenever a report of the round may change: any submission added,
    edited, submitted or removed; the round's settings (sample plan, cluster, sites); its
    questionnaire file; the software that draws the report."""
    stats = Submission.objects.filter(round=survey_round).aggregate(
        count=Count("pk"),
        submitted=Count("pk", filter=Q(status=SubmissionStatus.SUBMITTED)),
        last=Max("updated"),
        top=Max("pk"),
    )
    parts = [
        survey_round.pk,
        survey_round.updated.isoformat() if survey_round.updated else "",
        survey_round.questionnaire.sha256,
        stats["count"],
        stats["submitted"],
        stats["last"].isoformat() if stats["last"] else "",
        stats["top"] or 0,
        *_qualitative_state(survey_round),
        _report_software(),
    ]
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:40]


def _report_key(survey_round: SurveyRound, language: str, fmt: str, fingerprint: str) -> str:
    return f"round-report:{survey_round.pk}:{language}:{fmt}:{fingerprint}"


def drawn_round_report(
    survey_round: SurveyRound, *, language: str, fmt: Literal["html", "pdf"]
) -> bytes | None:
    """The round's report if it is drawn for the round's data as they are now (in the reports
    cache, or kept by a finished background drawing); ``None`` when it must be drawn first."""
    fingerprint = round_fingerprint(survey_round)
    key = _report_key(survey_round, language, fmt, fingerprint)
    store = caches["reports"]
    found = store.get(key)
    if isinstance(found, bytes):
        return found
    drawing = (
        ReportDrawing.objects.filter(
            survey_round=survey_round,
            compared_with__isnull=True,
            language=language,
            format=fmt,
            fingerprint=fingerprint,
            status=DrawingStatus.DONE,
        )
        .order_by("-pk")
        .first()
    )
    if drawing is None:
        return None
    content = bytes(drawing.content)
    store.set(key, content)
    return content


def round_report(
    survey_round: SurveyRound,
    *,
    form: Form | None = None,
    language: str,
    fmt: Literal["html", "pdf"],
) -> bytes:
    """The round's assessment report (HTML as UTF-8, or PDF), drawn once and then served from
    the ``reports`` cache until :func:`round_fingerprint` changes."""
    from liaison.surveys import report as reports

    key = _report_key(survey_round, language, fmt, round_fingerprint(survey_round))
    store = caches["reports"]
    found = store.get(key)
    if isinstance(found, bytes):
        return found
    form = form or survey_round.form()
    with translation.override(language):
        result = round_result(survey_round, form=form, language=language)
        cluster = survey_round.cluster_question
        by_result = None
        if cluster and form.has_question(cluster):
            by_result = round_result(survey_round, form=form, by=cluster, language=language)
        options = reports.ReportOptions(sample_plan=survey_round.sample_plan(form))
        html = reports.render_html(
            form,
            result,
            by_result=by_result,
            language=language,
            options=options,
            qa=qa_section(survey_round, form=form, language=language),
        )
    content = reports.pdf_from_html(html) if fmt == "pdf" else html.encode("utf-8")
    store.set(key, content)
    return content


@dataclass(frozen=True)
class SiteProgress:
    blo: BLO
    choice: str | None
    submitted: int
    share: float | None
    state: str
    """``missing``, ``under``, ``over`` or ``ok`` against the plan's shares."""


@dataclass(frozen=True)
class RoundProgress:
    submitted: int
    drafts: int
    by_source: dict[str, int]
    sites: list[SiteProgress]
    elsewhere: int
    """Submitted respondents whose BLO answer is none of the round's BLOs."""
    min_respondents: int
    shortfalls: list[SampleShortfall]


def round_progress(
    survey_round: SurveyRound, *, form: Form | None = None, language: str | None = None
) -> RoundProgress:
    """How far collection has gone, BLO by BLO, and where the sample falls short of the plan."""
    form = form or survey_round.form()
    plan = survey_round.sample_plan(form)
    columns = [name for name in (plan.site_question, plan.agency_question) if name]
    rows = list(submitted(survey_round).values_list("answers", flat=True))
    frame = pd.DataFrame(
        [
            {name: str((row if isinstance(row, dict) else {}).get(name) or "") for name in columns}
            for row in rows
        ],
        columns=columns,
        dtype=object,
    )
    # Only the two questions the plan reads: cheap however large the round.
    result = analyze(form, frame, language=language)
    shortfalls = sample_shortfalls(plan, result, form, language)
    site_counts: Counter[str] = Counter()
    answered = 0
    if plan.site_question and plan.site_question in frame.columns:
        values = [value for value in frame[plan.site_question].tolist() if value]
        site_counts.update(values)
        answered = len(values)
    choices = survey_round.site_choices(form)
    sites: list[SiteProgress] = []
    for blo in survey_round.sites.all().order_by("name_en"):
        choice = choices.get(blo.pk)
        count = site_counts.get(choice, 0) if choice else 0
        share = count / answered * 100 if answered else None
        if count == 0:
            state = "missing"
        elif share is not None and share < plan.min_share:
            state = "under"
        elif share is not None and share > plan.max_share:
            state = "over"
        else:
            state = "ok"
        sites.append(SiteProgress(blo, choice, count, share, state))
    matched = {site.choice for site in sites if site.choice}
    elsewhere = sum(count for choice, count in site_counts.items() if choice not in matched)
    sources = Counter(submitted(survey_round).values_list("source", flat=True).order_by())
    labels = dict(SubmissionSource.choices)
    return RoundProgress(
        submitted=len(rows),
        drafts=Submission.objects.filter(round=survey_round, status=SubmissionStatus.DRAFT).count(),
        by_source={str(labels.get(key, key)): count for key, count in sources.items()},
        sites=sites,
        elsewhere=elsewhere,
        min_respondents=survey_round.min_respondents,
        shortfalls=shortfalls,
    )
