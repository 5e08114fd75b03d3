"""Vector tile SQL: one statement per (layer, geometry column, with/without a service), built once.

Parameters, both backends: ``$1`` z, ``$2`` x, ``$3`` y, ``$4`` level, ``$5`` the
classifications to draw, most preferred first (an area shows the first one it has), ``$6`` tier, ``$7`` feature cap; then ``$8`` LGSL when a service is drawn; DuckDB
adds the tile's padded EPSG:4326 bounds (west, south, east, north) after those, to skip rows
by their stored bounding boxes (it has no spatial index on the table).

The layer name and geometry column come from the start-up catalogue, never from the request.
One row back: ``tile`` (MVT bytes, or NULL/empty when no feature), ``features`` (drawn) and
``candidates`` (areas considered, at most cap + 1). More candidates than the cap means the
tile must be capped: the caller runs it again with the cap lowered by one (LIMIT = cap).
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.levels import LEVEL_NAMES
from core.store.queries import Dialects, sql_for
from core.tiling import BUFFER, EXTENT

_PLACEHOLDER = re.compile(r"\$(\d+)")

GEOMETRY_COLUMNS = ("geom_gen", "geom_3857")

_PROPERTIES = """a.code, a.name, a.level, p.households, p.class_code, pc.name AS class_name,
         pc.colour, p.share, p.margin, p.mixed"""

_IN_LIST = Dialects(
    postgis="p.classification_id = ANY($5::text[])",
    duckdb="list_contains($5::VARCHAR[], p.classification_id)",
)
_PREFERENCE = Dialects(
    postgis="array_position($5::text[], p.classification_id)",
    duckdb="list_position($5::VARCHAR[], p.classification_id)",
)

_JOINS = """LEFT JOIN predominant p ON {in_list} AND p.level = a.level
       AND p.code = a.code AND p.tier = $6
  LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code"""

_SERVICE_JOIN = """
  LEFT JOIN demand d ON d.classification_id = p.classification_id AND d.lgsl = $8 AND d.level = a.level
       AND d.code = a.code"""


@lru_cache(maxsize=512)
def tile_sql(
    backend: str, layer: str, level: str, column: str, with_service: bool, several: bool = False
) -> str:
    """The tile statement for one layer, level and geometry column (see the module docstring)."""
    if level not in LEVEL_NAMES:
        raise ValueError(f"bad tile level {level!r}")
    sql = _tile_sql(backend, layer, column, with_service, several)
    sql = sql.replace("a.level = $4::text", f"a.level = '{level}'").replace(
        "a.level = $4", f"a.level = '{level}'"
    )
    return _PLACEHOLDER.sub(lambda m: f"${int(m[1]) - 1}" if int(m[1]) > 4 else m[0], sql)


def _tile_sql(backend: str, layer: str, column: str, with_service: bool, several: bool = False) -> str:
    """The statement with the level still bound as ``$4`` (numbered as before the level was inlined).

    ``several``: more than one classification is listed, so an area that has several keeps
    only its most preferred one (``DISTINCT ON``); with one, that step is left out.
    """
    if column not in GEOMETRY_COLUMNS or not layer.isidentifier():
        raise ValueError(f"bad tile layer/column {layer!r}/{column!r}")
    properties = _PROPERTIES + (", d.demand_index, d.band" if with_service else "")
    joins = _JOINS.format(in_list=sql_for(_IN_LIST, backend)) + (_SERVICE_JOIN if with_service else "")
    distinct = "DISTINCT ON (a.code) " if several else ""
    order = f"ORDER BY a.code, {sql_for(_PREFERENCE, backend)}" if several else ""
    if backend == "postgis":
        # Candidates first, each with a lateral index probe for its predominant class (the
        # preferred classification first when several are listed); names and colours joined
        # once afterwards; one aggregate, so ST_AsMVTGeom runs once per area.
        pick = (
            "p.classification_id = ANY($5::text[])",
            "ORDER BY array_position($5::text[], p.classification_id) LIMIT 1",
        )
        if not several:
            pick = ("p.classification_id = ($5::text[])[1]", "")
        demand = (
            "\n  LEFT JOIN demand d ON d.classification_id = s.classification_id AND d.lgsl = $8::integer"
            "\n       AND d.level = s.level AND d.code = s.code"
            if with_service
            else ""
        )
        outer = _PROPERTIES.replace("a.", "s.").replace("p.", "s.") + (
            ", d.demand_index, d.band" if with_service else ""
        )
        return f"""
