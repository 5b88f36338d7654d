"""Where the answers to analyse come from: an export file today, a stored survey round tomorrow.

The ``survey`` command and the web views ask an :class:`AnswerSource` for a frame of answers
(one row per respondent, one column per question name) and never care where it was read from.
:class:`ExportFile` reads a KoboToolbox or ODK Central CSV. A stored round is another source with
the same two members — e.g. ``StoredRound(round_id)`` whose ``load`` turns the round's
submissions into a frame with :func:`liaison.surveys.imports.answers_frame`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from liaison.surveys.imports import ImportNotice, read_export
from liaison.surveys.xlsform import Form


class AnswerSource(Protocol):
    """Answers of one round of a questionnaire."""

    @property
    def label(self) -> str:
        """How messages name the source (a file name, a round)."""
        ...

    def load(self, form: Form) -> pd.DataFrame:
        """The answers, checked against ``form``; raises an error with a readable message."""
        ...


@dataclass(frozen=True)
class ExportFile:
    """A KoboToolbox or ODK Central CSV export on disk."""

    path: Path
    on_notice: Callable[[ImportNotice], None] = field(default=lambda notice: None, compare=False)

    @property
    def label(self) -> str:
        return self.path.name

    def load(self, form: Form) -> pd.DataFrame:
        table = read_export(self.path, form)
        for notice in table.notices:
            self.on_notice(notice)
        return table.answers
