"""The qualitative half of an assessment, as read: coded passages counted per code, by BLO and by
cluster, with their quotes; the codes of the questionnaire's open answers; the report's *Q&A
sessions* section.

A coded passage of a session note counts for the session's BLO; one of an open answer counts for
the BLO the respondent named (the round's site question). A BLO's cluster is the registry's.
Every function takes the passages it may show (the caller has applied the permission layer or,
for a report, checked that its reader sees the round's results).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext as _

from liaison.registry.models import BLO
from liaison.surveys.models import (
    Code,
    CodedPassage,
    GuideQuestion,
    QASession,
    SubmissionStatus,
    SurveyRound,
)
from liaison.surveys.xlsform import TEXT, Form

if TYPE_CHECKING:
    from liaison.surveys.analysis import AnalysisResult


class QuoteRow(TypedDict):
    text: str
    source: str


class CodeCount(TypedDict):
    name: str
    description: str
    total: int
    by_blo: dict[str, int]
    by_cluster: dict[str, int]
    quotes: list[QuoteRow]


def round_passages(survey_round: SurveyRound) -> QuerySet[CodedPassage]:
    """Every coded passage of the round: of its session notes, and of its submitted answers."""
    return (
        CodedPassage.objects.filter(code__round=survey_round)
        .exclude(submission__status=SubmissionStatus.DRAFT)
        .select_related(
            "code",
            "note__session__blo__cluster",
            "note__question",
            "submission",
        )
        .order_by("code__name", "pk")
    )


def _blos_by_choice(survey_round: SurveyRound, form: Form | None) -> dict[str, BLO]:
    if form is None:
        return {}
    choices = survey_round.site_choices(form)
    blos = {blo.pk: blo for blo in survey_round.sites.select_related("cluster")}
    return {choice: blos[pk] for pk, choice in choices.items() if pk in blos}


def session_label(session: QASession) -> str:
    return _("%(blo)s, %(kind)s, %(date)s") % {
        "blo": session.blo.display_name,
        "kind": session.kind_enum.label,
        "date": formats.date_format(session.held_on, "DATE_FORMAT"),
    }


@dataclass
class _Tally:
    code: Code
    by_blo: Counter[str] = field(default_factory=Counter)
    by_cluster: Counter[str] = field(default_factory=Counter)
    quotes: list[QuoteRow] = field(default_factory=list)


def code_counts(
    survey_round: SurveyRound,
    passages: QuerySet[CodedPassage],
    *,
    form: Form | None = None,
) -> list[CodeCount]:
    """Per code of the round's codebook (every code, coded or not): how many passages carry it,
    by BLO and by cluster, and the passages themselves as quotes."""
    tallies = {code.pk: _Tally(code) for code in survey_round.codes.order_by("name")}
    blos = _blos_by_choice(survey_round, form)
    unknown = _("BLO not given")
    no_cluster = _("no cluster")
    shown = passages.exclude(submission__status=SubmissionStatus.DRAFT).select_related(
        "code", "note__session__blo__cluster", "note__question", "submission"
    )
    for passage in shown.order_by("code__name", "pk"):
        tally = tallies.get(passage.code_id)
        if tally is None:
            continue
        blo: BLO | None
        if passage.note is not None:
            blo = passage.note.session.blo
            source = _("%(session)s: question %(position)s") % {
                "session": session_label(passage.note.session),
                "position": passage.note.question.position,
            }
        else:
            answers = passage.submission.answers if passage.submission is not None else {}
            choice = str((answers or {}).get(survey_round.site_question, ""))
            blo = blos.get(choice)
            source = _("Questionnaire, open question %(name)s") % {"name": passage.question_name}
        blo_name = blo.display_name if blo is not None else unknown
        cluster = blo.cluster if blo is not None else None
        tally.by_blo[blo_name] += 1
        tally.by_cluster[cluster.display_name if cluster is not None else no_cluster] += 1
        tally.quotes.append({"text": passage.quote, "source": source})
    return [
        {
            "name": tally.code.name,
            "description": tally.code.description,
            "total": len(tally.quotes),
            "by_blo": dict(sorted(tally.by_blo.items())),
            "by_cluster": dict(sorted(tally.by_cluster.items())),
            "quotes": tally.quotes,
        }
        for tally in tallies.values()
    ]


def text_question_codes(survey_round: SurveyRound, form: Form) -> dict[str, dict[str, int]]:
    """Per open (text) question of the questionnaire: passages of its submitted answers coded,
    per code (``{question: {code: count}}``; every text question, ``{}`` when none is coded)."""
    found: dict[str, dict[str, int]] = {
        question.name: {} for question in form.questions if question.type == TEXT
    }
    passages = round_passages(survey_round).filter(
        submission__isnull=False, submission__status=SubmissionStatus.SUBMITTED
    )
    for question_name, code_name in passages.values_list("question_name", "code__name"):
        counts = found.setdefault(question_name, {})
        counts[code_name] = counts.get(code_name, 0) + 1
    return found


def add_text_codes(result: AnalysisResult, survey_round: SurveyRound, form: Form) -> None:
    """Give each text question of ``result`` its ``codes`` (``{code: passages}``), when the round
    has a codebook (without one, the result is the analysis of its answers alone)."""
    if not survey_round.codes.exists():
        return
    for name, counts in text_question_codes(survey_round, form).items():
        question = result["questions"].get(name)
        if question is not None:
            question["codes"] = dict(sorted(counts.items()))


class NoteRow(TypedDict):
    session: str
    lines: list[str]


class GuideRow(TypedDict):
    position: int
    text: str
    answers: list[NoteRow]


class SessionRow(TypedDict):
    label: str
    kind: str
    blo: str
    held_on: str
    interviewer: str
    participants: list[str]
    language: str
    source: str


class QASection(TypedDict):
    sessions: list[SessionRow]
    questions: list[GuideRow]
    codes: list[CodeCount]


def _lines(text: str) -> list[str]:
    """A note's points: one per line, without the dash or bullet they were typed with."""
    lines = [line.strip().lstrip("-‐–•").strip() for line in text.splitlines()]
    return [line for line in lines if line]