WITH env AS (SELECT ST_TileEnvelope($1::integer, $2::integer, $3::integer) AS box)
SELECT ST_AsMVT(t, '{layer}', {EXTENT}, 'geom') AS tile, count(t.geom) AS features, count(*) AS candidates
FROM (
  SELECT {outer},
         ST_AsMVTGeom(s.g, env.box, {EXTENT}, {BUFFER}, true) AS geom
  FROM (
    SELECT a.code, a.name, a.level, a.{column} AS g, p.classification_id, p.households, p.class_code,
           p.share, p.margin, p.mixed
    FROM area a CROSS JOIN env
    LEFT JOIN LATERAL (
      SELECT p.classification_id, p.households, p.class_code, p.share, p.margin, p.mixed
      FROM predominant p
      WHERE {pick[0]} AND p.level = a.level AND p.code = a.code AND p.tier = $6::text
      {pick[1]}
    ) p ON true
    WHERE a.level = $4::text
      AND a.{column} && ST_Expand(env.box, (ST_XMax(env.box) - ST_XMin(env.box)) * {BUFFER / EXTENT})
    LIMIT $7::integer + 1
  ) s
  CROSS JOIN env
  LEFT JOIN profile_class pc ON pc.classification_id = s.classification_id AND pc.code = s.class_code{demand}
) t
"""
    first = 9 if with_service else 8
    west, south, east, north = (f"${first + i}" for i in range(4))
    return f"""
WITH feat AS (
  SELECT {distinct}{properties},
         ST_AsMVTGeom(a.{column}, ST_Extent(ST_TileEnvelope($1::INTEGER, $2::INTEGER, $3::INTEGER)),
                      {EXTENT}, {BUFFER}, true) AS geom
  FROM area a
  {joins}
  WHERE a.level = $4 AND a.maxx >= {west} AND a.minx <= {east} AND a.maxy >= {south} AND a.miny <= {north}
  {order}
),
kept AS MATERIALIZED (SELECT * FROM feat WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom) LIMIT $7 + 1)
SELECT (SELECT ST_AsMVT(k, '{layer}', {EXTENT}, 'geom') FROM kept k) AS tile,
       (SELECT count(*) FROM kept) AS features, (SELECT count(*) FROM kept) AS candidates
"""


# Start-up catalogue of what the store holds ------------------------------------------------

# Areas per level and their EPSG:4326 extent.
LEVEL_EXTENTS = """
SELECT level, COUNT(*) AS areas, MIN(minx) AS minx, MIN(miny) AS miny, MAX(maxx) AS maxx,
       MAX(maxy) AS maxy
FROM area GROUP BY level
"""

# Classifications with predominant classes at each level, the UK default first (the tables
# under the ``predominant`` view, read without spreading base areas over their tiers).
LEVEL_CLASSIFICATIONS = """
SELECT p.level, p.classification_id, c.tiers, c.attribution,
       (c.classification_id = 'oac2021') AS uk_default, (c.classification_id = 'eunuts3') AS eu_default
FROM (SELECT DISTINCT classification_id, level FROM predominant_area
      UNION SELECT DISTINCT classification_id, level FROM base_composition WHERE households > 0) p
JOIN classification c ON c.classification_id = p.classification_id
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
SELECT classification_id, code, name, colour, parent_code FROM profile_class
WHERE classification_id = $1::text AND tier = $2::text
ORDER BY sort, code
"""

# Legend: $1 classification, $2 lgsl, $3 level
LEGEND_BANDS = """
SELECT scheme, edges FROM band_edges
WHERE classification_id = $1::text AND lgsl = $2::integer AND level = $3::text
ORDER BY scheme
"""


# Serving table ``tile_area`` (written by ``insight build``) -----------------------------------

# One level and zoom band: $1 level, $2 the level's default classification ('' for none), $3 its
# tier; ``{band}`` and ``{geom}`` (a geometry expression over ``a``) come from the band catalogue.
TILE_AREA_INSERT = """
INSERT INTO tile_area (level, code, max_zoom, name, classification_id, tier, households, class_code,
                       class_name, colour, share, margin, mixed, minx, miny, maxx, maxy, geom)
