"""DuckDB tiles: the spatial extension's ``ST_AsMVT`` over rows picked by their stored bounds.

DuckDB has no spatial index on the tables, so each statement first skips rows by the
EPSG:4326 bounding box stored with every area (``minx``..``maxy``) against the tile's bounds,
padded by the MVT buffer: those bounds are this source's own business, worked out here from
z/x/y. The layer, level and band come from the start-up catalogue (checked by
:class:`~core.store.tile_source.TileQuery`), every value is bound.
"""

from __future__ import annotations

from core.store.sql import Binds, Query
from core.store.tile_fields import FEATURE_ID, channel_columns, channel_join, count_columns, feature_id_sql
from core.store.tile_source import AreaValues, SqlTileSource, TileQuery
from core.tiling import BUFFER, EXTENT, geometry_column, tile_lonlat_bounds

_PAD = BUFFER / EXTENT + 1e-6  # tile widths added each side: the buffer, and a hair for rounding


def _bounds(b: Binds, q: TileQuery) -> str:
    """Rows of ``a`` whose stored bounding box meets the padded tile."""
    west, south, east, north = (b(v) for v in tile_lonlat_bounds(q.z, q.x, q.y, pad=_PAD))
    return f"a.maxx >= {west} AND a.minx <= {east} AND a.maxy >= {south} AND a.miny <= {north}"


def _envelope(b: Binds, q: TileQuery) -> str:
    return f"ST_Extent(ST_TileEnvelope({b(q.z)}::INTEGER, {b(q.x)}::INTEGER, {b(q.y)}::INTEGER))"


def _kept(q: TileQuery, b: Binds, keep: int) -> str:
    return f"""kept AS MATERIALIZED (SELECT * FROM feat WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom) LIMIT {b(keep)})
SELECT (SELECT ST_AsMVT(k, '{q.layer}', {EXTENT}, 'geom', '{FEATURE_ID}') FROM kept k) AS tile,
       (SELECT count(*) FROM kept) AS features, (SELECT count(*) FROM kept) AS candidates
"""


def area_tile(q: TileQuery, keep: int) -> Query:
    """A tile drawn from ``area`` and ``predominant``.

    With several classifications an area that has more than one keeps only its most
    preferred (``DISTINCT ON``); with one, that step is left out.
    """
    b = Binds()
    column = geometry_column(q.level, q.z)
    envelope = _envelope(b, q)
    ids = b(list(q.classifications))
    tier = b(q.tier or "")
    several = len(q.classifications) > 1
    distinct = "DISTINCT ON (a.code) " if several else ""
    order = f"ORDER BY a.code, list_position({ids}::VARCHAR[], p.classification_id)" if several else ""
    properties = f"""{feature_id_sql("a.code")} AS {FEATURE_ID}, a.code, COALESCE(a.name, a.code) AS name,
         a.level, {count_columns(q.level, "p.households", "p.class_households")}, p.class_code,
         pc.name AS class_name, pc.colour, p.share, p.margin, p.mixed"""
    demand = ""
    if q.service is not None:
        properties += ", d.demand_index, d.band"
        demand = f"""
  LEFT JOIN demand d ON d.classification_id = p.classification_id AND d.lgsl = {b(q.service)} AND d.level = a.level
       AND d.code = a.code"""
    if q.channel:
        properties += channel_columns("cn")
        demand += channel_join("cn", "a", "p.classification_id")
    sql = f"""
WITH feat AS (
  SELECT {distinct}{properties},
         ST_AsMVTGeom(a.{column}, {envelope},
                      {EXTENT}, {BUFFER}, true) AS geom
  FROM area a
  LEFT JOIN predominant p ON list_contains({ids}::VARCHAR[], p.classification_id) AND p.level = a.level
       AND p.code = a.code AND p.tier = {tier}
  LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code{demand}
  WHERE a.level = '{q.level}' AND {_bounds(b, q)}
  {order}
),
{_kept(q, b, keep)}"""
    return b.query(sql)


def serving_tile(q: TileQuery, keep: int) -> Query:
    """A tile drawn from ``tile_area``: the band's rows, the class inline."""
    b = Binds()
    envelope = _envelope(b, q)
    properties = f"""a.fid AS {FEATURE_ID}, a.code, COALESCE(a.name, a.code) AS name,
         a.level, {count_columns(q.level, "a.households", "a.class_households")}, a.class_code, a.class_name,
         a.colour, a.share, a.margin, a.mixed"""
    demand = ""
    if q.service is not None:
        properties += ", d.demand_index, d.band"
        demand = f"""
  LEFT JOIN demand d ON d.classification_id = a.classification_id AND d.lgsl = {b(q.service)}::INTEGER
       AND d.level = a.level AND d.code = a.code"""
    if q.channel:
        properties += channel_columns("cn")
        demand += channel_join("cn", "a", "a.classification_id")
    sql = f"""
WITH feat AS (
  SELECT {properties},
         ST_AsMVTGeom(a.geom, {envelope},
                      {EXTENT}, {BUFFER}, true) AS geom
  FROM tile_area a{demand}
  WHERE a.level = '{q.level}' AND a.max_zoom = {int(q.serving_band or 0)} AND {_bounds(b, q)}
),
{_kept(q, b, keep)}"""
    return b.query(sql)


def values_tile(q: TileQuery, keep: int, values: AreaValues) -> Query:
    """A tile of given areas of a level, their values bound as lists and unnested side by side."""
    b = Binds()
    envelope = _envelope(b, q)
    column = geometry_column(q.level, q.z)
    columns = [f"unnest({b(list(values.codes))}::VARCHAR[]) AS code"]
    names = []
    for name, column_values in values.numbers.items():
        columns.append(f"unnest({b(list(column_values))}::DOUBLE[]) AS {name}")
        names.append(name)
    for name, texts in values.texts.items():
        columns.append(f"unnest({b(list(texts))}::VARCHAR[]) AS {name}")
        names.append(name)
    props = "".join(f", v.{n}" for n in names)
    sql = f"""
WITH v AS (SELECT {", ".join(columns)}),
feat AS (
  SELECT a.code, a.name{props}, {feature_id_sql("a.code")} AS {FEATURE_ID},
         ST_AsMVTGeom(a.{column}, {envelope}, {EXTENT}, {BUFFER}, true) AS geom
  FROM area a
  JOIN v ON v.code = a.code
  WHERE a.level = '{q.level}' AND {_bounds(b, q)}
),
{_kept(q, b, keep)}"""
    return b.query(sql)


class DuckTileSource(SqlTileSource):
    """Tiles drawn by DuckDB's spatial extension, off the event loop through the reader."""

    def values_statement(self, query: TileQuery, keep: int, values: AreaValues) -> Query:
        return values_tile(query, keep, values)

    def statement(self, query: TileQuery, keep: int) -> Query:
        if query.serving_band is not None:
            return serving_tile(query, keep)
        return area_tile(query, keep)
