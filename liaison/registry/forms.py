"""Forms of the registry and of accounts. They parse and validate; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from liaison.languages import KNOWN_LANGUAGES
from liaison.registry.models import (
    BLO,
    Agency,
    Cluster,
    Country,
    Crossing,
    Province,
    Role,
    User,
)
from liaison.registry.permissions import (
    Action,
    account_fields_fixed_to_editor,
    can,
    may_reassign_account,
    role_choices,
    visible,
)
from liaison.registry.versioning import add_version_field

SPOKEN_LANGUAGE_CHOICES = [(code, name) for code, name in KNOWN_LANGUAGES.items()]


class BLOForm(forms.ModelForm[BLO]):
    class Meta:
        model = BLO
        fields = [
            "code",
            "name_en",
            "name_local",
            "country",
            "province",
            "cluster",
            "latitude",
            "longitude",
            "agencies",
            "notes",
            "active",
        ]
        widgets = {
            "agencies": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_version_field(self, self.instance.version, editing=self.instance.pk is not None)
        self.user = user
        countries = visible(user, Country)
        self.fields["country"].queryset = countries  # type: ignore[attr-defined]
        self.fields["province"].queryset = visible(user, Province)  # type: ignore[attr-defined]
        self.fields["cluster"].queryset = visible(user, Cluster)  # type: ignore[attr-defined]
        # The agencies of the countries one keeps posts in (a post's agencies are its country's).
        self.fields["agencies"].queryset = visible(user, Agency).filter(country__in=countries)  # type: ignore[attr-defined]
        if self.instance.pk is not None:
            self.fields["code"].disabled = True
            if not can(user, Action.CREATE, self.instance):
                # A head of BLO edits the post's details but does not move it to another country.
                self.fields["country"].disabled = True


class CounterpartProposalForm(forms.Form):
    """Propose a pair: only BLOs the post could pair with are offered."""

    to_blo = forms.ModelChoiceField(
        label=_("Propose a counterpart BLO"),
        queryset=BLO.objects.none(),
        help_text=_(
            "A post across a land border. It becomes a counterpart when its head or its "
            "national coordinator accepts; until then nothing is shared."
        ),
    )

    def __init__(self, *args: Any, eligible: QuerySet[BLO], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to_blo"]
        field.queryset = eligible  # type: ignore[attr-defined]
        field.label_from_instance = lambda blo: f"{blo.display_name} · {blo.country.display_name}"  # type: ignore[attr-defined]


class CrossingForm(forms.ModelForm[Crossing]):
    class Meta:
        model = Crossing
        fields = ["code", "name_en", "name_local", "kind", "latitude", "longitude"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_version_field(self, self.instance.version, editing=self.instance.pk is not None)


class AccountForm(forms.ModelForm[User]):
    """An account as an administrator, coordinator or head of BLO keeps it: never its password,
    which only its user sets (a manager issues a one-time sign-in link instead)."""

    languages_spoken = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=SPOKEN_LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = User
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "country",
            "blo",
            "agency",
            "rank",
            "position",
            "languages_spoken",
            "at_station_since",
            "is_active",
        ]
        widgets = {"at_station_since": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_version_field(self, self.instance.version, editing=self.instance.pk is not None)
        self.user = user
        roles = role_choices(user, self.instance)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]  # type: ignore[attr-defined]
        self.fields["country"].queryset = visible(user, Country)  # type: ignore[attr-defined]
        self.fields["blo"].queryset = visible(user, BLO).filter(  # type: ignore[attr-defined]
            country__in=visible(user, Country)
        )
        self.fields["agency"].queryset = visible(user, Agency)  # type: ignore[attr-defined]
        for name in account_fields_fixed_to_editor(user):
            self.fields[name].disabled = True
            self.initial.setdefault(name, getattr(user, f"{name}_id"))
        if self.instance.pk is not None and not may_reassign_account(user, self.instance):
            # Who may move an account between agencies and posts is the permission layer's
            # call; the form only shows it.
            for name in ("country", "blo", "agency"):
                self.fields[name].disabled = True


class ProfileForm(forms.ModelForm[User]):
    """What every user may change about themselves."""

    languages_spoken = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=SPOKEN_LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_language = forms.ChoiceField(label=_("Interface language"), required=False)

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "rank",
            "position",
            "languages_spoken",
            "at_station_since",
            "preferred_language",
        ]
        widgets = {"at_station_since": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_version_field(self, self.instance.version, editing=True)
        field = self.fields["preferred_language"]
        field.choices = [("", _("The language of my country")), *settings.LANGUAGES]  # type: ignore[attr-defined]


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )


class RegistryImportForm(forms.Form):
    file = forms.FileField(
        label=_("Registry file (.xlsx workbook or .csv)"),
        help_text=_(
            "A workbook with the sheets countries, provinces, clusters, agencies, blos and "
            "crossings, or one CSV file named after one of them (e.g. blos.csv)."
        ),
    )


class RolePolicyForm(forms.Form):
    def __init__(self, *args: Any, current: dict[str, bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role in Role:
            self.fields[role.value] = forms.BooleanField(
                label=role.label, required=False, initial=current.get(role.value, False)
            )
