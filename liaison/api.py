"""The REST API: one django-ninja instance, a router per app, OpenAPI at /api/openapi.json.

Authentication is the browser session (with CSRF) for the web app; every endpoint reads through
the same permission layer as the pages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import SessionAuth

from liaison.exchange.api import router as exchange_router
from liaison.registry.api import router as registry_router

api = NinjaAPI(
    title="Liaison API",
    version="1",
    description="Network registry, exchange, surveys and training of the BLO network.",
    auth=SessionAuth(),
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found"}, status=404)


api.add_router("/registry/", registry_router)
api.add_router("/exchange/", exchange_router)
