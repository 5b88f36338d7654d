"""The survey module's background work (Django's Tasks framework): drawing a round's report
(PDF or HTML) or the PDF comparison of two rounds.

Drawing the assessment report (the analysis, every chart, WeasyPrint's layout for the PDF) takes
from seconds to minutes, so a request never draws it:
:func:`liaison.surveys.services.do_request_round_report` records a :class:`ReportDrawing` and
enqueues :func:`draw_round_report`; the person who asked follows it on the drawing's page, which
polls :func:`report_drawing_progress`, and downloads the PDF or opens the HTML once it is drawn.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from django.tasks import task
from django.utils import timezone, translation

from liaison.surveys.models import DrawingStatus, ReportDrawing, ReportFormat, SurveyRound

logger = logging.getLogger(__name__)


class DrawingProgress(TypedDict):
    status: str
    status_label: str
    finished: bool
    seconds: int


def _finish(drawing: ReportDrawing, status: DrawingStatus, content: bytes = b"") -> None:
    ReportDrawing.objects.filter(pk=drawing.pk).update(
        status=status, content=content, finished_at=timezone.now()
    )


@task
def draw_round_report(drawing_id: int) -> int:
    """Draw one requested report; its size in bytes (0 when the drawing failed)."""
    from liaison.surveys.selectors import round_report

    drawing = ReportDrawing.objects.select_related("survey_round", "compared_with").get(
        pk=drawing_id
    )
    if DrawingStatus(drawing.status).is_finished:
        return len(drawing.content)  # run twice (a retried task): the first run's outcome stands
    ReportDrawing.objects.filter(pk=drawing.pk).update(status=DrawingStatus.DRAWING)
    try:
        if drawing.compared_with is not None:
            content = _comparison_pdf(drawing.survey_round, drawing.compared_with, drawing.language)
        elif drawing.format == ReportFormat.HTML:
            content = round_report(drawing.survey_round, language=drawing.language, fmt="html")
        else:
            content = round_report(drawing.survey_round, language=drawing.language, fmt="pdf")
    except Exception:
        logger.exception("drawing the report of round %s failed", drawing.survey_round_id)
        _finish(drawing, DrawingStatus.FAILED)
        raise
    _finish(drawing, DrawingStatus.DONE, content)
    return len(content)


def _comparison_pdf(baseline: SurveyRound, followup: SurveyRound, language: str) -> bytes:
    from liaison.surveys import report as reports
    from liaison.surveys.analysis import compare
    from liaison.surveys.selectors import round_frame

    form = baseline.form()
    with translation.override(language):
        comparison = compare(
            form, round_frame(baseline, form), round_frame(followup, form), language=language
        )
        return reports.render_comparison_pdf(form, comparison, language=language)


def report_drawing_progress(drawing: ReportDrawing) -> DrawingProgress:
    status = DrawingStatus(drawing.status)
    until = drawing.finished_at or timezone.now()
    return {
        "status": status.value,
        "status_label": str(status.label),
        "finished": status.is_finished,
        "seconds": max(0, int((until - drawing.created_at).total_seconds())),
    }


def fail_abandoned_drawings() -> int:
    """Drawings left half-way by a worker that was killed are marked failed (the person sees it
    and asks again). Run before a worker starts, when none is running."""
    return ReportDrawing.objects.filter(status=DrawingStatus.DRAWING).update(
        status=DrawingStatus.FAILED, finished_at=timezone.now()
    )
