"""Look-ups shared by routers: an area by code, the classification to use at a level."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound, NotReady
from core.store import Reader
from core.store.queries import areas as q


def bbox_of(row: dict[str, Any]) -> list[float] | None:
    box = [row.get(k) for k in ("minx", "miny", "maxx", "maxy")]
    return None if any(v is None for v in box) else [float(v) for v in box]  # type: ignore[arg-type]


def summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "name": row.get("name"),
        "level": row["level"],
        "country": row.get("country"),
        "parent_code": row.get("parent_code"),
        "lon": row.get("lon"),
        "lat": row.get("lat"),
        "bbox": bbox_of(row),
    }


async def area_or_404(store: Reader, code: str, level: str | None = None) -> dict[str, Any]:
    row = await store.fetchrow(q.BY_CODE, code, level)
    if row is None:
        where = f" at level {level}" if level else ""
        raise NotFound(f"no area with code {code!r}{where}")
    return row


async def classification_for(store: Reader, level: str, requested: str | None = None) -> dict[str, Any]:
    """The classification to describe areas of ``level`` with (the requested one if it applies)."""
    rows = await store.fetch(q.CLASSIFICATIONS_AT_LEVEL, level)
    if requested is not None:
        for row in rows:
            if row["classification_id"] == requested:
                return row
        raise NotFound(f"classification {requested!r} has no compositions at level {level!r}")
    if not rows:
        raise NotReady(f"no classification is built for level {level!r}: run `insight build all`")
    return rows[0]


def tiers_of(classification: dict[str, Any]) -> list[str]:
    return [t for t in str(classification["tiers"]).split(",") if t]
