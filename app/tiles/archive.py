"""A static PMTiles v3 archive of a public tile layer, drawn by the server's own tile path.

Each tile is made by :class:`app.tiles.service.TileService` exactly as a request would make it,
so an archive tile is byte-identical to the served tile (stored uncompressed, as the server
sends it without ``Accept-Encoding: gzip``). The tiles drawn at each zoom are those touching the
bounding box of an area of the level the layer shows there; empty tiles are left out (clients
treat a missing tile as empty, as they treat the server's 204). A tile capped at
``INSIGHT_MAX_FEATURES_PER_TILE`` fails the export: an archive never holds a partial tile.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from app.catalogue import Catalogue, read_catalogue
from app.tiles.attribution import MODELLED, attribution_for
from app.tiles.layers import counts_description, layer_fields, level_for_zoom
from app.tiles.service import TileService
from core import progress
from core.errors import BadRequest, LimitExceeded
from core.settings import Settings
from core.store import Reader
from core.store.queries.archive import AreaExtentRow, area_extents
from core.tiling import BUFFER, EXTENT, MAX_LAT

CONCURRENT_TILES = 8  # tiles drawn at once: keeps the store busy without flooding its pool


@dataclass(frozen=True)
class ArchiveReport:
    path: Path
    tiles: int  # tiles written (non-empty)
    tried: int  # tiles drawn, empty ones included
    bytes: int
    min_zoom: int
    max_zoom: int
    levels: dict[int, str]  # zoom → level drawn


def _tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Fractional tile coordinates of a point."""
    n = 1 << z
    lat = max(min(lat, MAX_LAT), -MAX_LAT)
    return (lon + 180.0) / 360.0 * n, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n


