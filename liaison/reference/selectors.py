"""Permission-checked reads of the reference library: category counts, search, one entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from liaison.reference.language import fold
from liaison.reference.models import ReferenceEntry
from liaison.reference.search import full_text_hits, is_spaced, words_match
from liaison.reference.vocabularies import VOCABULARIES, Vocabulary, vocabulary_for
from liaison.registry import permissions
from liaison.registry.permissions import AnyUser

MAX_QUERY_LENGTH = 200


@dataclass
class SearchGroup:
    vocabulary: Vocabulary
    entries: list[ReferenceEntry]
    total: int


def visible_entries(user: AnyUser, vocabulary: Vocabulary) -> QuerySet[ReferenceEntry]:
    """The current entries of one vocabulary that ``user`` may see."""
    return permissions.visible(user, vocabulary.model).filter(active=True)


def category_counts(user: AnyUser) -> list[tuple[Vocabulary, int]]:
    return [(v, visible_entries(user, v).count()) for v in VOCABULARIES]


def search_terms(query: str) -> list[str]:
    return fold(query[:MAX_QUERY_LENGTH]).split()


def _compact(text: str) -> str:
    return text.replace("-", "").replace(" ", "")


def _rank(entry: ReferenceEntry, folded_query: str) -> tuple[int, str]:
    """0: a name or identifier is the query (``R22`` is ``R-22``); 1: one starts with it; 2: other."""
    parts = [fold(part) for part in entry.searchable_parts() if part]
    compact_query = _compact(folded_query)
    if any(part == folded_query or _compact(part) == compact_query for part in parts):
        rank = 0
    elif any(part.startswith(folded_query) for part in parts):
        rank = 1
    else:
        rank = 2
    return rank, entry.name_en.casefold()


def _tier(entry: ReferenceEntry, terms: list[str], folded_query: str) -> int:
    """0: a name or identifier is the query; 1: one starts with it; 2: the names, other names
    and identifiers hold every word; 3: only the descriptive texts do."""
    rank = _rank(entry, folded_query)[0]
    if rank < 2:
        return rank
    return 2 if words_match(terms, entry.search_text) else 3


def search_reference(
    user: AnyUser, query: str, *, kind: str | None = None, limit: int = 25
) -> list[SearchGroup]:
    """Entries of every vocabulary that hold every word of the query (accents and case
    ignored: ``vay te te`` finds ``vảy tê tê``), best first: an exact name, a name beginning
    with the query, names and other names, then descriptions only; species and goods before
    the other lists; then the database's weighted full-text relevance. Lists are ordered by
    their best entry."""
    terms = search_terms(query)
    if not terms:
        return []
    folded_query = " ".join(terms)
    unspaced = [t for t in terms if not is_spaced(t)]
    scores: dict[tuple[str, int], float] = {
        (hit.kind, hit.entry_id): hit.score for hit in full_text_hits(terms)
    }
    ranked: list[tuple[tuple[int, int, float, str], SearchGroup]] = []
    for vocabulary in VOCABULARIES:
        if kind and vocabulary.kind != kind:
            continue
        queryset = visible_entries(user, vocabulary)
        if len(unspaced) < len(terms):
            ids = [entry_id for (k, entry_id) in scores if k == vocabulary.kind]
            queryset = queryset.filter(pk__in=ids)
        for term in unspaced:
            queryset = queryset.filter(search_text__contains=term)

        def key(
            entry: ReferenceEntry, vocabulary: Vocabulary = vocabulary
        ) -> tuple[int, int, float, str]:
            return (
                _tier(entry, terms, folded_query),
                0 if vocabulary.searched_first else 1,
                -scores.get((vocabulary.kind, entry.pk), 0.0),
                entry.name_en.casefold(),
            )

        matches = sorted(queryset, key=key)
        if matches:
            ranked.append((key(matches[0]), SearchGroup(vocabulary, matches[:limit], len(matches))))
    ranked.sort(key=lambda pair: pair[0])
    return [group for _key, group in ranked]


class IndexedVocabulary(TypedDict):
    kind: str
    title: str
    first: bool


class SearchIndex(TypedDict):
    """The offline search's copy of the library (``reference/offline-search.js`` reads it).

    ``entries`` rows are ``[vocabulary position, address, label, English name, search text]``:
    lists rather than objects, to keep the file small on a weak link."""

    language: str
    limit: int
    maxQueryLength: int
    vocabularies: list[IndexedVocabulary]
    entries: list[tuple[int, str, str, str, str]]


def search_index(user: AnyUser, lang: str, *, limit: int = 25) -> SearchIndex:
    """Every entry ``user`` may see with what :func:`search_reference` matches and ranks it by."""
    vocabularies: list[IndexedVocabulary] = []
    entries: list[tuple[int, str, str, str, str]] = []
    for position, vocabulary in enumerate(VOCABULARIES):
        vocabularies.append(
            IndexedVocabulary(
                kind=vocabulary.kind,
                title=str(vocabulary.title),
                first=vocabulary.searched_first,
            )
        )
        for entry in visible_entries(user, vocabulary).order_by("pk"):
            entries.append(
                (
                    position,
                    entry.get_absolute_url(),
                    entry.label(lang),
                    entry.name_en,
                    entry.search_text,
                )
            )
    return SearchIndex(
        language=lang,
        limit=limit,
        maxQueryLength=MAX_QUERY_LENGTH,
        vocabularies=vocabularies,
        entries=entries,
    )


def match_entries(model: type[ReferenceEntry], text: str) -> list[ReferenceEntry]:
    """Current entries whose code, name (any language), synonym or identifier *is* ``text``,
    accents and case ignored: for bulk imports that name a drug or species in words
    (``Ma túy đá``, ``R22``, ``Manis javanica``). More than one match means the text is ambiguous.
    """
    folded = " ".join(search_terms(text))
    if not folded:
        return []
    candidates = model._default_manager.filter(active=True, search_text__contains=folded)
    return [entry for entry in candidates if _rank(entry, folded)[0] == 0]


def access_entry(user: AnyUser, kind: str, code: str) -> tuple[Vocabulary, ReferenceEntry]:
    """One entry the user may see, with its vocabulary, by kind and code; 404 otherwise.

    Retired entries open too: old records still point at them."""
    vocabulary = vocabulary_for(kind)
    if vocabulary is None:
        raise Http404(_("No such reference list."))
    return vocabulary, permissions.access(user, vocabulary.model, code=code)
