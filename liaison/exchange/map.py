"""The dashboard's map: country outlines shipped with the app, BLOs placed by their coordinates,
each sized by the number of incidents the reader may see there. No tile server is needed."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from liaison.registry.models import BLO, Crossing

MAP_FILE = Path(__file__).with_name("mapdata") / "gms.json"


@cache
def _base() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    return data


def project(lon: float, lat: float) -> tuple[float, float]:
    base = _base()
    west, south, east, north = base["box"]
    k = math.cos(math.radians((south + north) / 2))
    scale = base["width"] / ((east - west) * k)
    return ((lon - west) * k * scale, (north - lat) * scale)


@dataclass(frozen=True)
class MapPoint:
    blo: BLO
    x: float
    y: float
    count: int
    radius: float

    @property
    def label_x(self) -> float:
        return round(self.x + self.radius + 3, 1)


@dataclass(frozen=True)
class CrossingPoint:
    crossing: Crossing
    x: float
    y: float
    count: int


@dataclass(frozen=True)
class NetworkMap:
    width: float
    height: float
    points: list[MapPoint]
    crossings: list[CrossingPoint]
    source: str


def network_map(
    blos: Iterable[BLO],
    counts: dict[int, int],
    crossings: Iterable[Crossing] = (),
    crossing_counts: dict[int, int] | None = None,
) -> NetworkMap:
    base = _base()
    points = []
    for blo in blos:
        if blo.latitude is None or blo.longitude is None:
            continue
        x, y = project(float(blo.longitude), float(blo.latitude))
        count = counts.get(blo.pk, 0)
        points.append(
            MapPoint(
                blo=blo,
                x=round(x, 1),
                y=round(y, 1),
                count=count,
                radius=round(5 + 3 * math.sqrt(count), 1),
            )
        )
    crossing_points = []
    for crossing in crossings:
        if crossing.latitude is None or crossing.longitude is None:
            continue
        x, y = project(float(crossing.longitude), float(crossing.latitude))
        crossing_points.append(
            CrossingPoint(
                crossing=crossing,
                x=round(x, 1),
                y=round(y, 1),
                count=(crossing_counts or {}).get(crossing.pk, 0),
            )
        )
    return NetworkMap(
        width=base["width"],
        height=base["height"],
        points=points,
        crossings=crossing_points,
        source=base["source"],
    )
