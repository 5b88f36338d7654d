"""Forms of the exchange: they parse and validate in the reader's language; services write."""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import Any, cast

from django import forms
from django.conf import settings
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from liaison.exchange.access import is_originating_unit, is_stricter, may_record_for
from liaison.exchange.models import (
    TLP,
    Alert,
    Distribution,
    Incident,
    InformationRequest,
    IntelligenceReport,
    NominalEntry,
    PersonCount,
    SeizureItem,
    SharingGroup,
    SmugglingMethod,
)
from liaison.exchange.selectors import COMMODITY_KINDS
from liaison.languages import KNOWN_LANGUAGES
from liaison.reference.language import label
from liaison.reference.models import (
    DrugType,
    OzoneSubstance,
    Precursor,
    ReferenceLoad,
    Species,
    SpecimenPart,
    TimberSpecies,
    WasteCategory,
)
from liaison.registry.models import BLO, Agency, Crossing, User
from liaison.registry.permissions import visible

TEXT_LANGUAGES = [(code, name) for code, name in KNOWN_LANGUAGES.items()]

VOCABULARY_MODELS: dict[str, Any] = {
    "drug": DrugType,
    "precursor": Precursor,
    "ods": OzoneSubstance,
    "waste": WasteCategory,
    "species": Species,
    "timber": TimberSpecies,
}
VOCABULARY_TITLES = {
    "drug": _("Drugs"),
    "precursor": _("Precursor chemicals"),
    "ods": _("Ozone depleting substances"),
    "waste": _("Hazardous wastes"),
    "species": _("Wildlife (CITES species)"),
    "timber": _("Timber"),
}


def set_choices(field: forms.Field, choices: Any) -> None:
    """Give a choice field its options at run time (they depend on the reader and the data)."""
    cast(forms.ChoiceField, field).choices = choices


def commodity_choices(lang: str | None = None) -> list[tuple[str, Any]]:
    """One grouped list of every commodity of the vocabularies, labelled in the reader's language.

    Built once per language and version of the reference data (the loader records each change),
    since every search and record form shows it.
    """
    lang = lang or get_language() or "en"
    latest = ReferenceLoad.objects.order_by("-id").values_list("id", flat=True).first()
    return _commodity_choices(lang, latest or 0)


@lru_cache(maxsize=32)
def _commodity_choices(lang: str, reference_version: int) -> list[tuple[str, Any]]:
    groups: list[tuple[str, Any]] = [("", "—")]
    for kind, model in VOCABULARY_MODELS.items():
        options = [
            (f"{kind}:{entry.code}", label(entry, lang))
            for entry in model.objects.filter(active=True).order_by("name_en")
        ]
        options.sort(key=lambda option: option[1].lower())
        groups.append((str(VOCABULARY_TITLES[kind]), options))
    return groups


def resolve_commodity(value: str) -> tuple[str, Any] | None:
    """``"species:MANIS-JAVANICA"`` → (``"species"``, the Species entry)."""
    if ":" not in value:
        return None
    kind, code = value.split(":", 1)
    model = VOCABULARY_MODELS.get(kind)
    if model is None:
        return None
    entry = model.objects.filter(code=code).first()
    return None if entry is None else (COMMODITY_KINDS[kind], entry)


