"""The tile layers: one per area level plus ``auto``, and which level and geometry a zoom shows.

The catalogue is fixed at start-up from the known levels; requests only pick from it, so a
layer name never reaches SQL as text from the client.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.errors import NotFound
from app.settings import Settings
from app.store.levels import BY_NAME, LEVELS
from app.store.schema import TILE_BANDS
from app.tiles.grid import pixel_size_m

AUTO = "auto"


@dataclass(frozen=True)
class TileLayer:
    """A tile layer: its URL name, the levels it may draw and a description for TileJSON."""

    name: str
    levels: tuple[str, ...]
    description: str

    @property
    def families(self) -> set[str]:
        return {BY_NAME[level].family for level in self.levels}


LAYERS: dict[str, TileLayer] = {
    lv.level: TileLayer(lv.level, (lv.level,), f"{lv.label}: predominant profile class per area")
    for lv in LEVELS
} | {
    AUTO: TileLayer(
        AUTO,
        ("nuts1", "nuts2", "nuts3", "lad", "ward", "oa"),
        "Areas of the level that suits the zoom: NUTS regions at continental zooms, local "
        "authorities and wards at city zooms, output areas close in",
    )
}

# Properties of every tile feature and their TileJSON types ("String", "Number", "Boolean").
FIELDS: dict[str, str] = {
    "code": "String",
    "name": "String",
    "level": "String",
    "households": "Number",
    "class_code": "String",
    "class_name": "String",
    "colour": "String",
    "share": "Number",
    "margin": "Number",
    "mixed": "Boolean",
}
SERVICE_FIELDS: dict[str, str] = {"demand_index": "Number", "band": "String"}


def layer_or_404(name: str) -> TileLayer:
    layer = LAYERS.get(name)
    if layer is None:
        raise NotFound(f"unknown tile layer {name!r}; known layers: {', '.join(LAYERS)}")
    return layer


def level_for_zoom(layer: TileLayer, z: int, settings: Settings) -> str:
    """The level a layer draws at zoom ``z``: itself, or for ``auto`` the level set by the switch zooms."""
    if layer.name != AUTO:
        return layer.levels[0]
    nuts_top = settings.auto_nuts_max_zoom
    if z <= nuts_top:
        if z >= nuts_top - 2:
            return "nuts3"
        return "nuts2" if z == nuts_top - 3 else "nuts1"
    if z <= settings.auto_lad_max_zoom:
        return "lad"
    if z <= settings.auto_ward_max_zoom:
        return "ward"
    return "oa"


def generalised_max_zoom(level: str) -> int:
    """Highest zoom drawn from the generalised geometry: while its tolerance is under a screen pixel."""
    tolerance = BY_NAME[level].gen_tolerance_m
    if tolerance <= 0:
        return -1
    return int(math.floor(math.log2(pixel_size_m(0) / tolerance)))


def geometry_column(level: str, z: int) -> str:
    """``geom_gen`` while generalisation stays below one pixel, ``geom_3857`` closer in."""
    return "geom_gen" if z <= generalised_max_zoom(level) else "geom_3857"


def band_for_zoom(z: int) -> int:
    """The ``tile_area`` zoom band drawn at zoom ``z``: the smallest band at or above it."""
    return next(b for b in TILE_BANDS if z <= b or b == TILE_BANDS[-1])


def band_tolerance_m(band: int) -> float:
    """Simplification of a band's geometry: 1/8 of a screen pixel at its top zoom (2 MVT grid units)."""
    return 0.0 if band == TILE_BANDS[-1] else pixel_size_m(band) / 8


def default_classifications(rows: list[dict]) -> dict[str, tuple[str, str]]:
    """Per level, the classification and tier a plain tile draws: what ``tile_area`` carries inline.

    ``rows`` are ``LEVEL_CLASSIFICATIONS`` rows (default first per level); the first with a
    tier wins, drawn at its first (coarsest) tier - the same choice a request without
    ``classification``/``tier`` resolves to.
    """
    out: dict[str, tuple[str, str]] = {}
    for row in rows:
        tiers = [t for t in str(row["tiers"] or "").split(",") if t]
        if tiers and row["level"] not in out:
            out[row["level"]] = (row["classification_id"], tiers[0])
    return out
