"""PostGIS tiles skip ``ST_AsMVTGeom`` for serving rows that lie whole inside the tile and stay
valid on its grid (``tile_area.grid_valid``): the shortcut must draw what ``ST_AsMVTGeom`` draws."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from core.store.queries.tiles import grid_drawing, near_envelope, on_tile_grid
from core.store.sql import Binds
from core.store.tile_source import TileQuery
from core.store.tiles_postgis import serving_tile
from core.tiling import (
    BUFFER,
    EXTENT,
    WORLD_HALF,
    band_for_zoom,
    grid_units_per_metre,
    lonlat_to_tile,
    tile_size_m,
)

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


@pytest.mark.parametrize(("level", "z"), [("oa", 14), ("oa", 12), ("oa", 10), ("ward", 12), ("ward", 10)])
def test_the_stored_pieces_are_what_st_asmvtgeom_draws_in_the_tile(
    client: TestClient, level: str, z: int
) -> None:
    """At a band's top zoom, every row the grid shortcut cannot draw in a tile (it crosses the
    buffered edge, or is not valid on the grid) has a piece for that tile, byte for byte what
    ``ST_AsMVTGeom`` draws there, or none where that is nothing, unless it reaches too many
    tiles to be given pieces; no other row has one. Checked in every tile the level's rows
    reach at that zoom."""
    store = client.app.state.store  # type: ignore[attr-defined]
    extent = client.portal.call(  # type: ignore[union-attr]
        store.fetchrow,
        Binds().query(
            "SELECT min(ST_XMin(geom)) AS x0, max(ST_XMax(geom)) AS x1, min(ST_YMin(geom)) AS y0, "
            f"max(ST_YMax(geom)) AS y1 FROM tile_area WHERE level = '{level}' AND max_zoom = {z}"
        ),
    )
    width = tile_size_m(z)
    columns = range(
        int((extent["x0"] + WORLD_HALF) // width) - 1, int((extent["x1"] + WORLD_HALF) // width) + 2
    )
    rows_ = range(
        int((WORLD_HALF - extent["y1"]) // width) - 1, int((WORLD_HALF - extent["y0"]) // width) + 2
    )
    assert len(columns) * len(rows_) < 4000
    b = Binds()
    drawn = f"ST_AsMVTGeom(a.geom, t.box, {EXTENT}, {BUFFER}, true)"
    statement = b.query(
        f"""
WITH t AS (SELECT x, y, box, {near_envelope("box")} AS near FROM (
             SELECT tx.x, ty.y, ST_TileEnvelope({b(z)}::integer, tx.x, ty.y) AS box
             FROM generate_series({b(columns.start)}::integer, {b(columns.stop - 1)}::integer) tx(x),
                  generate_series({b(rows_.start)}::integer, {b(rows_.stop - 1)}::integer) ty(y)) e),
rows AS (
  SELECT a.pieces_stored, NOT (a.grid_geom IS NOT NULL AND a.geom @ t.near) AS needs, {drawn} AS drawn, p.geom AS piece
  FROM tile_area a JOIN t ON a.geom && t.near
  LEFT JOIN tile_area_piece p ON p.level = a.level AND p.max_zoom = a.max_zoom AND p.code = a.code
       AND p.x = t.x AND p.y = t.y
  WHERE a.level = {b(level)} AND a.max_zoom = {b(z)})
SELECT count(*) FILTER (WHERE needs AND pieces_stored) AS needed,
       count(*) FILTER (WHERE needs AND pieces_stored AND ST_AsEWKB(piece) = ST_AsEWKB(drawn)) AS same,
       count(*) FILTER (WHERE needs AND pieces_stored AND piece IS NULL AND drawn IS NULL) AS clipped_away,
       count(*) FILTER (WHERE piece IS NOT NULL AND NOT (needs AND pieces_stored)) AS stray,
       count(*) FILTER (WHERE pieces_stored IS NULL) AS unchecked,
       (SELECT count(*) FROM tile_area_piece p WHERE p.level = {b(level)} AND p.max_zoom = {b(z)}) AS pieces
FROM rows"""
    )
    row = client.portal.call(store.fetchrow, statement)  # type: ignore[union-attr]
    assert row["needed"] > 0 and row["unchecked"] == 0
    assert row["same"] + row["clipped_away"] == row["needed"]
    assert row["stray"] == 0 and row["pieces"] == row["same"]


def test_no_pieces_for_full_detail_or_rows_reaching_many_tiles(client: TestClient) -> None:
    """The full-detail band has no grid shortcut; a district at zoom 14 reaches far more than
    3 x 3 tiles: neither is marked or given pieces, so tiles draw them with ``ST_AsMVTGeom``."""
    store = client.app.state.store  # type: ignore[attr-defined]
    row = client.portal.call(  # type: ignore[union-attr]
        store.fetchrow,
        "SELECT (SELECT count(*) FROM tile_area_piece WHERE max_zoom = 99) AS full_detail_pieces, "
        "(SELECT count(*) FROM tile_area WHERE max_zoom = 99 AND pieces_stored IS NOT NULL) AS marked, "
        "(SELECT count(*) FROM tile_area WHERE level = 'lad' AND max_zoom = 14 AND NOT pieces_stored) AS large, "
        "(SELECT count(*) FROM tile_area_piece WHERE level = 'lad' AND max_zoom = 14) AS large_pieces",
    )
    assert row["full_detail_pieces"] == 0 and row["marked"] == 0
    assert row["large"] > 0 and row["large_pieces"] == 0


@pytest.mark.parametrize(
    ("level", "z"), [("oa", 14), ("oa", 12), ("oa", 10), ("oa", 8), ("oa", 6), ("ward", 12), ("ward", 10)]
)
def test_a_tile_read_from_pieces_is_byte_for_byte_the_tile_without_them(
    client: TestClient, level: str, z: int
) -> None:
    """Up to 40 tiles at a band's top zoom that hold pieces: the tile as served and the tile
    with every edge row clipped again by ``ST_AsMVTGeom`` are the same bytes (features, order,
    properties, geometry)."""
    store = client.app.state.store  # type: ignore[attr-defined]
    tiles = client.portal.call(  # type: ignore[union-attr]
        store.fetch,
        Binds().query(
            f"SELECT DISTINCT x, y FROM tile_area_piece WHERE level = '{level}' AND max_zoom = {z} "
            "ORDER BY x, y LIMIT 40"
        ),
    )
    if level == "oa" and z >= 10:
        assert tiles
    for tile in tiles:
        query = TileQuery(layer=level, level=level, z=z, x=tile["x"], y=tile["y"], serving_band=z)
        served, unpieced = (
            client.portal.call(store.fetchrow, serving_tile(query, query.max_features, pieces=pieces))  # type: ignore[union-attr]
            for pieces in (True, False)
        )
        assert served["features"] > 0
        assert bytes(served["tile"]) == bytes(unpieced["tile"]), f"{z}/{tile['x']}/{tile['y']}"
