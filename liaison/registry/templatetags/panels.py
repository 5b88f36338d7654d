from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from liaison.registry.extensions import Panel

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context: Any, panel: Panel) -> SafeString:
    """The panel's template drawn in the page's context (as ``{% include %}`` does) with the
    panel's values on top: the page's context processors are not run again for each panel."""
    template = context.template.engine.get_template(panel.template)
    with context.push(panel.context):
        drawn: str = template.render(context)
    return mark_safe(drawn)  # noqa: S308 - a rendered template
