"""Council workspace routes: who the council is and its audit trail (token-protected)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.council_data import CouncilRef, council_regions
from app.councils import CouncilDep
from app.deps import SettingsDep, StoreDep
from records import access

router = APIRouter(prefix="/api/councils", tags=["council workspace"])

AUTH_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No token, or an unknown, malformed or revoked one"},
    403: {"description": "A valid token of another council"},
}
# a council answer that is JSON, or CSV with ``format=csv``
CSV_OR_JSON: dict[int | str, dict[str, Any]] = AUTH_ERRORS | {
    200: {"content": {"application/json": {}, "text/csv": {}}}
}


class DistrictOut(BaseModel):
    code: str
    name: str | None


class RegionOut(BaseModel):
    level: str = Field(description="nuts1, nuts2 or nuts3")
    code: str
    name: str | None
    base: str = Field(description="The value of `base=` that compares with this region")


class CouncilOut(BaseModel):
    council_id: str
    name: str
    districts: list[DistrictOut]
    regions: list[RegionOut] = Field(
        description="NUTS regions holding the council's districts: bases to compare with"
    )


class AuditOut(BaseModel):
    occurred_at: dt.datetime
    actor: str
    action: str
    detail: str
    row_count: int | None


class AuditPage(BaseModel):
    council_id: str
    total: int
    offset: int
    records: list[AuditOut]


@router.get("/{council_id}", response_model=CouncilOut, responses=AUTH_ERRORS, summary="The council")
async def get_council(caller: CouncilDep, store: StoreDep) -> CouncilOut:
    c = caller.council
    regions = await council_regions(store, CouncilRef.of(c))
    return CouncilOut(
        council_id=c.council_id,
        name=c.name,
        districts=[DistrictOut(code=d.code, name=d.name) for d in c.districts],
        regions=[
            RegionOut(level=r.level, code=r.code, name=r.name, base=f"{r.level}:{r.code}") for r in regions
        ],
    )


@router.get(
    "/{council_id}/audit",
    response_model=AuditPage,
    responses=AUTH_ERRORS,
    summary="The council's audit trail (read-only)",
)
async def get_audit(
    caller: CouncilDep,
    store: StoreDep,
    settings: SettingsDep,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    """Uploads, token changes and every use of a token, newest first. No route edits them."""
    council_id = caller.council.council_id
    rows, total = await access.audit_trail(
        store, council_id, min(limit or settings.default_page_size, settings.max_page_size), offset
    )
    records = [
        AuditOut(
            occurred_at=r.occurred_at, actor=r.actor, action=r.action, detail=r.detail, row_count=r.row_count
        )
        for r in rows
    ]
    return AuditPage(council_id=council_id, total=total, offset=offset, records=records)
