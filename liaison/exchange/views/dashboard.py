"""The exchange's dashboard and the coordination page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from liaison.caching import for_reader
from liaison.exchange.access import (
    may_view_coordination,
)
from liaison.exchange.coordination import coordination
from liaison.exchange.selectors import (
    dashboard,
    dashboard_map,
    may_record_somewhere,
)
from liaison.exchange.views.shared import _user
from liaison.reference.models import CrimeArea
from liaison.registry.models import User


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The dashboard. Its content depends on the reader's audience, the rows, the language and
    the time zone only (no form, no token, no nonce in it): it is drawn once per reader and kept
    until a write, like the figures it shows (``liaison.caching``), so a reader's next visit
    costs the page around it. Relative times ("3 hours ago") are those of the drawing, at most
    the cache's five minutes old."""
    user = _user(request)
    drawn = for_reader(
        user,
        "exchange:dashboard-drawn",
        lambda: mark_safe(_draw(user)),  # noqa: S308 - our own template's output, escaped by it
        get_language(),
        timezone.get_current_timezone_name(),
        timezone.localdate(),
    )
    return render(request, "exchange/dashboard.html", {"drawn": drawn})


def _draw(user: User) -> str:
    data = dashboard(user)
    areas = list(CrimeArea)
    months = sorted({row["month"] for row in data.monthly})
    table = {(row["month"], row["crime_area"]): row["count"] for row in data.monthly}
    monthly_rows = [
        {"month": month, "counts": [table.get((month, area.value), 0) for area in areas]}
        for month in months
    ]
    area_totals = [sum(table.get((m, area.value), 0) for m in months) for area in areas]
    return render_to_string(
        "exchange/_dashboard_body.html",
        {
            "user": user,
            "data": data,
            "areas": areas,
            "area_totals": zip(areas, area_totals, strict=True),
            "monthly_rows": monthly_rows,
            "map": dashboard_map(user, data),
            "may_record": may_record_somewhere(user),
            "may_coordinate": may_view_coordination(user),
        },
    )


@login_required
@require_GET
def coordination_view(request: HttpRequest) -> HttpResponse:
    """Per post of the coordinator's country: alert and request timings, overdue lists, incidents
    per crime area (see liaison.exchange.coordination)."""
    user = _user(request)
    if not may_view_coordination(user):
        raise PermissionDenied(_("This page is for national coordinators."))
    return render(request, "exchange/coordination.html", {"data": coordination(user)})
