"""Tile-side statements outside the tile itself: the legend, and writing the ``tile_area`` serving table.

The tile statements are each backend's tile source's own (``core.store.tiles_postgis``,
``core.store.tiles_duckdb``); the catalogue they rely on is read by ``queries.inventory``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.levels import BY_NAME
from core.store.sql import Binds, Dialects, Query
from core.store.tile_fields import feature_id_sql
from core.tiling import (
    BUFFER,
    EXTENT,
    TILE_BANDS,
    WORLD_HALF,
    band_tolerance_m,
    geometry_column,
    grid_checked_zooms,
    grid_units_per_metre,
    tile_size_m,
)


@dataclass(frozen=True)
class LegendClassRow:
    classification_id: str
    code: str
    name: str | None
    colour: str | None
    parent_code: str | None


def legend_classes(classification_id: str, tier: str) -> Query:
    """The classes of one tier of a classification, in legend order."""
    b = Binds()
    return b.query(f"""
SELECT classification_id, code, name, colour, parent_code FROM profile_class
WHERE classification_id = {b(classification_id)}::text AND tier = {b(tier)}::text
ORDER BY sort, code
""")


# Serving table ``tile_area`` (written by ``insight build``) -----------------------------------


def band_geometry(level: str, band: int) -> str:
    """A band's geometry of ``area a``: the stored copy when it is fine enough, else simplified."""
    tolerance = band_tolerance_m(band)
    if tolerance <= BY_NAME[level].gen_tolerance_m:  # also the full-detail band (tolerance 0)
        return f"a.{geometry_column(level, band)}" if tolerance else "a.geom_3857"
    source = "geom_gen" if BY_NAME[level].gen_tolerance_m > 0 else "geom_3857"
    return f"ST_Multi(ST_SimplifyPreserveTopology(a.{source}, {tolerance!r}))"


def on_tile_grid(geom: str, scale: float, x_offset: str, y_offset: str) -> str:
    """PostGIS SQL: ``geom`` (EPSG:3857) in MVT grid units as ``ST_AsMVTGeom`` makes it before it
    clips and validates, with the same functions in the same order: scaled (y down), snapped to
    whole units, vertices on straight lines dropped.

    ``scale`` is units per metre; the offsets (SQL) put the grid's origin at a tile's top-left
    corner, or at the world's for the whole zoom's grid (which every tile's shares).
    """
    scaled = f"ST_Affine({geom}, {scale!r}, 0, 0, {-scale!r}, {x_offset}, {y_offset})"
    return f"ST_Simplify(ST_SnapToGrid({scaled}, 1), 0)"


def world_grid(geom: str, z: int) -> str:
    """PostGIS SQL: ``geom`` on the whole grid of zoom ``z`` (origin at the world's top-left
    corner). Tile corners are whole units of it, so a tile's own grid is this one moved by a
    whole number of units: every tile of the zoom shares it."""
    half_world = EXTENT * (1 << z) // 2  # grid units from the world's edge to its centre
    return on_tile_grid(geom, grid_units_per_metre(z), str(half_world), str(half_world))


def near_envelope(box: str) -> str:
    """SQL: the tile envelope ``box`` with its buffer: what a tile draws. Tiles and the build
    both use this text, so a row is inside a tile's buffer for both or for neither."""
    return f"ST_Expand({box}, (ST_XMax({box}) - ST_XMin({box})) * {BUFFER / EXTENT})"


def _stays_valid(snapped: str) -> str:
    return f"((ST_IsValidDetail({snapped})).valid AND NOT ST_IsEmpty({snapped}))"


def grid_drawing(geom: str, band: int) -> str:
    """PostGIS SQL: a ``LATERAL`` subquery giving ``grid_valid`` and ``grid_geom``.

    ``grid_valid``: does ``geom`` stay a valid, non-empty geometry once snapped to the tile grid
    of each zoom the band is checked at (NULL: not checked)? Tiles then draw it without
    ``ST_AsMVTGeom``'s clipping and validation where it lies inside the tile
    (``core.store.tiles_postgis``). ``grid_geom``: ``geom`` on the world grid of the band's top
    zoom where valid, else NULL.

    A tile at the band's top zoom then only moves ``grid_geom`` to its corner
    (``ST_Translate``), where it would otherwise scale, snap and simplify the geometry again:
    the same rings, one step instead of three, for the densest tiles' thousands of rows."""
    zooms = grid_checked_zooms(band)
    if not zooms:
        return "SELECT NULL::boolean AS grid_valid, NULL::geometry AS grid_geom"
    top, *below = zooms
    valid = " AND ".join([_stays_valid("g.top"), *(_stays_valid(f"({world_grid(geom, z)})") for z in below)])
    return (
        f"SELECT v.grid_valid, CASE WHEN v.grid_valid THEN ST_SetSRID(v.top, 0) END AS grid_geom "
        f"FROM (SELECT g.top, {valid} AS grid_valid FROM (SELECT {world_grid(geom, top)} AS top) g) v"
    )


