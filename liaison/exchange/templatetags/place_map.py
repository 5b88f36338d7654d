"""``{% place_map blo %}``: the offline base map of the dashboard (``exchange/gms.svg``) as a place
picker under an incident's latitude and longitude, with the projection its script inverts."""

from __future__ import annotations

from typing import Any

from django import template

from liaison.exchange.map import _base, project
from liaison.registry.models import BLO

register = template.Library()


@register.inclusion_tag("exchange/_place_map.html")
def place_map(blo: BLO | None = None) -> dict[str, Any]:
    base = _base()
    west, south, east, north = base["box"]
    post = None
    if blo is not None and blo.latitude is not None and blo.longitude is not None:
        x, y = project(float(blo.longitude), float(blo.latitude))
        post = {"blo": blo, "x": round(x, 1), "y": round(y, 1), "label_x": round(x + 7, 1)}
    return {
        "width": base["width"],
        "height": base["height"],
        "box": f"{west} {south} {east} {north}",
        "post": post,
    }
