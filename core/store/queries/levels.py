"""Area levels with their counts, and the sources loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.store.sql import Query


@dataclass(frozen=True)
class LevelCountRow:
    level: str
    family: str
    rank: int
    label: str
    areas: int
    vintages: str | None  # the boundary vintages of the level's areas, "2011, 2021"


LEVEL_COUNTS = """
SELECT l.level, l.family, l.rank, l.label, COUNT(a.code) AS areas,
       string_agg(DISTINCT a.vintage, ', ' ORDER BY a.vintage) AS vintages
FROM area_level l LEFT JOIN area a ON a.level = l.level
GROUP BY l.level, l.family, l.rank, l.label
ORDER BY l.rank
"""


def level_counts() -> Query:
    """Every level the store knows, coarsest first, with how many areas and which vintages."""
    return Query(LEVEL_COUNTS)


@dataclass(frozen=True)
class PlacementRow:
    """Census output areas with and without a boundary (nationally, or in one district)."""

    district: str | None  # None: the whole of the Census (or no lookup tells the district)
    areas: int
    households: float | None
    unplaced_areas: int
    unplaced_households: float | None
    no_census_areas: int  # loaded output areas the Census has no record of (boundary changed)


HOUSEHOLDS_VARIABLE = "ts0410001"  # Census 2021 TS041: households

# An output area of the Census is placed when an OA boundary carries its code or when an exact-fit
# lookup links it to a loaded OA boundary of another vintage (a 2021 part of a split 2011 OA).
_PLACED = """
WITH hh AS (
  SELECT area_code AS code, value AS households FROM census_value WHERE variable = $1
), placed AS (
  SELECT code FROM area WHERE level = 'oa'
  UNION
  SELECT l.child_code FROM area_link l JOIN area a ON a.level = 'oa' AND a.code = l.parent_code
  WHERE l.child_level = 'oa' AND l.parent_level = 'oa'
), marked AS (
  SELECT hh.code, hh.households, p.code IS NULL AS unplaced FROM hh LEFT JOIN placed p ON p.code = hh.code
)
"""


def placement(households_variable: str = HOUSEHOLDS_VARIABLE) -> Query:
    """Output areas of the Census (households in ``households_variable``) placed on a boundary or
    not, in all: one row (``district`` None); empty values when no Census is loaded."""
    sql = (
        _PLACED
        + """
SELECT CAST(NULL AS TEXT) AS district, COUNT(*) AS areas, SUM(households) AS households,
       SUM(CASE WHEN unplaced THEN 1 ELSE 0 END) AS unplaced_areas,
       SUM(CASE WHEN unplaced THEN households ELSE 0 END) AS unplaced_households,
       (SELECT COUNT(*) FROM area a WHERE a.level = 'oa'
          AND NOT EXISTS (SELECT 1 FROM hh WHERE hh.code = a.code)) AS no_census_areas
FROM marked
"""
    )
    return Query(sql, (households_variable,))


def placement_by_district(households_variable: str = HOUSEHOLDS_VARIABLE) -> Query:
    """The same per district, where a loaded lookup links the output area to one; districts
    without any unplaced output area are left out."""
    sql = (
        _PLACED
        + """
SELECT l.parent_code AS district, COUNT(*) AS areas, SUM(m.households) AS households,
       SUM(CASE WHEN m.unplaced THEN 1 ELSE 0 END) AS unplaced_areas,
       SUM(CASE WHEN m.unplaced THEN m.households ELSE 0 END) AS unplaced_households,
       0 AS no_census_areas
FROM marked m JOIN area_link l ON l.child_level = 'oa' AND l.parent_level = 'lad' AND l.child_code = m.code
GROUP BY l.parent_code
HAVING SUM(CASE WHEN m.unplaced THEN 1 ELSE 0 END) > 0
ORDER BY l.parent_code
"""
    )
    return Query(sql, (households_variable,))


@dataclass(frozen=True)
class SourceRow:
    source_id: str
    kind: str
    title: str
    url: str | None
    licence: str | None
    attribution: str | None
    vintage: str | None
    file: str | None
    row_count: int | None
    loaded_at: datetime | None


SOURCES = """
SELECT source_id, kind, title, url, licence, attribution, vintage, file, row_count, loaded_at
FROM source ORDER BY source_id
"""


def sources() -> Query:
    """Every loaded source with its origin, licence, vintage and row count."""
    return Query(SOURCES)
