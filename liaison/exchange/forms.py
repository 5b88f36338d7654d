"""Forms of the exchange: they parse and validate in the reader's language; services write."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypedDict, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.forms import formset_factory
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from liaison.caching import for_reader, per_request
from liaison.exchange.access import is_originating_unit, is_stricter, may_record_for
from liaison.exchange.models import (
    TLP,
    Alert,
    Distribution,
    Incident,
    InformationRequest,
    IntelligenceReport,
    NominalEntry,
    NominalKind,
    PersonCount,
    SeizureItem,
    SharingGroup,
    SmugglingMethod,
)
from liaison.exchange.sections import IncidentSection, applies
from liaison.exchange.shape import (
    COMMODITY_KINDS,
    NOMINAL_FIELDS,
    Use,
    commodity_kind,
    names_for,
)
from liaison.languages import KNOWN_LANGUAGES
from liaison.reference.language import fold, label, normalise_language
from liaison.reference.models import (
    ReferenceLoad,
    SpecimenPart,
)
from liaison.registry.models import BLO, Agency, Crossing, User
from liaison.registry.permissions import visible
from liaison.widgets import FixedChoices, QuickSelect

TEXT_LANGUAGES = [(code, name) for code, name in KNOWN_LANGUAGES.items()]


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
    for kind in COMMODITY_KINDS:
        options = [
            (f"{kind.key}:{entry.code}", label(entry, lang))
            for entry in kind.entries().filter(active=True).order_by("name_en")
        ]
        options.sort(key=lambda option: option[1].lower())
        groups.append((str(kind.title), options))
    return groups


@lru_cache(maxsize=32)
def _fixed_commodity_choices(lang: str, reference_version: int) -> FixedChoices:
    return FixedChoices(_commodity_choices(lang, reference_version))


class PickerEntry(TypedDict):
    """One entry of a picker's vocabulary (commodities, countries), as the page's script reads it."""

    value: str  # what the form posts and the server checks
    label: str  # the name in the reader's language
    group: str  # a heading the list shows it under ("" for none)
    search: str  # folded (accent-blind) names it is found by


_LATIN_WORD = re.compile(r"^[a-z0-9 ]+$")
_WORD_BREAKS = re.compile(r"[^\w]+")


def _found(search: str, words: list[str]) -> bool:
    spaced = " " + _WORD_BREAKS.sub(" ", search)
    return all(
        (" " + word) in spaced if _LATIN_WORD.match(word) else word in search for word in words
    )


def find_entries(entries: Iterable[PickerEntry], query: str) -> list[PickerEntry]:
    """The entries whose folded names hold what was typed (accent-blind): those holding the words
    together as typed if any do ("te te" finds the pangolins, "tê tê"), else those holding every
    word. A Latin word is matched at the start of a word ("te" is not in "methamphetamine"), a
    word of a script written without spaces (Khmer, Lao, Thai) anywhere. The picker's script
    searches alike."""
    words = fold(query).split()
    if not words:
        return list(entries)
    entries = list(entries)
    together = (
        [e for e in entries if _found(e["search"], [" ".join(words)])] if len(words) > 1 else []
    )
    return together or [e for e in entries if _found(e["search"], words)]


def reference_version() -> int:
    """The latest load of the reference data: a new one changes every vocabulary's address.
    Read once per request (a page asks for it for each form and each drawing it keeps)."""

    def latest() -> int:
        found = ReferenceLoad.objects.order_by("-id").values_list("id", flat=True).first()
        return found or 0

    return per_request(("reference-version",), latest)


def commodity_vocabulary(lang: str, kind: str = "", query: str = "") -> list[PickerEntry]:
    """The commodities of the reference vocabularies, labelled in ``lang``: all of them, or those
    of one ``kind`` whose names hold every word of ``query`` (accent-blind)."""
    entries = _commodity_vocabulary(normalise_language(lang), reference_version())
    if kind:
        entries = tuple(e for e in entries if e["value"].startswith(kind + ":"))
    return find_entries(entries, query)


@lru_cache(maxsize=16)
def _commodity_vocabulary(lang: str, reference_version: int) -> tuple[PickerEntry, ...]:
    entries: list[PickerEntry] = []
    with translation.override(lang):
        for kind in COMMODITY_KINDS:
            group = str(kind.title)
            rows = []
            for entry in kind.entries().filter(active=True):
                name = label(entry, lang)
                terms = [name, entry.name_en, *(entry.synonyms or [])]
                terms.append(getattr(entry, "scientific_name", ""))
                rows.append(
                    PickerEntry(
                        value=f"{kind.key}:{entry.code}",
                        label=name,
                        group=group,
                        search=" | ".join(fold(term) for term in terms if term),
                    )
                )
            rows.sort(key=lambda row: row["label"].lower())
            entries.extend(rows)
    return tuple(entries)


def commodity_label(value: str, lang: str | None = None) -> str:
    """The name of a posted ``"kind:code"`` in the reader's language ("" if it is none)."""
    resolved = resolve_commodity(value)
    return "" if resolved is None else label(resolved[1], lang)


