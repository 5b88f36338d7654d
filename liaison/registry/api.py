"""Registry endpoints: the BLOs, countries and accounts a user may see."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from liaison.api_errors import SIGNED_IN, errors
from liaison.registry.models import BLO, Country, Crossing, User
from liaison.registry.permissions import access_blo, visible

router = Router(tags=["registry"])


class CountryOut(Schema):
    code: str
    name_en: str
    name_local: str
    language: str


class BLORef(Schema):
    code: str
    name_en: str
    name_local: str
    country: str


class BLOOut(BLORef):
    province: str | None
    cluster: str | None
    latitude: Decimal | None
    longitude: Decimal | None
    agencies: list[str]
    counterparts: list[BLORef]
    crossings: list[str]


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    country: str | None
    blo: str | None
    agency: str | None
    language: str


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - SessionAuth admits only signed-in users
    return request.user


def _ref(blo: BLO) -> BLORef:
    return BLORef(
        code=blo.code, name_en=blo.name_en, name_local=blo.name_local, country=blo.country.code
    )


@router.get("/me", response={200: MeOut, **errors(*SIGNED_IN)})
def me(request: HttpRequest) -> MeOut:
    user = _user(request)
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        country=user.country.code if user.country else None,
        blo=user.blo.code if user.blo else None,
        agency=user.agency.code if user.agency else None,
        language=user.preferred_language,
    )


@router.get("/countries", response={200: list[CountryOut], **errors(*SIGNED_IN)})
def countries(request: HttpRequest) -> list[CountryOut]:
    return [
        CountryOut(code=c.code, name_en=c.name_en, name_local=c.name_local, language=c.language)
        for c in visible(_user(request), Country)
    ]


@router.get("/blos", response={200: list[BLORef], **errors(*SIGNED_IN)})
def blos(request: HttpRequest) -> list[BLORef]:
    return [_ref(b) for b in visible(_user(request), BLO).select_related("country")]


@router.get("/blos/{code}", response={200: BLOOut, **errors(*SIGNED_IN, 403, 404)})
def blo(request: HttpRequest, code: str) -> BLOOut:
    user = _user(request)
    found = access_blo(user, code)
    counterparts = visible(user, BLO).filter(counterparts=found).select_related("country")
    return BLOOut(
        code=found.code,
        name_en=found.name_en,
        name_local=found.name_local,
        country=found.country.code,
        province=found.province.code if found.province else None,
        cluster=found.cluster.code if found.cluster else None,
        latitude=found.latitude,
        longitude=found.longitude,
        agencies=sorted(a.code for a in found.agencies.all()),
        counterparts=[_ref(c) for c in counterparts],
        crossings=sorted(visible(user, Crossing).filter(blo=found).values_list("code", flat=True)),
    )
