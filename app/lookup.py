"""Look-ups shared by routers: an area by code and the fields every area listing shares."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from core.store import Reader
from core.store.queries import areas as q
from core.store.queries.areas import AreaRow, SummaryRow


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


async def check_parent(store: Reader, parent: str | None) -> None:
    """404 for a ``parent`` filter that names no area: an unknown code would otherwise match
    nothing and read as an empty place."""
    if parent is not None and not await store.fetchval(q.parent_known(parent)):
        raise NotFound(
            f"no area with code {parent!r} to filter by: parent takes an area code "
            "(a local authority, a ward, a NUTS region or a NUTS code prefix); search names with /api/areas?q="
        )