def tiles_covering(extents: list[AreaExtentRow], z: int) -> set[tuple[int, int]]:
    """The tiles at zoom ``z`` that draw any part of the areas: those touching a bounding box
    widened by the tile buffer (a tile also draws what lies just beyond its edges)."""
    n, pad = 1 << z, BUFFER / EXTENT
    out: set[tuple[int, int]] = set()
    for e in extents:
        left, top = _tile_xy(max(e.minx, -180.0), e.maxy, z)
        right, bottom = _tile_xy(min(e.maxx, 180.0), e.miny, z)
        x0, x1 = max(int(left - pad), 0), min(int(right + pad), n - 1)
        y0, y1 = max(int(top - pad), 0), min(int(bottom + pad), n - 1)
        out.update((x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
    return out


def _ordered(plan: dict[int, set[tuple[int, int]]]) -> Iterator[tuple[int, int, int, int]]:
    """``(tileid, z, x, y)`` in ascending tile id: the order a clustered archive is written in."""
    ids = [(zxy_to_tileid(z, x, y), z, x, y) for z, xy in plan.items() for x, y in xy]
    yield from sorted(ids)


async def export_pmtiles(
    store: Reader,
    settings: Settings,
    path: Path,
    layer: str = "auto",
    service: int | None = None,
    min_zoom: int = 0,
    max_zoom: int | None = None,
) -> ArchiveReport:
    """Write the tiles of ``layer`` (with ``service``'s demand bands if given) to ``path``.

    Raises
    ------
    LimitExceeded
        A tile holds more features than the tile limit (the archive is not written).
    BadRequest
        A zoom range outside ``0..INSIGHT_MAX_ZOOM``, or nothing to draw.
    """
    top = settings.max_zoom if max_zoom is None else max_zoom
    if not 0 <= min_zoom <= top <= settings.max_zoom:
        raise BadRequest(f"zooms {min_zoom}..{top}: they must lie within 0..{settings.max_zoom}")
    version = await store.data_version()
    cat = await read_catalogue(store, version)
    tl = cat.layer_or_404(layer)
    cat.check_names(tl.levels, None, None, service)
    tiles = TileService(settings.model_copy(update={"tile_cache_bytes": 0}), store.tiles)

    levels = {z: level_for_zoom(tl, z, settings) for z in range(min_zoom, top + 1)}
    extents = {lv: await store.fetch_as(AreaExtentRow, area_extents(lv)) for lv in set(levels.values())}
    plan = {z: tiles_covering(extents[lv], z) for z, lv in levels.items()}
    total = sum(len(xy) for xy in plan.values())
    if not total:
        raise BadRequest(f"layer {layer!r} has no areas at zooms {min_zoom}..{top}")

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    written = tried = 0
    try:
        with partial.open("wb") as out:
            writer = Writer(out)
            bar = progress.counter(f"tiles of {layer}", total)
            order = list(_ordered(plan))
            for start in range(0, len(order), CONCURRENT_TILES * 8):
                chunk = order[start : start + CONCURRENT_TILES * 8]
                bodies = await _draw_chunk(tiles, cat, layer, service, chunk)
                for (tileid, _, _, _), body in zip(chunk, bodies, strict=True):
                    if body:
                        writer.write_tile(tileid, body)
                        written += 1
                tried += len(chunk)
                bar.update(len(chunk))
            bar.close()
            if not written:
                raise BadRequest(f"layer {layer!r} drew no feature at zooms {min_zoom}..{top}")
            writer.finalize(
                _header(cat, tl.levels, min_zoom, top), _metadata(cat, layer, tl.levels, service, levels)
            )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return ArchiveReport(path, written, tried, path.stat().st_size, min_zoom, top, levels)


async def _draw_chunk(
    tiles: TileService,
    cat: Catalogue,
    layer: str,
    service: int | None,
    chunk: list[tuple[int, int, int, int]],
) -> list[bytes]:
    gate = asyncio.Semaphore(CONCURRENT_TILES)

    async def one(z: int, x: int, y: int) -> bytes:
        async with gate:
            tile = await tiles.tile(cat, tiles.resolve(cat, layer, z, x, y, service=service))
        if tile.capped:
            raise LimitExceeded(
                f"tile {layer}/{z}/{x}/{y} has more than {tile.features} features: raise "
                "INSIGHT_MAX_FEATURES_PER_TILE or lower --max-zoom (an archive never holds a capped tile)"
            )
        return tile.body

    return list(await asyncio.gather(*(one(z, x, y) for _, z, x, y in chunk)))


def _header(cat: Catalogue, levels: tuple[str, ...], min_zoom: int, max_zoom: int) -> dict:
    west, south, east, north = cat.bbox(levels) or (-180.0, -MAX_LAT, 180.0, MAX_LAT)
    e7 = 10_000_000
    return {
        "tile_type": TileType.MVT,
        "tile_compression": Compression.NONE,
        "min_lon_e7": int(max(west, -180) * e7),
        "min_lat_e7": int(max(south, -MAX_LAT) * e7),
        "max_lon_e7": int(min(east, 180) * e7),
        "max_lat_e7": int(min(north, MAX_LAT) * e7),
        "center_zoom": max(min_zoom, min(max_zoom, int(math.log2(360.0 / max(east - west, 1e-6))))),
        "center_lon_e7": int((west + east) / 2 * e7),
        "center_lat_e7": int((south + north) / 2 * e7),
    }


def _metadata(
    cat: Catalogue, layer: str, levels: tuple[str, ...], service: int | None, by_zoom: dict[int, str]
) -> dict:
    levels_drawn = tuple(dict.fromkeys(by_zoom.values()))
    fields = layer_fields(levels_drawn, service is not None)
    attribution = attribution_for(levels) + (f" | {MODELLED}" if service is not None else "")
    return {
        "name": f"Citizen Insight: {layer}" + (f", service {service}" if service is not None else ""),
        "attribution": attribution,
        "data_version": cat.version,
        "layer": layer,
        "service": service,  # the LGSL code whose modelled demand the tiles carry, or None
        "levels_by_zoom": {str(z): lv for z, lv in by_zoom.items()},
        "counts": counts_description(levels_drawn),
        "vector_layers": [
            {
                "id": layer,
                "fields": fields,
                "minzoom": min(by_zoom),
                "maxzoom": max(by_zoom),
            }
        ],
    }
