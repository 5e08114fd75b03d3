"""Vector tile SQL: one statement per (layer, geometry column, with/without a service), built once.

Parameters, both backends: ``$1`` z, ``$2`` x, ``$3`` y, ``$4`` level, ``$5`` classification
(or NULL), ``$6`` tier, ``$7`` feature cap; then ``$8`` LGSL when a service is drawn; DuckDB
adds the tile's padded EPSG:4326 bounds (west, south, east, north) after those, to skip rows
by their stored bounding boxes (it has no spatial index on the table).

The layer name and geometry column come from the start-up catalogue, never from the request.
One row back: ``tile`` (MVT bytes, or NULL/empty when no feature) and ``features`` (kept
features, at most cap + 1: more than the cap means the tile was capped).
"""

from __future__ import annotations

from functools import lru_cache

from app.tiles.grid import BUFFER, EXTENT

GEOMETRY_COLUMNS = ("geom_gen", "geom_3857")

_PROPERTIES = """a.code, a.name, a.level, p.households, p.class_code, pc.name AS class_name,
         pc.colour, p.share, p.margin, p.mixed"""

_JOINS = """LEFT JOIN predominant p ON p.classification_id = $5 AND p.level = a.level
       AND p.code = a.code AND p.tier = $6
  LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code"""

_SERVICE_JOIN = """
  LEFT JOIN demand d ON d.classification_id = $5 AND d.lgsl = $8 AND d.level = a.level AND d.code = a.code"""


@lru_cache(maxsize=256)
def tile_sql(backend: str, layer: str, column: str, with_service: bool) -> str:
    """The tile statement for one layer and geometry column (see the module docstring)."""
    if column not in GEOMETRY_COLUMNS or not layer.isidentifier():
        raise ValueError(f"bad tile layer/column {layer!r}/{column!r}")
    properties = _PROPERTIES + (", d.demand_index, d.band" if with_service else "")
    joins = _JOINS + (_SERVICE_JOIN if with_service else "")
    if backend == "postgis":
        return f"""
WITH env AS (SELECT ST_TileEnvelope($1::integer, $2::integer, $3::integer) AS box),
feat AS (
  SELECT {properties},
         ST_AsMVTGeom(a.{column}, env.box, {EXTENT}, {BUFFER}, true) AS geom
  FROM area a CROSS JOIN env
  {joins}
  WHERE a.level = $4::text AND a.{column} && ST_Expand(env.box, (ST_XMax(env.box) - ST_XMin(env.box)) * {BUFFER / EXTENT})
),
kept AS MATERIALIZED (SELECT * FROM feat WHERE geom IS NOT NULL LIMIT $7::integer + 1)
SELECT (SELECT ST_AsMVT(k.*, '{layer}', {EXTENT}, 'geom') FROM (SELECT * FROM kept LIMIT $7::integer) k) AS tile,
       (SELECT count(*) FROM kept) AS features
"""
    first = 9 if with_service else 8
    west, south, east, north = (f"${first + i}" for i in range(4))
    return f"""
WITH feat AS (
  SELECT {properties},
         ST_AsMVTGeom(a.{column}, ST_Extent(ST_TileEnvelope($1::INTEGER, $2::INTEGER, $3::INTEGER)),
                      {EXTENT}, {BUFFER}, true) AS geom
  FROM area a
  {joins}
  WHERE a.level = $4 AND a.maxx >= {west} AND a.minx <= {east} AND a.maxy >= {south} AND a.miny <= {north}
),
kept AS MATERIALIZED (SELECT * FROM feat WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom) LIMIT $7 + 1)
SELECT (SELECT ST_AsMVT(k, '{layer}', {EXTENT}, 'geom') FROM (SELECT * FROM kept LIMIT $7) k) AS tile,
       (SELECT count(*) FROM kept) AS features
"""


# Start-up catalogue of what the store holds ------------------------------------------------

# Areas per level and their EPSG:4326 extent.
LEVEL_EXTENTS = """
SELECT level, COUNT(*) AS areas, MIN(minx) AS minx, MIN(miny) AS miny, MAX(maxx) AS maxx,
       MAX(maxy) AS maxy
FROM area GROUP BY level
"""

# Classifications with predominant classes at each level, the UK default first.
LEVEL_CLASSIFICATIONS = """
SELECT DISTINCT p.level, p.classification_id, c.tiers, c.attribution,
       (c.classification_id = 'oac2021') AS uk_default, (c.classification_id = 'eunuts3') AS eu_default
FROM predominant p JOIN classification c ON c.classification_id = p.classification_id
ORDER BY p.level, uk_default DESC, eu_default DESC, p.classification_id
"""

# Services with demand modelled under each classification.
MODELLED_SERVICES = """
SELECT m.classification_id, m.lgsl, s.label
FROM service_model m JOIN service s ON s.lgsl = m.lgsl
ORDER BY m.classification_id, m.lgsl
"""

# Legend: $1 classification, $2 tier
LEGEND_CLASSES = """
SELECT code, name, colour, parent_code FROM profile_class
WHERE classification_id = $1::text AND tier = $2::text
ORDER BY sort, code
"""

# Legend: $1 classification, $2 lgsl, $3 level
LEGEND_BANDS = """
SELECT scheme, edges FROM band_edges
WHERE classification_id = $1::text AND lgsl = $2::integer AND level = $3::text
ORDER BY scheme
"""
