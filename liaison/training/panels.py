"""Training's sections on the registry's pages: a BLO's trained-staff coverage, an officer's
badges on their own profile."""

from __future__ import annotations

from django.http import HttpRequest

from liaison.registry.extensions import Panel
from liaison.registry.models import BLO, User
from liaison.training import selectors


def blo_section(request: HttpRequest, blo: BLO) -> Panel | None:
    if not selectors.may_view_blo_training(request.user, blo):
        return None
    return Panel(
        template="training/_blo_coverage.html",
        context={"coverage": selectors.coverage_for_blo(blo), "blo": blo},
        order=30,
    )


def account_section(request: HttpRequest, user: User) -> Panel | None:
    return Panel(
        template="training/_account_badges.html",
        context={"badges": selectors.badges_for(user), "officer": user},
        order=10,
    )
