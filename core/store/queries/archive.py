"""What a tile archive export needs to know: where each level's areas are."""

from __future__ import annotations

from dataclasses import dataclass

from core.store.sql import Binds, Query


@dataclass(frozen=True)
class AreaExtentRow:
    minx: float
    miny: float
    maxx: float
    maxy: float


def area_extents(level: str) -> Query:
    """The EPSG:4326 bounding box of every area of a level (``AreaExtentRow``)."""
    b = Binds()
    return b.query(f"SELECT minx, miny, maxx, maxy FROM area WHERE level = {b(level)} AND minx IS NOT NULL")