SELECT a.level, a.code, {band}, a.name, p.classification_id, p.tier, p.households, p.class_code,
       pc.name, pc.colour, p.share, p.margin, p.mixed, a.minx, a.miny, a.maxx, a.maxy, {geom}
FROM area a
LEFT JOIN predominant p ON p.classification_id = $2 AND p.level = a.level AND p.code = a.code AND p.tier = $3
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
WHERE a.level = $1 AND a.geom_3857 IS NOT NULL
ORDER BY a.minx, a.miny
"""

# The data version ``tile_area`` was written at: tiles use it only while that is current.
TILE_AREA_VERSION = "SELECT value FROM meta WHERE key = 'tile_area_version'"
TILE_AREA_MARK = [
    "DELETE FROM meta WHERE key = 'tile_area_version'",
    "INSERT INTO meta (key, value) SELECT 'tile_area_version', value FROM meta WHERE key = 'data_version'",
]


@lru_cache(maxsize=512)
def tile_area_sql(backend: str, layer: str, level: str, band: int, with_service: bool) -> str:
    """The tile statement over ``tile_area``: one index scan, the class inline, no join but demand.

    Parameters: ``$1`` z, ``$2`` x, ``$3`` y, ``$4`` feature cap, then ``$5`` LGSL when a service
    is drawn; DuckDB adds the padded EPSG:4326 tile bounds after those. Same row back as
    :func:`tile_sql`. Level and band are written into the statement, so PostgreSQL picks the
    band's partial index.
    """
    if level not in LEVEL_NAMES or not layer.isidentifier() or not isinstance(band, int):
        raise ValueError(f"bad tile layer/level/band {layer!r}/{level!r}/{band!r}")
    props = "a.code, a.name, a.level, a.households, a.class_code, a.class_name, a.colour, a.share, a.margin, a.mixed"
    where = f"a.level = '{level}' AND a.max_zoom = {band}"
    demand = (
        "\n  LEFT JOIN demand d ON d.classification_id = {s}.classification_id AND d.lgsl = $5{cast}"
        "\n       AND d.level = {s}.level AND d.code = {s}.code"
        if with_service
        else ""
    )
    extra = ", d.demand_index, d.band" if with_service else ""
    if backend == "postgis":
        return f"""
WITH env AS (SELECT ST_TileEnvelope($1::integer, $2::integer, $3::integer) AS box)
SELECT ST_AsMVT(t, '{layer}', {EXTENT}, 'geom') AS tile, count(t.geom) AS features, count(*) AS candidates
FROM (
  SELECT {props.replace("a.", "s.")}{extra},
         ST_AsMVTGeom(s.geom, env.box, {EXTENT}, {BUFFER}, true) AS geom
  FROM (
    SELECT a.*
    FROM tile_area a CROSS JOIN env
    WHERE {where}
      AND a.geom && ST_Expand(env.box, (ST_XMax(env.box) - ST_XMin(env.box)) * {BUFFER / EXTENT})
    LIMIT $4::integer + 1
  ) s
  CROSS JOIN env{demand.format(s="s", cast="::integer")}
) t
"""
    first = 6 if with_service else 5
    west, south, east, north = (f"${first + i}" for i in range(4))
    return f"""
WITH feat AS (
  SELECT {props}{extra},
         ST_AsMVTGeom(a.geom, ST_Extent(ST_TileEnvelope($1::INTEGER, $2::INTEGER, $3::INTEGER)),
                      {EXTENT}, {BUFFER}, true) AS geom
  FROM tile_area a{demand.format(s="a", cast="::INTEGER")}
  WHERE {where} AND a.maxx >= {west} AND a.minx <= {east} AND a.maxy >= {south} AND a.miny <= {north}
),
kept AS MATERIALIZED (SELECT * FROM feat WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom) LIMIT $4 + 1)
SELECT (SELECT ST_AsMVT(k, '{layer}', {EXTENT}, 'geom') FROM kept k) AS tile,
       (SELECT count(*) FROM kept) AS features, (SELECT count(*) FROM kept) AS candidates
"""
