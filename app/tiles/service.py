"""Tile making: resolve a request against the data catalogue, run the layer's SQL, cache the result.

The data catalogue (levels present, classifications per level, modelled services) is read
from the store once per data version; the version itself is re-read at most every
``tile_version_ttl_s`` seconds, so a reload is seen quickly without a query per tile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from app.tiles.cache import Tile, TileCache, make_tile
from app.tiles.layers import AUTO, TileLayer, layer_or_404, level_for_zoom
from core.errors import BadRequest, NotFound
from core.settings import Settings
from core.store import Reader
from core.store.queries import tiles as q
from core.tiling import (
    BUFFER,
    EXTENT,
    band_for_zoom,
    check_tile,
    default_classifications,
    geometry_column,
    tile_lonlat_bounds,
)

log = logging.getLogger("insight.tiles")


@dataclass(frozen=True)
class LevelClassification:
    classification_id: str
    tiers: tuple[str, ...]
    attribution: str | None


@dataclass
class DataCatalogue:
    """What the store holds, as far as tiles care, at one data version."""

    version: str
    extents: dict[str, dict[str, Any]] = field(default_factory=dict)  # level -> areas, bbox
    classifications: dict[str, list[LevelClassification]] = field(default_factory=dict)  # by level
    services: dict[str, dict[int, str]] = field(default_factory=dict)  # classification -> lgsl -> label
    # level -> (classification, tier) carried inline by a current ``tile_area``; empty when stale
    inline: dict[str, tuple[str, str]] = field(default_factory=dict)

    def bbox(self, levels: tuple[str, ...]) -> list[float] | None:
        boxes = [self.extents[lv] for lv in levels if lv in self.extents]
        if not boxes:
            return None
        return [
            min(b["minx"] for b in boxes),
            min(b["miny"] for b in boxes),
            max(b["maxx"] for b in boxes),
            max(b["maxy"] for b in boxes),
        ]


@dataclass(frozen=True)
class TileRequest:
    """A validated tile request, ready to bind."""

    layer: TileLayer
    level: str
    z: int
    x: int
    y: int
    classifications: tuple[str, ...]  # most preferred first; each area shows the first it has
    tier: str | None
    service: int | None

    @property
    def classification_id(self) -> str | None:
        return self.classifications[0] if self.classifications else None

    @property
    def key(self) -> tuple:
        return (self.layer.name, self.z, self.x, self.y, self.classifications, self.tier, self.service)


class TileService:
    """Makes and caches tiles for one app (kept on ``app.state``)."""

    def __init__(self, settings: Settings, store: Reader) -> None:
        self.settings = settings
        self.store = store
        self.cache = TileCache(settings.tile_cache_size)
        self._catalogue: DataCatalogue | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    # --- data catalogue ----------------------------------------------------------------
    async def catalogue(self) -> DataCatalogue:
        """The catalogue of the current data version (rebuilt, and the cache dropped, on change)."""
        now = time.monotonic()
        current = self._catalogue
        if current is not None and now - self._checked_at < self.settings.tile_version_ttl_s:
            return current
        async with self._lock:
            if (
                self._catalogue is not None
                and time.monotonic() - self._checked_at < self.settings.tile_version_ttl_s
            ):
                return self._catalogue
            version = await self.store.data_version()
            if self._catalogue is None or self._catalogue.version != version:
                self._catalogue = await self._read_catalogue(version)
                self.cache.clear()
            self._checked_at = time.monotonic()
            return self._catalogue

    async def _read_catalogue(self, version: str) -> DataCatalogue:
        cat = DataCatalogue(version)
        for row in await self.store.fetch(q.LEVEL_EXTENTS):
            cat.extents[row["level"]] = {
                "areas": int(row["areas"]),
                **{k: float(row[k]) for k in ("minx", "miny", "maxx", "maxy") if row[k] is not None},
            }
        rows = await self.store.fetch(q.LEVEL_CLASSIFICATIONS)
        for row in rows:
            tiers = tuple(t for t in str(row["tiers"]).split(",") if t)
            cat.classifications.setdefault(row["level"], []).append(
                LevelClassification(row["classification_id"], tiers, row["attribution"])
            )
        for row in await self.store.fetch(q.MODELLED_SERVICES):
            cat.services.setdefault(row["classification_id"], {})[int(row["lgsl"])] = row["label"]
        if await self._tile_area_current(version):
            cat.inline = {lv: ("", "") for lv in cat.extents} | default_classifications(rows)
        return cat

    async def _tile_area_current(self, version: str) -> bool:
        try:
            return await self.store.fetchval(q.TILE_AREA_VERSION) == version
        except Exception:  # a store without the serving table: tiles come from ``area``
            log.info("no tile serving table; tiles are drawn from the area table")
            return False

    # --- requests ------------------------------------------------------------------------
    def resolve(
        self,
        cat: DataCatalogue,
        layer_name: str,
        z: int,
        x: int,
        y: int,
        classification: str | None = None,
        tier: str | None = None,
        service: int | None = None,
    ) -> TileRequest:
        """Validate a request against the catalogue: 404 for unknown layers, services, classifications.

        On a single-level layer the classification, tier and service must exist at that level.
        ``auto`` spans levels, so there they apply where they exist and the level's default
        classification is used elsewhere; only names unknown everywhere are refused.
        """
        layer = layer_or_404(layer_name)
        check_tile(z, x, y, self.settings.max_zoom)
        level = level_for_zoom(layer, z, self.settings)
        strict = layer.name != AUTO
        self._check_names(cat, (level,) if strict else layer.levels, classification, tier, service)
        chosen = self.classifications_at(cat, level, classification)
        ids = tuple(c.classification_id for c in chosen)
        use_tier = None
        if chosen:
            use_tier = tier if tier and any(tier in c.tiers for c in chosen) else chosen[0].tiers[0]
        use_service = service
        if service is not None and strict and not any(service in cat.services.get(i, {}) for i in ids):
            use_service = None
        return TileRequest(layer, level, z, x, y, ids, use_tier, use_service)

    @staticmethod
    def classifications_at(
        cat: DataCatalogue, level: str, requested: str | None
    ) -> list[LevelClassification]:
        """The classifications to draw at a level: the requested one if it is there, else all, default first."""
        options = [c for c in cat.classifications.get(level, []) if c.tiers]
        picked = [c for c in options if c.classification_id == requested]
        return picked or options

    @staticmethod
    def _check_names(
        cat: DataCatalogue,
        levels: tuple[str, ...],
        classification: str | None,
        tier: str | None,
        service: int | None,
    ) -> None:
        options = [c for lv in levels for c in cat.classifications.get(lv, [])]
        if classification is not None and classification not in {c.classification_id for c in options}:
            where = levels[0] if len(levels) == 1 else "any level of this layer"
            raise NotFound(f"classification {classification!r} has no predominant classes at {where}")
        chosen = [c for c in options if classification in (None, c.classification_id)]
        if tier is not None and chosen and not any(tier in c.tiers for c in chosen):
            known = sorted({t for c in chosen for t in c.tiers})
            raise BadRequest(f"unknown tier {tier!r}; known tiers: {', '.join(known)}")
        if service is not None:
            modelled = {s for c in chosen for s in cat.services.get(c.classification_id, {})}
            if service not in modelled:
                raise NotFound(f"service {service} has no modelled demand for this layer")

    async def tile(self, req: TileRequest) -> Tile:
        """The tile for a validated request, from the cache or made in SQL."""
        cat = await self.catalogue()
        key = (cat.version, *req.key)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        tile = await self._make(req, cat)
        self.cache.put(key, tile)
        return tile

    def _inline_statement(self, req: TileRequest, cat: DataCatalogue) -> str | None:
        """The ``tile_area`` statement when the request draws what it carries inline, else None."""
        cid, tier = cat.inline.get(req.level, (None, None))
        if cid is None or req.classifications != ((cid,) if cid else ()) or (req.tier or "") != tier:
            return None
        band = band_for_zoom(req.z)
        return q.tile_area_sql(self.store.backend, req.layer.name, req.level, band, req.service is not None)

    async def _make(self, req: TileRequest, cat: DataCatalogue) -> Tile:
        version = cat.version
        sql = self._inline_statement(req, cat)
        if sql is not None:
            return await self._run(req, version, sql, [req.z, req.x, req.y], 3)
        backend = self.store.backend
        column = geometry_column(req.level, req.z)
        several = len(req.classifications) > 1
        sql = q.tile_sql(backend, req.layer.name, req.level, column, req.service is not None, several)
        return await self._run(
            req, version, sql, [req.z, req.x, req.y, list(req.classifications), req.tier or ""], 5
        )

    async def _run(self, req: TileRequest, version: str, sql: str, args: list[Any], cap_at: int) -> Tile:
        """Run a tile statement: ``args`` then the feature cap (at ``cap_at``), the service, DuckDB's bounds."""
        cap = self.settings.max_features_per_tile
        args = [*args, cap]
        if req.service is not None:
            args.append(req.service)
        if self.store.backend == "duckdb":
            args.extend(tile_lonlat_bounds(req.z, req.x, req.y, pad=BUFFER / EXTENT + 1e-6))
        row = await self.store.fetchrow(sql, *args)
        capped = row is not None and int(row["candidates"]) > cap
        if capped:
            args[cap_at] = cap - 1  # the statement keeps cap + 1 areas: exactly the cap this time
            row = await self.store.fetchrow(sql, *args)
        features = int(row["features"]) if row else 0
        if capped:
            log.warning(
                "tile %s/%d/%d/%d has more than %d features: capped (raise INSIGHT_MAX_FEATURES_PER_TILE "
                "or use a coarser layer)",
                req.layer.name,
                req.z,
                req.x,
                req.y,
                cap,
            )
        return make_tile(row["tile"] if row else None, version, req.level, features, capped)
