from liaison.reference.selectors import SearchGroup, search_reference

from .conftest import make_user


def _codes(groups: list[SearchGroup], kind: str) -> list[str]:
    return [e.code for g in groups if g.vocabulary.kind == kind for e in g.entries]


def test_vietnamese_search_ignores_accents(library):
    user = make_user()
    groups = search_reference(user, "ma tuy da")
    assert "methamphetamine-crystalline" in _codes(groups, "drugs")


def test_vietnamese_search_with_accents_finds_the_same(library):
    user = make_user()
    without = search_reference(user, "te te")
    with_accents = search_reference(user, "Tê Tê")
    assert _codes(without, "species") == _codes(with_accents, "species")
    assert "manis-javanica" in _codes(with_accents, "species")


def test_search_by_english_name_cas_number_and_refrigerant_number(library):
    user = make_user()
    assert _codes(search_reference(user, "acetic anhydride"), "precursors") == ["acetic-anhydride"]
    assert _codes(search_reference(user, "108-24-7"), "precursors") == ["acetic-anhydride"]
    assert _codes(search_reference(user, "R22"), "ods")[0] == "hcfc-22"
    assert "hcfc-22" in _codes(search_reference(user, "R-22"), "ods")


def test_search_spans_vocabularies(library):
    user = make_user()
    groups = search_reference(user, "dalbergia cochinchinensis")
    assert "dalbergia-cochinchinensis" in _codes(groups, "species")
    assert "siamese-rosewood" in _codes(groups, "timber")


def test_search_finds_thai_and_chinese_names(library):
    user = make_user()
    assert "methamphetamine-tablets" in _codes(search_reference(user, "ยาบ้า"), "drugs")
    assert "methamphetamine-crystalline" in _codes(search_reference(user, "冰毒"), "drugs")


def test_exact_name_ranks_first(library):
    user = make_user()
    groups = search_reference(user, "heroin")
    assert _codes(groups, "drugs")[0] == "heroin"


def test_anonymous_user_finds_nothing(library):
    from django.contrib.auth.models import AnonymousUser

    assert search_reference(AnonymousUser(), "heroin") == []


def test_empty_query_finds_nothing(library):
    assert search_reference(make_user(), "   ") == []


def test_match_entries_resolves_words_of_a_spreadsheet(library):
    from liaison.reference.models import DrugType, OzoneSubstance, Species
    from liaison.reference.selectors import match_entries

    assert [e.code for e in match_entries(DrugType, "Ma túy đá")] == ["methamphetamine-crystalline"]
    assert [e.code for e in match_entries(DrugType, "ma tuy da")] == ["methamphetamine-crystalline"]
    assert [e.code for e in match_entries(OzoneSubstance, "R22")] == ["hcfc-22"]
    assert [e.code for e in match_entries(Species, "Manis javanica")] == ["manis-javanica"]
    assert match_entries(Species, "Manis") == []  # a part of a name is not a match
    assert match_entries(Species, "") == []


def test_reference_choice_field_labels_in_the_readers_language(library):
    from django.utils import translation

    from liaison.reference.forms import ReferenceChoiceField
    from liaison.reference.models import Precursor

    field = ReferenceChoiceField(Precursor)
    anhydride = Precursor.objects.get(code="acetic-anhydride")
    assert field.clean("acetic-anhydride") == anhydride
    assert field.queryset is not None and not field.queryset.filter(active=False).exists()
    with translation.override("vi"):
        assert field.label_from_instance(anhydride) == "Anhydrit axetic"
    with translation.override("en"):
        assert field.label_from_instance(anhydride) == "Acetic anhydride"


def _first(groups: list[SearchGroup]) -> str:
    return groups[0].entries[0].code


def test_te_te_puts_the_pangolin_first(library):
    # "tê tê" is the pangolin; the Basel wastes whose English names hold "te" come nowhere near
    groups = search_reference(make_user(), "te te")
    assert groups[0].vocabulary.kind == "species"
    assert _first(groups) == "manis-javanica"
    assert "wastes" not in [g.vocabulary.kind for g in groups[:1]]


def test_vay_te_te_finds_pangolin_scales(library):
    groups = search_reference(make_user(), "vay te te")
    found = {(g.vocabulary.kind, e.code) for g in groups for e in g.entries}
    assert ("species", "manis-javanica") in found
    assert ("parts", "scales") in found
    assert groups[0].vocabulary.kind in {"species", "parts"}


def test_search_is_accent_blind(library):
    user = make_user()

    def codes(q: str) -> list[str]:
        return [e.code for g in search_reference(user, q) for e in g.entries]

    assert codes("vảy tê tê") == codes("vay te te") == codes("VAY TE TE")


def test_an_english_query_ranks_names_above_descriptions(library):
    groups = search_reference(make_user(), "pangolin")
    assert groups[0].vocabulary.kind == "species"
    assert _first(groups).startswith("manis-") or _first(groups) == "pangolins-african"
    # the scales part names no pangolin in its name but in its synonyms: found, after species
    kinds = [g.vocabulary.kind for g in groups]
    assert "parts" in kinds and kinds.index("species") < kinds.index("parts")


def test_descriptions_are_searched_too(library):
    # "keratin" is only in the identification hints of pangolin scales
    groups = search_reference(make_user(), "keratin")
    assert ("parts", "scales") in {(g.vocabulary.kind, e.code) for g in groups for e in g.entries}


def test_the_search_index_follows_the_library(library):
    from liaison.reference.models import SearchDocument, Species
    from liaison.reference.search import reindex_library

    assert SearchDocument.objects.filter(kind="species").count() == Species.objects.count()
    assert reindex_library() == SearchDocument.objects.count()
    assert _first(search_reference(make_user(), "te te")) == "manis-javanica"
