"""Who sees and keeps the meeting log.

A BLO's staff (officers and head) see their BLO's meetings and the bilateral meetings their
counterparts recorded with them; the national coordinator sees the country's; programme staff
read every log. Officers and the head of a BLO record its meetings; the head and the
coordinator change or delete them; an action's owner may update it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from liaison.meetings.models import ActionReview, Meeting, MeetingAction, Participation
from liaison.registry.models import BLO, Role, User
from liaison.registry.permissions import (
    Action,
    coordinates_country,
    heads_blo,
    is_admin,
    is_network_wide,
    register,
)


def meeting_scope(user: User, prefix: str = "") -> Q:
    if is_network_wide(user):
        return Q()
    if user.role == Role.NATIONAL_COORDINATOR:
        return Q(**{f"{prefix}blo__country_id": user.country_id}) | Q(
            **{f"{prefix}counterpart_blo__country_id": user.country_id}
        )
    if user.blo_id is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}blo_id": user.blo_id}) | Q(**{f"{prefix}counterpart_blo_id": user.blo_id})


def records_for_blo(user: User, blo_id: int | None, country_id: int | None) -> bool:
    """May record a meeting in this BLO's log: its staff, or the country's coordinator."""
    if blo_id is None:
        return False
    if user.role in {Role.OFFICER, Role.HEAD_OF_BLO} and user.blo_id == blo_id:
        return True
    return coordinates_country(user, country_id)


def keeps_log(user: User, blo_id: int | None, country_id: int | None) -> bool:
    """May change or delete entries of this BLO's log: its head, or the coordinator."""
    return heads_blo(user, blo_id) or coordinates_country(user, country_id)


def may_record_meeting_at(user: User, blo: BLO) -> bool:
    """May record a meeting in this BLO's log (``records_for_blo``; administrators too)."""
    return is_admin(user) or records_for_blo(user, blo.pk, blo.country_id)


def recordable_blo_filter(user: User) -> Q:
    """The BLOs in whose log ``user`` records meetings: the rule of ``may_record_meeting_at``
    as a filter on BLOs."""
    if is_admin(user):
        return Q()
    if user.role == Role.NATIONAL_COORDINATOR:
        return Q(country_id=user.country_id)
    if user.role in {Role.OFFICER, Role.HEAD_OF_BLO} and user.blo_id is not None:
        return Q(pk=user.blo_id)
    return Q(pk__in=[])


def full_log_blo_filter(user: User) -> Q:
    """The BLOs whose whole log ``user`` reads (the frequency table): all of them network-wide,
    the country's for its coordinator, one's own post otherwise."""
    if is_network_wide(user):
        return Q()
    if user.role == Role.NATIONAL_COORDINATOR:
        return Q(country_id=user.country_id)
    if user.blo_id is None:
        return Q(pk__in=[])
    return Q(pk=user.blo_id)


@register(Meeting)
class MeetingPolicy:
    def visible(self, user: User) -> Q:
        return meeting_scope(user)

    def allows(self, user: User, action: Action, obj: Meeting) -> bool:
        country_id = obj.blo.country_id if obj.blo_id else None
        if action == Action.CREATE:
            return records_for_blo(user, obj.blo_id, country_id)
        if action == Action.CHANGE:
            return keeps_log(user, obj.blo_id, country_id) or (
                obj.recorded_by_id == user.pk and records_for_blo(user, obj.blo_id, country_id)
            )
        if action == Action.DELETE:
            return keeps_log(user, obj.blo_id, country_id)
        return False


class _PartOfMeeting:
    def visible(self, user: User) -> Q:
        return meeting_scope(user, "meeting__")

    def allows(self, user: User, action: Action, obj: Any) -> bool:
        meeting = obj.meeting
        return MeetingPolicy().allows(user, Action.CHANGE, meeting)


@register(Participation)
class ParticipationPolicy(_PartOfMeeting):
    pass


@register(ActionReview)
class ActionReviewPolicy(_PartOfMeeting):
    pass


@register(MeetingAction)
class MeetingActionPolicy(_PartOfMeeting):
    def allows(self, user: User, action: Action, obj: MeetingAction) -> bool:
        if action == Action.CHANGE and obj.owner_id == user.pk:
            return True
        return super().allows(user, action, obj)