def qa_section(
    survey_round: SurveyRound, *, form: Form | None = None, language: str | None = None
) -> QASection | None:
    """The report's *Q&A sessions* section in ``language`` (``None`` when the round has none)."""
    sessions = list(
        survey_round.qa_sessions.select_related("blo").prefetch_related("notes__question")
    )
    if not sessions:
        return None
    questions: list[GuideQuestion] = list(survey_round.guide_questions.order_by("position"))
    rows: list[GuideRow] = []
    for question in questions:
        answers: list[NoteRow] = []
        for session in sessions:
            for note in session.notes.all():
                if note.question_id == question.pk:
                    answers.append(
                        {"session": session_label(session), "lines": _lines(note.text_in(language))}
                    )
        if answers:
            rows.append(
                {"position": question.position, "text": question.text(language), "answers": answers}
            )
    session_rows: list[SessionRow] = [
        {
            "label": session_label(session),
            "kind": str(session.kind_enum.label),
            "blo": session.blo.display_name,
            "held_on": formats.date_format(session.held_on, "DATE_FORMAT"),
            "interviewer": session.interviewer,
            "participants": _participants(session),
            "language": session.language,
            "source": session.source,
        }
        for session in sessions
    ]
    return {
        "sessions": session_rows,
        "questions": rows,
        "codes": code_counts(survey_round, round_passages(survey_round), form=form),
    }


def _participants(session: QASession) -> list[str]:
    found: list[str] = []
    for item in session.participants or []:
        if isinstance(item, dict):
            parts = [str(item.get(key, "")) for key in ("role", "agency")]
            found.append(" – ".join(part for part in parts if part))
    return found


def export_tables(
    survey_round: SurveyRound, passages: QuerySet[CodedPassage], *, form: Form | None = None
) -> dict[str, list[list[object]]]:
    """The round's codes as tables for its CSV/XLSX export: ``codes`` (each code's passages in
    all, by BLO and by cluster) and ``passages`` (one row per coded passage, with its quote)."""
    counts = code_counts(survey_round, passages, form=form)
    codes: list[list[object]] = [
        [_("Code"), _("Description"), _("Passages"), _("By BLO"), _("By cluster")]
    ]
    for row in counts:
        codes.append(
            [
                row["name"],
                row["description"],
                row["total"],
                "; ".join(f"{name}: {count}" for name, count in row["by_blo"].items()),
                "; ".join(f"{name}: {count}" for name, count in row["by_cluster"].items()),
            ]
        )
    rows: list[list[object]] = [[_("Code"), _("Source"), _("Quote")]]
    for row in counts:
        for quote in row["quotes"]:
            rows.append([row["name"], quote["source"], quote["text"]])
    return {"codes": codes, "passages": rows}
