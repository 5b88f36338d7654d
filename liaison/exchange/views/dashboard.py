"""The exchange's dashboard and the coordination page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

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


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    data = dashboard(user)
    areas = list(CrimeArea)
    months = sorted({row["month"] for row in data.monthly})
    table = {(row["month"], row["crime_area"]): row["count"] for row in data.monthly}
    monthly_rows = [
        {"month": month, "counts": [table.get((month, area.value), 0) for area in areas]}
        for month in months
    ]
    area_totals = [sum(table.get((m, area.value), 0) for m in months) for area in areas]
    return render(
        request,
        "exchange/dashboard.html",
        {
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
