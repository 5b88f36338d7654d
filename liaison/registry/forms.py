"""Forms of the registry and of accounts. They parse and validate; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
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
from liaison.registry.permissions import Action, can, grantable_roles, visible

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
            "counterparts",
            "notes",
            "active",
        ]
        widgets = {
            "agencies": forms.CheckboxSelectMultiple,
            "counterparts": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        countries = visible(user, Country)
        self.fields["country"].queryset = countries  # type: ignore[attr-defined]
        self.fields["province"].queryset = visible(user, Province)  # type: ignore[attr-defined]
        self.fields["cluster"].queryset = visible(user, Cluster)  # type: ignore[attr-defined]
        self.fields["agencies"].queryset = visible(user, Agency)  # type: ignore[attr-defined]
        # Counterparts are across the border: any BLO may be named, in any country.
        self.fields["counterparts"].queryset = BLO.objects.select_related("country")  # type: ignore[attr-defined]
        if self.instance.pk is not None:
            self.fields["code"].disabled = True
            if not can(user, Action.CREATE, self.instance):
                # A head of BLO edits the post's details but does not move it to another country.
                self.fields["country"].disabled = True

    def clean_counterparts(self) -> Any:
        pairs = self.cleaned_data.get("counterparts")
        country = self.cleaned_data.get("country")
        if country is None and self.instance.country_id is not None:
            country = self.instance.country
        if pairs is not None and country is not None:
            same = [p for p in pairs if p.country_id == country.pk]
            if same:
                raise forms.ValidationError(
                    _("A counterpart BLO is across the border, in another country: %(names)s")
                    % {"names": ", ".join(p.name_en for p in same)}
                )
        return pairs


class CrossingForm(forms.ModelForm[Crossing]):
    class Meta:
        model = Crossing
        fields = ["code", "name_en", "name_local", "kind", "latitude", "longitude"]


class AccountForm(forms.ModelForm[User]):
    """An account as an administrator, coordinator or head of BLO keeps it."""

    password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )
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
        self.user = user
        roles = grantable_roles(user)
        if self.instance.pk is not None and Role(self.instance.role) not in roles:
            roles = [Role(self.instance.role), *roles]
        self.fields["role"].choices = [(r.value, r.label) for r in roles]  # type: ignore[attr-defined]
        self.fields["country"].queryset = visible(user, Country)  # type: ignore[attr-defined]
        self.fields["blo"].queryset = visible(user, BLO).filter(  # type: ignore[attr-defined]
            country__in=visible(user, Country)
        )
        self.fields["agency"].queryset = visible(user, Agency)  # type: ignore[attr-defined]
        if user.role == Role.HEAD_OF_BLO:
            self.fields["country"].disabled = True
            self.fields["blo"].disabled = True
            self.initial.setdefault("country", user.country_id)
            self.initial.setdefault("blo", user.blo_id)
        elif user.role == Role.NATIONAL_COORDINATOR:
            self.fields["country"].disabled = True
            self.initial.setdefault("country", user.country_id)

    def clean_password(self) -> str:
        password: str = self.cleaned_data.get("password") or ""
        if password:
            password_validation.validate_password(password, self.instance)
        return password


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
