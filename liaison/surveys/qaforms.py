"""Forms of the Q&A sessions pages: interview guide, session, notes, codebook, coding.

Plain POST forms: each parses into the arguments of one service of
:mod:`liaison.surveys.services`, which checks the rest.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liaison.registry.models import BLO
from liaison.surveys.models import Code, SessionKind, SurveyRound

_PARTICIPANT_SEPARATOR = re.compile(r"\s+[–—-]\s+|;")


def round_languages(survey_round: SurveyRound) -> list[str]:
    """The round's languages: its questionnaire's (``en``, ``vi``), English when it names none."""
    languages = [str(code) for code in survey_round.questionnaire.languages or [] if code]
    return languages or ["en"]


def _language_choices(survey_round: SurveyRound) -> list[tuple[str, str]]:
    return [(code, code) for code in round_languages(survey_round)]


class GuideQuestionForm(forms.Form):
    """One question of the interview guide, a text field per language of the round."""

    def __init__(self, *args: Any, survey_round: SurveyRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = round_languages(survey_round)
        for code in self.languages:
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Question (%(language)s)") % {"language": code},
                max_length=1000,
                required=False,
            )

    def texts(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"text_{code}", "") for code in self.languages}


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    blo: forms.ModelChoiceField[BLO] = forms.ModelChoiceField(
        label=_("BLO"), queryset=BLO.objects.none()
    )
    kind = forms.ChoiceField(label=_("Kind of session"), choices=SessionKind.choices)
    interviewer = forms.CharField(label=_("Interviewer"), max_length=200)
    language = forms.ChoiceField(label=_("Language the notes are taken in"))
    participants = forms.CharField(
        label=_("Participants"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: role – agency."),
    )

    def __init__(self, *args: Any, survey_round: SurveyRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blo_field = self.fields["blo"]
        assert isinstance(blo_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        blo_field.queryset = survey_round.sites.order_by("name_en")
        language_field = self.fields["language"]
        assert isinstance(language_field, forms.ChoiceField)  # noqa: S101 - declared above
        language_field.choices = _language_choices(survey_round)

    def participant_list(self) -> list[dict[str, str]]:
        found = []
        for line in str(self.cleaned_data.get("participants", "")).splitlines():
            if not line.strip():
                continue
            parts = _PARTICIPANT_SEPARATOR.split(line.strip(), maxsplit=1)
            role = parts[0].strip()
            agency = parts[1].strip() if len(parts) > 1 else ""
            found.append({"role": role[:200], "agency": agency[:200]})
        return found


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Notes"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )
    translation = forms.CharField(
        label=_("Translation"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    translation_language = forms.ChoiceField(label=_("Language of the translation"), required=False)

    def __init__(self, *args: Any, survey_round: SurveyRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["translation_language"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [("", "–"), *_language_choices(survey_round)]


class CodeForm(forms.Form):
    name = forms.CharField(label=_("Code"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class PassageForm(forms.Form):
    """A code applied to a passage: the excerpt quoted (or, from a script, its characters)."""

    code = forms.ModelChoiceField(label=_("Code"), queryset=Code.objects.none())
    quote = forms.CharField(
        label=_("Passage (quote it as written)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    start = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, survey_round: SurveyRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = survey_round.codes.order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not str(data.get("quote") or "").strip() and (
            data.get("start") is None or data.get("end") is None
        ):
            raise forms.ValidationError(_("Quote the passage to code."))
        return data


class AnswerPassageForm(PassageForm):
    """A code applied to a passage of one respondent's open answer."""

    submission = forms.IntegerField(widget=forms.HiddenInput)
    question_name = forms.CharField(max_length=100, widget=forms.HiddenInput)
