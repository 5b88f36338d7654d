"""Training endpoints: the catalogue as the training page lists it, and the reader's own
enrolments, completions and qualifications (their badges) — never another officer's."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from liaison.api_errors import SIGNED_IN, errors
from liaison.api_pages import PageIn, page_of
from liaison.reference.models import CrimeArea
from liaison.registry import permissions
from liaison.registry.models import User
from liaison.training import selectors
from liaison.training.models import Completion, Enrolment, Skill, TrainingModule

router = Router(tags=["training"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - SessionAuth admits only signed-in users
    return request.user


class ModuleOut(Schema):
    code: str
    title: str
    summary: str
    skill: str
    areas: list[str]
    formats: list[str]
    languages: list[str]
    duration_minutes: int
    pass_mark: int


class ModuleListOut(Schema):
    count: int
    results: list[ModuleOut]


class ModuleFilterIn(PageIn):
    area: CrimeArea | None = None
    skill: Skill | None = None


class EnrolmentOut(Schema):
    module: str
    module_title: str
    status: str
    enrolled_at: datetime.datetime
    last_page: int
    completed_at: datetime.datetime | None


class EnrolmentListOut(Schema):
    count: int
    results: list[EnrolmentOut]


class CompletionOut(Schema):
    module: str
    module_title: str
    completed_on: datetime.date
    score: Decimal | None
    method: str
    valid_until: datetime.date | None


class CompletionListOut(Schema):
    count: int
    results: list[CompletionOut]


class QualificationOut(Schema):
    kind: str
    """``qualification`` for a certificate, else the crime area of a current completion."""
    title: str
    detail: str
    """A certificate's verification code; else what was earned."""
    valid_until: datetime.date | None


class QualificationListOut(Schema):
    count: int
    results: list[QualificationOut]


def _module(module: TrainingModule) -> ModuleOut:
    return ModuleOut(
        code=module.code,
        title=str(module),
        summary=module.text("summary"),
        skill=module.skill,
        areas=[a.area for a in module.areas.all()],
        formats=list(module.formats),
        languages=list(module.languages),
        duration_minutes=module.duration_minutes,
        pass_mark=module.pass_mark,
    )


@router.get("/modules", response={200: ModuleListOut, **errors(*SIGNED_IN, 422)})
def modules(request: HttpRequest, filters: Query[ModuleFilterIn]) -> ModuleListOut:
    """The catalogue as the training page shows it to the reader."""
    found = selectors.visible_modules(_user(request))
    if filters.area is not None:
        found = found.filter(areas__area=filters.area).distinct()
    if filters.skill is not None:
        found = found.filter(skill=filters.skill)
    count, page = page_of(found.order_by("position", "code"), filters)
    return ModuleListOut(count=count, results=[_module(m) for m in page])


@router.get("/enrolments", response={200: EnrolmentListOut, **errors(*SIGNED_IN, 422)})
def enrolments(request: HttpRequest, page: Query[PageIn]) -> EnrolmentListOut:
    """The reader's own enrolments."""
    user = _user(request)
    mine = (
        permissions.visible(user, Enrolment)
        .filter(officer=user)
        .select_related("module")
        .order_by("-enrolled_at", "-pk")
    )
    count, found = page_of(mine, page)
    return EnrolmentListOut(
        count=count,
        results=[
            EnrolmentOut(
                module=e.module.code,
                module_title=str(e.module),
                status=e.status,
                enrolled_at=e.enrolled_at,
                last_page=e.last_page,
                completed_at=e.completed_at,
            )
            for e in found
        ],
    )


@router.get("/completions", response={200: CompletionListOut, **errors(*SIGNED_IN, 422)})
def completions(request: HttpRequest, page: Query[PageIn]) -> CompletionListOut:
    """The reader's own completions, current and past."""
    user = _user(request)
    mine = (
        permissions.visible(user, Completion)
        .filter(officer=user)
        .select_related("module")
        .order_by("-completed_on", "-pk")
    )
    count, found = page_of(mine, page)
    return CompletionListOut(
        count=count,
        results=[
            CompletionOut(
                module=c.module.code,
                module_title=str(c.module),
                completed_on=c.completed_on,
                score=c.score,
                method=c.method,
                valid_until=c.valid_until,
            )
            for c in found
        ],
    )


@router.get("/qualifications", response={200: QualificationListOut, **errors(*SIGNED_IN, 422)})
def qualifications(request: HttpRequest, page: Query[PageIn]) -> QualificationListOut:
    """What the reader holds, as the badges of their training page."""
    count, found = page_of(selectors.badges_for(_user(request)), page)
    return QualificationListOut(
        count=count,
        results=[
            QualificationOut(kind=b.kind, title=b.title, detail=b.detail, valid_until=b.until)
            for b in found
        ],
    )
