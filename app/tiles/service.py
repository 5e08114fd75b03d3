"""Tile making: resolve a request against the catalogue, draw it with the store's tile source, cache it.

The cache is keyed by the national data version, so a reload is never served stale and a
council's own writes (another scope) leave it alone. Concurrent requests for the same missing
tile share one drawing (single-flight): one statement runs, every waiter gets its tile or its
error, and errors are not cached.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from dataclasses import dataclass

from app.catalogue import Catalogue, ClassificationChoice
from app.tiles.cache import Tile, TileCache, make_tile
from app.tiles.layers import AUTO, TileLayer, level_for_zoom
from core.settings import Settings
from core.store.tile_source import TileQuery, TileSource
from core.tiling import band_for_zoom, check_tile

log = logging.getLogger("insight.tiles")


@dataclass(frozen=True)
class TileRequest:
    """A validated tile request: the layer, the level it draws at this zoom and what it draws."""

    layer: TileLayer
    level: str
    z: int
    x: int
    y: int
    choice: ClassificationChoice
    service: int | None
    channel: bool = False

    @property
    def classifications(self) -> tuple[str, ...]:
        return self.choice.classifications

    @property
    def classification_id(self) -> str | None:
        return self.choice.classification_id

    @property
    def tier(self) -> str | None:
        return self.choice.tier

    @property
    def key(self) -> tuple[Hashable, ...]:
        return (
            self.layer.name,
            self.z,
            self.x,
            self.y,
            self.classifications,
            self.tier,
            self.service,
            self.channel,
        )


class TileService:
    """Makes and caches the tiles of one app (kept on ``app.state``; only tile routes make it)."""

    def __init__(self, settings: Settings, source: TileSource) -> None:
        self.settings = settings
        self.source = source
        self.cache = TileCache(settings.tile_cache_bytes)
        self._version: str | None = None
        self._drawing: dict[Hashable, asyncio.Task[Tile]] = {}

    def resolve(
        self,
        cat: Catalogue,
        layer_name: str,
        z: int,
        x: int,
        y: int,
        classification: str | None = None,
        tier: str | None = None,
        service: int | None = None,
        channel: bool = False,
    ) -> TileRequest:
        """Validate a request against the catalogue: 404 for unknown layers, services, classifications.

        On a single-level layer the classification, tier and service must exist at that level.
        ``auto`` spans levels, so there they apply where they exist and the level's default
        classification is used elsewhere; only names unknown everywhere are refused.
        """
        layer = cat.layer_or_404(layer_name)
        check_tile(z, x, y, self.settings.max_zoom)
        level = level_for_zoom(layer, z, self.settings)
        cat.check_names((level,) if layer.name != AUTO else layer.levels, classification, tier, service)
        choice = cat.choose(level, classification, tier, fallback=True)
        return TileRequest(layer, level, z, x, y, choice, service, channel)

    def query(self, cat: Catalogue, req: TileRequest) -> TileQuery:
        """What the tile source draws for a request: from ``tile_area`` when it carries the drawing inline."""
        inline = cat.draws_inline(req.level, req.choice)
        return TileQuery(
            layer=req.layer.name,
            level=req.level,
            z=req.z,
            x=req.x,
            y=req.y,
            classifications=req.classifications,
            tier=req.tier,
            service=req.service,
            channel=req.channel,
            max_features=self.settings.max_features_per_tile,
            serving_band=band_for_zoom(req.z) if inline else None,
        )

    async def tile(self, cat: Catalogue, req: TileRequest) -> Tile:
        """The tile for a validated request: cached, being drawn for another request, or drawn now."""
        if cat.version != self._version:  # a new data version: the old tiles are never asked again
            self.cache.clear()
            self._version = cat.version
        key = (cat.version, *req.key)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        task = self._drawing.get(key)
        if task is None:
            task = asyncio.ensure_future(self._draw(cat, req))
            self._drawing[key] = task
            task.add_done_callback(lambda done: self._drawn(key, done))
        # shielded: a waiter that goes away does not cancel the drawing the others wait for
        return await asyncio.shield(task)

    def _drawn(self, key: Hashable, task: asyncio.Task[Tile]) -> None:
        """Cache a drawn tile; forget the drawing either way (an error reaches its waiters only)."""
        if self._drawing.get(key) is task:
            del self._drawing[key]
        if not task.cancelled() and task.exception() is None:
            self.cache.put(key, task.result())

    async def _draw(self, cat: Catalogue, req: TileRequest) -> Tile:
        drawn = await self.source.tile(self.query(cat, req))
        if drawn.capped:
            log.warning(
                "tile %s/%d/%d/%d has more than %d features: capped (raise INSIGHT_MAX_FEATURES_PER_TILE "
                "or use a coarser layer)",
                req.layer.name,
                req.z,
                req.x,
                req.y,
                self.settings.max_features_per_tile,
            )
        return make_tile(drawn.body, cat.version, req.level, drawn.features, drawn.capped)
