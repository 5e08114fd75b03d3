"""The tile layers: one per area level plus ``auto``, and which level and geometry a zoom shows.

The catalogue is fixed at start-up from the known levels; requests only pick from it, so a
layer name never reaches SQL as text from the client.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import NotFound
from core.levels import BY_NAME, LEVELS, counted
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
# Every feature also has a numeric ``id`` (``core.store.tile_fields``); output areas, which have
# no names, carry their code as ``name``. The count fields depend on the level (see COUNTS).
FIELDS: dict[str, str] = {
    "code": "String",
    "name": "String",
    "level": "String",
    "class_code": "String",
    "class_name": "String",
    "colour": "String",
    "share": "Number",
    "margin": "Number",
    "mixed": "Boolean",
}
SERVICE_FIELDS: dict[str, str] = {"demand_index": "Number", "band": "String"}
CHANNEL_FIELDS: dict[str, str] = {  # modelled channel suitability (?channel=); UK areas only
    "assisted_index": "Number",
    "web_share": "Number",
    "telephone_share": "Number",
    "face_to_face_share": "Number",
    "channel_source": "String",
}

# The counts a level's features carry: all households of a UK area (Census 2021) and those of
# its leading class; the population of a NUTS region (Eurostat) and that of its leading class.
COUNTS: dict[str, dict[str, str]] = {
    "households": {
        "households": "all households in the area (Census 2021)",
        "leading_class_households": "households of the leading class",
    },
    "population": {
        "population": "residents of the region (Eurostat)",
        "leading_class_population": "residents of the region when it is its own class (NUTS3)",
    },
}

# Where TileJSON centres and bounds NUTS layers: mainland Europe with its islands (Iceland,
# Cyprus, Malta, Crete). The NUTS regions outside it (the Canaries, the Azores, Madeira, the
# French overseas departments) are still served; only the advertised extent leaves them out,
# so a client does not open on the Sahara.
EUROPE_EXTENT = (-25.0, 34.0, 45.0, 71.5)


def counts_description(levels: tuple[str, ...]) -> str:
    """What a layer's count fields hold, for TileJSON."""
    nouns = dict.fromkeys(counted(level) for level in levels)
    return "; ".join(f"{name}: {text}" for noun in nouns for name, text in COUNTS[noun].items())


def layer_fields(levels: tuple[str, ...], service: bool, channel: bool = False) -> dict[str, str]:
    """TileJSON ``fields`` of a layer drawing ``levels``: every property its features carry."""
    fields = dict(FIELDS)
    for noun in dict.fromkeys(counted(level) for level in levels):
        fields |= {name: "Number" for name in COUNTS[noun]}
    return fields | (SERVICE_FIELDS if service else {}) | (CHANNEL_FIELDS if channel else {})


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
