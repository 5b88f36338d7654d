"""Which of an entry's languages a reader sees, and the folding that makes search accent-blind.

Reference entries carry their names in the six languages of the network (``name_en``, ``name_vi``,
``name_lo``, ``name_km``, ``name_th``, ``name_zh_hans``) and their longer texts as a mapping from
language code to text. A reader gets their own language where the entry has it and English
otherwise, so a Lao officer is never shown an empty field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Protocol

from django.utils import translation

# The languages a reference entry may be written in, in the order the detail page lists them.
ENTRY_LANGUAGES: tuple[str, ...] = ("en", "vi", "lo", "km", "th", "zh-hans")
FALLBACK_LANGUAGE = "en"

_ALIASES = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-hans-cn": "zh-hans",
}


class Named(Protocol):
    name_en: str


def normalise_language(lang: str | None) -> str:
    """``vi-VN`` → ``vi``, ``zh-CN`` → ``zh-hans``; anything unknown → English."""
    if not lang:
        lang = translation.get_language() or FALLBACK_LANGUAGE
    code = lang.strip().lower().replace("_", "-")
    code = _ALIASES.get(code, code)
    if code in ENTRY_LANGUAGES:
        return code
    base = code.split("-")[0]
    base = _ALIASES.get(base, base)
    return base if base in ENTRY_LANGUAGES else FALLBACK_LANGUAGE


def name_field(lang: str) -> str:
    """The model field holding the name in ``lang`` (``zh-hans`` → ``name_zh_hans``)."""
    return "name_" + normalise_language(lang).replace("-", "_")


def label(obj: Named, lang: str | None = None) -> str:
    """The entry's name in ``lang`` (default: the active language), else its English name."""
    value = getattr(obj, name_field(normalise_language(lang)), "")
    return str(value) if value else obj.name_en


def localised(texts: Mapping[str, str] | None, lang: str | None = None) -> str:
    """One text of a ``{language: text}`` mapping: the reader's language, else English."""
    if not texts:
        return ""
    code = normalise_language(lang)
    return texts.get(code) or texts.get(FALLBACK_LANGUAGE) or ""


_SPACES = re.compile(r"\s+")
# Letters that carry no combining mark to strip, so NFKD alone leaves them alone.
_SPECIAL_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l"})


def fold(text: str) -> str:
    """Lower-case, drop accents and tone marks, collapse spaces: ``Ma Túy`` → ``ma tuy``.

    Vietnamese diacritics (and ``đ``) fold to plain Latin letters so an officer typing without
    a Vietnamese keyboard still finds the entry. Scripts without Latin letters (Lao, Khmer, Thai,
    Chinese) keep their characters; combining vowel signs of those scripts are kept too, since
    they are letters there, not accents.
    """
    text = text.translate(_SPECIAL_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for char in decomposed:
        if unicodedata.combining(char) and _is_latin_accent(char):
            continue
        kept.append(char)
    folded = unicodedata.normalize("NFC", "".join(kept)).casefold()
    return _SPACES.sub(" ", folded).strip()


def _is_latin_accent(char: str) -> bool:
    # Combining Diacritical Marks (U+0300–U+036F) are the accents of Latin scripts, Vietnamese
    # included; Thai, Lao and Khmer vowel signs live in their own blocks and must survive.
    return 0x0300 <= ord(char) <= 0x036F
