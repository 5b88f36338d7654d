"""Reference library endpoints: its lists, their entries, and the search, over the entries the
reader may see (the library's own pages' reads)."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from liaison.api_errors import SIGNED_IN, errors
from liaison.api_pages import PageIn, page_of
from liaison.reference.language import normalise_language
from liaison.reference.models import ReferenceEntry
from liaison.reference.selectors import (
    MAX_QUERY_LENGTH,
    category_counts,
    search_reference,
    visible_entries,
)
from liaison.reference.vocabularies import Vocabulary, vocabulary_for

router = Router(tags=["reference"])


class VocabularyOut(Schema):
    kind: str
    title: str
    entries: int


class EntryOut(Schema):
    kind: str
    code: str
    name_en: str
    label: str
    """The name in the reader's language, else English."""
    active: bool


class EntryListOut(Schema):
    count: int
    results: list[EntryOut]


class EntryFilterIn(PageIn):
    kind: str = Field(
        ..., max_length=40, description="A reference list, as /vocabularies names it."
    )


class SearchIn(PageIn):
    q: str = Field(..., min_length=1, max_length=MAX_QUERY_LENGTH)
    kind: str = Field("", max_length=40, description="Search one reference list only.")


def _vocabulary(kind: str) -> Vocabulary:
    vocabulary = vocabulary_for(kind)
    if vocabulary is None:
        raise Http404(_("No such reference list."))
    return vocabulary


def _entry(entry: ReferenceEntry, lang: str) -> EntryOut:
    return EntryOut(
        kind=entry.kind,
        code=entry.code,
        name_en=entry.name_en,
        label=entry.label(lang),
        active=entry.active,
    )


def _language() -> str:
    return normalise_language(translation.get_language())


@router.get("/vocabularies", response={200: list[VocabularyOut], **errors(*SIGNED_IN)})
def vocabularies(request: HttpRequest) -> list[VocabularyOut]:
    """The reference lists, each with the number of its entries the reader may see."""
    return [
        VocabularyOut(kind=v.kind, title=str(v.title), entries=count)
        for v, count in category_counts(request.user)
    ]


@router.get("/entries", response={200: EntryListOut, **errors(*SIGNED_IN, 404, 422)})
def entries(request: HttpRequest, filters: Query[EntryFilterIn]) -> EntryListOut:
    """The current entries of one reference list, as its page lists them."""
    vocabulary = _vocabulary(filters.kind)
    found = visible_entries(request.user, vocabulary).order_by("code", "pk")
    count, page = page_of(found, filters)
    lang = _language()
    return EntryListOut(count=count, results=[_entry(e, lang) for e in page])


@router.get("/search", response={200: EntryListOut, **errors(*SIGNED_IN, 404, 422)})
def search(request: HttpRequest, filters: Query[SearchIn]) -> EntryListOut:
    """The library's search: every list's matches, best first, list by list, as the search page
    shows them; ``count`` is every match."""
    kind = filters.kind or None
    if kind is not None:
        _vocabulary(kind)
    groups = search_reference(
        request.user, filters.q, kind=kind, limit=filters.offset + filters.limit
    )
    matches = [entry for group in groups for entry in group.entries]
    lang = _language()
    return EntryListOut(
        count=sum(group.total for group in groups),
        results=[_entry(e, lang) for e in matches[filters.offset : filters.offset + filters.limit]],
    )
