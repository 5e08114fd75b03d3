"""PostGIS tiles skip ``ST_AsMVTGeom`` for serving rows that lie whole inside the tile and stay
valid on its grid (``tile_area.grid_valid``): the shortcut must draw what ``ST_AsMVTGeom`` draws."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from core.store.queries.tiles import grid_drawing, on_tile_grid
from core.store.sql import Binds
from core.store.tile_source import TileQuery
from core.store.tiles_postgis import serving_tile
from core.tiling import EXTENT, band_for_zoom, grid_units_per_metre, lonlat_to_tile

pytestmark = pytest.mark.hermetic

TRAFFORD_POINT = (-2.40, 53.40)


@pytest.fixture(scope="module")
def client(synthetic_client: TestClient, synthetic_settings) -> TestClient:
    if synthetic_settings.backend != "postgis":
        pytest.skip("the grid shortcut is PostGIS's (the embedded store draws with its own ST_AsMVT)")
    return synthetic_client


def draw(client: TestClient, query: TileQuery, grid_shortcut: bool) -> dict[int, dict]:
    store = client.app.state.store  # type: ignore[attr-defined]
    statement = serving_tile(query, query.max_features, grid_shortcut=grid_shortcut)
    row = client.portal.call(store.fetchrow, statement)  # type: ignore[union-attr]
    tile = mapbox_vector_tile.decode(bytes(row["tile"]), default_options={"y_coord_down": True})
    return {f["id"]: f for f in tile[query.layer]["features"]}


@pytest.mark.parametrize(
    ("level", "z"), [("oa", 14), ("oa", 13), ("oa", 12), ("oa", 11), ("oa", 10), ("ward", 12), ("ward", 9)]
)
def test_the_shortcut_draws_what_st_asmvtgeom_draws(client: TestClient, level: str, z: int) -> None:
    x, y = lonlat_to_tile(*TRAFFORD_POINT, z)
    query = TileQuery(layer=level, level=level, z=z, x=x, y=y, serving_band=band_for_zoom(z))
    short, full = draw(client, query, True), draw(client, query, False)
    assert short and short.keys() == full.keys()
    for fid, feature in short.items():
        assert feature["properties"] == full[fid]["properties"]
        ours, theirs = shape(feature["geometry"]), shape(full[fid]["geometry"])
        assert ours.is_valid, feature["properties"]["code"]
        # ST_AsMVTGeom's clipper may also drop a sub-unit spike; nothing moves by more than a unit
        assert shapely.hausdorff_distance(ours, theirs) <= 1.0, feature["properties"]["code"]
        assert abs(ours.area - theirs.area) <= max(0.01 * theirs.area, 16), feature["properties"]["code"]


def test_the_shortcut_is_taken(client: TestClient) -> None:
    """Most output areas of a z12 tile lie whole inside it and were checked valid on its grid."""
    store = client.app.state.store  # type: ignore[attr-defined]
    x, y = lonlat_to_tile(*TRAFFORD_POINT, 12)
    b = Binds()
    statement = b.query(
        f"""
WITH env AS (SELECT ST_TileEnvelope({b(12)}::integer, {b(x)}::integer, {b(y)}::integer) AS box)
SELECT count(*) FILTER (WHERE a.grid_valid AND a.geom @ env.box) AS shortcut, count(*) AS drawn,
       count(*) FILTER (WHERE a.grid_valid IS NULL) AS unchecked
FROM tile_area a, env WHERE a.level = 'oa' AND a.max_zoom = 12 AND a.geom && env.box"""
    )
    row = client.portal.call(store.fetchrow, statement)  # type: ignore[union-attr]
    assert row["unchecked"] == 0
    assert row["shortcut"] > row["drawn"] / 2


@pytest.mark.parametrize(("level", "z"), [("oa", 14), ("oa", 12), ("oa", 10), ("ward", 10), ("ward", 8)])
def test_the_stored_grid_geometry_moved_to_a_tile_is_the_tile_grids(
    client: TestClient, level: str, z: int
) -> None:
    """At a band's top zoom a tile moves ``grid_geom`` (the world grid's) to its corner: for every
    row checked valid, that is exactly the geometry scaled, snapped and simplified on the tile's
    own grid, vertex for vertex; rows not checked valid carry none."""
    store = client.app.state.store  # type: ignore[attr-defined]
    x, y = lonlat_to_tile(*TRAFFORD_POINT, z)
    half_world = EXTENT * (1 << z) // 2
    b = Binds()
    tile_grid = on_tile_grid(
        "a.geom",
        grid_units_per_metre(z),
        f"{b(half_world - EXTENT * x)}::float8",
        f"{b(half_world - EXTENT * y)}::float8",
    )
    moved = f"ST_Translate(a.grid_geom, {b(-EXTENT * x)}::float8, {b(-EXTENT * y)}::float8)"
    statement = b.query(
        f"""
WITH env AS (SELECT ST_TileEnvelope({b(z)}::integer, {b(x)}::integer, {b(y)}::integer) AS box)
SELECT count(*) FILTER (WHERE a.grid_valid) AS valid,
       count(*) FILTER (WHERE a.grid_valid AND ST_AsEWKB({moved}) = ST_AsEWKB(ST_SetSRID({tile_grid}, 0))) AS same,
       count(*) FILTER (WHERE a.grid_geom IS NOT NULL AND a.grid_valid IS NOT TRUE) AS stray
FROM tile_area a, env WHERE a.level = {b(level)} AND a.max_zoom = {b(z)} AND a.geom && env.box"""
    )
    row = client.portal.call(store.fetchrow, statement)  # type: ignore[union-attr]
    assert row["valid"] > 0
    assert row["same"] == row["valid"] and row["stray"] == 0


def test_a_geometry_that_collapses_on_the_grid_is_not_checked_valid(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    # 5 m wide: under a grid unit at zoom 9 (19 m) and 10 (9.5 m), so snapping flattens it
    thin = "POLYGON((-267000 7060000, -266995 7060000, -266995 7061000, -267000 7061000, -267000 7060000))"
    wide = "POLYGON((-267000 7060000, -266000 7060000, -266000 7061000, -267000 7061000, -267000 7060000))"

    def checked(wkt: str, band: int) -> tuple[bool | None, bool]:
        b = Binds()
        statement = b.query(
            f"SELECT d.grid_valid, d.grid_geom IS NOT NULL AS stored "
            f"FROM (SELECT ST_GeomFromText({b(wkt)}, 3857) AS g) s CROSS JOIN LATERAL ({grid_drawing('s.g', band)}) d"
        )
        row = client.portal.call(store.fetchrow, statement)  # type: ignore[union-attr]
        return row["grid_valid"], row["stored"]

    assert checked(thin, 10) == (False, False)
    assert checked(thin, 14) == (True, True)
    assert checked(thin, 99) == (None, False)
    assert checked(wide, 10) == (True, True)
