"""Reads of the coordination page: per post of a coordinator's country, how alerts and requests
for information between posts are kept to time, and the incidents she may read per crime area.

Every figure is an aggregate computed by the database over the coordinator's filters
(``coordinated_deliveries`` / ``coordinated_requests`` in :mod:`liaison.exchange.access` for the
envelopes of alerts and requests, the permission layer's ``visible`` for incidents): one query per
table, however many rows there are. Medians and 90th percentiles are ``percentile_cont`` on
PostgreSQL and the same interpolation as an aggregate function registered on SQLite.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    Exists,
    F,
    OuterRef,
    Q,
    When,
)
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from liaison.exchange.access import (
    coordinated_deliveries,
    coordinated_requests,
    may_view_coordination,
)
from liaison.exchange.models import (
    Alert,
    AlertDelivery,
    Incident,
    InformationRequest,
    RequestStatus,
)
from liaison.reference.models import CrimeArea
from liaison.registry.models import BLO, User
from liaison.registry.permissions import visible

OVERDUE_LISTED = 50
"""The overdue lists show the oldest this many; their counts are in the table above them."""


class _SQLitePercentile:
    """``liaison_percentile(value, fraction)`` for SQLite: PostgreSQL's ``percentile_cont``
    (linear interpolation between the two closest ranks), NULLs left out."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        rank = (len(ordered) - 1) * self.fraction
        low, high = math.floor(rank), math.ceil(rank)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Percentile(Aggregate):
    """The continuous percentile of a duration (0.5: the median), computed by the database."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = DurationField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("a percentile's fraction is between 0 and 1")
        super().__init__(expression, **extra)
        self.fraction = float(fraction)
        self.template = (
            f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
        )

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        connection.ensure_connection()
        connection.connection.create_aggregate("liaison_percentile", 2, _SQLitePercentile)
        template = f"liaison_percentile(%(expressions)s, {self.fraction!r})%(filter)s"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def acknowledge_within() -> datetime.timedelta:
    """How long the SOP gives a post to acknowledge an alert (``LIAISON_ALERT_ACKNOWLEDGE_HOURS``)."""
    return datetime.timedelta(hours=settings.ALERT_ACKNOWLEDGE_HOURS)


@dataclass
class PostRow:
    blo: BLO
    alerts_sent: int = 0
    alerts_received: int = 0
    unacknowledged: int = 0
    median_to_acknowledge: datetime.timedelta | None = None
    p90_to_acknowledge: datetime.timedelta | None = None
    requests_received: int = 0
    requests_open: int = 0
    requests_answered: int = 0
    requests_overdue: int = 0
    median_to_answer: datetime.timedelta | None = None
    requests_sent: int = 0
    incidents: dict[str, int] = field(default_factory=dict)

    @property
    def incident_counts(self) -> list[int]:
        return [self.incidents.get(area.value, 0) for area in CrimeArea]

    @property
    def incidents_total(self) -> int:
        return sum(self.incidents.values())


@dataclass
class Coordination:
    posts: list[PostRow]
    overdue_alerts: Sequence[AlertDelivery]
    overdue_requests: Sequence[InformationRequest]
    acknowledge_within: datetime.timedelta
    areas: list[CrimeArea]

    @property
    def area_totals(self) -> list[int]:
        return [sum(row.incidents.get(area.value, 0) for row in self.posts) for area in self.areas]


def _duration(end: str, start: str) -> Any:
    return F(end) - F(start)


def _readable_reference(user: User, incident: str) -> Any:
    """The linked incident's reference where ``user`` may read the incident, else NULL."""
    readable = Exists(visible(user, Incident).filter(pk=OuterRef(f"{incident}_id")))
    return Case(When(readable, then=F(f"{incident}__reference")), default=None)


