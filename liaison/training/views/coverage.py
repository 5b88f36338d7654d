"""Coverage of training across posts, and the use of CBT."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from liaison.registry.models import User
from liaison.registry.signed_in import current_user
from liaison.training import policies, selectors


def _require_follower(user: User) -> None:
    if not policies.follows_others(user):
        raise PermissionDenied(
            _("Heads of BLO, coordinators and programme staff see these figures.")
        )


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_follower(user)
    blos = list(selectors.training_blos(user))
    return render(
        request,
        "training/coverage.html",
        {
            "rows": selectors.coverage_for_blos(blos),
            "areas": selectors.taught_areas(),
            "threshold": selectors.COVERAGE_WARNING_BELOW,
        },
    )


@login_required
def coverage_blo(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    blo = selectors.access_blo_training(user, code)
    return render(
        request,
        "training/coverage_blo.html",
        {
            "blo": blo,
            "coverage": selectors.coverage_for_blo(blo),
            "show_departures": selectors.may_view_blo_staff_training(user, blo),
        },
    )


@login_required
def usage(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_follower(user)
    rows = selectors.cbt_usage(list(selectors.training_blos(user)))
    return render(
        request,
        "training/usage.html",
        {
            "rows": rows,
            "days": selectors.CBT_WINDOW_DAYS,
            "total_staff": sum(r.staff for r in rows),
            "total_users": sum(r.users for r in rows),
            "unused": [r for r in rows if r.staff and not r.users],
        },
    )