class IncidentForm(forms.ModelForm[Incident]):
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    summary_language = forms.ChoiceField(label=_("Language of the text"), choices=TEXT_LANGUAGES)
    confirm_beyond_label = forms.BooleanField(
        label=_("As the originator, I approve sharing beyond the TLP label"), required=False
    )
    alert_counterparts = forms.BooleanField(
        label=_("Alert the counterpart BLO(s) now"), required=False
    )
    alert_subject = forms.CharField(label=_("Alert: look out for"), required=False, max_length=200)

    class Meta:
        model = Incident
        fields = [
            "blo",
            "occurred_at",
            "crossing",
            "location_kind",
            "latitude",
            "longitude",
            "direction",
            "crime_area",
            "detection_method",
            "concealment_method",
            "conveyance",
            "origin_country",
            "transit_countries",
            "destination_country",
            "agencies_involved",
            "summary",
            "summary_language",
            "tlp",
            "distribution",
            "group",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "agencies_involved": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        blos = [b.pk for b in visible(user, BLO) if may_record_for(user, b)]
        fields = self.fields
        if "blo" in fields:
            fields["blo"].queryset = BLO.objects.filter(pk__in=blos)  # type: ignore[attr-defined]
            if user.blo_id is not None:
                fields["blo"].initial = user.blo_id
        fields["crossing"].queryset = visible(user, Crossing).filter(blo_id__in=blos)  # type: ignore[attr-defined]
        if "agencies_involved" in fields:
            fields["agencies_involved"].queryset = visible(user, Agency).filter(  # type: ignore[attr-defined]
                country=user.country
            )
        if "group" in fields:
            fields["group"].queryset = visible(user, SharingGroup)  # type: ignore[attr-defined]
        fields["summary_language"].initial = get_language() or settings.LANGUAGE_CODE
        fields["latitude"].widget.attrs.update({"step": "any", "inputmode": "decimal"})
        fields["longitude"].widget.attrs.update({"step": "any", "inputmode": "decimal"})

    def clean_occurred_at(self) -> Any:
        value = self.cleaned_data["occurred_at"]
        if value and value > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("The date and time cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("alert_counterparts") and not data.get("alert_subject"):
            self.add_error("alert_subject", _("Say what the counterparts should look out for."))
        return data


class IncidentEditForm(IncidentForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta(IncidentForm.Meta):
        fields = [
            f
            for f in IncidentForm.Meta.fields
            if f not in {"blo", "tlp", "distribution", "group", "agencies_involved"}
        ]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name in ("confirm_beyond_label", "alert_counterparts", "alert_subject"):
            self.fields.pop(name, None)
        if self.instance.pk is not None:
            self.fields["version"].initial = self.instance.version
            self.fields["crossing"].queryset = visible(user, Crossing).filter(  # type: ignore[attr-defined]
                blo_id=self.instance.blo_id
            )


class SeizureItemForm(forms.Form):
    commodity = forms.ChoiceField(label=_("What was seized"), required=False)
    specimen_part = forms.ModelChoiceField(
        label=_("Part or derivative"), queryset=SpecimenPart.objects.none(), required=False
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=0, required=False, max_digits=14, decimal_places=3
    )
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from liaison.reference.models import Unit

        self.fields["commodity"].choices = commodity_choices()  # type: ignore[attr-defined]
        self.fields["specimen_part"].queryset = SpecimenPart.objects.filter(active=True)  # type: ignore[attr-defined]
        self.fields["specimen_part"].label_from_instance = lambda p: label(p)  # type: ignore[attr-defined]
        self.fields["unit"].choices = [("", "—"), *Unit.choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        commodity = data.get("commodity")
        if not commodity:
            if data.get("quantity") is not None or data.get("description"):
                self.add_error("commodity", _("Choose what was seized from the list."))
            return data
        if resolve_commodity(commodity) is None:
            self.add_error("commodity", _("Choose what was seized from the list."))
        if data.get("quantity") is None:
            self.add_error("quantity", _("Give the quantity seized."))
        if not data.get("unit"):
            self.add_error("unit", _("Give the unit."))
        return data

    def to_item(self) -> SeizureItem | None:
        data = self.cleaned_data
        resolved = resolve_commodity(data.get("commodity") or "")
        if resolved is None:
            return None
        field_name, entry = resolved
        item = SeizureItem(
            quantity=data["quantity"],
            unit=data["unit"],
            description=data.get("description", ""),
            specimen_part=data.get("specimen_part"),
        )
        setattr(item, field_name, entry)
        return item


class PersonCountForm(forms.ModelForm[PersonCount]):
    class Meta:
        model = PersonCount
        fields = ["category", "sex", "age_band", "nationality", "count"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_permitted = True
        self.use_required_attribute = False

    def has_changed(self) -> bool:
        return bool(self.data.get(self.add_prefix("count")))


class NominalEntryForm(forms.ModelForm[NominalEntry]):
    class Meta:
        model = NominalEntry
        fields = [
            "kind",
            "role",
            "name",
            "identifier",
            "nationality",
            "date_of_birth",
            "details",
            "distribution",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "details": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_permitted = True
        self.use_required_attribute = False
        self.fields["distribution"].help_text = _(
            "Kept narrower than the record. A victim's identity never leaves your agency."
        )

    def has_changed(self) -> bool:
        # A row with only its preselected choices is an unused row, not an entry to check.
        return bool(
            self.data.get(self.add_prefix("name")) or self.data.get(self.add_prefix("identifier"))
        )


SeizureItemFormSet = formset_factory(SeizureItemForm, extra=3, max_num=20)
PersonCountFormSet = forms.modelformset_factory(
    PersonCount, form=PersonCountForm, extra=2, max_num=20
)
NominalEntryFormSet = forms.modelformset_factory(
    NominalEntry, form=NominalEntryForm, extra=2, max_num=20
)


class SmugglingReportForm(forms.Form):
    """The VRS-MSRC fields, asked when the crime area is migrant smuggling."""

    fee_per_person = forms.DecimalField(label=_("Fee paid per person"), min_value=0, required=False)
    fee_currency = forms.CharField(label=_("Currency"), max_length=3, required=False, initial="USD")
    means_of_transport = forms.ChoiceField(label=_("Means of transport"), required=False)
    methods = forms.MultipleChoiceField(
        label=_("Methods"),
        choices=SmugglingMethod.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    document_fraud = forms.ChoiceField(label=_("Document fraud"), required=False)
    smuggler_roles = forms.CharField(
        label=_("Roles of the smugglers"),
        required=False,
        help_text=_("e.g. organiser, recruiter, guide, transporter, document provider"),
    )
    deaths_or_injuries = forms.IntegerField(
        label=_("Deaths or injuries on the way"), min_value=0, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from liaison.exchange.models import Conveyance, DocumentFraud

        self.fields["means_of_transport"].choices = [("", "—"), *Conveyance.choices]  # type: ignore[attr-defined]
        self.fields["document_fraud"].choices = DocumentFraud.choices  # type: ignore[attr-defined]


class ShareForm(forms.Form):
    distribution = forms.ChoiceField(label=_("Share with"), choices=Distribution.choices)
    group = forms.ModelChoiceField(
        label=_("Sharing group"), queryset=SharingGroup.objects.none(), required=False
    )
    reason = forms.CharField(
        label=_("Why"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when sharing beyond the TLP label."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = visible(user, SharingGroup)  # type: ignore[attr-defined]


LINKABLE_INCIDENTS_SHOWN = 200


class IntelligenceForm(forms.ModelForm[IntelligenceReport]):
    source = forms.CharField(
        label=_("Source"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who or what the information came from. Never leaves your agency."),
    )
    body_language = forms.ChoiceField(label=_("Language of the text"), choices=TEXT_LANGUAGES)
    confirm_beyond_label = forms.BooleanField(
        label=_("As the originator, I approve sharing beyond the TLP label"), required=False
    )

    class Meta:
        model = IntelligenceReport
        fields = [
            "blo",
            "title",
            "crime_area",
            "source_reliability",
            "information_credibility",
            "body",
            "body_language",
            "route",
            "incidents",
            "tlp",
            "distribution",
            "group",
        ]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 6}),
            "incidents": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blos = [b.pk for b in visible(user, BLO) if may_record_for(user, b)]
        self.fields["blo"].queryset = BLO.objects.filter(pk__in=blos)  # type: ignore[attr-defined]
        if user.blo_id is not None:
            self.fields["blo"].initial = user.blo_id
        # Validated against every incident the author may read; the list offers the latest.
        incidents = cast(forms.ModelMultipleChoiceField[Incident], self.fields["incidents"])
        incidents.queryset = visible(user, Incident).order_by("-occurred_at")
        incidents.required = False
        incidents.widget.choices = [
            (incident.pk, str(incident))
            for incident in incidents.queryset[:LINKABLE_INCIDENTS_SHOWN]
        ]
        self.fields["group"].queryset = visible(user, SharingGroup)  # type: ignore[attr-defined]
        self.fields["body_language"].initial = get_language() or settings.LANGUAGE_CODE


class IntelligenceEditForm(forms.ModelForm[IntelligenceReport]):
    version = forms.IntegerField(widget=forms.HiddenInput)
    body_language = forms.ChoiceField(label=_("Language of the text"), choices=TEXT_LANGUAGES)

    class Meta:
        model = IntelligenceReport
        fields = [
            "title",
            "crime_area",
            "source_reliability",
            "information_credibility",
            "body",
            "body_language",
            "route",
            "tlp",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version"].initial = self.instance.version
            if not is_originating_unit(user, self.instance):
                # Outside the originating unit the label may only become stricter.
                current = TLP(self.instance.tlp)
                set_choices(
                    self.fields["tlp"],
                    [(t.value, t.label) for t in TLP if t == current or is_stricter(t, current)],
                )
                self.fields["tlp"].help_text = _(
                    "Only the originating unit may loosen the label; you may make it stricter."
                )


class AlertForm(forms.ModelForm[Alert]):
    body_language = forms.ChoiceField(label=_("Language of the text"), choices=TEXT_LANGUAGES)
    to_blos = forms.ModelMultipleChoiceField(
        label=_("Send to"),
        queryset=BLO.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Alert
        fields = ["subject", "vehicle", "body", "body_language", "tlp", "valid_until"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 3}),
            "valid_until": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        counterparts = user.blo.counterparts.all() if user.blo is not None else BLO.objects.none()
        self.fields["to_blos"].queryset = counterparts  # type: ignore[attr-defined]
        self.fields["to_blos"].initial = list(counterparts)
        self.fields["body_language"].initial = get_language() or settings.LANGUAGE_CODE
        self.fields["tlp"].initial = TLP.AMBER


class AlertResponseForm(forms.Form):
    response = forms.CharField(label=_("Response"), widget=forms.Textarea(attrs={"rows": 3}))
    language = forms.ChoiceField(label=_("Language of the text"), choices=TEXT_LANGUAGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = get_language()


class InformationRequestForm(forms.ModelForm[InformationRequest]):
    question_language = forms.ChoiceField(label=_("Language of the text"), choices=TEXT_LANGUAGES)

    class Meta:
        model = InformationRequest
        fields = ["to_blo", "question", "question_language", "deadline"]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 4}),
            "deadline": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        counterparts = user.blo.counterparts.all() if user.blo is not None else BLO.objects.none()
        self.fields["to_blo"].queryset = counterparts  # type: ignore[attr-defined]
        self.fields["question_language"].initial = get_language()


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}))
    language = forms.ChoiceField(label=_("Language of the text"), choices=TEXT_LANGUAGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = get_language()


class SearchForm(forms.Form):
    area = forms.ChoiceField(label=_("Crime area"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    blo = forms.ChoiceField(label=_("BLO"), required=False)
    crossing_kind = forms.ChoiceField(label=_("Where"), required=False)
    commodity = forms.ChoiceField(label=_("Commodity"), required=False)
    nationality = forms.CharField(label=_("Nationality (ISO code)"), required=False, max_length=2)
    text = forms.CharField(label=_("Words"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from liaison.exchange.models import LocationKind
        from liaison.reference.models import CrimeArea

        set_choices(self.fields["area"], [("", _("All")), *CrimeArea.choices])
        set_choices(
            self.fields["blo"],
            [("", _("All")), *((b.code, b.display_name) for b in visible(user, BLO))],
        )
        set_choices(self.fields["crossing_kind"], [("", _("All")), *LocationKind.choices])
        set_choices(self.fields["commodity"], commodity_choices())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class SeizureImportForm(forms.Form):
    file = forms.FileField(label=_("Seizure spreadsheet (.xlsx or .csv)"))
    blo = forms.ModelChoiceField(label=_("Recorded for BLO"), queryset=BLO.objects.none())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blos = [b.pk for b in visible(user, BLO) if may_record_for(user, b)]
        self.fields["blo"].queryset = BLO.objects.filter(pk__in=blos)  # type: ignore[attr-defined]
        if user.blo_id is not None:
            self.fields["blo"].initial = user.blo_id


class SharingGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = visible(user, User).filter(is_active=True).exclude(pk=user.pk)
        self.fields["members"].queryset = members  # type: ignore[attr-defined]