def resolve_commodity(value: str) -> tuple[str, Any] | None:
    """``"species:MANIS-JAVANICA"`` → (``"species"``, the Species entry)."""
    if ":" not in value:
        return None
    key, code = value.split(":", 1)
    kind = commodity_kind(key)
    if kind is None:
        return None
    entry = kind.entries().filter(code=code).first()
    return None if entry is None else (kind.field, entry)


NETWORK_COUNTRIES = ("VN", "LA", "KH", "TH", "CN")
"""Listed first by the country picker: the countries of the BLO network."""


def country_vocabulary(lang: str, query: str = "") -> list[PickerEntry]:
    """Every country, named in ``lang`` (django-countries' translations), the network's first;
    those whose names (in ``lang`` or English) or code hold every word of ``query``."""
    words = fold(query).split()
    return [e for e in _country_vocabulary(lang) if all(word in e["search"] for word in words)]


@lru_cache(maxsize=16)
def _country_vocabulary(lang: str) -> tuple[PickerEntry, ...]:
    with translation.override("en"):
        english = {code: str(name) for code, name in countries}
    with translation.override(lang):
        named = [(code, str(name)) for code, name in countries]
    named.sort(key=lambda pair: (pair[0] not in NETWORK_COUNTRIES, fold(pair[1])))
    return tuple(
        PickerEntry(
            value=code,
            label=name,
            group="",
            search=" | ".join(fold(term) for term in (name, english.get(code, ""), code)),
        )
        for code, name in named
    )


def country_name(code: str) -> str:
    """The country's name in the reader's language ("" for no country)."""
    return str(countries.name(code)) if code else ""


class CountryInput(forms.TextInput):
    """A country by its ISO code (``KH``), with its name for the page's country picker: the page
    carries no list of 250 countries per field. Without the script the code is typed."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"data-picker": "countries", "autocomplete": "off", "spellcheck": "false"}
        super().__init__({**base, **(attrs or {})})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        return value.strip().upper() if isinstance(value, str) else value

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-picker-label"] = country_name(str(value or ""))
        return context


class CountriesInput(CountryInput):
    """Several countries by their ISO codes: the picker posts one value per country; typed by
    hand they are separated by commas or spaces (``LA, TH``)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"data-picker-multiple": "", **(attrs or {})})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name, "")]
        return [code.upper() for v in values for code in re.split(r"[,;\s]+", str(v)) if code]

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        formatted: str | None = super().format_value(value)
        return formatted

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        codes = value if isinstance(value, (list, tuple)) else []
        context["widget"]["attrs"]["data-picker-label"] = json.dumps(
            {str(code): country_name(str(code)) for code in codes}, ensure_ascii=False
        )
        return context


@dataclass(frozen=True)
class AgencyGroup:
    """Agencies offered under one heading of the form: a post's, or the country's others."""

    label: str
    blo: int | None  # the post whose agencies these are (None: the country's others)
    agencies: list[tuple[int, str]]  # (pk, name in the reader's language)


