"""Every page of the demo reads in Vietnamese: no interface text is left in English (issue 13).

The demo is loaded as ``liaison demo`` loads it and every demo account, set to read Vietnamese,
opens every page: the pages reached from the home page by following links (test_page_weight's
walk, one address per page of the URL resolver; a document drawn in a language the reader picks,
``?lang=``, is opened in Vietnamese too) and the pages of the resolver's list that no link reached
(test_query_budgets' list; those whose arguments are made up for the resolver are one "not
found" page, read once).

What a reader sees is taken from each HTML answer: every text node outside <script>, <style>,
<textarea>, <code> and <pre>, the attributes shown or read aloud (placeholder, title, aria-label,
alt, label), the value of buttons, and each element's whole text (a sentence cut by a <strong> is
read whole). Two nets then catch English:

1. any text that is an msgid of the project's Vietnamese catalogue translated into something
   else: a string that exists in Vietnamese but was shown in English (a template without
   ``{% translate %}``, a Python string not passed through gettext, a page in the wrong
   language);
2. the English the catalogue cannot know: Django's own strings ("Select an option", "12
   minutes", month names) and the demo registry's names of countries, agencies and Vietnamese
   places in English or without their diacritics ("Border Army", "Cambodia", "Moc Bai").

Data is not interface: an element that declares another language (``lang="en"`` on an English
name given beside the Vietnamese one, notes taken in English) is skipped, and so are the texts
the records hold as typed (summaries, titles, answers, sources, audit summaries: every text
column of the database but the registry's names), wherever a page quotes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html  # type: ignore[import-untyped]
import polib
import pytest
from django.conf import settings
from django.test import Client

from liaison.registry.demo import AGENCIES, BLOS, CLUSTERS, COUNTRIES, PROVINCES, USERS
from liaison.registry.models import User
from tests.test_endpoints_denied import ENDPOINTS, POST_ONLY
from tests.test_page_weight import NOT_PAGES, page_name, walk_pages
from tests.test_page_weight import demo as demo  # the demo fixture, shared (typed_records)
from tests.test_query_budgets import SKIPPED_PREFIXES

LANGUAGE = "vi"
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "label")
BUTTON_TYPES = {"submit", "button", "reset"}
MADE_UP = re.compile(r"X-1|/1(?:/|$)")
CHOSEN_LANGUAGE = re.compile(r"(?<=[?&])lang=[\w-]+")
DATA_ELEMENTS = {"textarea", "script", "style", "code", "pre"}
"""Elements whose text is data or code, never interface: a typed text, a script, a sample."""


def catalogue_path() -> Path:
    for folder in settings.LOCALE_PATHS:
        path = Path(folder) / LANGUAGE / "LC_MESSAGES" / "django.po"
        if path.is_file():
            return path
    raise AssertionError("no Vietnamese catalogue")


PLACEHOLDER = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]|\{\w*\}")


def normalise(text: str) -> str:
    return " ".join(text.split())


@cache
def english_of_the_catalogue() -> tuple[frozenset[str], re.Pattern[str] | None]:
    """The msgids translated into something else: as exact texts, and those with a placeholder
    as one pattern (only those with enough words of their own to be told from data)."""
    exact: set[str] = set()
    patterns: list[str] = []
    for entry in polib.pofile(str(catalogue_path())):
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        translations = [entry.msgstr, *entry.msgstr_plural.values()]
        for english in filter(None, (entry.msgid, entry.msgid_plural)):
            english = normalise(english)
            if not english or all(normalise(t) == english for t in translations if t):
                continue
            if not any(translations):
                continue
            if PLACEHOLDER.search(english):
                literal = PLACEHOLDER.sub(" ", english)
                if len(re.findall(r"[A-Za-z]{3,}", literal)) < 2:
                    continue
                pieces = [re.escape(piece) for piece in PLACEHOLDER.split(english)]
                patterns.append(r".+?".join(pieces))
            elif re.search(r"[A-Za-z]{2,}", english):
                exact.add(english)
    pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
    return frozenset(exact), pattern


def english_names_of_the_demo() -> set[str]:
    """Names a Vietnamese reader should never see in English or without their diacritics."""
    names = {english for _code, english, _local, _language in COUNTRIES}
    names |= {english for _code, _c, _kind, _abbr, english, _local in AGENCIES}
    vietnamese = [(en, local) for _code, c, en, local in PROVINCES if c == "VN"]
    vietnamese += [(en, local) for _code, _c, en, local in CLUSTERS]
    for blo in BLOS:
        if blo.country == "VN":
            vietnamese += [(blo.name_en, blo.name_local), blo.crossing[:2]]
    names |= {english for english, local in vietnamese if local and local != english}
    return names


DJANGO_ENGLISH = [
    r"Select an option",
    r"\b(?:minutes?|hours?|days?|weeks?|months?|years?|min)\b",
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\b",
    r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.",
    r"\b(?:a\.m\.|p\.m\.|noon|midnight)",
    r"This field is required",
    # the label Django makes from a field's name when the form or the model gives it none
    r"^To blo\b",
]


@cache
def english_words() -> re.Pattern[str]:
    names = sorted(english_names_of_the_demo(), key=len, reverse=True)
    words = [rf"\b{re.escape(name)}\b" for name in names] + DJANGO_ENGLISH
    return re.compile("|".join(words))


def visible_texts(html: str) -> Iterator[tuple[str, bool]]:
    """What a reader sees or hears of a page, whitespace folded: each text node and read attribute
    (False), and each element's whole text (True). Elements that say they are in another
    language (``lang="en"`` on a name given in English beside the Vietnamese one, a record typed
    in Khmer) hold the reader's data, not interface."""
    if not html.strip():
        return
    found: list[tuple[str, bool]] = []
    read(lxml.html.document_fromstring(html), found)
    yield from found


