"""Look-ups shared by routers: an area by code, the classification to use at a level."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound, NotReady
from core.store import Reader
from core.store.queries import areas as q
from core.store.queries.areas import AreaRow, LevelClassificationRow, SummaryRow


def bbox_of(row: AreaRow | SummaryRow) -> list[float] | None:
    box = (row.minx, row.miny, row.maxx, row.maxy)
    return None if any(v is None for v in box) else [float(v) for v in box]  # type: ignore[arg-type]


def summary(row: AreaRow | SummaryRow) -> dict[str, Any]:
    """The fields every listing of areas shares (``AreaSummary`` in the API)."""
    return {
        "code": row.code,
        "name": row.name,
        "level": row.level,
        "country": row.country,
        "parent_code": getattr(row, "parent_code", None),
        "lon": row.lon,
        "lat": row.lat,
        "bbox": bbox_of(row),
    }


async def area_or_404(store: Reader, code: str, level: str | None = None) -> AreaRow:
    rows = await store.fetch_as(AreaRow, q.by_code(code, level))
    if not rows:
        where = f" at level {level}" if level else ""
        raise NotFound(f"no area with code {code!r}{where}")
    return rows[0]


async def classifications_at(store: Reader, level: str) -> list[LevelClassificationRow]:
    """Classifications with compositions at ``level``, the default first."""
    return await store.fetch_as(LevelClassificationRow, q.classifications_at_level(level))


async def classification_for(
    store: Reader, level: str, requested: str | None = None
) -> LevelClassificationRow:
    """The classification to describe areas of ``level`` with (the requested one if it applies)."""
    rows = await classifications_at(store, level)
    if requested is not None:
        for row in rows:
            if row.classification_id == requested:
                return row
        raise NotFound(f"classification {requested!r} has no compositions at level {level!r}")
    if not rows:
        raise NotReady(f"no classification is built for level {level!r}: run `insight build all`")
    return rows[0]


def tiers_of(classification: LevelClassificationRow) -> list[str]:
    """A classification's tiers, coarsest first."""
    return classification.tier_list
