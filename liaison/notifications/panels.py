"""The notifications' section of the user's own profile (see liaison.registry.extensions)."""

from __future__ import annotations

from django.http import HttpRequest

from liaison.registry.extensions import Panel
from liaison.registry.models import User


def account_section(request: HttpRequest, user: User) -> Panel | None:
    return None
