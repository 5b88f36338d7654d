"""Per-user language and the two-factor requirement, applied on every request after sign-in."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation

from liaison.registry.models import User
from liaison.registry.services import two_factor_required

Handler = Callable[[HttpRequest], HttpResponse]


def language_for(user: User) -> str | None:
    """The language a signed-in user reads: their choice, else their country's if we offer it."""
    offered = {code for code, _name in settings.LANGUAGES}
    if user.preferred_language in offered:
        return user.preferred_language
    country = user.country
    if country is not None and country.language in offered:
        return country.language
    return None  # fall back to what the browser asked for


class UserLanguageMiddleware:
    """Before sign-in the browser's Accept-Language decides (LocaleMiddleware); after, the user."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            language = language_for(user)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Send a user whose role requires two-factor sign-in to set it up or to confirm a code."""

    EXEMPT_PREFIXES = ("/account/two-factor", "/logout", "/static/", "/i18n/", "/training/verify/")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            isinstance(user, User)
            and user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and not getattr(user, "is_verified", lambda: False)()  # set by OTPMiddleware
            and two_factor_required(user)
        ):
            return HttpResponseRedirect(reverse("two_factor"))
        return self.get_response(request)
