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
