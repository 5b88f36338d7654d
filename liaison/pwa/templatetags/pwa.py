"""``{% keep_and_send %}``: loads the forms' drafts and outbox (keep.js) with what it needs."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from liaison.pwa.offline import FORMS_CACHE

register = template.Library()


@register.inclusion_tag("pwa/_keep.html", takes_context=True)
def keep_and_send(context: template.Context) -> dict[str, Any]:
    """The signed-in user's id (drafts and outbox are kept per user); signed out, only the
    order to wipe what the ended session sealed. Without a request (the offline page, rendered
    ahead for the worker), nothing."""
    return {
        "user": context.get("user"),
        "request": context.get("request"),
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "forms_cache": FORMS_CACHE,
    }
