"""The catalogue: what the store holds, as every read route needs it, built once per data version.

Levels present (area counts, extents), classifications per level (typed tiers, attribution,
the default), modelled services per classification and the tile layers. Built at start-up,
kept on ``app.state`` and injected into routes (``app.deps.CatalogueDep``); the national data
version is re-checked at most every ``tile_version_ttl_s`` seconds, and a new version rebuilds
it. :meth:`Catalogue.choose` is the one rule for which classification(s) and tier describe a
level.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from app.tiles.layers import LAYERS, TileLayer
from core.errors import BadRequest, NotFound, NotReady
from core.levels import BY_NAME
from core.settings import Settings
from core.store import Reader
from core.store.queries import inventory as q

log = logging.getLogger("insight.catalogue")

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class LevelExtent:
    """A level the store holds areas of: how many and their EPSG:4326 extent (None when unknown)."""

    level: str
    areas: int
    bbox: BBox | None
    vintages: tuple[str, ...] = ()  # boundary vintages of its areas, oldest first


@dataclass(frozen=True)
class LevelClassification:
    """A classification with predominant classes at a level; ``tiers`` coarsest first."""

    classification_id: str
    name: str
    base_level: str  # the level its classes are assigned at (oa, nuts3)
    tiers: tuple[str, ...]
    attribution: str | None
    default: bool  # the level's default: the first listed with a tier

    @property
    def population_based(self) -> bool:
        """NUTS-based classifications count people, not households."""
        return self.base_level.startswith("nuts")


@dataclass(frozen=True)
class ClassificationChoice:
    """The classifications describing a level's areas, most preferred first, and the tier drawn."""

    classifications: tuple[str, ...] = ()
    tier: str | None = None

    @property
    def classification_id(self) -> str | None:
        """The most preferred classification (None when none is built at the level)."""
        return self.classifications[0] if self.classifications else None


@dataclass(frozen=True)
class Catalogue:
    """What the store holds at one national data version."""

    version: str
    levels: Mapping[str, LevelExtent] = field(default_factory=dict)
    classifications: Mapping[str, tuple[LevelClassification, ...]] = field(default_factory=dict)
    services: Mapping[str, Mapping[int, str]] = field(default_factory=dict)  # classification -> LGSL -> label
    # Level -> the drawing the ``tile_area`` serving table carries inline; empty while it is stale.
    serving: Mapping[str, ClassificationChoice] = field(default_factory=dict)
    layers: Mapping[str, TileLayer] = field(default_factory=lambda: LAYERS)

    # --- levels and layers -------------------------------------------------------------
    def level_or_404(self, level: str) -> str:
        """A level the store holds areas of (404 for unknown or unloaded levels)."""
        if level not in BY_NAME:
            raise NotFound(f"unknown level {level!r}; known: {', '.join(BY_NAME)}")
        if level not in self.levels:
            raise NotFound(f"no areas of level {level!r} are loaded")
        return level

    def layer_or_404(self, name: str) -> TileLayer:
        layer = self.layers.get(name)
        if layer is None:
            raise NotFound(f"unknown tile layer {name!r}; known layers: {', '.join(self.layers)}")
        return layer

    def bbox(self, levels: Iterable[str]) -> BBox | None:
        """The extent of some levels together (None when none is loaded)."""
        boxes = [b for lv in levels if lv in self.levels and (b := self.levels[lv].bbox) is not None]
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    # --- the one classification rule ---------------------------------------------------
    def choose(
        self,
        level: str,
        classification: str | None = None,
        tier: str | None = None,
        *,
        fallback: bool = False,
    ) -> ClassificationChoice:
        """Which classification(s) and tier describe the areas of ``level`` for a request.

        The requested classification when the level has it, else every classification built
        there, the default first (an area shows the first it has); the requested tier when one
        of those has it, else the first (coarsest) tier of the first.

        Parameters
        ----------
        fallback
            False: a name that does not apply at the level is refused (404 for the
            classification, 400 for the tier). True (layers spanning levels, whose names were
            checked against the whole layer): such a name falls back to the level's default.
        """
        options = [c for c in self.classifications.get(level, ()) if c.tiers]
        chosen = options
        if classification is not None:
            chosen = [c for c in options if c.classification_id == classification]
            if not chosen and not fallback:
                raise NotFound(
                    f"classification {classification!r} has no predominant classes at level {level!r}"
                )
            chosen = chosen or options
        if not chosen:
            if tier is not None and not fallback:
                raise BadRequest(f"no classification is built for level {level!r}, so no tier applies")
            return ClassificationChoice()
        if tier is not None and not any(tier in c.tiers for c in chosen):
            if not fallback:
                known = sorted({t for c in chosen for t in c.tiers})
                raise BadRequest(f"unknown tier {tier!r}; known tiers: {', '.join(known)}")
            tier = None
        return ClassificationChoice(tuple(c.classification_id for c in chosen), tier or chosen[0].tiers[0])

    def classification_at(self, level: str, classification: str | None = None) -> LevelClassification:
        """The one classification describing ``level`` for a request (see :meth:`choose`).

        Raises
        ------
        NotFound
            The requested classification is not built at the level.
        NotReady
            No classification is built at the level yet.
        """
        choice = self.choose(level, classification)
        if choice.classification_id is None:
            raise NotReady(f"no classification is built for level {level!r}: run `insight build all`")
        return next(c for c in self.classifications[level] if c.classification_id == choice.classification_id)

    def check_names(
        self,
        levels: tuple[str, ...],
        classification: str | None = None,
        tier: str | None = None,
        service: int | None = None,
    ) -> None:
        """Refuse names that apply at none of ``levels`` (a tile layer's): 404 or 400."""
        options = [c for lv in levels for c in self.classifications.get(lv, ())]
        if classification is not None and classification not in {c.classification_id for c in options}:
            where = levels[0] if len(levels) == 1 else "any level of this layer"
            raise NotFound(f"classification {classification!r} has no predominant classes at {where}")
        chosen = [c for c in options if classification in (None, c.classification_id)]
        if tier is not None and chosen and not any(tier in c.tiers for c in chosen):
            known = sorted({t for c in chosen for t in c.tiers})
            raise BadRequest(f"unknown tier {tier!r}; known tiers: {', '.join(known)}")
        if service is not None:
            modelled = {s for c in chosen for s in self.services.get(c.classification_id, {})}
            if service not in modelled:
                raise NotFound(f"service {service} has no modelled demand for this layer")

    def modelled(self, classifications: Iterable[str]) -> dict[int, str]:
        """Services with demand modelled under any of ``classifications``: LGSL -> label."""
        out: dict[int, str] = {}
        for cid in classifications:
            for lgsl, label in self.services.get(cid, {}).items():
                out.setdefault(lgsl, label)
        return out

    def draws_inline(self, level: str, choice: ClassificationChoice) -> bool:
        """Whether the ``tile_area`` serving table carries exactly this drawing of ``level``."""
        inline = self.serving.get(level)
        return (
            inline is not None
            and inline.classifications == choice.classifications
            and (inline.tier or "") == (choice.tier or "")
        )


