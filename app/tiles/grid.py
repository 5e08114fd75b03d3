"""Web Mercator tile arithmetic (the XYZ / WebMercatorQuad grid).

Kept in plain Python so a request is validated, and its bounds known, before any SQL runs.
"""

from __future__ import annotations

import math

from app.errors import LimitExceeded, NotFound

EXTENT = 4096  # MVT grid units per tile side
BUFFER = 64  # grid units drawn beyond the tile edge, so strokes join across tiles
WORLD_HALF = 20037508.342789244  # EPSG:3857 half-width in metres
MAX_LAT = 85.0511287798066


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


def pixel_size_m(z: int) -> float:
    """Size of one screen pixel (256-pixel tiles) at zoom ``z``, in EPSG:3857 metres."""
    return 2 * WORLD_HALF / 256 / (1 << z)
