"""Reads of the exchange: searches, dashboards, counts and exports — all over the permission
layer's visible sets, filtered in SQL."""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any, TypedDict

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language

from liaison.caching import for_reader
from liaison.exchange.access import may_record_for
from liaison.exchange.map import NetworkMap, network_map
from liaison.exchange.models import (
    Alert,
    AlertDelivery,
    Incident,
    InformationRequest,
    RequestStatus,
    SeizureItem,
)
from liaison.exchange.sections import IncidentSection
from liaison.exchange.shape import (
    COMMODITY_FIELDS,
    FieldKind,
    IncidentField,
    Use,
    commodity_kind,
    fields_for,
)
from liaison.registry.models import BLO, Crossing, User
from liaison.registry.permissions import visible


@dataclass(frozen=True)
class IncidentFilters:
    area: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    blo: str = ""  # BLO code
    crossing_kind: str = ""  # a LocationKind value
    commodity: str = ""  # "kind:code" from the reference vocabularies
    nationality: str = ""  # ISO 3166 alpha-2
    text: str = ""


SEARCHABLE_DAYS = (datetime.date(1900, 1, 1), datetime.date(9000, 12, 31))
"""Search dates are held to these: nothing is recorded outside them, and the first and last
days of the calendar have no start of day in every time zone."""


