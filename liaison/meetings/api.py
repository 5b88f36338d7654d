"""Meeting endpoints: the meeting log entries a user may read, as the meeting log lists them."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from liaison.api_errors import SIGNED_IN, errors
from liaison.api_pages import PageIn, page_of
from liaison.meetings import selectors
from liaison.meetings.models import ActionStatus, Meeting, MeetingLevel
from liaison.registry.models import User

router = Router(tags=["meetings"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - SessionAuth admits only signed-in users
    return request.user


class MeetingOut(Schema):
    id: int
    blo: str
    counterpart_blo: str | None
    level: str
    formality: str
    held_on: datetime.date
    location: str
    agenda: str
    outcomes: str
    open_actions: int


class MeetingListOut(Schema):
    count: int
    results: list[MeetingOut]


class MeetingFilterIn(PageIn):
    level: MeetingLevel | None = None
    blo: str = Field(
        "", max_length=30, description="A BLO's code: its meetings and its counterparts' with it."
    )


def _meeting(meeting: Meeting, open_actions: int) -> MeetingOut:
    return MeetingOut(
        id=meeting.pk,
        blo=meeting.blo.code,
        counterpart_blo=meeting.counterpart_blo.code if meeting.counterpart_blo else None,
        level=meeting.level,
        formality=meeting.formality,
        held_on=meeting.held_on,
        location=meeting.location,
        agenda=meeting.agenda,
        outcomes=meeting.outcomes,
        open_actions=open_actions,
    )


@router.get("/log", response={200: MeetingListOut, **errors(*SIGNED_IN, 422)})
def meetings(request: HttpRequest, filters: Query[MeetingFilterIn]) -> MeetingListOut:
    """The meeting log as its page shows it to the reader, filtered as the page filters."""
    found = selectors.visible_meetings(_user(request)).annotate(
        open_actions=Count("actions", filter=Q(actions__status=ActionStatus.OPEN))
    )
    if filters.level is not None:
        found = found.filter(level=filters.level)
    if filters.blo:
        found = found.filter(Q(blo__code=filters.blo) | Q(counterpart_blo__code=filters.blo))
    count, page = page_of(found.order_by("-held_on", "-id"), filters)
    return MeetingListOut(count=count, results=[_meeting(m, m.open_actions) for m in page])


@router.get("/log/{meeting_id}", response={200: MeetingOut, **errors(*SIGNED_IN, 403, 404, 422)})
def meeting(request: HttpRequest, meeting_id: int) -> MeetingOut:
    found = selectors.access_meeting(_user(request), meeting_id)
    return _meeting(found, found.actions.filter(status=ActionStatus.OPEN).count())