def coordination(user: User) -> Coordination:
    """The coordination page's figures for ``user`` (a national coordinator: see
    :func:`may_view_coordination`; anyone else gets empty tables)."""
    country = user.country_id
    if country is None or not may_view_coordination(user):
        return Coordination([], [], [], acknowledge_within(), list(CrimeArea))
    now = timezone.now()
    today = timezone.localdate()
    rows = {
        blo.pk: PostRow(blo)
        for blo in BLO.objects.filter(country_id=country, active=True)
        .select_related("country")
        .order_by("name_en")
    }

    deliveries = AlertDelivery.objects.filter(coordinated_deliveries(user))
    sent = (
        Alert.objects.filter(pk__in=deliveries.values("alert_id"), from_blo_id__in=rows)
        .order_by()
        .values("from_blo_id")
        .annotate(count=Count("id"))
    )
    for by_sender in sent:
        rows[by_sender["from_blo_id"]].alerts_sent = by_sender["count"]

    to_acknowledge = _duration("acknowledged_at", "alert__sent_at")
    received = (
        deliveries.filter(to_blo_id__in=rows)
        .order_by()
        .values("to_blo_id")
        .annotate(
            count=Count("id"),
            unacknowledged=Count("id", filter=Q(acknowledged_at__isnull=True)),
            median=Percentile(to_acknowledge, 0.5),
            p90=Percentile(to_acknowledge, 0.9),
        )
    )
    for by_recipient in received:
        row = rows[by_recipient["to_blo_id"]]
        row.alerts_received = by_recipient["count"]
        row.unacknowledged = by_recipient["unacknowledged"]
        row.median_to_acknowledge = by_recipient["median"]
        row.p90_to_acknowledge = by_recipient["p90"]

    requests = InformationRequest.objects.filter(coordinated_requests(user))
    open_ = Q(status=RequestStatus.OPEN)
    answered = (
        requests.filter(to_blo_id__in=rows)
        .order_by()
        .values("to_blo_id")
        .annotate(
            count=Count("id"),
            open=Count("id", filter=open_),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            past_deadline=Count("id", filter=open_ & Q(deadline__lt=today)),
            median=Percentile(_duration("answered_at", "asked_at"), 0.5),
        )
    )
    for by_asked in answered:
        row = rows[by_asked["to_blo_id"]]
        row.requests_received = by_asked["count"]
        row.requests_open = by_asked["open"]
        row.requests_answered = by_asked["answered"]
        row.requests_overdue = by_asked["past_deadline"]
        row.median_to_answer = by_asked["median"]
    asked = (
        requests.filter(from_blo_id__in=rows)
        .order_by()
        .values("from_blo_id")
        .annotate(count=Count("id"))
    )
    for by_asker in asked:
        rows[by_asker["from_blo_id"]].requests_sent = by_asker["count"]

    incidents = (
        visible(user, Incident)
        .filter(blo_id__in=rows)
        .order_by()
        .values("blo_id", "crime_area")
        .annotate(count=Count("id"))
    )
    for by_area in incidents:
        rows[by_area["blo_id"]].incidents[by_area["crime_area"]] = by_area["count"]

    within = acknowledge_within()
    overdue_alerts = list(
        # both ways: her posts' delays, and the counterparts' she may take up with theirs
        deliveries.filter(acknowledged_at__isnull=True, alert__sent_at__lt=now - within)
        .select_related("alert__from_blo", "to_blo")
        .annotate(
            readable=Exists(visible(user, Alert).filter(pk=OuterRef("alert_id"))),
            incident_reference=_readable_reference(user, "alert__incident"),
        )
        .defer("alert__subject", "alert__body", "alert__vehicle", "response")
        .order_by("alert__sent_at", "pk")[:OVERDUE_LISTED]
    )
    overdue_requests = list(
        requests.filter(status=RequestStatus.OPEN, deadline__lt=today)
        .select_related("from_blo", "to_blo")
        .annotate(
            readable=Exists(visible(user, InformationRequest).filter(pk=OuterRef("pk"))),
            incident_reference=_readable_reference(user, "incident"),
        )
        .defer("question", "answer")
        .order_by("deadline", "pk")[:OVERDUE_LISTED]
    )
    return Coordination(
        posts=list(rows.values()),
        overdue_alerts=overdue_alerts,
        overdue_requests=overdue_requests,
        acknowledge_within=within,
        areas=list(CrimeArea),
    )
