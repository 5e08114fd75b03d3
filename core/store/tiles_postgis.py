"""PostGIS tiles: one statement per request, shaped for the planner.

From ``area``: the candidate areas first (GiST probe on the level's geometry, ``LIMIT`` cap + 1),
each with a lateral index probe for its predominant class (the preferred classification
first when several are listed); names and colours joined once afterwards; one aggregate, so
``ST_AsMVTGeom`` runs once per area. From ``tile_area``: the class is inline, the level and band
are written into the text so PostgreSQL picks the band's partial index. The layer, level and
band come from the start-up catalogue (checked by :class:`~core.store.tile_source.TileQuery`),
every value is bound.
"""

from __future__ import annotations

from core.store.queries.tiles import near_envelope, on_tile_grid
from core.store.sql import Binds, Query
from core.store.tile_fields import FEATURE_ID, channel_columns, channel_join, count_columns, feature_id_sql
from core.store.tile_source import AreaValues, SqlTileSource, TileQuery
from core.tiling import BUFFER, EXTENT, geometry_column, grid_checked_zooms, grid_units_per_metre


def _columns(q: TileQuery, class_name: str, colour: str, fid: str) -> str:
    """A feature's id and properties from the candidate row ``s`` (names from ``pc`` or inline)."""
    return (
        f"{fid} AS {FEATURE_ID}, s.code, COALESCE(s.name, s.code) AS name, s.level, "
        f"{count_columns(q.level, 's.households', 's.class_households')}, s.class_code, "
        f"{class_name} AS class_name, {colour} AS colour, s.share, s.margin, s.mixed"
    )


def _envelope(b: Binds, q: TileQuery) -> str:
    """``env``: the tile's ``box`` and ``near``, the box with its buffer (what a tile draws)."""
    return (
        f"WITH env AS (SELECT box, {near_envelope('box')} AS near FROM (SELECT ST_TileEnvelope("
        f"{b(q.z)}::integer, {b(q.x)}::integer, {b(q.y)}::integer) AS box) e)"
    )


def _near(column: str) -> str:
    """Rows whose geometry touches the tile or its buffer (uses the GiST index)."""
    return f"{column} && env.near"


def _drawn_geometry(b: Binds, q: TileQuery, grid_shortcut: bool, pieces: bool) -> str:
    """A ``tile_area`` row's geometry in tile coordinates.

    ``ST_AsMVTGeom`` scales, snaps to the grid, clips and validates every geometry (GEOS); in a
    dense tile that is half the statement's time. A row checked at build time to stay valid on
    this zoom's grid (``grid_valid``) and lying whole inside the tile and its buffer needs no
    clipping or repair. At the band's top zoom the build stored it on that zoom's world grid
    (``grid_geom``): the tile moves it to its corner. At the zoom below, the tile scales,
    snaps and simplifies it with the same functions in the same order as ``ST_AsMVTGeom``
    before it clips (:func:`~core.store.queries.tiles.on_tile_grid`). The build stored rings
    so that they come out oriented as MVT wants (exterior rings clockwise on screen). That
    gives the same rings (``tests/test_tile_grid.py`` compares them). At the top zoom, a row the
    shortcut cannot draw (it crosses the buffered edge, or is not valid on the grid) was drawn by
    ``ST_AsMVTGeom`` at build time, for this very tile (``tile_area_piece``): the tile reads it by
    key, and a row with no piece there clipped to nothing. Everything else, and every zoom the
    build did not check, goes through ``ST_AsMVTGeom``.
    """
    drawn = f"ST_AsMVTGeom(s.geom, env.box, {EXTENT}, {BUFFER}, true)"
    if not grid_shortcut or q.serving_band is None or q.z not in grid_checked_zooms(q.serving_band):
        return drawn
    if q.z == q.serving_band:
        moved = f"ST_Translate(s.grid_geom, {b(-EXTENT * q.x)}::float8, {b(-EXTENT * q.y)}::float8)"
        stored = ""
        if pieces:
            piece = (
                f"(SELECT p.geom FROM tile_area_piece p WHERE p.level = '{q.level}' AND p.max_zoom = {q.z}"
                f" AND p.x = {b(q.x)}::integer AND p.y = {b(q.y)}::integer AND p.code = s.code)"
            )
            stored = f"WHEN s.pieces_stored THEN {piece} "
        return (
            f"CASE WHEN s.grid_geom IS NOT NULL AND s.geom @ env.near THEN {moved} {stored}ELSE {drawn} END"
        )
    half_world = EXTENT * (1 << q.z) // 2  # grid units from the world's edge to its centre
    x_offset, y_offset = half_world - EXTENT * q.x, half_world - EXTENT * q.y
    on_grid = on_tile_grid(
        "s.geom", grid_units_per_metre(q.z), f"{b(x_offset)}::float8", f"{b(y_offset)}::float8"
    )
    return f"CASE WHEN s.grid_valid AND s.geom @ env.near THEN {on_grid} ELSE {drawn} END"


def _demand(b: Binds, q: TileQuery) -> tuple[str, str]:
    """The demand join and its columns when a service is drawn, and the channel suitability's
    when asked for."""
    join, columns = "", ""
    if q.service is not None:
        join += (
            f"\n  LEFT JOIN demand d ON d.classification_id = s.classification_id AND d.lgsl = {b(q.service)}::integer"
            "\n       AND d.level = s.level AND d.code = s.code"
        )
        columns += ", d.demand_index, d.band"
    if q.channel:
        join += channel_join("cn", "s", "s.classification_id")
        columns += channel_columns("cn")
    return join, columns