def agency_groups(blos: QuerySet[BLO], allowed: QuerySet[Agency]) -> list[AgencyGroup]:
    """The agencies a recorder may name, under the post(s) they record for: each post's
    stationed agencies under its name, then the country's other agencies (a coordination
    office, a commune's police). Names in the reader's language as the registry holds them."""
    offered = {agency.pk: agency for agency in allowed}
    groups: list[AgencyGroup] = []
    stationed_anywhere: set[int] = set()
    for blo in blos.prefetch_related("agencies").order_by("name_en"):
        stationed = [(a.pk, a.display_name) for a in blo.agencies.all() if a.pk in offered]
        stationed.sort(key=lambda pair: pair[1].lower())
        stationed_anywhere.update(pk for pk, _name in stationed)
        groups.append(AgencyGroup(blo.display_name, blo.pk, stationed))
    others = [(a.pk, a.display_name) for a in offered.values() if a.pk not in stationed_anywhere]
    if others:
        others.sort(key=lambda pair: pair[1].lower())
        groups.append(AgencyGroup(str(_("Other agencies")), None, others))
    return groups


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
        fields = names_for(Use.FORM)
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "agencies_involved": forms.CheckboxSelectMultiple,
            "origin_country": CountryInput,
            "transit_countries": CountriesInput,
            "destination_country": CountryInput,
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.agency_groups: list[AgencyGroup] = []
        blos = [b.pk for b in visible(user, BLO) if may_record_for(user, b)]
        fields = self.fields
        if "blo" in fields:
            fields["blo"].queryset = BLO.objects.filter(pk__in=blos)  # type: ignore[attr-defined]
            if user.blo_id is not None:
                fields["blo"].initial = user.blo_id
        fields["crossing"].queryset = visible(user, Crossing).filter(blo_id__in=blos)  # type: ignore[attr-defined]
        if "agencies_involved" in fields:
            agencies = visible(user, Agency).filter(country=user.country)
            fields["agencies_involved"].queryset = agencies  # type: ignore[attr-defined]
            self.agency_groups = agency_groups(BLO.objects.filter(pk__in=blos), agencies)
        if "group" in fields:
            fields["group"].queryset = visible(user, SharingGroup)  # type: ignore[attr-defined]
        fields["summary_language"].initial = get_language() or settings.LANGUAGE_CODE
        fields["latitude"].widget.attrs.update({"step": "any", "inputmode": "decimal"})
        fields["longitude"].widget.attrs.update({"step": "any", "inputmode": "decimal"})
        # The browser's own date and time picker, which cannot pick a moment in the future.
        latest = timezone.localtime() + datetime.timedelta(minutes=5)
        fields["occurred_at"].widget.attrs["max"] = latest.strftime("%Y-%m-%dT%H:%M")

    @property
    def chosen_agencies(self) -> set[int]:
        """The agencies ticked (as posted, or as stored), for drawing the grouped checkboxes."""
        if "agencies_involved" not in self.fields:
            return set()
        chosen: set[int] = set()
        for value in self["agencies_involved"].value() or []:
            try:
                chosen.add(int(getattr(value, "pk", value)))
            except (TypeError, ValueError):
                continue
        return chosen

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
        fields = names_for(Use.EDIT)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name in ("confirm_beyond_label", "alert_counterparts", "alert_subject"):
            self.fields.pop(name, None)
        if self.instance.pk is not None:
            self.fields["version"].initial = self.instance.version
            self.fields["crossing"].queryset = visible(user, Crossing).filter(  # type: ignore[attr-defined]
                blo_id=self.instance.blo_id
            )