async def read_catalogue(store: Reader, version: str) -> Catalogue:
    """The catalogue of the store at ``version`` (four small queries)."""
    levels = {
        r.level: LevelExtent(
            r.level, int(r.areas), _bbox(r), tuple(v for v in (r.vintages or "").split(", ") if v)
        )
        for r in await store.fetch_as(q.LevelExtentRow, q.level_extents())
    }
    by_level: dict[str, list[LevelClassification]] = {}
    for row in await store.fetch_as(q.LevelClassificationRow, q.level_classifications()):
        tiers = tuple(t for t in str(row.tiers or "").split(",") if t)
        listed = by_level.setdefault(row.level, [])
        default = bool(tiers) and not any(c.default for c in listed)
        listed.append(
            LevelClassification(
                row.classification_id, row.name, row.base_level, tiers, row.attribution, default
            )
        )
    services: dict[str, dict[int, str]] = {}
    for s in await store.fetch_as(q.ModelledServiceRow, q.modelled_services()):
        services.setdefault(s.classification_id, {})[int(s.lgsl)] = s.label
    cat = Catalogue(version, levels, {lv: tuple(cs) for lv, cs in by_level.items()}, services)
    if await _serving_table_current(store, version):
        # What a plain request draws at each level: what ``insight build`` wrote inline.
        cat = dataclasses.replace(cat, serving={lv: cat.choose(lv) for lv in levels})
    return cat


def _bbox(row: q.LevelExtentRow) -> BBox | None:
    if row.minx is None or row.miny is None or row.maxx is None or row.maxy is None:
        return None
    return float(row.minx), float(row.miny), float(row.maxx), float(row.maxy)


async def _serving_table_current(store: Reader, version: str) -> bool:
    try:
        return await store.fetchval(q.tile_area_version()) == version
    except Exception:  # an older store without the serving table: tiles come from ``area``
        log.info("no tile serving table; tiles are drawn from the area table")
        return False


class CatalogueHolder:
    """Keeps the catalogue of the current national data version for one app (on ``app.state``)."""

    def __init__(self, settings: Settings, store: Reader) -> None:
        self.settings = settings
        self.store = store
        self._catalogue: Catalogue | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def latest(self) -> Catalogue | None:
        """The catalogue last read (None before the first read), without re-checking the version."""
        return self._catalogue

    def _fresh(self) -> Catalogue | None:
        cat = self._catalogue
        if cat is not None and time.monotonic() - self._checked_at < self.settings.tile_version_ttl_s:
            return cat
        return None

    async def current(self) -> Catalogue:
        """The catalogue, re-checking the data version at most every ``tile_version_ttl_s`` seconds."""
        cat = self._fresh()
        if cat is not None:
            return cat
        async with self._lock:
            cat = self._fresh()
            if cat is not None:
                return cat
            version = await self.store.data_version()
            if self._catalogue is None or self._catalogue.version != version:
                self._catalogue = await read_catalogue(self.store, version)
            self._checked_at = time.monotonic()
            return self._catalogue


def catalogue_holder(app: Any) -> CatalogueHolder:
    """The app's catalogue holder, made for the store the app has open."""
    state = app.state
    holder: CatalogueHolder | None = getattr(state, "catalogue", None)
    if holder is None or holder.store is not state.store:
        holder = CatalogueHolder(state.settings, state.store)
        state.catalogue = holder
    return holder


@asynccontextmanager
async def catalogue_lifespan(app: Any) -> AsyncIterator[None]:
    """Read the catalogue when the app starts (after the store is open); a failure waits for a request."""
    try:
        await catalogue_holder(app).current()
    except Exception as exc:  # the store may be briefly unreachable: the first request reads it
        log.warning("catalogue not read at start-up (%s); it is read on the first request", exc)
    yield
