"""Tile-side statements outside the tile itself: the legend, and writing the ``tile_area`` serving table.

The tile statements are each backend's tile source's own (``core.store.tiles_postgis``,
``core.store.tiles_duckdb``); the catalogue they rely on is read by ``queries.inventory``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.store.sql import Binds, Query


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


@dataclass(frozen=True)
class BandEdgesRow:
    scheme: str
    edges: str  # JSON list of the band's upper bounds


def legend_bands(classification_id: str, lgsl: int, level: str) -> Query:
    """The demand band edges of a service at a level, per banding scheme."""
    b = Binds()
    return b.query(f"""
SELECT scheme, edges FROM band_edges
WHERE classification_id = {b(classification_id)}::text AND lgsl = {b(lgsl)}::integer
  AND level = {b(level)}::text
ORDER BY scheme
""")


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

TILE_AREA_MARK = [
    "DELETE FROM meta WHERE key = 'tile_area_version'",
    "INSERT INTO meta (key, value) SELECT 'tile_area_version', value FROM meta WHERE key = 'data_version'",
]
