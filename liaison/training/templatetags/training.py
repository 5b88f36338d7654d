"""Template tags other pages use to show training: a BLO's coverage, an officer's badges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

from liaison.registry.models import BLO, User
from liaison.training import policies, selectors
from liaison.training.models import GridTopic

register = template.Library()


@register.inclusion_tag("training/_blo_coverage.html", takes_context=True)
def blo_coverage(context: dict[str, Any], blo: BLO) -> dict[str, Any]:
    """``{% blo_coverage blo %}``: the BLO's trained-staff coverage per crime area, for readers
    allowed to see it (its staff, the coordinator, programme staff); nothing for others."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not selectors.may_view_blo_training(user, blo):
        return {"coverage": None, "blo": blo}
    return {"coverage": selectors.coverage_for_blo(blo), "blo": blo}


@register.filter
def follows_others(user: Any) -> bool:
    """``{% if user|follows_others %}``: the training pages beyond one's own (the rule is
    :func:`liaison.training.policies.follows_others`)."""
    return isinstance(user, User) and policies.follows_others(user)


@register.inclusion_tag("training/_badges.html")
def training_badges(officer: User) -> dict[str, Any]:
    """``{% training_badges user %}``: the officer's badges (valid qualifications, trained areas)."""
    return {"badges": selectors.badges_for(officer), "officer": officer}


@register.filter
def percent(value: float | None, decimals: int = 0) -> str:
    """``33.333 → "33%"`` (``"33,3%"`` with one decimal in Vietnamese); ``None`` → ``—``."""
    if value is None:
        return "—"
    places = Decimal(1).scaleb(-int(decimals))
    rounded = Decimal(repr(float(value))).quantize(places, rounding=ROUND_HALF_UP)
    return f"{number_format(rounded, int(decimals))}%"


@register.filter
def grid_topic(value: str) -> str:
    """A training grid topic's name, from its stored value."""
    try:
        return str(GridTopic(value).label)
    except ValueError:
        return value