# An output area of an older vintage that the Census 2021 does not know (its code changed in 2021):
# no class, never one, but this name so the map can draw it in a style of its own.
BOUNDARY_CHANGED = "no 2021 data: boundary changed"
CENSUS_HOUSEHOLDS = "ts0410001"

AREA_LEVELS = "SELECT DISTINCT level FROM area"
COUNT_TILE_AREAS = "SELECT count(*) AS n FROM tile_area"


def insert_tile_areas(level: str, band: int, classification_id: str, tier: str) -> Query:
    """One level and zoom band of ``tile_area``, with the level's default class inline
    (``classification_id`` '' for none), and on PostGIS its pieces (:func:`_insert_pieces`)
    where the band has a grid shortcut; level and band are checked against the catalogues, as
    they are written into the statement."""
    if level not in BY_NAME or band not in TILE_BANDS:
        raise ValueError(f"bad tile level/band {level!r}/{band!r}")
    b = Binds()
    class_name = "pc.name"
    if level == "oa":  # only output areas have Census 2021 records to miss
        var = b(CENSUS_HOUSEHOLDS)
        class_name = f"""CASE WHEN p.class_code IS NULL
            AND EXISTS (SELECT 1 FROM census_value c WHERE c.variable = {var}::text)
            AND NOT EXISTS (SELECT 1 FROM census_value c WHERE c.variable = {var}::text AND c.area_code = a.code)
            THEN {b(BOUNDARY_CHANGED)}::text ELSE pc.name END"""
    select = f"""
SELECT a.level, a.code, {band} AS max_zoom, a.name, p.classification_id, p.tier, p.households,
       p.class_households, p.class_code, {class_name} AS class_name, pc.colour, p.share, p.margin,
       p.mixed, a.minx, a.miny, a.maxx, a.maxy, {band_geometry(level, band)} AS geom,
       {feature_id_sql("a.code")} AS fid
FROM area a
LEFT JOIN predominant p ON p.classification_id = {b(classification_id)} AND p.level = a.level
     AND p.code = a.code AND p.tier = {b(tier)}
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
WHERE a.level = {b(level)} AND a.geom_3857 IS NOT NULL
ORDER BY a.minx, a.miny
OFFSET 0"""  # computed once: the checks below read the band's geometry, never recompute it
    names = [
        *("level", "code", "max_zoom", "name", "classification_id", "tier", "households", "class_households"),
        *("class_code", "class_name", "colour", "share", "margin", "mixed", "minx", "miny", "maxx", "maxy"),
        *("geom", "fid"),
    ]
    columns = ", ".join([*names, "grid_valid", "grid_geom", "pieces_stored"])
    # On PostGIS exterior rings are stored clockwise in EPSG:3857 (y up): anticlockwise once y
    # points down, as MVT wants, so a tile drawing a row by the grid shortcut need not orient it.
    oriented = ", ".join("ST_ForcePolygonCW(t.geom) AS geom" if n == "geom" else f"t.{n}" for n in names)
    pieced = bool(grid_checked_zooms(band))
    rows = (
        f"INSERT INTO tile_area ({columns})\n"
        f"SELECT o.*, d.grid_valid, d.grid_geom, {_pieces_kept('o.geom', band) if pieced else 'NULL'}\n"
        f"FROM (SELECT {oriented} FROM ({select}) t OFFSET 0) o\n"
        f"CROSS JOIN LATERAL ({grid_drawing('o.geom', band)}) d"
    )
    if pieced:  # the rows and their pieces in one statement: never one without the other
        rows = (
            f"WITH written AS (\n{rows}\nRETURNING level, max_zoom, code, geom, grid_geom, pieces_stored)\n"
            f"{_insert_pieces('written', band)}"
        )
    return b.query(
        Dialects(
            postgis=rows,
            duckdb=f"INSERT INTO tile_area ({columns})\nSELECT t.*, NULL, NULL, NULL FROM ({select}) t",
        )
    )


