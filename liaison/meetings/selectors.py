"""Permission-checked reads of the meeting log, and the meeting frequency of the report's Table 1.

Table 1 of the 2010 assessment ("Do you have regular meetings?") classes the bilateral
cross-border meetings with BLO counterparts as: once a year, 2–5, 6–9, 10–12, more than 12 times
a year, or no regular meetings, per geographic cluster (CL1 north-western, CL2 southern). Here
the class of a BLO is computed from its log over the last 12 months, and a cluster's column is
the share of its BLOs in each class.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.meetings.models import (
    ActionStatus,
    Formality,
    FrequencyClass,
    Meeting,
    MeetingAction,
    MeetingLevel,
)
from liaison.meetings.policies import full_log_blo_filter
from liaison.registry import permissions
from liaison.registry.models import BLO, User
from liaison.registry.permissions import AnyUser

WINDOW_DAYS = 365


def visible_meetings(user: AnyUser) -> QuerySet[Meeting]:
    return permissions.visible(user, Meeting).select_related("blo", "counterpart_blo")


def access_meeting(user: AnyUser, pk: int) -> Meeting:
    return permissions.access(user, Meeting, pk=pk)


def open_actions_for(blo: BLO, *, before: datetime.date | None = None) -> QuerySet[MeetingAction]:
    """Actions still open from earlier meetings of the BLO's log (and from the bilateral
    meetings its counterpart recorded with it): the follow-up list of the next meeting."""
    actions = MeetingAction.objects.filter(status=ActionStatus.OPEN).filter(
        Q(meeting__blo=blo) | Q(meeting__counterpart_blo=blo)
    )
    if before is not None:
        actions = actions.filter(meeting__held_on__lte=before)
    return actions.select_related("meeting__blo", "owner").order_by(
        F("due_on").asc(nulls_last=True), "meeting__held_on", "id"
    )


def log_blos(user: AnyUser) -> QuerySet[BLO]:
    """BLOs whose log the user reads in full (its own, the country's, all)."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return BLO.objects.none()
    return (
        BLO.objects.filter(active=True)
        .filter(full_log_blo_filter(user))
        .select_related("country", "cluster")
    )


@dataclass
class BLOFrequency:
    blo: BLO
    counts: dict[str, dict[str, int]]  # level → formality → meetings in the window
    cross_border_class: str

    @property
    def official_cross_border(self) -> int:
        return self.counts[MeetingLevel.CROSS_BORDER][Formality.OFFICIAL]

    @property
    def informal_cross_border(self) -> int:
        return self.counts[MeetingLevel.CROSS_BORDER][Formality.INFORMAL]

    @property
    def has_regular_cross_border_meetings(self) -> bool:
        return self.cross_border_class != FrequencyClass.NONE

    @property
    def class_label(self) -> str:
        return str(FrequencyClass(self.cross_border_class).label)

    def count(self, level: str, formality: str) -> int:
        return self.counts[level][formality]

    @property
    def level_counts(self) -> list[tuple[int, int]]:
        """(official, informal) per level, in ``MeetingLevel`` order."""
        return [
            (self.counts[lvl][Formality.OFFICIAL], self.counts[lvl][Formality.INFORMAL])
            for lvl in MeetingLevel.values
        ]


def meeting_frequency(
    blos: Sequence[BLO],
    *,
    today: datetime.date | None = None,
    formality: str = Formality.OFFICIAL,
) -> list[BLOFrequency]:
    """Meetings of each BLO in the last 12 months, by level and formality, and the Table 1
    class of its bilateral cross-border meetings of the given formality.

    A cross-border meeting counts for both BLOs of the pair, once, even when both sides logged it.
    """
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=WINDOW_DAYS - 1)
    ids = {blo.pk for blo in blos}
    rows = (
        Meeting.objects.filter(held_on__gte=since, held_on__lte=today)
        .filter(Q(blo_id__in=ids) | Q(counterpart_blo_id__in=ids))
        .values_list("blo_id", "counterpart_blo_id", "level", "formality", "held_on")
    )
    counts: dict[int, dict[str, dict[str, int]]] = {
        pk: {lvl.value: {f.value: 0 for f in Formality} for lvl in MeetingLevel} for pk in ids
    }
    cross_border_seen: set[tuple[int, int | None, str, datetime.date]] = set()
    for blo_id, counterpart_id, level, kind, held_on in rows:
        if level != MeetingLevel.CROSS_BORDER:
            if blo_id in counts:
                counts[blo_id][level][kind] += 1
            continue
        for side, other in ((blo_id, counterpart_id), (counterpart_id, blo_id)):
            key = (side, other, kind, held_on)
            if side in counts and key not in cross_border_seen:
                cross_border_seen.add(key)
                counts[side][level][kind] += 1
    return [
        BLOFrequency(
            blo=blo,
            counts=counts[blo.pk],
            cross_border_class=FrequencyClass.of(
                counts[blo.pk][MeetingLevel.CROSS_BORDER][formality]
            ),
        )
        for blo in blos
    ]


@dataclass
class FrequencyColumn:
    code: str
    name: str
    blos: int
    shares: dict[str, float] = field(default_factory=dict)  # class → percent of the column's BLOs


@dataclass
class FrequencyTable:
    """Table 1's layout: rows are the classes, columns the clusters."""

    columns: list[FrequencyColumn]
    rows: list[tuple[str, str, list[float]]]  # (class, label, percent per column)


def frequency_table(frequencies: Sequence[BLOFrequency]) -> FrequencyTable:
    by_cluster: dict[str, list[BLOFrequency]] = defaultdict(list)
    names: dict[str, str] = {}
    for item in frequencies:
        cluster = item.blo.cluster
        code = cluster.code if cluster is not None else ""
        names[code] = cluster.display_name if cluster is not None else str(_("No cluster"))
        by_cluster[code].append(item)
    columns = []
    for code in sorted(by_cluster, key=lambda c: (c == "", c)):
        members = by_cluster[code]
        shares = {
            cls.value: sum(1 for m in members if m.cross_border_class == cls) * 100 / len(members)
            for cls in FrequencyClass
        }
        columns.append(
            FrequencyColumn(code=code, name=names[code], blos=len(members), shares=shares)
        )
    rows = [
        (cls.value, str(cls.label), [c.shares[cls.value] for c in columns])
        for cls in FrequencyClass
    ]
    return FrequencyTable(columns=columns, rows=rows)


def short_cluster_code(code: str) -> str:
    """``VN-CL1`` → ``CL1``, as the report heads its columns."""
    return code.rsplit("-", 1)[-1] if code else "—"
