"""The REST API: one django-ninja instance, a router per app, OpenAPI at /api/openapi.json.

Authentication is the browser session (with CSRF) for the web app; every endpoint reads through
the same permission layer as the pages. Every error is answered in JSON (``liaison.api_errors``).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import SessionAuth

from liaison.api_errors import status_text, validation_body
from liaison.exchange.api import router as exchange_router
from liaison.meetings.api import router as meetings_router
from liaison.operations.faults import is_database_unreachable, is_disk_full
from liaison.reference.api import router as reference_router
from liaison.registry.api import router as registry_router
from liaison.surveys.api import router as surveys_router
from liaison.training.api import router as training_router

logger = logging.getLogger("django.request")

api = NinjaAPI(
    title="Liaison API",
    version="1",
    description=(
        "Network registry, exchange (with STIX 2.1 and MISP exports), surveys, training, "
        "meetings and the reference library of the BLO network."
    ),
    auth=SessionAuth(),
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or status_text(403)}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": status_text(404)}, status=404)


@api.exception_handler(ValidationError)
def invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, validation_body(exc.errors), status=422)


@api.exception_handler(DjangoValidationError)
def invalid_record(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(
        request,
        validation_body(
            [
                {"loc": ["body", name], "msg": message, "type": "value_error"}
                for name, messages in fields.items()
                for message in messages
            ]
        ),
        status=422,
    )


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(request, {"detail": status_text(413)}, status=413)


@api.exception_handler(SuspiciousOperation)
def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return api.create_response(request, {"detail": status_text(400)}, status=400)


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # a full disk and an unreachable database say what they are, as the pages do
    # (liaison.operations.faults): the client learns that nothing was saved and when to retry
    if is_disk_full(exc):
        logger.error("Disk full: %s", request.path, exc_info=exc, extra={"status_code": 507})
        detail = _("The server's disk is full; nothing was saved.")
        return api.create_response(request, {"detail": detail}, status=507)
    if is_database_unreachable(exc):
        logger.error(
            "Database unreachable: %s", request.path, exc_info=exc, extra={"status_code": 503}
        )
        detail = _("The server cannot reach its database. Nothing you send now can be saved.")
        response = api.create_response(request, {"detail": detail}, status=503)
        response["Retry-After"] = "60"
        return response
    logger.error(
        "Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500}
    )
    return api.create_response(request, {"detail": status_text(500)}, status=500)


api.add_router("/registry/", registry_router)
api.add_router("/exchange/", exchange_router)
api.add_router("/surveys/", surveys_router)
api.add_router("/training/", training_router)
api.add_router("/meetings/", meetings_router)
api.add_router("/reference/", reference_router)