PIECE_TILES = 9  # the most tiles (3 x 3) a row's box may reach for its pieces to be stored


def _tile_reach(geom: str, band: int) -> tuple[str, str, str, str]:
    """SQL: the first and last tile column and row of the band's top zoom that ``geom``'s box
    reaches, with twice the buffer to spare."""
    width = tile_size_m(band)
    spare = 2 * width * BUFFER / EXTENT
    last = (1 << band) - 1

    def tile(metres: str) -> str:
        return f"floor(({metres}) / {width!r})::integer"

    return (
        f"greatest({tile(f'ST_XMin({geom}) + {WORLD_HALF!r} - {spare!r}')}, 0)",
        f"least({tile(f'ST_XMax({geom}) + {WORLD_HALF!r} + {spare!r}')}, {last})",
        f"greatest({tile(f'{WORLD_HALF!r} - ST_YMax({geom}) - {spare!r}')}, 0)",
        f"least({tile(f'{WORLD_HALF!r} - ST_YMin({geom}) + {spare!r}')}, {last})",
    )


def _pieces_kept(geom: str, band: int) -> str:
    """SQL: whether a row of the band with geometry ``geom`` gets pieces (``tile_area.pieces_stored``)."""
    x0, x1, y0, y1 = _tile_reach(geom, band)
    return f"(({x1}) - ({x0}) + 1) * (({y1}) - ({y0}) + 1) <= {PIECE_TILES}"


def _insert_pieces(rows: str, band: int) -> str:
    """PostGIS SQL: ``tile_area_piece`` for the serving rows ``rows`` of one band, as
    ``ST_AsMVTGeom`` draws each in every tile of the band's top zoom where the grid shortcut
    cannot (the row crosses the tile's buffered edge, or is not valid on its grid). Rows clipped
    to nothing get no piece.

    Such rows are about one in eight of a z10 tile's and a third of its time: clipping and
    validating them (GEOS, wagyu) costs ~20 times moving a row already on the grid. The tile
    then reads the piece by key, the same bytes. Candidate tiles are those the row's box
    reaches with twice the buffer to spare (4-byte float boxes round outwards); the tiles' own
    test decides. A row reaching more than ``PIECE_TILES`` tiles gets none
    (``pieces_stored`` false): it is large next to them, so they hold few rows each and clipping
    it in the tile costs little, where storing it would cost a piece per tile (a NUTS 3 region
    at zoom 14: thousands). The embedded store draws every row through ``ST_AsMVT``'s own
    clipping and stores no pieces."""
    x0, x1, y0, y1 = _tile_reach("a.geom", band)
    near = near_envelope("t.box")
    return f"""INSERT INTO tile_area_piece (level, max_zoom, x, y, code, geom)
SELECT p.level, p.max_zoom, p.x, p.y, p.code, p.geom FROM (
  SELECT c.level, c.max_zoom, t.x, t.y, c.code, ST_AsMVTGeom(c.geom, t.box, {EXTENT}, {BUFFER}, true) AS geom
  FROM (
    SELECT a.level, a.max_zoom, a.code, a.geom, a.grid_geom, {x0} AS x0, {x1} AS x1, {y0} AS y0, {y1} AS y1
    FROM {rows} a
    WHERE a.pieces_stored
  ) c
  CROSS JOIN LATERAL (
    SELECT tx.x, ty.y, ST_TileEnvelope({band}, tx.x, ty.y) AS box
    FROM generate_series(c.x0, c.x1) tx(x), generate_series(c.y0, c.y1) ty(y)
  ) t
  WHERE c.geom && {near} AND NOT (c.grid_geom IS NOT NULL AND c.geom @ {near})
  OFFSET 0
) p
WHERE p.geom IS NOT NULL"""


# ``tile_area`` records the data version it was written at: tiles use it only while that is current.
MARK_TILE_AREAS = [
    "DELETE FROM meta WHERE key = 'tile_area_version'",
    "INSERT INTO meta (key, value) SELECT 'tile_area_version', value FROM meta WHERE key = 'data_version'",
]
