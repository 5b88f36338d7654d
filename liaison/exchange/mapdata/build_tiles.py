"""Build the app's own raster tiles of the base map from world-atlas, for the survey engine's map.

ODK Web Forms draws its geopoint, geotrace and geoshape questions on an OpenLayers map whose
base layer reads XYZ tiles (Web Mercator, 256 pixels); the tablets are offline and the pages'
policy lets images come from the app alone, so the app serves its own tiles
(``surveys/static/surveys/tiles/{z}/{x}/{y}.png``, the URL ``frontend/build-odk-web-forms.mjs``
gives the map). They are drawn from the same Natural Earth country outlines as ``gms.svg``
(:mod:`build_basemap`), at the finer 1:10m scale, which holds at the closest zoom drawn:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python -m liaison.exchange.mapdata.build_tiles package/countries-10m.json

The whole world up to :data:`WORLD_ZOOM` (the map opens on it), the Greater Mekong's box
(:data:`BOX`) up to :data:`MAX_ZOOM`; a closer view enlarges the closest tiles, and a tile
outside the set is not there (the map leaves it blank). Sea, land (the region's countries a shade
lighter), coastlines and borders; no labels.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from liaison.exchange.mapdata.build_basemap import decode_arcs, ring

TILE = 256
SUPERSAMPLE = 4  # drawn 4 times larger and reduced: smooth coastlines without a vector renderer
WORLD_ZOOM = 2
MAX_ZOOM = 8
# west, south, east, north: Myanmar's coast to Guangxi, the Gulf of Thailand's south to Yunnan
BOX = (92.0, 5.0, 112.0, 29.5)
# the six countries of the Greater Mekong Sub-region, by their names in world-atlas
REGION = {"Vietnam", "Laos", "Cambodia", "Thailand", "China", "Myanmar"}
MAX_LATITUDE = 85.05112878  # Web Mercator's square world

SEA = (214, 228, 236)
LAND = (247, 244, 236)  # the fill of gms.svg
LAND_ELSEWHERE = (234, 232, 226)
COAST = (132, 160, 178)
BORDER = (140, 120, 104)

TARGET = Path(__file__).parents[2] / "surveys" / "static" / "surveys" / "tiles"
SOURCE_NOTE = (
    "The base map tiles under this folder are drawn by liaison/exchange/mapdata/build_tiles.py "
    "from Natural Earth's 1:10m admin-0 countries (public domain, naturalearthdata.com), as "
    "packaged in world-atlas 2.0.2 (npm), whose licence follows.\n\n"
)

Points = NDArray[np.float64]


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """A point's place on the Web Mercator square, as fractions of its side from the north-west."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return (lon + 180.0) / 360.0, (1.0 - y / math.pi) / 2.0


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's west, south, east and north edges in degrees."""
    n = 2**z

    def latitude(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return (x / n * 360.0 - 180.0, latitude(y + 1), (x + 1) / n * 360.0 - 180.0, latitude(y))


def tiles_over(box: tuple[float, float, float, float], z: int) -> Iterator[tuple[int, int]]:
    """The (x, y) of the tiles at zoom z that the box touches."""
    west, south, east, north = box
    n = 2**z
    left, top = mercator(west, north)
    right, bottom = mercator(east, south)
    for x in range(int(left * n), min(n - 1, int(right * n)) + 1):
        for y in range(int(top * n), min(n - 1, int(bottom * n)) + 1):
            yield x, y


def tile_set() -> Iterator[tuple[int, int, int]]:
    """Every tile the map is given: the world's at the low zooms, the region's closer in."""
    for z in range(MAX_ZOOM + 1):
        if z <= WORLD_ZOOM:
            cells: Iterator[tuple[int, int]] = ((x, y) for x in range(2**z) for y in range(2**z))
        else:
            cells = tiles_over(BOX, z)
        for x, y in cells:
            yield z, x, y


@dataclass(frozen=True)
class Shape:
    """A ring or a line, on the Mercator square, with its bounds there."""

    points: Points
    left: float
    top: float
    right: float
    bottom: float

    @classmethod
    def of(cls, lonlat: list[tuple[float, float]]) -> Shape:
        points = np.array([mercator(lon, lat) for lon, lat in lonlat], dtype=np.float64)
        left, top = points.min(axis=0)
        right, bottom = points.max(axis=0)
        return cls(points, float(left), float(top), float(right), float(bottom))

    def meets(self, left: float, top: float, right: float, bottom: float) -> bool:
        return not (
            self.right < left or self.left > right or self.bottom < top or self.top > bottom
        )

    def pixels(self, z: int, x: int, y: int) -> list[float]:
        side = TILE * SUPERSAMPLE * 2**z
        shifted = self.points * side - np.array([x, y]) * TILE * SUPERSAMPLE
        return [float(value) for value in shifted.ravel()]


@dataclass(frozen=True)
class Atlas:
    """The shapes a tile is drawn from."""

    region: list[Shape]
    elsewhere: list[Shape]
    coasts: list[Shape]
    borders: list[Shape]


def _is_cut(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """A segment that is no coast or border: along the antimeridian where Natural Earth cuts
    the countries that cross it, along the south pole's edge of Antarctica, or the jump from one
    side of the antimeridian to the other."""
    along_antimeridian = abs(a[0]) >= 179.999 and abs(b[0]) >= 179.999 and a[0] == b[0]
    along_pole = a[1] <= -89.999 and b[1] <= -89.999
    return along_antimeridian or along_pole or abs(a[0] - b[0]) > 180


def lines(points: list[tuple[float, float]]) -> list[Shape]:
    """An arc as the lines it draws: cut where it runs along no coast or border."""
    out: list[Shape] = []
    run = points[:1]
    for a, b in pairwise(points):
        if _is_cut(a, b):
            if len(run) > 1:
                out.append(Shape.of(run))
            run = [b]
        else:
            run.append(b)
    if len(run) > 1:
        out.append(Shape.of(run))
    return out


def areas(points: list[tuple[float, float]]) -> list[Shape]:
    """A ring as the areas it fills on the square. A ring that crosses the antimeridian (Russia's
    far east, Fiji) is made continuous past ±180° and drawn once on each side of the square; the
    ring of Antarctica, which goes round the pole, is closed along the pole."""
    unwrapped = [points[0]]
    for lon, lat in points[1:]:
        previous = unwrapped[-1][0]
        lon += 360.0 * round((previous - lon) / 360.0)
        unwrapped.append((lon, lat))
    if abs(unwrapped[-1][0] - unwrapped[0][0]) > 180:
        pole = -90.0 if sum(lat for _lon, lat in points) < 0 else 90.0
        unwrapped += [(unwrapped[-1][0], pole), (unwrapped[0][0], pole)]
    west = min(lon for lon, _lat in unwrapped)
    east = max(lon for lon, _lat in unwrapped)
    return [
        Shape.of([(lon + shift, lat) for lon, lat in unwrapped])
        for shift in (-360.0, 0.0, 360.0)
        if west + shift < 180 and east + shift > -180
    ]


def read_atlas(topology: dict[str, Any]) -> Atlas:
    arcs = decode_arcs(topology)
    region: list[Shape] = []
    elsewhere: list[Shape] = []
    # An arc two countries share is a border between them; an arc of one country alone is its coast.
    sharing: Counter[int] = Counter()
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        target = region if geometry["properties"]["name"] in REGION else elsewhere
        used: set[int] = set()
        for polygon in polygons:
            # the outer ring only: a hole is an enclave, filled by its own country
            outer = ring(arcs, polygon[0])
            if len(outer) >= 3:
                target.extend(areas(outer))
            used.update(i if i >= 0 else ~i for rings in polygon for i in rings)
        sharing.update(used)
    coasts = [line for i, n in sorted(sharing.items()) if n == 1 for line in lines(arcs[i])]
    borders = [line for i, n in sorted(sharing.items()) if n > 1 for line in lines(arcs[i])]
    return Atlas(region, elsewhere, coasts, borders)


def draw_tile(atlas: Atlas, z: int, x: int, y: int) -> Image.Image:
    size = TILE * SUPERSAMPLE
    image = Image.new("RGB", (size, size), SEA)
    draw = ImageDraw.Draw(image)
    n = 2**z
    margin = 4 / (TILE * n)  # a line's width, so that a line along the edge is drawn on both sides
    edges = (x / n - margin, y / n - margin, (x + 1) / n + margin, (y + 1) / n + margin)
    for shapes, fill in ((atlas.elsewhere, LAND_ELSEWHERE), (atlas.region, LAND)):
        for shape in shapes:
            if shape.meets(*edges):
                draw.polygon(shape.pixels(z, x, y), fill=fill)
    # lines a little wider closer in, where there is room for them
    scale = SUPERSAMPLE * (0.7 if z <= WORLD_ZOOM else 1.0)
    for shapes, colour, width in ((atlas.coasts, COAST, 0.9), (atlas.borders, BORDER, 1.3)):
        for shape in shapes:
            if shape.meets(*edges):
                draw.line(shape.pixels(z, x, y), fill=colour, width=max(1, round(width * scale)))
    return image.resize((TILE, TILE), Image.Resampling.LANCZOS)


def save_tile(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # a palette of 32 colours holds the five of the map and the shades between them
    image.quantize(colors=32, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main(source: str, target: Path = TARGET) -> None:
    topology = json.loads(Path(source).read_text(encoding="utf-8"))
    atlas = read_atlas(topology)
    shutil.rmtree(target, ignore_errors=True)
    count = 0
    for z, x, y in tile_set():
        save_tile(draw_tile(atlas, z, x, y), target / str(z) / str(x) / f"{y}.png")
        count += 1
    licence = Path(source).with_name("LICENSE").read_text(encoding="utf-8")
    (target / "LICENSE-world-atlas.txt").write_text(SOURCE_NOTE + licence, encoding="utf-8")
    total = sum(path.stat().st_size for path in target.rglob("*.png"))
    print(f"wrote {count} tiles to {target} ({total} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
