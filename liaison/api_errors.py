"""The API's errors: every 4xx and 5xx under ``/api/`` is a JSON body ``{"detail": …}``.

Errors raised inside an endpoint are answered by the handlers ``liaison.api`` registers; those
Django answers before or around the API (an unknown path, a method the path does not take, a
body over the upload limit, a server error) are turned into the same shape by
:class:`JsonErrorsMiddleware`. Each operation declares the error statuses it can answer with
:func:`errors`, so the OpenAPI schema lists them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BeforeValidator

API_PREFIX = "/api/"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
)


def _written_as(pattern: re.Pattern[str], example: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        # pydantic would also take a number as a Unix time; the schema says a text date.
        if isinstance(value, str) and pattern.fullmatch(value):
            return value
        if isinstance(value, datetime.date):
            return value
        raise ValueError(f"write it as {example}")

    return check


IsoDate = Annotated[datetime.date, BeforeValidator(_written_as(_ISO_DATE, "2026-03-14"))]
"""A date in the API's input, written YYYY-MM-DD."""
IsoDateTime = Annotated[
    datetime.datetime, BeforeValidator(_written_as(_ISO_DATETIME, "2026-03-14T08:30:00+07:00"))
]
"""A date and time in the API's input, written in ISO 8601."""


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut] = []


def errors(*statuses: int) -> dict[int, type[Schema]]:
    """Response declarations for the error statuses an operation answers."""
    return {
        status: ValidationErrorOut if status == HTTPStatus.UNPROCESSABLE_ENTITY else ErrorOut
        for status in statuses
    }


SIGNED_IN = (HTTPStatus.UNAUTHORIZED,)
"""Every operation: the API is for signed-in users (session and, for writes, CSRF token)."""


def status_text(status: int) -> str:
    texts = {
        400: _("The request is not valid."),
        401: _("Sign in first."),
        403: _("You may not do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request is too large."),
        422: _("The request is not valid."),
        500: _("Server error; it has been logged."),
    }
    if status in texts:
        return texts[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _("Error")


class JsonErrorsMiddleware:
    """Answers every error under ``/api/`` in JSON, whoever produced it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith(API_PREFIX)
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        replacement = JsonResponse(
            {"detail": status_text(response.status_code)}, status=response.status_code
        )
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replacement[header] = response[header]
        return replacement


def validation_body(errors_found: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "detail": _("The request is not valid."),
        "errors": [
            {
                "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in errors_found
        ],
    }
