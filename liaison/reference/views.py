"""Pages of the reference library: the categories, search, a list per vocabulary, one entry."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from liaison.languages import KNOWN_LANGUAGES
from liaison.reference.language import ENTRY_LANGUAGES, localised, normalise_language
from liaison.reference.models import (
    AnnexGroup,
    AuthorityRole,
    BaselList,
    CitesAppendix,
    CountryCode,
    CrimeArea,
    DrugCategory,
    DrugType,
    GlossaryTerm,
    HazardCharacteristic,
    LegalAuthority,
    MontrealAnnex,
    OzoneSubstance,
    Precursor,
    PrecursorTable,
    ReferenceEntry,
    ReferenceLoad,
    Species,
    SpecimenPart,
    TaxonGroup,
    TimberSpecies,
    Unit,
    WasteCategory,
)
from liaison.reference.selectors import (
    MAX_QUERY_LENGTH,
    access_entry,
    category_counts,
    search_index,
    search_reference,
    visible_entries,
)
from liaison.reference.vocabularies import Vocabulary, vocabulary_for


@dataclass
class Fact:
    label: str
    value: str
    emphasis: bool = False


@dataclass
class Link:
    label: str
    url: str
    note: str = ""


@dataclass
class Section:
    title: str
    text: str


def _reader_language(request: HttpRequest) -> str:
    return normalise_language(translation.get_language())


@login_required
def home(request: HttpRequest) -> HttpResponse:
    latest = ReferenceLoad.objects.first()
    return render(
        request,
        "reference/home.html",
        {"categories": category_counts(request.user), "latest_load": latest, "query": ""},
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    kind = request.GET.get("kind") or None
    if kind is not None and vocabulary_for(kind) is None:
        kind = None
    groups = search_reference(request.user, query, kind=kind) if query else []
    lang = _reader_language(request)
    return render(
        request,
        "reference/search.html",
        {
            "query": query,
            "kind": kind,
            "groups": [
                (group, [(entry, entry.label(lang)) for entry in group.entries]) for group in groups
            ],
            "hits": sum(group.total for group in groups),
        },
    )


@login_required
def search_index_json(request: HttpRequest) -> JsonResponse:
    """What the tablet searches offline: the entries the reader may see, names in their language
    and the server's folded search text, so that the offline search finds what this one finds."""
    response = JsonResponse(
        search_index(request.user, _reader_language(request)),
        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
    )
    # kept by the service worker for offline reading; checked again on every online visit
    response["Cache-Control"] = "private, no-cache"
    return response


def _group_label(vocabulary: Vocabulary, entry: ReferenceEntry) -> str:
    if not vocabulary.group_by:
        return ""
    value = getattr(entry, vocabulary.group_by)
    display = getattr(entry, f"get_{vocabulary.group_by}_display", None)
    return str(display()) if display is not None else str(value)


@login_required
def vocabulary_list(request: HttpRequest, kind: str) -> HttpResponse:
    vocabulary = vocabulary_for(kind)
    if vocabulary is None:
        raise Http404(_("No such reference list."))
    lang = _reader_language(request)
    entries = sorted(
        visible_entries(request.user, vocabulary),
        key=lambda e: (_group_position(vocabulary, e), _natural_key(e, lang)),
    )
    groups: list[tuple[str, list[tuple[ReferenceEntry, str, str]]]] = []
    for entry in entries:
        heading = _group_label(vocabulary, entry)
        if not groups or groups[-1][0] != heading:
            groups.append((heading, []))
        groups[-1][1].append((entry, entry.label(lang), _key_fact(entry)))
    return render(
        request,
        "reference/vocabulary.html",
        {"vocabulary": vocabulary, "groups": groups, "query": ""},
    )


def _group_position(vocabulary: Vocabulary, entry: ReferenceEntry) -> int:
    """Groups in the order of their choices (Table I before II, Annex VIII before IX)."""
    if not vocabulary.group_by:
        return 0
    field = entry._meta.get_field(vocabulary.group_by)
    values = [value for value, _label in getattr(field, "flatchoices", [])]
    value = getattr(entry, vocabulary.group_by)
    return values.index(value) if value in values else len(values)


