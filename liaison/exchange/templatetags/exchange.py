"""Template helpers of the exchange: vocabulary labels and language tags in the reader's language."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from liaison.exchange.models import TLP
from liaison.languages import KNOWN_LANGUAGES
from liaison.reference.language import label

register = template.Library()


@register.filter(name="vocab")
def vocab(entry: Any) -> str:
    """A reference entry's name in the reader's language, English where it has none."""
    return "" if entry is None else label(entry)


@register.filter
def language_name(code: str) -> str:
    return KNOWN_LANGUAGES.get(code, code)


@register.simple_tag
def tlp_badge(value: str) -> SafeString:
    tlp = TLP(value)
    return format_html('<span class="tlp {}" title="{}">{}</span>', tlp.css, tlp.meaning, tlp.label)


@register.filter
def minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 60:
        return _("%(minutes)s min") % {"minutes": f"{value:.0f}"}
    return _("%(hours)s h") % {"hours": number_format(value / 60, 1)}


@register.filter
def span(value: datetime.timedelta | None) -> str:
    """A duration as the minutes filter shows it (a median or percentile of the database's)."""
    if value is None:
        return "—"
    return minutes(value.total_seconds() / 60)