def area_tile(q: TileQuery, keep: int) -> Query:
    """A tile drawn from ``area`` and ``predominant``."""
    b = Binds()
    env = _envelope(b, q)
    column = geometry_column(q.level, q.z)
    ids = b(list(q.classifications))
    if len(q.classifications) > 1:
        pick, order = (
            f"p.classification_id = ANY({ids}::text[])",
            f"ORDER BY array_position({ids}::text[], p.classification_id) LIMIT 1",
        )
    else:
        pick, order = f"p.classification_id = ({ids}::text[])[1]", ""
    tier = b(q.tier or "")
    limit = b(keep)
    demand, extra = _demand(b, q)
    sql = f"""
{env}
SELECT ST_AsMVT(t, '{q.layer}', {EXTENT}, 'geom', '{FEATURE_ID}') AS tile, count(t.geom) AS features, count(*) AS candidates
FROM (
  SELECT {_columns(q, "pc.name", "pc.colour", feature_id_sql("s.code"))}{extra},
         ST_AsMVTGeom(s.g, env.box, {EXTENT}, {BUFFER}, true) AS geom
  FROM (
    SELECT a.code, a.name, a.level, a.{column} AS g, p.classification_id, p.households,
           p.class_households, p.class_code, p.share, p.margin, p.mixed
    FROM area a CROSS JOIN env
    LEFT JOIN LATERAL (
      SELECT p.classification_id, p.households, p.class_households, p.class_code, p.share, p.margin,
             p.mixed
      FROM predominant p
      WHERE {pick} AND p.level = a.level AND p.code = a.code AND p.tier = {tier}::text
      {order}
    ) p ON true
    WHERE a.level = '{q.level}'
      AND {_near(f"a.{column}")}
    LIMIT {limit}::integer
  ) s
  CROSS JOIN env
  LEFT JOIN profile_class pc ON pc.classification_id = s.classification_id AND pc.code = s.class_code{demand}
) t
"""
    return b.query(sql)


def serving_tile(q: TileQuery, keep: int, *, grid_shortcut: bool = True, pieces: bool = True) -> Query:
    """A tile drawn from ``tile_area``: one index scan of the band, the class inline
    (``grid_shortcut=False`` draws every row through ``ST_AsMVTGeom``, ``pieces=False`` every
    row the shortcut cannot draw: tests and ``bench/tile_statement.py`` compare them)."""
    b = Binds()
    env = _envelope(b, q)
    limit = b(keep)
    demand, extra = _demand(b, q)
    sql = f"""
{env}
SELECT ST_AsMVT(t, '{q.layer}', {EXTENT}, 'geom', '{FEATURE_ID}') AS tile, count(t.geom) AS features, count(*) AS candidates
FROM (
  SELECT {_columns(q, "s.class_name", "s.colour", "s.fid")}{extra},
         {_drawn_geometry(b, q, grid_shortcut, pieces)} AS geom
  FROM (
    SELECT a.*
    FROM tile_area a CROSS JOIN env
    WHERE a.level = '{q.level}' AND a.max_zoom = {int(q.serving_band or 0)}
      AND {_near("a.geom")}
    LIMIT {limit}::integer
  ) s
  CROSS JOIN env{demand}
) t
"""
    return b.query(sql)


def values_tile(q: TileQuery, keep: int, values: AreaValues) -> Query:
    """A tile of given areas of a level, their values bound as arrays and unnested."""
    b = Binds()
    env = _envelope(b, q)
    column = geometry_column(q.level, q.z)
    codes = b(list(values.codes))
    arrays = [f"{codes}::text[]"]
    names = ["code"]
    for name, column_values in values.numbers.items():
        arrays.append(f"{b(list(column_values))}::double precision[]")
        names.append(name)
    for name, texts in values.texts.items():
        arrays.append(f"{b(list(texts))}::text[]")
        names.append(name)
    props = "".join(f", v.{n}" for n in names[1:])
    sql = f"""
{env},
v AS (SELECT * FROM unnest({", ".join(arrays)}) AS v({", ".join(names)}))
SELECT ST_AsMVT(t, '{q.layer}', {EXTENT}, 'geom', '{FEATURE_ID}') AS tile, count(t.geom) AS features,
       count(*) AS candidates
FROM (
  SELECT s.code, s.name{props}, {feature_id_sql("s.code")} AS {FEATURE_ID},
         ST_AsMVTGeom(s.g, env.box, {EXTENT}, {BUFFER}, true) AS geom
  FROM (
    SELECT a.code, a.name, a.{column} AS g
    FROM area a CROSS JOIN env
    WHERE a.level = '{q.level}' AND a.code = ANY({codes}::text[]) AND {_near(f"a.{column}")}
    LIMIT {b(keep)}::integer
  ) s
  JOIN v ON v.code = s.code
  CROSS JOIN env
) t
"""
    return b.query(sql)


class PostgisTileSource(SqlTileSource):
    """Tiles drawn by PostGIS (``ST_AsMVT``) through the reader's pool."""

    def values_statement(self, query: TileQuery, keep: int, values: AreaValues) -> Query:
        return values_tile(query, keep, values)

    def statement(self, query: TileQuery, keep: int) -> Query:
        if query.serving_band is not None:
            return serving_tile(query, keep)
        return area_tile(query, keep)
