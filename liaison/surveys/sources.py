"""Where the answers to analyse come from: an export file, or a survey round stored in the app.

The ``survey`` command asks an :class:`AnswerSource` for the answers (a frame with one row per
respondent, one column per question name, and the instances of the form's repeats) and never
cares where they were read from. :class:`ExportFile` reads a KoboToolbox or ODK Central export
(CSV, XLSX, zip); :class:`StoredRound` turns a round's submitted questionnaires into the same
(``liaison survey analyze FORM --round ID``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.utils.translation import gettext as _

from liaison.surveys.imports import ExportError, ImportNotice, read_export
from liaison.surveys.xlsform import Form

if TYPE_CHECKING:
    from liaison.surveys.analysis import SurveyAnswers
    from liaison.surveys.models import SurveyRound


class AnswerSource(Protocol):
    """Answers of one round of a questionnaire."""

    @property
    def label(self) -> str:
        """How messages name the source (a file name, a round)."""
        ...

    def load(self, form: Form) -> SurveyAnswers:
        """The answers, checked against ``form``; raises an error with a readable message."""
        ...


@dataclass(frozen=True)
class ExportFile:
    """A KoboToolbox or ODK Central CSV export on disk."""

    path: Path
    on_notice: Callable[[ImportNotice], None] = field(default=lambda notice: None, compare=False)
    other_versions: tuple[Form, ...] = ()
    """Other versions of the questionnaire (the file's version column picks among them and the
    form :meth:`load` is given)."""

    @property
    def label(self) -> str:
        return self.path.name

    def load(self, form: Form) -> SurveyAnswers:
        from liaison.surveys.analysis import RepeatAnswers, SurveyAnswers
        from liaison.tabular import COMMAND_LINE_EXPORT_LIMITS

        table = read_export(
            self.path, [*self.other_versions, form], limits=COMMAND_LINE_EXPORT_LIMITS
        )
        for notice in table.notices:
            self.on_notice(notice)
        return SurveyAnswers(
            table.answers,
            tuple(
                RepeatAnswers(repeat.name, repeat.answers, repeat.parent_rows, repeat.parent)
                for repeat in table.repeats
            ),
        )


class StoredRoundError(ExportError):
    """A ``--round`` that names no round, or a round of another questionnaire."""


@dataclass(frozen=True)
class StoredRound:
    """The submitted questionnaires of a survey round stored in the app (``--round ID``)."""

    round_id: int

    @property
    def label(self) -> str:
        return _("survey round %(id)s") % {"id": self.round_id}

    def load(self, form: Form) -> SurveyAnswers:
        from liaison.surveys.selectors import round_answers_and_repeats

        return round_answers_and_repeats(self.stored(form), form)

    def stored(self, form: Form) -> SurveyRound:
        """The round, once it is known to answer ``form``."""
        from liaison.surveys.models import SurveyRound

        survey_round = (
            SurveyRound.objects.select_related("questionnaire").filter(pk=self.round_id).first()
        )
        if survey_round is None:
            raise StoredRoundError(_("There is no survey round %(id)s.") % {"id": self.round_id})
        stored_id = survey_round.questionnaire.form_id
        if stored_id != form.form_id:
            raise StoredRoundError(
                _(
                    "Survey round %(id)s (%(title)s) answers the questionnaire %(stored)s, "
                    "not %(form)s."
                )
                % {
                    "id": self.round_id,
                    "title": survey_round.title,
                    "stored": stored_id,
                    "form": form.form_id,
                }
            )
        return survey_round