def _start_of(day: datetime.date) -> datetime.datetime:
    day = min(max(day, SEARCHABLE_DAYS[0]), SEARCHABLE_DAYS[1])
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def search_incidents(
    user: User | AnonymousUser, filters: IncidentFilters, *, base: QuerySet[Incident] | None = None
) -> QuerySet[Incident]:
    incidents = visible(user, base if base is not None else Incident.objects.all())
    if filters.area:
        incidents = incidents.filter(crime_area=filters.area)
    # Compared as instants, not as dates cast from them, so the occurred_at indexes serve.
    if filters.date_from:
        incidents = incidents.filter(occurred_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        incidents = incidents.filter(
            occurred_at__lt=_start_of(
                min(filters.date_to, SEARCHABLE_DAYS[1]) + datetime.timedelta(days=1)
            )
        )
    if filters.blo:
        incidents = incidents.filter(blo__code=filters.blo)
    if filters.crossing_kind:
        incidents = incidents.filter(location_kind=filters.crossing_kind)
    if filters.commodity and ":" in filters.commodity:
        key, code = filters.commodity.split(":", 1)
        kind = commodity_kind(key)
        if kind is not None:
            items = SeizureItem.objects.filter(**{f"{kind.field}__code": code})
            incidents = incidents.filter(pk__in=items.values("incident_id"))
    if filters.nationality:
        code = filters.nationality.upper()
        incidents = incidents.filter(
            Q(people__nationality=code) | Q(origin_country=code) | Q(destination_country=code)
        ).distinct()
    if filters.text:
        incidents = incidents.filter(
            Q(reference__icontains=filters.text) | Q(summary__icontains=filters.text)
        )
    return incidents


@dataclass(frozen=True)
class ListedIncident:
    """One line of the incident list, as the reader is shown it (kept in the reader's cache)."""

    reference: str
    url: str
    occurred_at: datetime.datetime
    blo: str
    crime_area: str
    location_kind: str
    distribution: str
    tlp: str


@dataclass(frozen=True)
class ListedPage:
    """One page of the incident list: which page it is, of how many, and its lines."""

    count: int
    number: int
    num_pages: int
    rows: list[ListedIncident]
    drawn: str = ""

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    def __iter__(self) -> Iterator[ListedIncident]:
        return iter(self.rows)


LIST_PAGE_SIZE = 25


def page_asked(raw: str | None) -> int | str:
    """The page asked for, as Paginator.get_page reads it: a number, "last", or the first."""
    if raw == "last":
        return raw
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def listed_page(
    user: User,
    filters: IncidentFilters,
    asked: int | str,
    draw: Callable[[ListedPage], str] | None = None,
) -> ListedPage:
    """A page of the incidents the reader may see: two queries, or none when the reader's cache
    holds it (keyed by their audience, the filters, the page, the language and time zone, and the
    data version that every write turns over). ``draw`` is the page's drawing of its lines (the
    view's template), kept with them as ``drawn``: a page read from the cache is not drawn again.
    """

    def compute() -> ListedPage:
        incidents = search_incidents(user, filters).select_related("blo")
        page = Paginator(incidents.order_by("-occurred_at"), LIST_PAGE_SIZE).get_page(asked)
        rows = [
            ListedIncident(
                reference=incident.reference,
                url=incident.get_absolute_url(),
                occurred_at=incident.occurred_at,
                blo=str(incident.blo.display_name),
                crime_area=str(incident.get_crime_area_display()),
                location_kind=str(incident.get_location_kind_display()),
                distribution=str(incident.get_distribution_display()),
                tlp=incident.tlp,
            )
            for incident in page
        ]
        listed = ListedPage(page.paginator.count, page.number, page.paginator.num_pages, rows)
        return replace(listed, drawn=draw(listed)) if draw is not None else listed

    return for_reader(
        user,
        "incident-list",
        compute,
        draw is not None,
        tuple(asdict(filters).items()),
        asked,
        get_language(),
        timezone.get_current_timezone_name(),
    )


class MonthCount(TypedDict):
    month: datetime.date
    crime_area: str
    count: int


def counts_by_area_and_month(incidents: QuerySet[Incident], months: int = 12) -> list[MonthCount]:
    since = timezone.now() - datetime.timedelta(days=31 * months)
    rows = (
        incidents.filter(occurred_at__gte=since)
        .annotate(month=TruncMonth("occurred_at"))
        .values("month", "crime_area")
        .annotate(count=Count("id"))
        .order_by("month", "crime_area")
    )
    return [
        {
            "month": row["month"].date() if hasattr(row["month"], "date") else row["month"],
            "crime_area": row["crime_area"],
            "count": row["count"],
        }
        for row in rows
    ]


@dataclass(frozen=True)
class PlaceCounts:
    by_blo: dict[int, int]
    by_crossing: dict[int, int]
    total: int


def counts_by_place(incidents: QuerySet[Incident]) -> PlaceCounts:
    """Counts per BLO, per crossing and in all, from one pass over the visible set."""
    by_blo: dict[int, int] = {}
    by_crossing: dict[int, int] = {}
    rows = incidents.order_by().values("blo_id", "crossing_id").annotate(count=Count("id"))
    for row in rows:
        by_blo[row["blo_id"]] = by_blo.get(row["blo_id"], 0) + row["count"]
        if row["crossing_id"] is not None:
            by_crossing[row["crossing_id"]] = row["count"]
    return PlaceCounts(by_blo, by_crossing, sum(by_blo.values()))


@dataclass
class AckStat:
    from_blo: BLO
    to_blo: BLO
    alerts: int
    acknowledged: int
    median_minutes_to_acknowledge: float | None
    median_minutes_to_first_response: float | None
    last_minutes_to_acknowledge: float | None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def acknowledgement_stats(user: User | AnonymousUser, blo: BLO) -> list[AckStat]:
    """Time-to-acknowledge and time-to-first-response per BLO pair, for alerts sent or received
    by ``blo`` that ``user`` may see."""
    deliveries = (
        visible(user, AlertDelivery)
        .filter(Q(alert__from_blo=blo) | Q(to_blo=blo))
        .select_related("alert__from_blo", "to_blo")
        .order_by("alert__sent_at")
    )
    pairs: dict[tuple[int, int], list[AlertDelivery]] = {}
    for delivery in deliveries:
        pairs.setdefault((delivery.alert.from_blo_id, delivery.to_blo_id), []).append(delivery)
    stats: list[AckStat] = []
    for items in pairs.values():
        ack = [
            (d.acknowledged_at - d.alert.sent_at).total_seconds() / 60
            for d in items
            if d.acknowledged_at
        ]
        response = [
            (d.responded_at - d.alert.sent_at).total_seconds() / 60 for d in items if d.responded_at
        ]
        stats.append(
            AckStat(
                from_blo=items[0].alert.from_blo,
                to_blo=items[0].to_blo,
                alerts=len(items),
                acknowledged=len(ack),
                median_minutes_to_acknowledge=_median(ack),
                median_minutes_to_first_response=_median(response),
                last_minutes_to_acknowledge=ack[-1] if ack else None,
            )
        )
    return stats


@dataclass
class Dashboard:
    shared_with_me: list[Incident]
    alerts_to_acknowledge: list[AlertDelivery]
    alerts_sent_open: list[AlertDelivery]
    requests_to_answer: list[InformationRequest]
    requests_waiting: list[InformationRequest]
    overdue_count: int
    monthly: list[MonthCount]
    by_blo: dict[int, int]
    by_crossing: dict[int, int]
    ack_stats: list[AckStat]
    total_visible: int


def dashboard(user: User) -> Dashboard:
    """The BLO dashboard. Its counts and map cover the last 12 months, which keeps each query on
    short, dated ranges of the distribution indexes however long the history grows.

    Everything on it depends on the reader's audience and on the rows alone: it is read once per
    reader and kept until a write (liaison.caching), for the day (its windows move with it)."""
    return for_reader(
        user, "exchange:dashboard", lambda: _read_dashboard(user), timezone.localdate()
    )


def _read_dashboard(user: User) -> Dashboard:
    year_ago = timezone.now() - datetime.timedelta(days=365)
    incidents = visible(user, Incident).filter(occurred_at__gte=year_ago)
    recent = timezone.now() - datetime.timedelta(days=30)
    shared_with_me = list(
        visible(user, Incident)
        .filter(created_at__gte=recent)
        .exclude(recorded_by=user)
        .select_related("blo", "country")
        .order_by("-created_at")[:10]
    )
    blo_id = user.blo_id
    deliveries = visible(user, AlertDelivery).select_related("alert", "alert__from_blo", "to_blo")
    requests = visible(user, InformationRequest).select_related("from_blo", "to_blo")
    open_requests = requests.filter(status=RequestStatus.OPEN)
    today = timezone.localdate()
    places = counts_by_place(incidents)
    return Dashboard(
        shared_with_me=shared_with_me,
        alerts_to_acknowledge=list(
            deliveries.filter(to_blo_id=blo_id, acknowledged_at__isnull=True).order_by(
                "-alert__sent_at"
            )
        ),
        alerts_sent_open=list(
            deliveries.filter(alert__from_blo_id=blo_id)
            .filter(Q(acknowledged_at__isnull=True) | Q(alert__sent_at__gte=recent))
            .order_by("-alert__sent_at")[:10]
        ),
        requests_to_answer=list(open_requests.filter(to_blo_id=blo_id)),
        requests_waiting=list(open_requests.filter(from_blo_id=blo_id)),
        overdue_count=open_requests.filter(deadline__lt=today).count(),
        monthly=counts_by_area_and_month(incidents),
        by_blo=places.by_blo,
        by_crossing=places.by_crossing,
        ack_stats=acknowledgement_stats(user, user.blo) if user.blo is not None else [],
        total_visible=places.total,
    )


def dashboard_map(user: User, data: Dashboard) -> NetworkMap:
    """The dashboard's map: the posts and crossings the reader may see, each with the number of
    their incidents the reader may see (kept per reader until a write)."""

    def draw() -> NetworkMap:
        return network_map(
            visible(user, BLO).select_related("country"),
            data.by_blo,
            visible(user, Crossing).exclude(latitude__isnull=True).select_related("blo"),
            data.by_crossing,
        )

    return for_reader(user, "exchange:map", draw, timezone.localdate())


def may_record_somewhere(user: User) -> bool:
    """Whether the reader may record an incident for any post they see."""
    return for_reader(
        user,
        "exchange:may-record",
        lambda: any(may_record_for(user, blo) for blo in visible(user, BLO)),
    )


def alerts_for(user: User) -> QuerySet[Alert]:
    return visible(user, Alert).select_related("from_blo").prefetch_related("deliveries__to_blo")


def _export_value(incident: Incident, field: IncidentField) -> Any:
    """One cell of the export: codes and values, as the import reads them back."""
    match field.kind:
        case FieldKind.MOMENT:
            return timezone.localtime(incident.occurred_at).strftime("%Y-%m-%d %H:%M")
        case FieldKind.POST:
            return incident.blo.code
        case FieldKind.POST_COUNTRY:
            return incident.country.code
        case FieldKind.CROSSING:
            return incident.crossing.code if incident.crossing else ""
        case FieldKind.COUNTRY:
            return str(getattr(incident, field.name) or "")
        case FieldKind.COUNTRIES:
            return " ".join(c.code for c in getattr(incident, field.name))
        case FieldKind.PART if field.section is IncidentSection.ITEMS:
            return "; ".join(
                f"{item.quantity.normalize():f} {item.unit} {getattr(item.commodity, 'code', '')}"
                for item in incident.items.all()
            )
        case FieldKind.PART if field.section is IncidentSection.PEOPLE:
            return "; ".join(
                f"{p.count} {p.category} {p.sex} {p.age_band} {p.nationality.code}"
                for p in incident.people.all()
            )
        case _:
            return getattr(incident, field.name)


def export_rows(incidents: QuerySet[Incident]) -> list[list[Any]]:
    """Incidents as table rows (non-nominal part only; nominal data is never exported), in the
    columns of :func:`liaison.exchange.shape.export_columns`."""
    columns = fields_for(Use.EXPORT)
    rows: list[list[Any]] = [[field.column_name for field in columns]]
    queryset = incidents.select_related("blo", "country", "crossing").prefetch_related(
        *(f"items__{name}" for name in COMMODITY_FIELDS), "people"
    )
    for incident in queryset:
        rows.append([_export_value(incident, field) for field in columns])
    return rows


def filters_as_json(filters: IncidentFilters) -> dict[str, str]:
    """A search's filters as stored with an export (dates in ISO form)."""
    return {
        name: value.isoformat() if isinstance(value, datetime.date) else str(value)
        for name, value in asdict(filters).items()
        if value not in ("", None)
    }


def filters_from_json(data: dict[str, Any]) -> IncidentFilters:
    def day(name: str) -> datetime.date | None:
        value = data.get(name)
        return datetime.date.fromisoformat(value) if isinstance(value, str) and value else None

    def text(name: str) -> str:
        value = data.get(name, "")
        return value if isinstance(value, str) else ""

    return IncidentFilters(
        area=text("area"),
        date_from=day("date_from"),
        date_to=day("date_to"),
        blo=text("blo"),
        crossing_kind=text("crossing_kind"),
        commodity=text("commodity"),
        nationality=text("nationality"),
        text=text("text"),
    )


def still_readable(user: User, references: list[str]) -> bool:
    """Whether ``user`` may still read every one of these incidents (an export's, at download)."""
    wanted = set(references)
    found: set[str] = set()
    chunk = 2000
    ordered = sorted(wanted)
    for start in range(0, len(ordered), chunk):
        part = ordered[start : start + chunk]
        found.update(
            visible(user, Incident).filter(reference__in=part).values_list("reference", flat=True)
        )
    return found == wanted