def read(element: lxml.html.HtmlElement, found: list[tuple[str, bool]]) -> bool:
    """Add what ``element`` shows (unless data) to ``found``; tell whether it holds data or text in
    another language (its whole text then mixes interface and data: it is not compared whole)."""
    declared = element.get("lang")
    if element.tag in DATA_ELEMENTS or (
        declared is not None and not declared.lower().startswith(LANGUAGE)
    ):
        return True
    if element.text:
        found.append((normalise(element.text), False))
    for attribute in READ_ATTRIBUTES:
        if value := element.get(attribute):
            found.append((normalise(value), False))
    is_button = element.tag in {"input", "button"} and element.get("type") in BUTTON_TYPES
    if is_button and (value := element.get("value")):
        found.append((normalise(value), False))
    mixed = False
    for child in element:
        if isinstance(child.tag, str):
            mixed = read(child, found) or mixed
        if child.tail:  # the text after a child (or a comment) is its parent's
            found.append((normalise(child.tail), False))
    if not mixed:
        whole = normalise(element.text_content())
        if whole and len(whole) < 300:
            found.append((whole, True))
    return mixed


@cache
def english_in(text: str, whole: bool) -> str | None:
    """The English found in one text, or None. A whole element's text (cells, labels and data
    run together) is only compared with the catalogue; single texts are also searched for
    English words, once the records typed by users are set aside."""
    if not text or text in typed_data():
        return None
    exact, pattern = english_of_the_catalogue()
    for candidate in {text, text.rstrip(" :.…*?"), text.strip("()[]")}:
        if candidate in exact:
            return candidate
    if pattern is not None and pattern.fullmatch(text):
        return text
    if whole:
        return None
    found = english_words().search(without_typed_data(text))
    if found:
        return f"{found.group(0)!r} in {text[:120]!r}"
    return None


def english_on_page(html: str) -> list[str]:
    return sorted(
        {found for text, whole in visible_texts(html) if (found := english_in(text, whole))}
    )


TYPED_DATA: set[str] = set()
"""The texts of the records in the database (summaries, titles, answers, notes, sources, the
audit log's summaries) and of the people's accounts: data, shown as typed. Filled by the test
before the walk; the registry's names are not in it (they have a name in the reader's
language)."""
BY_FIRST_WORD: dict[str, list[str]] = {}


def typed_data() -> set[str]:
    return TYPED_DATA


def remember_typed_data(texts: set[str]) -> None:
    texts = texts - english_names_of_the_demo()  # a name typed as such is still the registry's
    TYPED_DATA.update(texts)
    for text in texts:
        if len(text.split()) >= 3:  # a single word typed somewhere is no licence elsewhere
            BY_FIRST_WORD.setdefault(text.split()[0], []).append(text)
    english_in.cache_clear()


