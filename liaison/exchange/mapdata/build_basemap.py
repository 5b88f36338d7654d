"""Build the offline base map of the Greater Mekong (``gms.json``) from world-atlas.

world-atlas (npm, ISC licence, © Michael Bostock) packages Natural Earth's public-domain
1:50m country boundaries as TopoJSON. Run once when the map should change:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python liaison/exchange/mapdata/build_basemap.py package/countries-50m.json

The output holds the outlines of the countries around the BLO network, clipped to the region's
box and projected (equirectangular, scaled by the cosine of the mid latitude) to SVG paths; the
app serves it itself, so the dashboard map needs no tile server.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

BOX = (97.0, 7.5, 110.5, 24.5)  # west, south, east, north
WIDTH = 600.0
NAMES = {
    "Vietnam": "VN",
    "Laos": "LA",
    "Cambodia": "KH",
    "Thailand": "TH",
    "China": "CN",
    "Myanmar": "MM",
}


def project(lon: float, lat: float) -> tuple[float, float]:
    west, south, east, north = BOX
    k = math.cos(math.radians((south + north) / 2))
    scale = WIDTH / ((east - west) * k)
    return ((lon - west) * k * scale, (north - lat) * scale)


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def inside(point: tuple[float, float]) -> bool:
    west, south, east, north = BOX
    lon, lat = point
    return west - 3 <= lon <= east + 3 and south - 3 <= lat <= north + 3


def path(points: list[tuple[float, float]]) -> str:
    # Points far outside the box are clamped to a margin around it: the outline of China then
    # closes along the edge of the map instead of running across it.
    west, south, east, north = BOX
    out = []
    last = None
    for lon, lat in points:
        lon = min(max(lon, west - 1), east + 1)
        lat = min(max(lat, south - 1), north + 1)
        x, y = project(lon, lat)
        cell = (round(x, 1), round(y, 1))
        if cell != last:
            out.append(f"{cell[0]:g},{cell[1]:g}")
            last = cell
    return "M" + "L".join(out) + "Z"


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    countries = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = NAMES.get(geometry["properties"]["name"])
        if code is None:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        paths = []
        for polygon in polygons:
            outer = ring(arcs, polygon[0])
            if any(inside(p) for p in outer):
                paths.append(path(outer))
        countries[code] = " ".join(paths)
    west, south, _east, _north = BOX
    _x, height = project(west, south)
    out = {
        "box": BOX,
        "width": WIDTH,
        "height": round(height, 1),
        "source": "Natural Earth 1:50m admin-0 countries (public domain), via world-atlas 2.0.2 (ISC)",
        "countries": countries,
    }
    target = Path(__file__).with_name("gms.json")
    del out["countries"]
    target.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    # The outlines themselves go to a static SVG the browser caches once, not into every page.
    svg = Path(__file__).parents[1] / "static" / "exchange" / "gms.svg"
    svg.parent.mkdir(parents=True, exist_ok=True)
    # Styles of the page do not reach into an external <use>, so the outlines carry their own.
    fills = {"VN": "#fff8e1"}
    outlines = "".join(
        f'<path d="{d}" fill="{fills.get(code, "#f7f4ec")}" stroke="#99aaaa" stroke-width="0.6"/>'
        for code, d in countries.items()
    )
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg">'
        f"<!-- {out['source']} -->"
        f'<symbol id="gms" viewBox="0 0 {WIDTH:g} {out["height"]}">{outlines}</symbol></svg>',
        encoding="utf-8",
    )
    print(f"wrote {target} and {svg} ({svg.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
