"""The notifications' section of the user's own profile (see liaison.registry.extensions)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from liaison.notifications.services import choice_of
from liaison.registry.extensions import Panel
from liaison.registry.models import User


def account_section(request: HttpRequest, user: User) -> Panel | None:
    if request.user != user:
        return None
    return Panel(
        template="notifications/_account_section.html",
        context={
            "choice": choice_of(user),
            "email": user.email,
            "email_enabled": bool(settings.SMTP_HOST),
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        },
        order=40,
    )
