"""Features of one level for OGC API – Features and the GeoJSON/CSV export.

Parameters of :func:`features_sql`: ``$1`` level, ``$2`` the classifications to describe areas
with, most preferred first (an area gets the first it has), ``$3`` tier, ``$4..$7`` bbox west, south, east, north in EPSG:4326 (all NULL for no bbox), ``$8``
parent code (or NULL), ``$9`` limit, ``$10`` offset, ``$11`` LGSL (or NULL: no demand).
Rows are ordered by code, so pages are stable; ``total`` counts every match.
"""

from __future__ import annotations

from functools import lru_cache

from core.store.queries import Dialects, sql_for

_IN_LIST = Dialects(
    postgis="p.classification_id = ANY($2::text[])",
    duckdb="list_contains($2::VARCHAR[], p.classification_id)",
)
_PREFERENCE = Dialects(
    postgis="array_position($2::text[], p.classification_id)",
    duckdb="list_position($2::VARCHAR[], p.classification_id)",
)

_ENVELOPE = Dialects(
    postgis="ST_MakeEnvelope($4::double precision, $5::double precision, $6::double precision, "
    "$7::double precision, 4326)",
    duckdb="ST_MakeEnvelope($4::DOUBLE, $5::DOUBLE, $6::DOUBLE, $7::DOUBLE)",
)

PROPERTIES = (
    "code",
    "name",
    "level",
    "country",
    "parent_code",
    "households",
    "classification_id",
    "class_code",
    "class_name",
    "colour",
    "share",
    "margin",
    "mixed",
    "demand_index",
    "band",
)


@lru_cache(maxsize=8)
def features_sql(backend: str, with_geometry: bool) -> str:
    """Areas of a level with their predominant class (and demand), filtered and paged."""
    geometry = ", ST_AsGeoJSON(a.geom) AS geometry" if with_geometry else ""
    envelope = sql_for(_ENVELOPE, backend)
    return f"""
SELECT f.*, COUNT(*) OVER () AS total
FROM (
  SELECT DISTINCT ON (a.code) a.code, a.name, a.level, a.country, a.parent_code, p.households,
         p.classification_id, p.class_code, pc.name AS class_name, pc.colour, p.share, p.margin,
         p.mixed, d.demand_index, d.band, a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy{geometry}
  FROM area a
  LEFT JOIN predominant p ON {sql_for(_IN_LIST, backend)} AND p.level = a.level AND p.code = a.code
       AND p.tier = $3::text
  LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
  LEFT JOIN demand d ON d.classification_id = p.classification_id AND d.lgsl = $11::integer
       AND d.level = a.level AND d.code = a.code
  WHERE a.level = $1::text
    AND ($4::double precision IS NULL OR (a.maxx >= $4::double precision AND a.minx <= $6::double precision
         AND a.maxy >= $5::double precision AND a.miny <= $7::double precision
         AND ST_Intersects(a.geom, {envelope})))
    AND ($8::text IS NULL OR a.parent_code = $8::text
         OR (a.level LIKE 'nuts%' AND a.code LIKE $8::text || '_%')
         OR EXISTS (SELECT 1 FROM area_link l WHERE l.child_level = a.level
                    AND l.child_code = a.code AND l.parent_code = $8::text))
  ORDER BY a.code, {sql_for(_PREFERENCE, backend)}
) f
ORDER BY f.code
LIMIT $9::integer OFFSET $10::integer
"""


# One area: $1 level, $2 code, $3 classifications (preferred first), $4 tier
@lru_cache(maxsize=2)
def feature_sql(backend: str) -> str:
    in_list = sql_for(_IN_LIST, backend).replace("$2", "$3")
    preference = sql_for(_PREFERENCE, backend).replace("$2", "$3")
    return f"""
SELECT a.code, a.name, a.level, a.country, a.parent_code, p.households, p.classification_id,
       p.class_code, pc.name AS class_name, pc.colour, p.share, p.margin, p.mixed,
       a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy, ST_AsGeoJSON(a.geom) AS geometry
FROM area a
LEFT JOIN predominant p ON {in_list} AND p.level = a.level AND p.code = a.code AND p.tier = $4::text
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
WHERE a.level = $1::text AND a.code = $2::text
ORDER BY {preference} NULLS LAST
LIMIT 1
"""