def without_typed_data(text: str) -> str:
    """The text with the records it quotes cut out (a cell that reads "title · 3 respondents")."""
    words = set(text.split())
    words |= {word.strip("“”\"'()[],.:;—–-") for word in words}
    quoted = {data for word in words for data in BY_FIRST_WORD.get(word, ()) if data in text}
    for data in sorted(quoted, key=len, reverse=True):
        text = text.replace(data, " | ")
    return text


def collect_typed_data() -> set[str]:
    from django.apps import apps
    from django.db import models

    from liaison.registry.models import BLO, Agency, Cluster, Country, Crossing, Province

    named = {Country, Province, Cluster, Agency, BLO, Crossing}
    found: set[str] = set()

    def keep(value: object) -> None:
        if isinstance(value, str):
            text = normalise(value)
            if re.search(r"[A-Za-z]{2}", text):
                found.add(text)
        elif isinstance(value, dict):
            for item in value.values():
                keep(item)
        elif isinstance(value, list):
            for item in value:
                keep(item)

    for model in apps.get_models():
        if not model.__module__.startswith("liaison."):
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.choices
            and not (model in named and f.name in {"name_en", "name_local", "abbreviation"})
        ]
        for name in fields:
            for value in model._default_manager.values_list(name, flat=True).distinct().iterator():
                keep(value)
    return found


def pages_of(client: Client, documents: set[str]) -> Iterator[tuple[str, str, str]]:
    """(page name, address, HTML) for every HTML page a reader reaches or the resolver lists."""
    seen: set[str] = set()
    for name, url, response in walk_pages(client):
        seen.add(name)
        yield name, url, response.content.decode()
        if CHOSEN_LANGUAGE.search(url):  # a document drawn in a language the reader picks
            url = CHOSEN_LANGUAGE.sub(f"lang={LANGUAGE}", url)
            if url not in documents:  # the same for every reader: drawn once
                documents.add(url)
                yield name, url, client.get(url).content.decode()
    made_up = False
    for name, url in ENDPOINTS:
        if name in POST_ONLY or name in seen or url.startswith((*SKIPPED_PREFIXES, "/api/")):
            continue
        if NOT_PAGES.search(name + urlsplit(url).path):
            continue
        if MADE_UP.search(url):  # arguments made up for the resolver: "not found", read once
            if made_up:
                continue
            made_up = True
        response = client.get(url)
        if response.get("Content-Type", "").startswith("text/html"):
            seen.add(name)
            yield page_name(url) or name or url, url, response.content.decode()


def test_the_detector_finds_english_and_lets_vietnamese_be() -> None:
    english = (
        "<html><head><script>var x = 'Customs';</script></head><body>"
        "<h1>Sign in</h1><p>Hải quan</p><select><option>Border Army</option></select>"
        "<p>12 minutes ago</p><input placeholder='Search'><p>Mộc Bài — Moc Bai</p>"
        "<textarea>Customs</textarea></body></html>"
    )
    found = english_on_page(english)
    assert "Sign in" in found
    assert any("Border Army" in f for f in found)
    assert any("minutes" in f for f in found)
    assert any("Moc Bai" in f for f in found)
    assert not any("var x" in f for f in found)
    vietnamese = (
        "<html lang='vi'><body><h1>Đăng nhập</h1><p>Mộc Bài, Hải quan</p>"
        "<p>Mộc Bài <span lang='en'>Moc Bai</span></p><pre>Customs</pre></body></html>"
    )
    assert english_on_page(vietnamese) == []


@pytest.fixture
def typed_records(demo: None) -> Iterator[None]:
    """The demo's records, set aside as data for the test's detector (and forgotten after)."""
    remember_typed_data(collect_typed_data())
    yield
    TYPED_DATA.clear()
    BY_FIRST_WORD.clear()
    english_in.cache_clear()


def test_every_page_of_the_demo_reads_in_vietnamese_for_every_persona(typed_records: None) -> None:
    # given every demo account, reading Vietnamese
    User.objects.update(preferred_language=LANGUAGE)
    found: list[str] = []
    visited = 0
    documents: set[str] = set()
    for person in USERS:
        client = Client()
        client.force_login(User.objects.get(username=person.username))
        # when they open every page
        for name, url, html in pages_of(client, documents):
            visited += 1
            # then none shows English
            english = english_on_page(html)
            if english:
                found.append(f"{person.username} {url} ({name}):\n    " + "\n    ".join(english))
    assert visited > 100  # the walk reached the site, not only the home page
    assert not found, "English on Vietnamese pages:\n" + "\n".join(found)
