"""GET /api/levels: every area level, how many areas it holds, its boundary vintages, and for
output areas how many Census households have no boundary to stand on ("unplaced")."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.deps import StoreDep
from core.store.queries import levels as q
from core.store.queries.levels import LevelCountRow, PlacementRow

router = APIRouter(prefix="/api", tags=["areas"])


class DistrictPlacement(BaseModel):
    district: str = Field(description="District code (from a loaded OA → district lookup)")
    areas: int = Field(description="Census output areas of the district")
    households: float | None
    unplaced_areas: int = Field(description="Those with no boundary of their own or through a lookup")
    unplaced_households: float | None
    unplaced_share: float | None = Field(description="Unplaced households over the district's households")


class Placement(BaseModel):
    """Census 2021 output areas placed on a loaded boundary or not: totals stay true to the Census."""

    areas: int = Field(description="Output areas of the Census")
    households: float | None = Field(description="Their households (Census 2021 TS041)")
    unplaced_areas: int = Field(description="Census output areas with no loaded boundary")
    unplaced_households: float | None
    unplaced_share: float | None = Field(description="Unplaced households over all households")
    no_census_areas: int = Field(
        description="Loaded output areas the Census has no record of (boundary changed since)"
    )
    by_district: list[DistrictPlacement] = Field(
        default_factory=list, description="Districts with unplaced output areas, where a lookup tells"
    )


class LevelOut(BaseModel):
    level: str
    family: str
    rank: int
    label: str
    areas: int
    vintages: list[str] = Field(description="Boundary vintages of the level's areas, oldest first")
    unplaced: Placement | None = Field(
        None, description="Output areas only: Census households without a boundary"
    )


def _share(part: float | None, whole: float | None) -> float | None:
    return round(float(part or 0) / float(whole), 6) if whole else None


def placement_out(total: PlacementRow, districts: list[PlacementRow]) -> Placement | None:
    """The placement report, or None when no Census output areas are loaded."""
    if not total.areas:
        return None
    return Placement(
        areas=total.areas,
        households=total.households,
        unplaced_areas=total.unplaced_areas,
        unplaced_households=total.unplaced_households,
        unplaced_share=_share(total.unplaced_households, total.households),
        no_census_areas=total.no_census_areas,
        by_district=[
            DistrictPlacement(
                district=d.district or "",
                areas=d.areas,
                households=d.households,
                unplaced_areas=d.unplaced_areas,
                unplaced_households=d.unplaced_households,
                unplaced_share=_share(d.unplaced_households, d.households),
            )
            for d in districts
        ],
    )


async def placement(request: Request, store: StoreDep) -> Placement | None:
    """The placement report of the current data version, computed once per version (it joins
    every Census output area with the boundaries: too much to repeat on every request)."""
    version = await store.data_version()
    cached = getattr(request.app.state, "placement", None)
    if cached is not None and cached[0] == version:
        return cached[1]
    totals = await store.fetch_as(PlacementRow, q.placement())
    report = None
    if totals:
        report = placement_out(totals[0], await store.fetch_as(PlacementRow, q.placement_by_district()))
    request.app.state.placement = (version, report)
    return report


@router.get("/levels", response_model=list[LevelOut], summary="Area levels, counts, vintages")
async def list_levels(request: Request, store: StoreDep) -> list[LevelOut]:
    rows: list[LevelCountRow] = await store.fetch_as(LevelCountRow, q.level_counts())
    unplaced = await placement(request, store)
    return [
        LevelOut(
            level=r.level,
            family=r.family,
            rank=r.rank,
            label=r.label,
            areas=r.areas,
            vintages=[v for v in (r.vintages or "").split(", ") if v],
            unplaced=unplaced if r.level == "oa" else None,
        )
        for r in rows
    ]
