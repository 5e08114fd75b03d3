"""The tile layers: one per area level plus ``auto``, and which level and geometry a zoom shows.

The catalogue is fixed at start-up from the known levels; requests only pick from it, so a
layer name never reaches SQL as text from the client.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import NotFound
from core.levels import BY_NAME, LEVELS
from core.settings import Settings

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
