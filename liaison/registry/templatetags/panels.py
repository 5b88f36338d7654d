from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from liaison.registry.extensions import Panel

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context: Any, panel: Panel) -> SafeString:
    request = context.get("request")
    return mark_safe(render_to_string(panel.template, panel.context, request=request))  # noqa: S308 - a rendered template
