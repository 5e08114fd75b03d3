"""Vector tiles from a store: one interface, one implementation per backend.

A :class:`TileSource` turns a validated :class:`TileQuery` into MVT bytes. The web app decides
*what* to draw (level, classifications, tier, service, whether the serving table applies);
the source decides *how* its backend draws it, so no caller names a backend or sees tile SQL.
Each reader carries its source as ``reader.tiles``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.levels import LEVEL_NAMES
from core.store.sql import Query
from core.tiling import TILE_BANDS

if TYPE_CHECKING:
    from core.store.base import Reader


@dataclass(frozen=True)
class TileQuery:
    """What one tile draws, already checked against the catalogue.

    ``classifications`` are in preference order (an area shows the first it has);
    ``serving_band`` is the ``tile_area`` zoom band when the serving table carries exactly this
    drawing inline (the level's default classification and tier), else None: the tile is then
    drawn from ``area`` and ``predominant``.
    """

    layer: str
    level: str
    z: int
    x: int
    y: int
    classifications: tuple[str, ...] = ()
    tier: str | None = None
    service: int | None = None
    channel: bool = False  # adds the modelled channel suitability (table ``channel_need``)
    max_features: int = 20_000
    serving_band: int | None = None

    def __post_init__(self) -> None:
        # The layer and level are written into the statement: only known names get there.
        if not self.layer.isidentifier() or self.level not in LEVEL_NAMES:
            raise ValueError(f"bad tile layer/level {self.layer!r}/{self.level!r}")
        if self.serving_band is not None and self.serving_band not in TILE_BANDS:
            raise ValueError(f"bad tile band {self.serving_band!r}")
        if self.max_features < 1:
            raise ValueError("max_features must be at least 1")


@dataclass(frozen=True)
class DrawnTile:
    """A tile as drawn: MVT bytes (empty when no feature), features drawn, whether some were left out."""

    body: bytes
    features: int
    capped: bool


@dataclass(frozen=True)
class AreaValues:
    """Values worked out per area outside the database (a council's take-up), to draw as
    feature properties: ``numbers`` and ``texts`` map a property name (an identifier, written
    into the statement) to one value per code, in ``codes`` order. Only these areas are drawn."""

    codes: tuple[str, ...]
    numbers: dict[str, tuple[float | None, ...]]
    texts: dict[str, tuple[str | None, ...]]

    def __post_init__(self) -> None:
        for name, column in (*self.numbers.items(), *self.texts.items()):
            if not name.isidentifier() or name in ("code", "name", "geom"):
                raise ValueError(f"bad property name {name!r}")
            if len(column) != len(self.codes):
                raise ValueError(f"property {name!r} has {len(column)} values for {len(self.codes)} areas")


class TileSource(abc.ABC):
    """Draws tiles (as maplibre/martin's ``Source``): one per backend, attached to its reader."""

    @abc.abstractmethod
    async def tile(self, query: TileQuery) -> DrawnTile:
        """The tile of a validated request."""

    async def values_tile(self, query: TileQuery, values: AreaValues) -> DrawnTile:
        """A tile of the areas in ``values`` (of ``query.level``), their values as properties."""
        raise NotImplementedError(f"{type(self).__name__} draws no area values")


class SqlTileSource(TileSource):
    """A source whose tile is one statement returning ``tile``, ``features`` and ``candidates``.

    The statement keeps at most ``keep`` areas. It is first run keeping one more than the
    cap: more candidates than the cap means the tile must be capped, so it is run once more
    keeping exactly the cap (rare; the statement is rebuilt, nothing is patched).
    """

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    @abc.abstractmethod
    def statement(self, query: TileQuery, keep: int) -> Query:
        """The tile statement of a request, keeping at most ``keep`` areas."""

    @abc.abstractmethod
    def values_statement(self, query: TileQuery, keep: int, values: AreaValues) -> Query:
        """The statement of a tile of given area values, keeping at most ``keep`` areas."""

    async def tile(self, query: TileQuery) -> DrawnTile:
        return await self._draw(query, lambda keep: self.statement(query, keep))

    async def values_tile(self, query: TileQuery, values: AreaValues) -> DrawnTile:
        return await self._draw(query, lambda keep: self.values_statement(query, keep, values))

    async def _draw(self, query: TileQuery, statement: Callable[[int], Query]) -> DrawnTile:
        cap = query.max_features
        row = await self.reader.fetchrow(statement(cap + 1))
        capped = row is not None and int(row["candidates"]) > cap
        if capped:
            row = await self.reader.fetchrow(statement(cap))
        features = int(row["features"]) if row else 0
        body = bytes(row["tile"] or b"") if row is not None and features else b""
        return DrawnTile(body, features, capped)
