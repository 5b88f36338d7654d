"""Forms of the meeting log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liaison.meetings.models import ActionStatus, Meeting, MeetingAction
from liaison.registry.models import BLO, Agency, Country, User
from liaison.registry.versioning import add_version_field


class DateInput(forms.DateInput):
    input_type = "date"


class MeetingForm(forms.ModelForm[Meeting]):
    class Meta:
        model = Meeting
        fields = [
            "level",
            "formality",
            "held_on",
            "counterpart_blo",
            "location",
            "agenda",
            "outcomes",
        ]
        widgets = {
            "held_on": DateInput,
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "outcomes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, blo: BLO, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_version_field(self, self.instance.version, editing=self.instance.pk is not None)
        self.instance.blo = blo
        self.fields["counterpart_blo"].queryset = blo.counterparts.select_related("country")  # type: ignore[attr-defined]


class ParticipantForm(forms.Form):
    country = forms.ModelChoiceField(label=_("Country"), queryset=Country.objects.none())
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.none(), required=False
    )
    organisation = forms.CharField(label=_("or other organisation"), max_length=200, required=False)
    people = forms.IntegerField(label=_("People"), min_value=1, max_value=500, initial=1)
    names = forms.CharField(label=_("Names"), max_length=500, required=False)

    def __init__(
        self, *args: Any, countries: QuerySet[Country], agencies: QuerySet[Agency], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].queryset = countries  # type: ignore[attr-defined]
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        agency = data.get("agency")
        country = data.get("country")
        if agency is None and not (data.get("organisation") or "").strip():
            raise forms.ValidationError(_("Name the agency or the organisation."))
        if agency is not None and country is not None and agency.country_id != country.pk:
            self.add_error("agency", _("This agency is not of this country."))
        return data


class ActionForm(forms.Form):
    description = forms.CharField(label=pgettext_lazy("meeting action", "Action"), max_length=500)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    owner_name = forms.CharField(
        label=_("or owner's name"),
        max_length=200,
        required=False,
        help_text=_("When the owner has no account, e.g. a counterpart officer."),
    )
    owner_agency = forms.ModelChoiceField(
        label=_("Owner's agency"), queryset=Agency.objects.none(), required=False
    )
    due_on = forms.DateField(label=_("Due"), widget=DateInput, required=False)

    def __init__(
        self, *args: Any, owners: QuerySet[User], agencies: QuerySet[Agency], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["owner_agency"].queryset = agencies  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("owner") is None and not (data.get("owner_name") or "").strip():
            raise forms.ValidationError(_("Name who owns the action."))
        return data


class FollowUpForm(forms.Form):
    """The follow-up of the actions still open from earlier meetings."""

    def __init__(self, *args: Any, actions: list[MeetingAction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actions = actions
        for action in actions:
            self.fields[f"status_{action.pk}"] = forms.ChoiceField(
                label=action.description,
                choices=[("", _("not discussed")), *ActionStatus.choices],
                required=False,
            )
            self.fields[f"note_{action.pk}"] = forms.CharField(
                label=pgettext_lazy("meeting action", "Follow-up"), max_length=500, required=False
            )

    def rows(self) -> list[tuple[MeetingAction, forms.BoundField, forms.BoundField]]:
        return [(a, self[f"status_{a.pk}"], self[f"note_{a.pk}"]) for a in self.actions]


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)

    def __init__(self, *args: Any, action: MeetingAction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_version_field(self, action.version, editing=True)


ParticipantFormSet = forms.formset_factory(ParticipantForm, extra=4, max_num=30)
ActionFormSet = forms.formset_factory(ActionForm, extra=3, max_num=30)
