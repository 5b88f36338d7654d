"""The interface languages Liaison offers, discovered from the translation catalogues.

Vietnamese and English are always offered. Any other language is offered as soon as a translator
adds ``locale/<code>/LC_MESSAGES/django.po`` (compiled to ``.mo`` at install): nothing else needs
changing, which is how Lao, Khmer, Thai and Chinese join.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# Endonyms, so a reader finds their own language in the switcher whatever the page's language.
KNOWN_LANGUAGES: dict[str, str] = {
    "vi": "Tiếng Việt",
    "en": "English",
    "lo": "ພາສາລາວ",
    "km": "ភាសាខ្មែរ",
    "th": "ภาษาไทย",
    "zh-hans": "简体中文",
}
ALWAYS_OFFERED = ("vi", "en")


def _code_from_dir(name: str) -> str:
    # gettext folders use ll_Script (zh_Hans); Django language codes use ll-script.
    return name.replace("_", "-").lower()


def discover_languages(locale_paths: Iterable[Path]) -> list[tuple[str, str]]:
    codes: list[str] = list(ALWAYS_OFFERED)
    for root in locale_paths:
        if not root.is_dir():
            continue
        for po in sorted(root.glob("*/LC_MESSAGES/django.po")):
            code = _code_from_dir(po.parent.parent.name)
            if code not in codes:
                codes.append(code)
    return [(code, KNOWN_LANGUAGES.get(code, code)) for code in codes]
