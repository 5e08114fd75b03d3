"""Tile-side statements outside the tile itself: the legend, and writing the ``tile_area`` serving table.

The tile statements are each backend's tile source's own (``core.store.tiles_postgis``,
``core.store.tiles_duckdb``); the catalogue they rely on is read by ``queries.inventory``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.levels import BY_NAME
from core.store.sql import Binds, Query
from core.tiling import TILE_BANDS, band_tolerance_m, geometry_column


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


# An output area of an older vintage that the Census 2021 does not know (its code changed in 2021):
# no class, never one, but this name so the map can draw it in a style of its own.
BOUNDARY_CHANGED = "no 2021 data: boundary changed"
CENSUS_HOUSEHOLDS = "ts0410001"

CLEAR_TILE_AREAS = "DELETE FROM tile_area"
AREA_LEVELS = "SELECT DISTINCT level FROM area"
COUNT_TILE_AREAS = "SELECT count(*) AS n FROM tile_area"


def insert_tile_areas(level: str, band: int, classification_id: str, tier: str) -> Query:
    """One level and zoom band of ``tile_area``, with the level's default class inline
    (``classification_id`` '' for none); level and band are checked against the catalogues,
    as they are written into the statement."""
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
    return b.query(f"""
INSERT INTO tile_area (level, code, max_zoom, name, classification_id, tier, households, class_households,
                       class_code, class_name, colour, share, margin, mixed, minx, miny, maxx, maxy, geom)
SELECT a.level, a.code, {band}, a.name, p.classification_id, p.tier, p.households, p.class_households,
       p.class_code, {class_name}, pc.colour, p.share, p.margin, p.mixed, a.minx, a.miny, a.maxx, a.maxy,
       {band_geometry(level, band)}
FROM area a
LEFT JOIN predominant p ON p.classification_id = {b(classification_id)} AND p.level = a.level
     AND p.code = a.code AND p.tier = {b(tier)}
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
WHERE a.level = {b(level)} AND a.geom_3857 IS NOT NULL
ORDER BY a.minx, a.miny
""")


# ``tile_area`` records the data version it was written at: tiles use it only while that is current.
MARK_TILE_AREAS = [
    "DELETE FROM meta WHERE key = 'tile_area_version'",
    "INSERT INTO meta (key, value) SELECT 'tile_area_version', value FROM meta WHERE key = 'data_version'",
]