class CommodityInput(forms.TextInput):
    """The code of a commodity (``species:manis-javanica``), with its name for the picker.

    The page embeds no list of commodities: its script turns this field into a search over the
    vocabulary served at ``exchange:commodities`` and posts the chosen entry's code. Without the
    script the code is typed as the reference library shows it."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-picker-label"] = commodity_label(str(value or ""))
        return context


class SeizureItemForm(forms.Form):
    commodity = forms.CharField(
        label=_("What was seized"),
        required=False,
        max_length=80,
        widget=CommodityInput(
            attrs={"data-picker": "commodities", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_("Type a few letters of its name and choose it from the list."),
    )
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
        widgets = {"nationality": CountryInput}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_permitted = True
        self.use_required_attribute = False

    def has_changed(self) -> bool:
        return bool(self.data.get(self.add_prefix("count")))


class NominalEntryForm(forms.ModelForm[NominalEntry]):
    class Meta:
        model = NominalEntry
        fields = names_for(Use.FORM, NOMINAL_FIELDS)
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "details": forms.Textarea(attrs={"rows": 2}),
            "nationality": CountryInput,
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

    def is_filled(self) -> bool:
        """Whether anything was said beyond the preset currency and "no document fraud"."""
        data = self.cleaned_data
        return bool(
            data.get("fee_per_person") is not None
            or data.get("means_of_transport")
            or data.get("methods")
            or data.get("document_fraud") not in {None, "", "none"}
            or data.get("smuggler_roles")
            or data.get("deaths_or_injuries")
        )


def refuse_other_areas(
    crime_area: str,
    items: forms.BaseFormSet[Any],
    people: forms.BaseFormSet[Any],
    smuggling: SmugglingReportForm,
) -> bool:
    """Refuse what was typed into a section of the form that does not belong to the chosen crime
    area (the page hides such sections; a page without its script, or a forged post, may still
    send them). Each refusal is shown in its section. True when nothing was refused."""
    message = _("This part is not recorded for the chosen crime area: clear it or choose another.")
    ok = True
    filled = {
        IncidentSection.ITEMS: (items, any(f.has_changed() for f in items.forms)),
        IncidentSection.PEOPLE: (people, any(f.has_changed() for f in people.forms)),
    }
    for section, (formset, used) in filled.items():
        if used and not applies(section, crime_area):
            formset.non_form_errors().append(message)
            ok = False
    if smuggling.is_filled() and not applies(IncidentSection.SMUGGLING, crime_area):
        smuggling.add_error(None, message)
        ok = False
    return ok


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
        labels = {"to_blo": _("Counterpart BLO")}
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
    area = forms.ChoiceField(label=_("Crime area"), required=False, widget=QuickSelect)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    blo = forms.ChoiceField(label=_("BLO"), required=False, widget=QuickSelect)
    crossing_kind = forms.ChoiceField(label=_("Where"), required=False, widget=QuickSelect)
    commodity = forms.ChoiceField(label=_("Commodity"), required=False, widget=QuickSelect)
    nationality = forms.CharField(label=_("Nationality (ISO code)"), required=False, max_length=2)
    text = forms.CharField(label=_("Words"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from liaison.exchange.models import LocationKind
        from liaison.reference.models import CrimeArea

        set_choices(self.fields["area"], [("", _("All")), *CrimeArea.choices])
        lang, version = get_language() or "en", reference_version()

        def blos() -> list[tuple[str, str]]:
            return [(b.code, str(b.display_name)) for b in visible(user, BLO)]

        # the posts the reader may see, named in their language: read once until a write
        set_choices(
            self.fields["blo"],
            [("", _("All")), *for_reader(user, "exchange:search-blos", blos, lang)],
        )
        set_choices(self.fields["crossing_kind"], [("", _("All")), *LocationKind.choices])
        set_choices(self.fields["commodity"], _fixed_commodity_choices(lang, version))
        # the same ~260 options for every reader of a language: drawn once (QuickSelect)
        cast(QuickSelect, self.fields["commodity"].widget).options_key = (
            "commodity",
            lang,
            version,
        )

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


class AttachmentForm(forms.Form):
    """An upload to a record: the file, and whether it shows a person (and whom)."""

    # An empty file is refused by the service, with a message naming it.
    file = forms.FileField(
        label=_("Photo or document (JPEG, PNG, WebP or PDF)"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )
    of_person = forms.BooleanField(
        label=_("This photo shows a person"),
        required=False,
        help_text=_("Then only those who may read the nominal data see it."),
    )
    nominal_entry = forms.TypedChoiceField(
        label=_("Person shown"),
        required=False,
        coerce=int,
        empty_value=None,
    )
    keep_location = forms.BooleanField(
        label=_("Keep the location where the photo was taken"),
        required=False,
        help_text=_(
            "Left unticked, the place and device are removed from the photo. Tick only when "
            "the location is evidence; the choice is recorded."
        ),
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        record: Any,
        readable_entries: Iterable[NominalEntry] | None = None,
        **kwargs: Any,
    ) -> None:
        """``readable_entries``: the record's nominal entries the uploader reads, when the page
        has read them already."""
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["data-max-bytes"] = settings.ATTACHMENT_MAX_BYTES
        self.people: dict[int, NominalEntry] = {}
        if not isinstance(record, Incident):
            del self.fields["nominal_entry"]
            return
        if readable_entries is None:
            readable_entries = visible(user, NominalEntry).filter(incident=record)
        self.people = {e.pk: e for e in readable_entries if e.kind == NominalKind.PERSON}
        set_choices(
            self.fields["nominal_entry"],
            [
                ("", _("— not one of the nominal entries (originating agency only) —")),
                *((pk, str(entry)) for pk, entry in self.people.items()),
            ],
        )

    def clean_nominal_entry(self) -> NominalEntry | None:
        chosen = self.cleaned_data.get("nominal_entry")
        return None if chosen is None else self.people.get(chosen)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("nominal_entry") is not None and not data.get("of_person"):
            data["of_person"] = True  # naming the person shown says the photo shows a person
        return data
