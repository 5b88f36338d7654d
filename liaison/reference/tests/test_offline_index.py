"""The search index the tablets keep for offline search: what the reader may see, in their
language, with the server's own folded search text, so that the same matching finds the same."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from liaison.reference.language import fold
from liaison.reference.selectors import MAX_QUERY_LENGTH, search_index, search_reference

from .conftest import make_user


def offline_search(index: dict[str, Any], query: str) -> dict[str, list[str]]:
    """The matching and ranking of reference/offline-search.js, written again in Python."""
    terms = fold(query[:MAX_QUERY_LENGTH]).split()
    folded = " ".join(terms)
    found: dict[str, list[tuple[int, str, str]]] = {}
    for position, url, _label, english, text in index["entries"]:
        if all(term in text for term in terms):
            parts = text.split(" | ")
            compact = folded.replace("-", "").replace(" ", "")
            if any(p == folded or p.replace("-", "").replace(" ", "") == compact for p in parts):
                rank = 0
            elif any(p.startswith(folded) for p in parts):
                rank = 1
            else:
                rank = 2
            kind = index["vocabularies"][position]["kind"]
            found.setdefault(kind, []).append((rank, english.casefold(), url))
    return {kind: [url for *_key, url in sorted(rows)][:25] for kind, rows in found.items()}


@pytest.mark.parametrize(
    "query", ["ma tuy da", "Ma Túy Đá", "te te", "108-24-7", "R22", "dalbergia", "heroin", "xyzzy"]
)
def test_index_finds_what_the_server_search_finds(library, query: str) -> None:
    # given the index as the server publishes it
    user = make_user()
    index = json.loads(json.dumps(search_index(user, "vi")))
    # when it is searched the way the tablet does
    offline = offline_search(index, query)
    # then it finds the same entries, in the same order, as the server
    online = {
        group.vocabulary.kind: [e.get_absolute_url() for e in group.entries]
        for group in search_reference(user, query)
    }
    assert offline == online


def test_index_names_entries_in_the_readers_language(library) -> None:
    client = Client()
    client.force_login(make_user(language="vi"))
    response = client.get("/reference/search-index.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    index = json.loads(response.content)
    assert index["language"] == "vi"
    labels = {row[1]: row[2] for row in index["entries"]}
    assert (
        labels["/reference/drugs/methamphetamine-crystalline/"]
        == "Methamphetamine dạng tinh thể (ma túy đá)"
    )


def test_index_needs_sign_in(library) -> None:
    response = Client().get("/reference/search-index.json")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_search_page_carries_the_offline_search(library) -> None:
    client = Client()
    client.force_login(make_user())
    page = client.get("/reference/search/?q=heroin").content.decode()
    assert 'id="ref-results" data-query="heroin"' in page
    assert 'src="/static/reference/offline-search.js"' in page
    assert 'data-index-url="/reference/search-index.json"' in page


def test_index_stays_small_enough_for_a_weak_link(library) -> None:
    client = Client()
    client.force_login(make_user())
    response = client.get("/reference/search-index.json", headers={"accept-encoding": "gzip"})
    # compressed once on the way, kept on the tablet afterwards
    assert response["Content-Encoding"] == "gzip"
    assert len(response.content) < 150_000
