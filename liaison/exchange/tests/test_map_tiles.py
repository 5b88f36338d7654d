"""The base map's tiles (liaison/exchange/mapdata/build_tiles.py): where a tile lies, which tiles
there are, what they weigh, and what a tile shows."""

from __future__ import annotations

import math

from PIL import Image

from liaison.exchange.mapdata.build_tiles import (
    BOX,
    LAND,
    MAX_ZOOM,
    SEA,
    TARGET,
    areas,
    draw_tile,
    lines,
    mercator,
    read_atlas,
    tile_bounds,
    tile_set,
)

MOC_BAI = (106.2, 11.07)  # lon, lat


def committed_tiles() -> set[str]:
    return {path.relative_to(TARGET).as_posix() for path in TARGET.rglob("*.png")}


def test_the_tile_over_moc_bai_at_the_closest_zoom_holds_it() -> None:
    x, y = mercator(*MOC_BAI)
    n = 2**MAX_ZOOM
    west, south, east, north = tile_bounds(MAX_ZOOM, int(x * n), int(y * n))
    assert west <= MOC_BAI[0] < east and south < MOC_BAI[1] <= north
    assert math.isclose(east - west, 360 / n)
    assert (MAX_ZOOM, int(x * n), int(y * n)) in set(tile_set())


def test_the_world_is_one_tile_at_zoom_0_and_its_edges_are_web_mercators() -> None:
    west, south, east, north = tile_bounds(0, 0, 0)
    assert (west, east) == (-180.0, 180.0)
    assert math.isclose(north, 85.0511287798) and math.isclose(south, -85.0511287798)


def test_the_committed_tiles_are_the_set_the_generator_draws_within_budget() -> None:
    # the world at the low zooms, then only the Greater Mekong's box: a few hundred tiles
    names = {f"{z}/{x}/{y}.png" for z, x, y in tile_set()}
    assert committed_tiles() == names
    assert 300 <= len(names) <= 600
    assert sum((TARGET / name).stat().st_size for name in names) < 1_500_000
    closest = [tile_bounds(z, x, y) for z, x, y in tile_set() if z == MAX_ZOOM]
    west, south, east, north = BOX
    assert all(w < east and e > west and s < north and n > south for w, s, e, n in closest)
    with Image.open(TARGET / f"{MAX_ZOOM}/{name_over(MOC_BAI)}") as tile:
        assert tile.format == "PNG" and tile.size == (256, 256)
    assert (TARGET / "LICENSE-world-atlas.txt").read_text().startswith("The base map tiles")


def name_over(point: tuple[float, float]) -> str:
    x, y = mercator(*point)
    n = 2**MAX_ZOOM
    return f"{int(x * n)}/{int(y * n)}.png"


def test_a_ring_across_the_antimeridian_is_filled_on_both_sides_of_the_world() -> None:
    # a piece of Chukotka, cut by Natural Earth at 180°
    ring = [(170.0, 65.0), (180.0, 65.0), (-175.0, 65.0), (-175.0, 70.0), (170.0, 70.0)]
    shapes = areas(ring)
    assert len(shapes) == 2
    assert sorted(round(shape.left, 3) for shape in shapes) == [-0.028, 0.972]
    # and the cut along 180° and the jump are no coastline
    drawn = lines([(170.0, 65.0), (180.0, 65.0), (180.0, 70.0), (-175.0, 70.0), (-170.0, 71.0)])
    assert [len(line.points) for line in drawn] == [2, 2]


def tiny_topology() -> dict[str, object]:
    """Viet Nam as a square of 2° around Moc Bai, in TopoJSON (one arc, unquantised)."""
    lon, lat = MOC_BAI
    square = [[lon - 1, lat - 1], [lon + 1, lat - 1], [lon + 1, lat + 1], [lon - 1, lat + 1]]
    deltas = [square[0]] + [
        [b[0] - a[0], b[1] - a[1]] for a, b in zip(square, [*square[1:], square[0]], strict=True)
    ]
    return {
        "transform": {"scale": [1, 1], "translate": [0, 0]},
        "arcs": [deltas],
        "objects": {
            "countries": {
                "geometries": [
                    {"type": "Polygon", "arcs": [[0]], "properties": {"name": "Vietnam"}}
                ]
            }
        },
    }


def test_a_tile_shows_land_where_the_country_is_and_sea_around_it() -> None:
    atlas = read_atlas(tiny_topology())
    assert len(atlas.region) == 1 and len(atlas.coasts) == 1 and atlas.borders == []
    x, y = mercator(*MOC_BAI)
    z = 6
    tile = draw_tile(atlas, z, int(x * 2**z), int(y * 2**z))
    inside = (round((x * 2**z % 1) * 256), round((y * 2**z % 1) * 256))
    assert tile.size == (256, 256)
    assert tile.getpixel(inside) == LAND
    far = draw_tile(atlas, z, int(x * 2**z) + 3, int(y * 2**z))
    assert far.getpixel((128, 128)) == SEA
