"""Web Mercator tile arithmetic (the XYZ / WebMercatorQuad grid) and the zoom bands tiles are
served from.

Kept in plain Python so a request is validated, and its bounds known, before any SQL runs;
shared by the build (which writes one simplified copy per band) and the tile server.
"""

from __future__ import annotations

import math

from core.errors import LimitExceeded, NotFound
from core.levels import BY_NAME

EXTENT = 4096  # MVT grid units per tile side
BUFFER = 64  # grid units drawn beyond the tile edge, so strokes join across tiles
WORLD_HALF = 20037508.342789244  # EPSG:3857 half-width in metres
MAX_LAT = 85.0511287798066
# Zoom bands of the tile serving table: the highest zoom each copy serves (99 = full detail).
TILE_BANDS = (6, 8, 10, 12, 14, 99)


def check_tile(z: int, x: int, y: int, max_zoom: int) -> None:
    """Refuse zooms beyond the configured maximum and tiles outside the grid of their zoom."""
    if z > max_zoom:
        raise LimitExceeded(f"zoom {z} is beyond the maximum zoom {max_zoom}")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise NotFound(f"tile {z}/{x}/{y} is outside the grid: x and y run from 0 to {n - 1} at zoom {z}")


def tile_lonlat_bounds(z: int, x: int, y: int, pad: float = 0.0) -> tuple[float, float, float, float]:
    """West, south, east, north of a tile in degrees, widened by ``pad`` tile widths each side."""
    n = 1 << z

    def lon(tx: float) -> float:
        return tx / n * 360.0 - 180.0

    def lat(ty: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * ty / n))))

    west, east = lon(x - pad), lon(x + 1 + pad)
    north, south = lat(max(y - pad, 0.0)), lat(min(y + 1 + pad, float(n)))
    return max(west, -180.0), south, min(east, 180.0), north


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile holding a point (tests and benchmarks pick tiles with it)."""
    n = 1 << z
    lat = max(min(lat, MAX_LAT), -MAX_LAT)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_size_m(z: int) -> float:
    """Side of one tile at zoom ``z``, in EPSG:3857 metres."""
    return 2 * WORLD_HALF / (1 << z)


def pixel_size_m(z: int) -> float:
    """Size of one screen pixel (256-pixel tiles) at zoom ``z``, in EPSG:3857 metres."""
    return tile_size_m(z) / 256


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


def grid_units_per_metre(z: int) -> float:
    """MVT grid units per EPSG:3857 metre at zoom ``z`` (``EXTENT`` units per tile side)."""
    return EXTENT * (1 << z) / (2 * WORLD_HALF)


def grid_checked_zooms(band: int) -> tuple[int, ...]:
    """The zooms at which a band's rows are checked to stay valid on the tile grid: the band's
    top zoom and the one below it (the band also serves that one). None for full detail."""
    return () if band == TILE_BANDS[-1] else (band, band - 1)


def default_classifications(rows: list[dict]) -> dict[str, tuple[str, str]]:
    """Per level, the classification and tier a plain tile draws: what ``tile_area`` carries inline.

    ``rows`` are ``queries.inventory.level_classifications()`` rows (default first per level); the first with a
    tier wins, drawn at its first (coarsest) tier - the same choice a request without
    ``classification``/``tier`` resolves to.
    """
    out: dict[str, tuple[str, str]] = {}
    for row in rows:
        tiers = [t for t in str(row["tiers"] or "").split(",") if t]
        if tiers and row["level"] not in out:
            out[row["level"]] = (row["classification_id"], tiers[0])
    return out
