"""Exchange endpoints. Every list, count and detail reads through the same permission layer as
the pages; writes call the same services."""

from __future__ import annotations

import datetime
from dataclasses import asdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import create_model

from liaison.api_errors import SIGNED_IN, IsoDate, IsoDateTime, errors
from liaison.exchange import partners, services
from liaison.exchange.forms import resolve_commodity
from liaison.exchange.idempotency import earlier_answer, idempotent_request, remember_answer
from liaison.exchange.models import (
    AlertDelivery,
    Attachment,
    Incident,
    NominalEntry,
    SeizureItem,
)
from liaison.exchange.partners import misp, stix
from liaison.exchange.selectors import (
    IncidentFilters,
    counts_by_area_and_month,
    search_incidents,
)
from liaison.exchange.shape import (
    COMMODITY_FIELDS,
    INCIDENT_FIELDS,
    NOMINAL_FIELDS,
    FieldKind,
    IncidentField,
    Use,
    commodity_field_of,
    fields_for,
)
from liaison.registry.models import BLO, User
from liaison.registry.permissions import Action, access, visible

router = Router(tags=["exchange"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - SessionAuth admits only signed-in users
    return request.user


class ItemOut(Schema):
    commodity: str
    commodity_kind: str
    label: str
    quantity: Decimal
    unit: str


def _schema_fields(use: Use, fields: tuple[IncidentField, ...] = INCIDENT_FIELDS) -> dict[str, Any]:
    """The fields of :mod:`liaison.exchange.shape` a part of the API carries, as pydantic fields:
    what the incident's model requires is required on the way in, the rest takes its default."""
    schema: dict[str, Any] = {}
    for field in fields_for(use, fields):
        if field.kind is FieldKind.PART:
            continue  # a part has its own schema (items)
        if use is not Use.API_IN:
            kind: Any = datetime.datetime if field.kind is FieldKind.MOMENT else str
            schema[field.name] = (kind, ...)
            continue
        model_field = field.model_field()
        kind = IsoDateTime if field.kind is FieldKind.MOMENT else str
        optional = model_field.has_default() or model_field.blank
        schema[field.name] = (kind, field.default() if optional else ...)
    return schema


def _values(
    record: Any, use: Use, fields: tuple[IncidentField, ...] = INCIDENT_FIELDS
) -> dict[str, Any]:
    """A record's fields for a part of the API, as codes and values."""
    values: dict[str, Any] = {}
    for field in fields_for(use, fields):
        match field.kind:
            case FieldKind.PART:
                continue
            case FieldKind.POST:
                values[field.name] = record.blo.code
            case FieldKind.POST_COUNTRY:
                values[field.name] = record.country.code
            case FieldKind.COUNTRY:
                values[field.name] = str(getattr(record, field.name) or "")
            case _:
                values[field.name] = getattr(record, field.name)
    return values


class _IncidentOutParts(Schema):
    crime_area_label: str
    items: list[ItemOut]


class _NominalOutParts(Schema):
    pass


if TYPE_CHECKING:
    IncidentOut = _IncidentOutParts
    NominalOut = _NominalOutParts
else:
    IncidentOut = create_model(
        "IncidentOut", __base__=_IncidentOutParts, **_schema_fields(Use.API_LIST)
    )
    NominalOut = create_model(
        "NominalOut", __base__=_NominalOutParts, **_schema_fields(Use.API_DETAIL, NOMINAL_FIELDS)
    )


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    of_person: bool
    url: str
    thumbnail_url: str | None


class _IncidentDetailParts(IncidentOut):
    nominal: list[NominalOut]
    nominal_withheld: int
    attachments: list[AttachmentOut]


if TYPE_CHECKING:
    IncidentDetailOut = _IncidentDetailParts
else:
    IncidentDetailOut = create_model(
        "IncidentDetailOut", __base__=_IncidentDetailParts, **_schema_fields(Use.API_DETAIL)
    )


MAX_OFFSET = 1_000_000_000


class IncidentFilterIn(Schema):
    area: str = ""
    date_from: IsoDate | None = None
    date_to: IsoDate | None = None
    blo: str = ""
    crossing_kind: str = ""
    commodity: str = ""
    nationality: str = ""
    text: str = ""
    # Past 500 the page is cut to 500; a negative or absurd value is a 422, not a server error.
    limit: int = Field(50, ge=1, le=1_000_000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class IncidentListOut(Schema):
    count: int
    results: list[IncidentOut]


class ItemIn(Schema):
    commodity: str
    quantity: Decimal
    unit: str


class _IncidentInParts(Schema):
    items: list[ItemIn] = []


if TYPE_CHECKING:
    IncidentIn = _IncidentInParts
else:
    IncidentIn = create_model("IncidentIn", __base__=_IncidentInParts, **_schema_fields(Use.API_IN))


class CountOut(Schema):
    month: datetime.date
    crime_area: str
    count: int


def _item(item: SeizureItem) -> ItemOut:
    entry = item.commodity
    return ItemOut(
        commodity=entry.code,
        commodity_kind=commodity_field_of(item),
        label=entry.label(),
        quantity=item.quantity,
        unit=item.unit,
    )


def _incident(incident: Incident) -> IncidentOut:
    return IncidentOut(
        **_values(incident, Use.API_LIST),
        crime_area_label=str(incident.get_crime_area_display()),
        items=[_item(i) for i in incident.items.all()],
    )


@router.get("/incidents", response={200: IncidentListOut, **errors(*SIGNED_IN, 422)})
def incidents(request: HttpRequest, filters: Query[IncidentFilterIn]) -> IncidentListOut:
    user = _user(request)
    searched = IncidentFilters(
        area=filters.area,
        date_from=filters.date_from,
        date_to=filters.date_to,
        blo=filters.blo,
        crossing_kind=filters.crossing_kind,
        commodity=filters.commodity,
        nationality=filters.nationality,
        text=filters.text,
    )
    found = search_incidents(user, searched)
    limit = min(filters.limit, 500)
    page = list(
        found.select_related("blo", "country")
        .prefetch_related(*(f"items__{name}" for name in COMMODITY_FIELDS))
        .order_by("-occurred_at")[filters.offset : filters.offset + limit]
    )
    count = found.count()
    services.record_bulk_read(
        user,
        "incident list (API)",
        filters={**asdict(searched), "limit": limit, "offset": filters.offset},
        count=count,
        references=[incident.reference for incident in page],
        request=request,
    )
    return IncidentListOut(count=count, results=[_incident(i) for i in page])


@router.get(
    "/incidents/{reference}", response={200: IncidentDetailOut, **errors(*SIGNED_IN, 403, 404)}
)
def incident(request: HttpRequest, reference: str) -> IncidentDetailOut:
    user = _user(request)
    found = access(user, Incident, reference=reference)
    nominal = visible(user, NominalEntry).filter(incident=found)
    if nominal.exists():
        services.record_view(user, found, request)
    base = _incident(found)
    return IncidentDetailOut(
        **base.dict(),
        **_values(found, Use.API_DETAIL),
        nominal=[NominalOut(**_values(n, Use.API_DETAIL, NOMINAL_FIELDS)) for n in nominal],
        nominal_withheld=found.nominal_entries.count() - nominal.count(),
        attachments=[
            AttachmentOut(
                id=a.pk,
                name=a.original_name,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
                width=a.width,
                height=a.height,
                of_person=a.of_person,
                url=request.build_absolute_uri(a.get_absolute_url()),
                thumbnail_url=(
                    request.build_absolute_uri(
                        reverse("exchange:attachment_thumbnail", args=[a.pk])
                    )
                    if a.thumbnail
                    else None
                ),
            )
            for a in visible(user, Attachment).filter(incident=found)
        ],
    )


@router.post(
    "/incidents", response={201: IncidentOut, **errors(*SIGNED_IN, 400, 403, 404, 413, 422)}
)
def create_incident(request: HttpRequest, body: IncidentIn) -> tuple[int, IncidentOut]:
    """Record an incident. With an ``Idempotency-Key`` header, a retry of the same request
    answers as the first did and records nothing new (same key, other body: 422)."""
    user = _user(request)
    once = idempotent_request(request, user, "exchange.create_incident")
    if once is not None:
        earlier = earlier_answer(once)
        if earlier is not None:
            return earlier.status, IncidentOut(**earlier.body)
    posted = body.model_dump(exclude={"items"})
    blo = access(user, BLO, code=posted["blo"])
    items: list[SeizureItem] = []
    for position, item_in in enumerate(body.items):
        resolved = resolve_commodity(item_in.commodity)
        if resolved is None:
            raise HttpError(422, f"items[{position}].commodity: not in the reference vocabularies")
        item = SeizureItem(quantity=item_in.quantity, unit=item_in.unit)
        setattr(item, resolved[0], resolved[1])
        items.append(item)
    incident_obj = Incident(
        blo=blo,
        **{f.name: posted[f.name] for f in fields_for(Use.API_IN) if f.kind is not FieldKind.POST},
    )
    try:
        with transaction.atomic():
            created = services.do_record_incident(
                incident_obj, services.IncidentParts(items=items), actor=user, request=request
            )
            answer = _incident(created)
            if once is not None:
                remember_answer(once, 201, answer.model_dump(mode="json"))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        else:
            detail = " ".join(exc.messages)
        raise HttpError(422, detail) from None
    except IntegrityError:
        # the same key in a concurrent request, which recorded first: this one recorded nothing
        earlier = earlier_answer(once) if once is not None else None
        if earlier is None:
            raise
        return earlier.status, IncidentOut(**earlier.body)
    return 201, answer


@router.get("/counts", response={200: list[CountOut], **errors(*SIGNED_IN)})
def counts(request: HttpRequest) -> list[CountOut]:
    rows = counts_by_area_and_month(visible(_user(request), Incident))
    return [CountOut(**row) for row in rows]


class DeliveryOut(Schema):
    alert: str
    subject: str
    from_blo: str
    to_blo: str
    sent_at: datetime.datetime
    acknowledged_at: datetime.datetime | None


@router.get("/alerts", response={200: list[DeliveryOut], **errors(*SIGNED_IN)})
def alerts(request: HttpRequest) -> list[DeliveryOut]:
    deliveries = visible(_user(request), AlertDelivery).select_related(
        "alert", "alert__from_blo", "to_blo"
    )
    return [
        DeliveryOut(
            alert=d.alert.reference,
            subject=d.alert.subject,
            from_blo=d.alert.from_blo.code,
            to_blo=d.to_blo.code,
            sent_at=d.alert.sent_at,
            acknowledged_at=d.acknowledged_at,
        )
        for d in deliveries.order_by("-alert__sent_at")[:200]
    ]


@router.post(
    "/alerts/{reference}/acknowledge",
    response={200: DeliveryOut, **errors(*SIGNED_IN, 403, 404, 413)},
)
def acknowledge(request: HttpRequest, reference: str) -> DeliveryOut:
    user = _user(request)
    delivery = access(
        user, AlertDelivery, Action.ACKNOWLEDGE, alert__reference=reference, to_blo_id=user.blo_id
    )
    delivery = services.do_acknowledge_alert(delivery, actor=user, request=request)
    return DeliveryOut(
        alert=delivery.alert.reference,
        subject=delivery.alert.subject,
        from_blo=delivery.alert.from_blo.code,
        to_blo=delivery.to_blo.code,
        sent_at=delivery.alert.sent_at,
        acknowledged_at=delivery.acknowledged_at,
    )


# --- partner formats -----------------------------------------------------------------------------
#
# A record leaves as a STIX 2.1 bundle or a MISP event under the same filter as its detail: a
# record the reader may not read is a 404, nominal entries only as the reader may read them.

_STIX_DOC = {
    "responses": {
        200: {
            "description": "A STIX 2.1 bundle (TLP 2.0 marking definitions).",
            "content": {stix.MEDIA_TYPE: {"schema": {"type": "object"}}},
        }
    }
}
_MISP_DOC = {
    "responses": {
        200: {
            "description": "A MISP event (MISP core format).",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
}


def _stix(bundle: Any) -> HttpResponse:
    return HttpResponse(bundle.serialize(), content_type=stix.MEDIA_TYPE)


def _misp(event: Any) -> HttpResponse:
    return HttpResponse(event.to_json(), content_type="application/json")


@router.get(
    "/incidents/{reference}/stix",
    response=errors(*SIGNED_IN, 403, 404),
    openapi_extra=_STIX_DOC,
    summary="An incident as a STIX 2.1 bundle",
)
def incident_stix(request: HttpRequest, reference: str) -> HttpResponse:
    export = partners.incident_for_export(_user(request), reference, request)
    return _stix(stix.incident_bundle(export))


@router.get(
    "/intelligence/{reference}/stix",
    response=errors(*SIGNED_IN, 403, 404),
    openapi_extra=_STIX_DOC,
    summary="An intelligence report as a STIX 2.1 bundle",
)
def intelligence_stix(request: HttpRequest, reference: str) -> HttpResponse:
    export = partners.intelligence_for_export(_user(request), reference, request)
    return _stix(stix.intelligence_bundle(export))


@router.get(
    "/incidents/{reference}/misp",
    response=errors(*SIGNED_IN, 403, 404),
    openapi_extra=_MISP_DOC,
    summary="An incident as a MISP event",
)
def incident_misp(request: HttpRequest, reference: str) -> HttpResponse:
    export = partners.incident_for_export(_user(request), reference, request)
    return _misp(misp.incident_event(export))


@router.get(
    "/intelligence/{reference}/misp",
    response=errors(*SIGNED_IN, 403, 404),
    openapi_extra=_MISP_DOC,
    summary="An intelligence report as a MISP event",
)
def intelligence_misp(request: HttpRequest, reference: str) -> HttpResponse:
    export = partners.intelligence_for_export(_user(request), reference, request)
    return _misp(misp.intelligence_event(export))
