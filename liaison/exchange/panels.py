"""The exchange's cards on the home page and the BLO page."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone

from liaison.caching import for_reader
from liaison.exchange.models import AlertDelivery, Incident, InformationRequest, RequestStatus
from liaison.reference.models import CrimeArea
from liaison.registry.extensions import Panel
from liaison.registry.models import BLO, User
from liaison.registry.permissions import visible


def home_card(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User) or user.blo_id is None:
        return None
    today = timezone.localdate()

    def count() -> dict[str, int]:
        open_requests = visible(user, InformationRequest).filter(status=RequestStatus.OPEN)
        return {
            "to_acknowledge": visible(user, AlertDelivery)
            .filter(to_blo_id=user.blo_id, acknowledged_at__isnull=True)
            .count(),
            "to_answer": open_requests.filter(to_blo_id=user.blo_id).count(),
            "overdue": open_requests.filter(deadline__lt=today).count(),
        }

    return Panel(
        template="exchange/_home_card.html",
        # the reader's own counts, kept until a write (liaison.caching)
        context=for_reader(user, "exchange:home-card", count, today),
        order=10,
    )


def blo_section(request: HttpRequest, blo: BLO) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    counts = (
        visible(user, Incident)
        .filter(blo=blo)
        .order_by()
        .values("crime_area")
        .annotate(count=Count("id"))
    )
    rows = [(CrimeArea(row["crime_area"]).label, row["count"]) for row in counts]
    return Panel(
        template="exchange/_blo_section.html",
        context={"blo": blo, "rows": rows, "total": sum(count for _label, count in rows)},
        order=20,
    )
