"""Showing lesson content: which language a reader gets, and the page HTML with its images and
reference links pointed at the app's own addresses (so a tablet needs no internet)."""

from __future__ import annotations

import html
import re

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from liaison.reference.language import normalise_language
from liaison.training.content import sanitise_lesson_html
from liaison.training.models import TrainingModule

SESSION_KEY = "training_content_language"
_IMAGE = re.compile(r'(<img\b[^>]*?\bsrc=")images/([^"]+)(")')
_REFERENCE = re.compile(r'<a\b([^>]*?)\bdata-ref="([a-z]+):([^"]+)"([^>]*)>')


def content_language(request: HttpRequest, module: TrainingModule) -> str:
    """The language the reader reads this module in: asked for (``?lang=``), chosen before,
    their interface language, English, or the module's first language — whichever it has."""
    languages: list[str] = list(module.languages)
    asked = request.GET.get("lang", "")
    if asked in languages:
        request.session[SESSION_KEY] = asked
        return asked
    remembered = str(request.session.get(SESSION_KEY, ""))
    if remembered in languages:
        return remembered
    interface = normalise_language(translation.get_language())
    for candidate in (interface, "en"):
        if candidate in languages:
            return candidate
    return languages[0] if languages else "en"


def lesson_html(body: str, module: TrainingModule) -> SafeString:
    """A page's HTML, sanitised again (the stored copy was sanitised at import, but a row may have
    been written some other way), with its addresses resolved to the app's own."""

    def image(match: re.Match[str]) -> str:
        url = reverse("training:asset", args=[module.code, html.unescape(match.group(2))])
        return f"{match.group(1)}{html.escape(url)}{match.group(3)}"

    def reference(match: re.Match[str]) -> str:
        before, kind, code, after = match.groups()
        try:
            url = reverse("reference:entry", args=[kind, html.unescape(code)])
        except NoReverseMatch:
            return match.group(0)
        return f'<a{before}href="{html.escape(url)}" data-ref="{kind}:{code}"{after}>'

    clean = sanitise_lesson_html(body)
    # The substitutions only insert addresses built by reverse() and escaped.
    return mark_safe(_REFERENCE.sub(reference, _IMAGE.sub(image, clean)))  # noqa: S308 - sanitised
