"""Template context shared by every page: the main navigation for the signed-in user."""

from __future__ import annotations

from typing import TypedDict

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from liaison.registry.models import User
from liaison.registry.permissions import may_list_accounts, may_view_audit


class NavItem(TypedDict):
    url: str
    label: str
    active: bool


def _item(request: HttpRequest, url_name: str, label: str) -> NavItem | None:
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None
    home = reverse("home")
    active = request.path == url if url == home else request.path.startswith(url)
    return {"url": url, "label": label, "active": active}


def navigation(request: HttpRequest) -> dict[str, list[NavItem]]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"nav_items": []}
    wanted: list[tuple[str, str]] = [
        ("home", _("Home")),
        ("exchange:dashboard", _("Exchange")),
        ("registry:network", _("Network")),
        ("surveys:home", _("Assessments")),
        ("training:home", _("Training")),
        ("meetings:home", _("Meetings")),
        ("reference:home", _("Reference")),
    ]
    if may_list_accounts(user):
        wanted.append(("registry:users", _("Accounts")))
    if may_view_audit(user):
        wanted.append(("audit:log", _("Audit log")))
    items = [item for name, label in wanted if (item := _item(request, name, label)) is not None]
    return {"nav_items": items}
