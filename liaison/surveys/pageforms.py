"""Django forms of the survey pages (``forms/`` holds the shipped XLSForms; the questionnaire
itself is rendered by :mod:`liaison.surveys.webform`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from liaison.registry.models import BLO, Country
from liaison.registry.versioning import add_version_field
from liaison.surveys.attachments import MEDIA_TYPES
from liaison.surveys.models import RoundStatus, SurveyRound
from liaison.surveys.services import RoundData
from liaison.surveys.xlsform import Form

AGENCY_PREFIX = "agency_min__"


class DateInput(forms.DateInput):
    input_type = "date"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MediaFilesField(forms.FileField):
    """Several files in one field (Django's own FileField takes one)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ",".join(sorted(MEDIA_TYPES))})
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


_MEDIA_HELP = _(
    "The CSV and XML files the form reads (pulldata(), select_one_from_file) and the images of "
    "its labels, named as the form refers to them; at most 5 MB each."
)


class QuestionnaireUploadForm(forms.Form):
    file = forms.FileField(
        label=_("XLSForm (.xlsx)"),
        help_text=_(
            "A workbook with the survey, choices and settings sheets, as KoboToolbox and ODK use."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls"}),
    )
    media_files = MediaFilesField(label=_("Media files"), required=False, help_text=_MEDIA_HELP)


class QuestionnaireMediaForm(forms.Form):
    media_files = MediaFilesField(label=_("Media files"), help_text=_MEDIA_HELP)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Export (CSV)"),
        help_text=_("A KoboToolbox or ODK Central CSV export of this round's questionnaire."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class BLOChoiceField(forms.ModelMultipleChoiceField[BLO]):
    def label_from_instance(self, obj: Any) -> str:
        blo: BLO = obj
        return f"{blo.display_name} ({blo.code})"


class RoundForm(forms.Form):
    """A round and its sample plan; one minimum per choice of the questionnaire's agency
    question."""

    title = forms.CharField(label=_("Title"), max_length=200)
    country = forms.ModelChoiceField(label=_("Country"), queryset=Country.objects.none())
    starts_on = forms.DateField(label=_("Starts"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends"), widget=DateInput, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=RoundStatus.choices)
    sites = BLOChoiceField(
        label=_("BLOs surveyed"),
        queryset=BLO.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    min_share = forms.DecimalField(
        label=_("Minimum share of each BLO (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=Decimal(0),
    )
    max_share = forms.DecimalField(
        label=_("Maximum share of each BLO (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=Decimal(100),
    )
    min_respondents = forms.IntegerField(
        label=_("Minimum respondents in all"), min_value=0, initial=0
    )
    site_question = forms.CharField(
        label=_("Question naming the BLO"), max_length=100, required=False, initial="blo"
    )
    agency_question = forms.CharField(
        label=_("Question naming the agency"), max_length=100, required=False, initial="agency"
    )
    cluster_question = forms.CharField(
        label=_("Question naming the cluster"), max_length=100, required=False, initial="cluster"
    )

    def __init__(
        self,
        *args: Any,
        form: Form,
        countries: QuerySet[Country],
        blos: QuerySet[BLO],
        survey_round: SurveyRound | None = None,
        language: str | None = None,
        **kwargs: Any,
    ) -> None:
        if survey_round is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": survey_round.title,
                "country": survey_round.country_id,
                "starts_on": survey_round.starts_on,
                "ends_on": survey_round.ends_on,
                "status": survey_round.status,
                "sites": list(survey_round.sites.values_list("pk", flat=True)),
                "min_share": survey_round.min_share,
                "max_share": survey_round.max_share,
                "min_respondents": survey_round.min_respondents,
                "site_question": survey_round.site_question,
                "agency_question": survey_round.agency_question,
                "cluster_question": survey_round.cluster_question,
                **{
                    AGENCY_PREFIX + name: count
                    for name, count in (survey_round.min_per_agency or {}).items()
                },
            }
        super().__init__(*args, **kwargs)
        add_version_field(
            self,
            survey_round.version if survey_round is not None else 1,
            editing=survey_round is not None,
        )
        self.fields["country"].queryset = countries  # type: ignore[attr-defined]
        self.fields["sites"].queryset = blos.select_related("country")  # type: ignore[attr-defined]
        agency_name = (
            survey_round.agency_question if survey_round is not None else "agency"
        ) or "agency"
        self.agency_fields: list[str] = []
        if form.has_question(agency_name):
            question = form.question(agency_name)
            for choice in question.choices:
                key = AGENCY_PREFIX + choice.name
                self.fields[key] = forms.IntegerField(
                    label=form.choice_label(question, choice.name, language),
                    min_value=0,
                    required=False,
                    initial=0,
                )
                self.agency_fields.append(key)

    def agency_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.agency_fields]

    def round_data(self) -> RoundData:
        data = self.cleaned_data
        return RoundData(
            title=data["title"],
            country=data["country"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            status=RoundStatus(data["status"]),
            sites=list(data["sites"]),
            min_share=data["min_share"],
            max_share=data["max_share"],
            min_respondents=data["min_respondents"],
            min_per_agency={
                name.removeprefix(AGENCY_PREFIX): int(data[name])
                for name in self.agency_fields
                if data.get(name)
            },
            site_question=data["site_question"].strip(),
            agency_question=data["agency_question"].strip(),
            cluster_question=data["cluster_question"].strip(),
        )


class CompareForm(forms.Form):
    baseline = forms.ModelChoiceField(label=_("Baseline"), queryset=SurveyRound.objects.none())
    followup = forms.ModelChoiceField(label=_("Follow-up"), queryset=SurveyRound.objects.none())

    def __init__(self, *args: Any, rounds: QuerySet[SurveyRound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["baseline"].queryset = rounds  # type: ignore[attr-defined]
        self.fields["followup"].queryset = rounds  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        baseline, followup = data.get("baseline"), data.get("followup")
        if baseline is not None and followup is not None:
            if baseline.pk == followup.pk:
                raise forms.ValidationError(_("Choose two different rounds."))
            if baseline.questionnaire.form_id != followup.questionnaire.form_id:
                raise forms.ValidationError(
                    _("The two rounds use different questionnaires (%(a)s, %(b)s).")
                    % {
                        "a": baseline.questionnaire.form_id,
                        "b": followup.questionnaire.form_id,
                    }
                )
        return data
