"""The search index the tablets keep for offline search: what the reader may see, in their
language, with the server's own folded search text, so that the same matching finds the same."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from liaison.reference.language import fold
from liaison.reference.search import words_match
from liaison.reference.selectors import (
    MAX_QUERY_LENGTH,
    _tier,
    search_index,
    search_reference,
)

from .conftest import make_user


def offline_search(index: dict[str, Any], query: str) -> list[tuple[str, list[str]]]:
    """The matching and ranking of reference/offline-search.js, written again in Python: lists
    (kind, entry addresses) in the order the tablet shows them, unshortened."""
    terms = fold(query[:MAX_QUERY_LENGTH]).split()
    folded = " ".join(terms)
    found: dict[int, list[tuple[int, int, str, str]]] = {}
    for position, url, _label, english, text in index["entries"]:
        if words_match(terms, text):
            parts = text.split(" | ")
            compact = folded.replace("-", "").replace(" ", "")
            if any(p == folded or p.replace("-", "").replace(" ", "") == compact for p in parts):
                rank = 0
            elif any(p.startswith(folded) for p in parts):
                rank = 1
            else:
                rank = 2
            first = 0 if index["vocabularies"][position]["first"] else 1
            found.setdefault(position, []).append((rank, first, english.casefold(), url))
    groups = sorted((sorted(rows), position) for position, rows in found.items())
    return [
        (index["vocabularies"][position]["kind"], [row[-1] for row in rows])
        for rows, position in groups
    ]


def _by_name(entry: Any, terms: list[str]) -> bool:
    return words_match(terms, entry.search_text)


@pytest.mark.parametrize(
    "query",
    [
        "ma tuy da", "Ma Túy Đá", "te te", "vay te te", "108-24-7", "R22", "dalbergia",
        "heroin", "pangolin", "ยาบ้า", "xyzzy",
    ],
)  # fmt: skip
def test_index_finds_what_the_server_finds_by_name(library, query: str) -> None:
    # given the index as the server publishes it
    user = make_user()
    index = json.loads(json.dumps(search_index(user, "vi")))
    # when it is searched the way the tablet does
    offline = offline_search(index, query)
    # then it finds every entry the server finds by its names, other names or identifiers (the
    # server also reads descriptions, which the tablet's copy leaves out), the same first
    terms = fold(query).split()
    folded = " ".join(terms)
    online = [
        ((_tier(e, terms, folded), 0 if group.vocabulary.searched_first else 1), e)
        for group in search_reference(user, query, limit=10_000)
        for e in group.entries
        if _by_name(e, terms)
    ]
    assert {u for _kind, urls in offline for u in urls} == {
        e.get_absolute_url() for _key, e in online
    }
    # and puts first an entry the server ranks best too (ties between equally good names may
    # fall either way: the server breaks them by the database's relevance, the tablet by name)
    if offline:
        best = online[0][0]
        assert offline[0][1][0] in {e.get_absolute_url() for key, e in online if key == best}


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
