"""The interface languages Liaison offers, discovered from the translation catalogues.

Vietnamese and English are always offered. Any other language is offered as soon as a translator
adds ``locale/<code>/LC_MESSAGES/django.po`` (compiled to ``.mo`` at install): nothing else needs
changing, which is how Lao, Khmer, Thai and Chinese join.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from django.utils.translation import gettext_noop, ngettext_lazy

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


def terminal_language(offered: Iterable[str], environment: Mapping[str, str] | None = None) -> str:
    """The language of a terminal's messages, as POSIX locates it (``LC_ALL`` first, then
    ``LC_MESSAGES``, then ``LANG``): one of ``offered`` (Django codes), English otherwise."""
    values = os.environ if environment is None else environment
    codes = set(offered)
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = values.get(variable, "")
        if value:
            code = value.split(".", 1)[0].split("@", 1)[0].split("_", 1)[0].lower()
            code = "zh-hans" if code == "zh" else code
            return code if code in codes else "en"
    return "en"


def interface_languages() -> list[str]:
    """The codes of the languages the interface speaks (``settings.LANGUAGES``), in order."""
    from django.conf import settings

    return [code for code, _name in settings.LANGUAGES]


def in_terminal_language[**P, R](handle: Callable[P, R]) -> Callable[P, R]:
    """A management command's ``handle`` that speaks the terminal's language (the site's default
    language, Vietnamese, is for pages, not for an administrator's shell)."""

    @functools.wraps(handle)
    def speaking(*args: P.args, **kwargs: P.kwargs) -> R:
        from django.utils import translation

        with translation.override(terminal_language(interface_languages())):
            return handle(*args, **kwargs)

    return speaking


# Django's own strings that its catalogues do not translate into the network's languages (new in
# Django 6): listed here so makemessages carries them into Liaison's catalogues, which come first.
DJANGO_STRINGS_TRANSLATED_HERE = (gettext_noop("- Select an option -"),)
# The units of timesince/timeuntil ("12 minutes"): Django 6 asks for "%(num)d minute", which its
# Vietnamese catalogue (and others of the network) still translate only as "%d minute".
DJANGO_PLURALS_TRANSLATED_HERE = (
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
)
