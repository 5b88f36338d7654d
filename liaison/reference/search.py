"""Full-text search of the reference library: SQLite FTS5 or PostgreSQL text search.

Every entry is kept as a :class:`SearchDocument`: its names (weight A), its other names and
identifiers (B) and its descriptive texts (C), folded as :func:`language.fold` folds (accents and
tone marks dropped, so ``vay te te`` finds ``vảy tê tê``) and cut into words here, in Python, so
that both databases see the same words (``108-24-7`` is ``108 24 7`` on both).

Words of scripts written without spaces between words (Lao, Khmer, Thai, Chinese) cannot be
found by word: such a query word is looked for inside the entry's names instead (as before).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection

from liaison.reference.language import fold
from liaison.reference.models import ReferenceEntry, SearchDocument
from liaison.reference.vocabularies import VOCABULARIES

FTS_TABLE = "reference_search_fts"
# Weights of names, other names and identifiers, descriptive texts (SQLite's bm25 per column;
# PostgreSQL weighs A, B, C with its defaults 1.0, 0.4, 0.2).
COLUMN_WEIGHTS = (10.0, 5.0, 1.0)
# A word of at least this many letters also finds longer words it begins (``pango``): shorter
# ones match whole words only, or ``te`` would find every ``temperature`` and ``test``.
PREFIX_FROM = 3
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words of a folded text: letters and digits, everything else a separator."""
    return _WORD.findall(text)


def is_spaced(term: str) -> bool:
    """Whether a query word is of a script that separates words (Latin, Vietnamese folded)."""
    return all(ord(character) < 0x250 for character in term)


def _folded_words(texts: Iterable[str]) -> str:
    return " ".join(w for text in texts if text for w in words(fold(text)))


def document_for(entry: ReferenceEntry) -> SearchDocument:
    names = entry.searchable_names()
    others = [part for part in entry.searchable_parts() if part not in names]
    return SearchDocument(
        kind=entry.kind,
        entry_id=entry.pk,
        names=_folded_words(names),
        others=_folded_words(others),
        descriptions=_folded_words(entry.descriptive_texts()),
    )


def reindex_library() -> int:
    """Write the search documents of every entry again (the library is a few hundred entries:
    rewriting all of them is simpler and safer than tracking which changed)."""
    SearchDocument.objects.all().delete()
    documents: list[SearchDocument] = []
    for vocabulary in VOCABULARIES:
        documents.extend(document_for(e) for e in vocabulary.model._default_manager.all())
    created = SearchDocument.objects.bulk_create(documents)
    if connection.vendor == "sqlite":
        saved = SearchDocument.objects.values_list("pk", "names", "others", "descriptions")
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608 - a constant name
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE}(rowid, names, others, descriptions) "  # noqa: S608
                "VALUES (%s, %s, %s, %s)",
                list(saved),
            )
    return len(created)


def index_is_empty() -> bool:
    return not SearchDocument.objects.exists()


@dataclass(frozen=True)
class Hit:
    kind: str
    entry_id: int
    score: float


def _term_words(term: str) -> list[str]:
    return words(term)


def _fts5_query(terms: Sequence[str]) -> str:
    parts = []
    for term in terms:
        found = _term_words(term)
        if not found:
            continue
        phrase = '"' + " ".join(found) + '"'
        parts.append(phrase + ("*" if len(found[-1]) >= PREFIX_FROM else ""))
    return " AND ".join(parts)


def _tsquery(terms: Sequence[str]) -> str:
    parts = []
    for term in terms:
        found = _term_words(term)
        if not found:
            continue
        lexemes = [f"'{w}'" for w in found]
        if len(found[-1]) >= PREFIX_FROM:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def full_text_hits(terms: Sequence[str]) -> list[Hit]:
    """Entries whose words hold every (spaced-script) query word, with the database's weighted
    relevance (higher is better)."""
    spaced = [t for t in terms if is_spaced(t)]
    if not spaced:
        return []
    if connection.vendor == "postgresql":
        raw = _tsquery(spaced)
        if not raw:
            return []
        vector = (
            SearchVector("names", weight="A", config="simple")
            + SearchVector("others", weight="B", config="simple")
            + SearchVector("descriptions", weight="C", config="simple")
        )
        query = SearchQuery(raw, search_type="raw", config="simple")
        rows = (
            SearchDocument.objects.annotate(document=vector, rank=SearchRank(vector, query))
            .filter(document=query)
            .values_list("kind", "entry_id", "rank")
        )
        return [Hit(kind, entry_id, float(rank)) for kind, entry_id, rank in rows]
    match = _fts5_query(spaced)
    if not match:
        return []
    weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.kind, d.entry_id, bm25({FTS_TABLE}, {weights}) "  # noqa: S608 - constants
            f"FROM {FTS_TABLE} JOIN reference_searchdocument d ON d.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH %s",
            [match],
        )
        # bm25 is lower for better matches
        return [Hit(kind, entry_id, -float(score)) for kind, entry_id, score in cursor.fetchall()]


def words_match(terms: Sequence[str], text: str) -> bool:
    """Whether every query word is in ``text`` (an entry's folded search text) as the search
    finds it: spaced words as whole words (prefix from ``PREFIX_FROM`` letters), in order within
    a hyphenated word (``108-24-7``); other words anywhere in it. The offline search
    (``reference/offline-search.js``) matches the same way."""
    text_words = words(text)
    for term in terms:
        if not is_spaced(term):
            if term not in text:
                return False
            continue
        wanted = _term_words(term)
        if not wanted:
            continue
        if not _sequence_in(wanted, text_words):
            return False
    return True


def _sequence_in(wanted: list[str], text_words: list[str]) -> bool:
    last = len(wanted) - 1
    for start in range(len(text_words) - last):
        ok = True
        for offset, word in enumerate(wanted):
            candidate = text_words[start + offset]
            if offset == last and len(word) >= PREFIX_FROM:
                ok = candidate.startswith(word)
            else:
                ok = candidate == word
            if not ok:
                break
        if ok:
            return True
    return False
