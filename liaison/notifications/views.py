"""The notifications' endpoints: a user's choice of channels (a form on their profile) and the
Web Push subscription of the device they use (JSON, posted by push.js with the CSRF token)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liaison.notifications import services
from liaison.registry.models import User


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user


@login_required
@require_POST
def choice(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    services.do_set_notification_choice(
        by_email=request.POST.get("by_email") == "on",
        by_push=request.POST.get("by_push") == "on",
        actor=user,
    )
    messages.success(request, _("Your choice of notifications is saved."))
    return HttpResponseRedirect(reverse("account"))


def _bad(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


def _body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _push_endpoint(value: Any) -> str | None:
    """A push service's address: https, a host, at most 1000 characters."""
    if not isinstance(value, str) or len(value) > 1000:
        return None
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        return None
    return value


def _key(value: Any, longest: int) -> str | None:
    """A base64url key of the subscription (p256dh, auth)."""
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
    if not isinstance(value, str) or not 0 < len(value) <= longest or set(value) - allowed:
        return None
    return value


@login_required
@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """Body: the browser's ``PushSubscription.toJSON()``: ``{"endpoint": …, "keys": {"p256dh":
    …, "auth": …}}``."""
    user = _user(request)
    data = _body(request)
    if data is None:
        return _bad(_("Send the subscription as a JSON object."))
    keys = data.get("keys")
    endpoint = _push_endpoint(data.get("endpoint"))
    p256dh = _key(keys.get("p256dh"), 200) if isinstance(keys, dict) else None
    auth = _key(keys.get("auth"), 100) if isinstance(keys, dict) else None
    if endpoint is None or p256dh is None or auth is None:
        return _bad(_("The subscription needs an https endpoint and its p256dh and auth keys."))
    services.do_subscribe_to_push(endpoint=endpoint, p256dh=p256dh, auth=auth, actor=user)
    return JsonResponse({"subscribed": True}, status=201)


@login_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> JsonResponse:
    """Body: ``{"endpoint": …}`` of this device's subscription."""
    user = _user(request)
    data = _body(request)
    endpoint = _push_endpoint(data.get("endpoint")) if data is not None else None
    if endpoint is None:
        return _bad(_("Send the subscription's https endpoint as JSON."))
    removed = services.do_unsubscribe_from_push(endpoint=endpoint, actor=user)
    return JsonResponse({"removed": removed})
