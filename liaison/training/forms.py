"""Forms of the training pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.registry.models import BLO, Agency, Country, User
from liaison.registry.versioning import add_version_field
from liaison.surveys.models import SurveyRound
from liaison.training.models import (
    DeliveryFormat,
    DepartureReason,
    PlanRanking,
    QuestionKind,
    QuizAttempt,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class DateInput(forms.DateInput):
    input_type = "date"


class OfficerChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} · {obj.blo.display_name if obj.blo else '—'}"


class EnrolOfficersForm(forms.Form):
    officers = OfficerChoiceField(
        label=_("Officers"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, officers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officers"].queryset = officers  # type: ignore[attr-defined]


class QuizForm(forms.Form):
    """One field per drawn question, named ``q_<code>``; options in the attempt's shuffled order."""

    def __init__(
        self,
        *args: Any,
        attempt: QuizAttempt,
        texts: dict[str, dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        lang = attempt.language
        for index, drawn in enumerate(attempt.questions, start=1):
            question = texts.get(drawn["code"], {})
            option_texts: dict[str, dict[str, str]] = question.get("options", {})
            choices = [
                (code, _text(option_texts.get(code, {}), lang) or code) for code in drawn["choices"]
            ]
            label = f"{index}. {_text(question.get('text', {}), lang)}"
            name = f"q_{drawn['code']}"
            if drawn["kind"] == QuestionKind.MULTIPLE:
                self.fields[name] = forms.MultipleChoiceField(
                    label=label,
                    choices=choices,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    help_text=_("Tick every correct answer."),
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    label=label, choices=choices, required=False, widget=forms.RadioSelect
                )

    def answers(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, value in self.cleaned_data.items():
            code = name.removeprefix("q_")
            if isinstance(value, list):
                found[code] = [str(v) for v in value]
            elif value:
                found[code] = [str(value)]
        return found


def _text(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or ""


class TrainingSessionForm(forms.ModelForm[TrainingSession]):
    class Meta:
        model = TrainingSession
        fields = [
            "module",
            "kind",
            "title",
            "starts_on",
            "ends_on",
            "location",
            "host_blo",
            "blos",
            "trainer_name",
            "language",
            "notes",
        ]
        widgets = {
            "starts_on": DateInput,
            "ends_on": DateInput,
            "blos": forms.CheckboxSelectMultiple,
        }
        labels = {"module": _("Module")}

    def __init__(
        self,
        *args: Any,
        modules: QuerySet[TrainingModule],
        blos: QuerySet[BLO],
        hosts: QuerySet[BLO],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        add_version_field(self, self.instance.version, editing=self.instance.pk is not None)
        self.fields["module"].queryset = modules  # type: ignore[attr-defined]
        self.fields["host_blo"].queryset = hosts  # type: ignore[attr-defined]
        self.fields["blos"].queryset = blos  # type: ignore[attr-defined]
        self.fields["blos"].required = False
        self.fields["blos"].help_text = _(
            "The host BLO takes part anyway. A joint cross-border session needs a BLO across the border."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        module = data.get("module")
        kind = data.get("kind")
        if module is not None and kind and kind not in module.formats:
            self.add_error("kind", _("This module is not given in this format."))
        return data


class AttendanceForm(forms.Form):
    """Present/absent and the assessment score for each officer of the participating BLOs."""

    def __init__(
        self, *args: Any, officers: list[User], current: dict[int, tuple[bool, Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.officers = officers
        for officer in officers:
            present, score = current.get(officer.pk, (False, None))
            self.fields[f"present_{officer.pk}"] = forms.BooleanField(
                label=officer.display_name, required=False, initial=present
            )
            self.fields[f"score_{officer.pk}"] = forms.DecimalField(
                label=_("Score (%)"),
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=score,
            )

    def rows(self) -> list[tuple[User, forms.BoundField, forms.BoundField]]:
        return [(o, self[f"present_{o.pk}"], self[f"score_{o.pk}"]) for o in self.officers]


class TransferForm(forms.Form):
    to_blo = forms.ModelChoiceField(label=_("New BLO"), queryset=BLO.objects.none())
    agency = forms.ModelChoiceField(
        label=_("Agency at the new BLO"), queryset=Agency.objects.none(), required=False
    )
    on = forms.DateField(label=_("From"), widget=DateInput, initial=timezone.localdate)

    def __init__(
        self, *args: Any, blos: QuerySet[BLO], agencies: QuerySet[Agency], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_blo"].queryset = blos  # type: ignore[attr-defined]
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]


class DepartureForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(r.value, r.label) for r in DepartureReason if r != DepartureReason.TRANSFER],
    )
    on = forms.DateField(label=_("Left on"), widget=DateInput, initial=timezone.localdate)


class TrainingPlanForm(forms.Form):
    """A plan from a stored survey round's answers or from a CSV of respondents (one of them)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    survey_round = forms.ModelChoiceField(
        label=_("Stored survey round"),
        queryset=SurveyRound.objects.none(),
        required=False,
        help_text=_("The submitted answers of a round stored in Liaison; or upload a CSV below."),
    )
    file = forms.FileField(
        label=_("Respondents (CSV)"),
        required=False,
        help_text=_(
            "One row per respondent with the columns blo, agency, cluster and one per topic of the training grid."
        ),
    )
    source = forms.CharField(
        label=_("Assessment"),
        max_length=300,
        required=False,
        help_text=_(
            "e.g. PATROL training needs assessment, Viet Nam, August 2010; left empty for a stored round: its title"
        ),
    )
    country = forms.ModelChoiceField(
        label=_("Country"),
        queryset=Country.objects.none(),
        required=False,
        help_text=_("Left empty for a stored round: the round's country."),
    )
    starts_on = forms.DateField(
        label=_("Plan starts"), widget=DateInput, initial=timezone.localdate
    )
    ranking = forms.ChoiceField(label=_("Rank topics by"), choices=PlanRanking.choices)
    previous = forms.ModelChoiceField(
        label=_("Previous round's plan"), queryset=TrainingPlan.objects.none(), required=False
    )

    def __init__(
        self,
        *args: Any,
        countries: QuerySet[Country],
        plans: QuerySet[TrainingPlan],
        rounds: QuerySet[SurveyRound],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].queryset = countries  # type: ignore[attr-defined]
        self.fields["previous"].queryset = plans  # type: ignore[attr-defined]
        self.fields["survey_round"].queryset = rounds  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        survey_round: SurveyRound | None = data.get("survey_round")
        if "survey_round" not in data or "file" not in data:
            return data  # one of them is already in error
        if (survey_round is None) == (not data.get("file")):
            raise forms.ValidationError(
                _("Choose a stored survey round or upload a CSV of respondents, not both."),
                code="one_source",
            )
        if survey_round is None:
            if not data.get("source"):
                self.add_error("source", forms.Field.default_error_messages["required"])
            return data
        if not data.get("source"):
            data["source"] = survey_round.title
        countries = self.fields["country"].queryset  # type: ignore[attr-defined]
        if data.get("country") is None and countries.filter(pk=survey_round.country_id).exists():
            data["country"] = survey_round.country
        return data


class ContentImportForm(forms.Form):
    file = forms.FileField(
        label=_("Content package (.zip)"),
        help_text=_("A zip of one package folder, or of a content folder with several packages."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".zip"):
            raise forms.ValidationError(_("Upload a .zip file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "placeholder": "ABCD-EFGH-JKLM"}
        ),
    )


SESSION_KINDS = [DeliveryFormat.CLASSROOM, DeliveryFormat.JOINT_SESSION]
