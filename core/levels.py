"""The area levels every store knows, coarsest first."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    level: str
    family: str  # "nuts" (Europe) or "uk"
    rank: int
    label: str
    gen_tolerance_m: float  # simplification of the low-zoom geometry, metres in EPSG:3857


LEVELS: tuple[Level, ...] = (
    Level("nuts0", "nuts", 0, "Country (NUTS 0)", 2000.0),
    Level("nuts1", "nuts", 1, "Major region (NUTS 1)", 1000.0),
    Level("nuts2", "nuts", 2, "Region (NUTS 2)", 1000.0),
    Level("nuts3", "nuts", 3, "Small region (NUTS 3)", 500.0),
    Level("lad", "uk", 4, "Local authority district", 100.0),
    Level("ward", "uk", 5, "Electoral ward", 30.0),
    Level("lsoa", "uk", 6, "Lower layer super output area", 15.0),
    Level("oa", "uk", 7, "Output area", 5.0),
)
LEVEL_NAMES: tuple[str, ...] = tuple(lv.level for lv in LEVELS)
BY_NAME: dict[str, Level] = {lv.level: lv for lv in LEVELS}


def counted(level: str) -> str:
    """What an area's count holds at a level: ``population`` for NUTS regions (the Europe
    classification is built from Eurostat population figures), ``households`` for UK areas
    (Census 2021 households). Outputs name the count column after it (``households`` or
    ``population``, and ``leading_class_households`` or ``leading_class_population``)."""
    return "population" if BY_NAME[level].family == "nuts" else "households"