_DIGITS = re.compile(r"(\d+)")


def _natural_key(entry: ReferenceEntry, lang: str) -> tuple[str | int, ...]:
    """Coded lists (Y2 before Y10, H4.1 before H10) by code; the others by name."""
    if entry.code[:1].isupper():
        return tuple(int(p) if p.isdigit() else p for p in _DIGITS.split(entry.code))
    return (entry.label(lang).casefold(),)


def _key_fact(entry: ReferenceEntry) -> str:
    """The one identifier an officer checks against a label or a permit, shown in lists."""
    match entry:
        case Precursor():
            return entry.cas_number and f"CAS {entry.cas_number}"
        case OzoneSubstance():
            return " · ".join(p for p in (entry.refrigerant_number, entry.chemical_formula) if p)
        case Species() | TimberSpecies():
            return entry.scientific_name
        case _:
            return entry.code if entry.code[:1].isupper() else ""


def _choice_label(choices: type[CrimeArea] | type[Unit], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _facts(entry: ReferenceEntry, lang: str) -> list[Fact]:
    facts: list[Fact] = []
    match entry:
        case Precursor():
            facts.append(Fact(_("1988 Convention"), str(PrecursorTable(entry.table).label), True))
            if entry.cas_number:
                facts.append(Fact(_("CAS number"), entry.cas_number))
            if entry.hs_code:
                facts.append(Fact(_("HS code"), entry.hs_code))
        case OzoneSubstance():
            annex = str(MontrealAnnex(entry.annex).label)
            if entry.group:
                annex += ", " + str(AnnexGroup(entry.group).label)
            facts.append(Fact(_("Montreal Protocol"), annex))
            facts.append(
                Fact(
                    _("Ozone depleting substance"),
                    _("Yes: an ODS") if entry.ozone_depleting else _("No: not an ODS"),
                    True,
                )
            )
            if entry.refrigerant_number:
                facts.append(Fact(_("Refrigerant number"), entry.refrigerant_number))
            if entry.chemical_formula:
                facts.append(Fact(_("Chemical formula"), entry.chemical_formula))
            if entry.components:
                facts.append(Fact(_("Blend of"), entry.components))
            if entry.odp is not None:
                facts.append(
                    Fact(_("Ozone depleting potential (ODP)"), f"{entry.odp.normalize():f}")
                )
            if entry.gwp is not None:
                facts.append(Fact(_("Global warming potential (GWP, 100 years)"), str(entry.gwp)))
        case HazardCharacteristic():
            facts.append(Fact(_("UN class"), entry.un_class))
        case WasteCategory():
            basel_list = BaselList(entry.basel_list)
            facts.append(Fact(_("Basel Convention"), str(basel_list.label), True))
            facts.append(
                Fact(
                    _("Export needs prior informed consent"),
                    _("Yes")
                    if basel_list.needs_prior_informed_consent
                    else _("No, unless contaminated"),
                )
            )
            if entry.related_codes:
                facts.append(Fact(_("Related entries"), ", ".join(entry.related_codes)))
        case Species():
            facts.append(Fact(_("Scientific name"), entry.scientific_name))
            facts.append(Fact(_("Family"), entry.family))
            facts.append(Fact(_("Group"), str(TaxonGroup(entry.taxon_group).label)))
            facts.append(Fact(_("CITES"), str(CitesAppendix(entry.cites_appendix).label), True))
            if entry.listed_since:
                facts.append(Fact(_("In this appendix since"), entry.listed_since))
        case TimberSpecies():
            facts.append(Fact(_("Scientific name"), entry.scientific_name))
            facts.append(Fact(_("CITES"), str(entry.cites_appendix.label), True))
            facts.append(Fact(_("Counted in"), _choice_label(Unit, entry.default_unit)))
        case DrugType():
            facts.append(Fact(_("Category"), str(DrugCategory(entry.category).label)))
            facts.append(
                Fact(_("Counted in"), ", ".join(_choice_label(Unit, u) for u in entry.units))
            )
            if entry.international_control:
                facts.append(Fact(_("International control"), entry.international_control))
        case SpecimenPart():
            facts.append(Fact(_("Counted in"), _choice_label(Unit, entry.default_unit)))
        case LegalAuthority():
            facts.append(Fact(_("Country"), str(CountryCode(entry.country).label), True))
            facts.append(Fact(_("Crime area"), _choice_label(CrimeArea, entry.area)))
            facts.append(Fact(_("Role"), str(AuthorityRole(entry.role).label)))
        case GlossaryTerm():
            facts.append(
                Fact(_("Crime areas"), ", ".join(_choice_label(CrimeArea, a) for a in entry.areas))
            )
    return facts


def _sections(entry: ReferenceEntry, lang: str) -> list[Section]:
    wanted: list[tuple[str, str]] = [
        (_("What it is"), "description"),
        (_("How to recognise it"), "identification"),
    ]
    match entry:
        case Precursor():
            wanted += [(_("Licit uses"), "uses"), (_("Illicit use"), "illicit_use")]
        case OzoneSubstance():
            wanted += [(_("Common uses"), "uses"), (_("Cylinders and markings"), "markings")]
        case WasteCategory():
            wanted += [(_("At the border"), "examples")]
        case Species():
            wanted += [(_("Listing notes"), "listing_note")]
        case LegalAuthority():
            wanted += [
                (_("What it decides"), "decides"),
                (_("Legal basis"), "legal_basis"),
                (_("How to reach it"), "how_to_reach"),
            ]
    sections = []
    for title, field in wanted:
        text = localised(getattr(entry, field), lang)
        if text:
            sections.append(Section(title, text))
    return sections


def _links(entry: ReferenceEntry, lang: str) -> list[tuple[str, list[Link]]]:
    def link(target: ReferenceEntry, note: str = "") -> Link:
        return Link(target.label(lang), target.get_absolute_url(), note)

    related: list[tuple[str, list[Link]]] = []
    match entry:
        case Precursor():
            related.append((_("Used to make"), [link(d) for d in entry.used_to_make.all()]))
        case DrugType():
            related.append(
                (_("Made with"), [link(p) for p in entry.precursors.filter(active=True)])
            )
        case WasteCategory():
            related.append(
                (
                    _("Typical hazardous characteristics"),
                    [link(h, h.code) for h in entry.hazard_characteristics.all()],
                )
            )
        case HazardCharacteristic():
            related.append(
                (_("Waste categories"), [link(w, w.code) for w in entry.waste_categories.all()])
            )
        case Species():
            related.append((_("Commonly seized as"), [link(p) for p in entry.parts.all()]))
            related.append((_("Timber"), [link(t) for t in entry.timbers.filter(active=True)]))
        case SpecimenPart():
            related.append(
                (
                    _("Species"),
                    [link(s, s.scientific_name) for s in entry.species.filter(active=True)],
                )
            )
        case TimberSpecies():
            if entry.cites_species is not None:
                related.append(
                    (
                        _("CITES entry"),
                        [link(entry.cites_species, entry.cites_species.scientific_name)],
                    )
                )
    return [(title, links) for title, links in related if links]


@login_required
def entry_detail(request: HttpRequest, kind: str, code: str) -> HttpResponse:
    vocabulary, entry = access_entry(request.user, kind, code)
    lang = _reader_language(request)
    names = [
        (code_, KNOWN_LANGUAGES.get(code_, code_), name)
        for code_, name in entry.names()
        if code_ in ENTRY_LANGUAGES
    ]
    return render(
        request,
        "reference/entry.html",
        {
            "vocabulary": vocabulary,
            "entry": entry,
            "title": entry.label(lang),
            "names": names,
            "facts": _facts(entry, lang),
            "sections": _sections(entry, lang),
            "related": _links(entry, lang),
            "query": "",
        },
    )
