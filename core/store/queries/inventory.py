"""What the store holds, as the server's catalogue reads it: levels, classifications, services.

Read once per national data version (see ``app.catalogue``); each function returns a
:class:`Query` and its rows are read as the frozen dataclass beside it (``store.fetch_as``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.store.sql import Query


@dataclass(frozen=True)
class LevelExtentRow:
    """Areas of one level and their EPSG:4326 extent."""

    level: str
    areas: int
    minx: float | None
    miny: float | None
    maxx: float | None
    maxy: float | None
    vintages: str | None = None  # boundary vintages, "2011, 2021"


def level_extents() -> Query:
    return Query("""
SELECT level, COUNT(*) AS areas, MIN(minx) AS minx, MIN(miny) AS miny, MAX(maxx) AS maxx,
       MAX(maxy) AS maxy, string_agg(DISTINCT vintage, ', ' ORDER BY vintage) AS vintages
FROM area GROUP BY level
""")


@dataclass(frozen=True)
class LevelClassificationRow:
    """A classification with predominant classes at a level; ``tiers`` is a comma list, coarsest first."""

    level: str
    classification_id: str
    name: str
    base_level: str
    tiers: str | None
    attribution: str | None


def level_classifications() -> Query:
    """Classifications with predominant classes at each level, the UK default then the European first.

    Reads the tables under the ``predominant`` view, without spreading base areas over their tiers.
    """
    return Query("""
SELECT p.level, p.classification_id, c.name, c.base_level, c.tiers, c.attribution,
       (c.classification_id = 'oac2021') AS uk_default, (c.classification_id = 'eunuts3') AS eu_default
FROM (SELECT DISTINCT classification_id, level FROM predominant_area
      UNION SELECT DISTINCT classification_id, level FROM base_composition WHERE households > 0) p
JOIN classification c ON c.classification_id = p.classification_id
ORDER BY p.level, uk_default DESC, eu_default DESC, p.classification_id
""")


@dataclass(frozen=True)
class ModelledServiceRow:
    """A service with demand modelled under a classification."""

    classification_id: str
    lgsl: int
    label: str


def modelled_services() -> Query:
    return Query("""
SELECT m.classification_id, m.lgsl, s.label
FROM service_model m JOIN service s ON s.lgsl = m.lgsl
ORDER BY m.classification_id, m.lgsl
""")


def tile_area_version() -> Query:
    """The data version the ``tile_area`` serving table was written at (tiles use it only while current)."""
    return Query("SELECT value FROM meta WHERE key = 'tile_area_version'")
