"""A council's unit costs per contact and the channel-shift scenario (JSON and CSV).

Token-protected like every council route; a change of cost is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app import costs
from app.council_data import CouncilRef
from app.councils import CouncilDep
from app.deps import CatalogueDep, StoreDep
from app.routers.council_profiles import (
    ClassificationQuery,
    FormatQuery,
    ServiceQuery,
    TierQuery,
    _classification,
    _csv,
)
from app.routers.councils import AUTH_ERRORS, CSV_OR_JSON
from app.tabular import to_csv
from records import costs as records_costs

router = APIRouter(prefix="/api/councils", tags=["council workspace"])
MAX_ITEMS = 50


class CostIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    service: int | None = Field(None, ge=0, le=1_000_000, description="LGSL code; null: every service")
    channel: str = Field(
        max_length=32, description="face-to-face, telephone, web, e-mail, post, sms, kiosk, other"
    )
    cost_gbp: float = Field(ge=0, le=10_000, description="Cost per contact in pounds")
    source: str = Field(min_length=1, max_length=200, description="Where the figure comes from")


class CostsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    costs: list[CostIn] = Field(min_length=1, max_length=MAX_ITEMS)


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    service: int = Field(ge=0, le=1_000_000, description="LGSL code")
    from_channel: str = Field(max_length=32)
    to_channel: str = Field(max_length=32)
    share: float = Field(ge=0, le=1, description="Share of the contacts moved, 0–1 (0.3 = 30 %)")
    volume: float | None = Field(
        None,
        ge=0,
        le=1e9,
        description="Contacts a year to start from (what-if); default: the council's records",
    )
    min_index: float | None = Field(
        None, ge=0, le=100_000, description="Only classes whose channel index for to_channel is at least this"
    )


class ScenarioIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moves: list[MoveIn] = Field(min_length=1, max_length=20)
    end: dt.date | None = Field(
        None, description="The twelve months end with this date's month (default: the latest)"
    )


COSTS_CSV = ["council_id", "service_lgsl", "channel", "label", "cost_gbp", "source", "year", "scope"]


@router.get("/{council_id}/costs", responses=CSV_OR_JSON, summary="Unit cost per contact by channel")
async def get_costs(
    caller: CouncilDep, store: StoreDep, service: ServiceQuery = None, format: FormatQuery = "json"
) -> Any:
    """The unit cost of each channel for a service (or for every service), with its source and
    year, and the figures the council has set."""
    council = CouncilRef.of(caller.council)
    doc = await costs.costs_doc(store, council, service)
    if format == "json":
        return doc
    rows = [{"council_id": council.council_id, "service_lgsl": service} | c for c in doc["costs"]]
    return _csv(to_csv(COSTS_CSV, rows), f"costs-{council.council_id}")


@router.put("/{council_id}/costs", responses=AUTH_ERRORS, summary="Set the council's own unit costs")
async def put_costs(caller: CouncilDep, store: StoreDep, body: CostsIn) -> Any:
    """Set unit costs per service (or every service) and channel; each change is audited."""
    council = CouncilRef.of(caller.council)
    changes = [
        records_costs.CostChange(c.service, c.channel, c.cost_gbp, c.source.strip()) for c in body.costs
    ]
    await records_costs.set_costs(store, council.council_id, caller.actor, changes)
    return await costs.costs_doc(store, council, None)


@router.delete(
    "/{council_id}/costs",
    responses=AUTH_ERRORS | {404: {"description": "No such cost set"}},
    summary="Remove one of the council's unit costs",
)
async def delete_cost(
    caller: CouncilDep,
    store: StoreDep,
    channel: Annotated[str, Query(max_length=32)],
    service: ServiceQuery = None,
) -> Any:
    """Remove the council's cost of a channel for a service (or every service): the next most
    specific figure applies again. Audited."""
    council = CouncilRef.of(caller.council)
    await records_costs.remove_cost(store, council.council_id, caller.actor, service, channel)
    return await costs.costs_doc(store, council, service)


SCENARIO_CSV = [
    "council_id",
    "service_lgsl",
    "service_label",
    "from_channel",
    "to_channel",
    "share",
    "volume",
    "moved",
    "cost_from_gbp",
    "cost_from_source",
    "cost_to_gbp",
    "cost_to_source",
    "saving_gbp",
    "arithmetic",
    "basis",
    "synthetic",
]


@router.post(
    "/{council_id}/scenarios/channel-shift",
    responses=CSV_OR_JSON,
    summary="Channel-shift scenario: the yearly saving of moving contacts between channels",
)
async def post_channel_shift(
    caller: CouncilDep,
    store: StoreDep,
    cat: CatalogueDep,
    body: ScenarioIn,
    tier: TierQuery = None,
    classification: ClassificationQuery = None,
    format: FormatQuery = "json",
) -> Any:
    """For each move: the contacts on ``from_channel`` in twelve months (or the volume given),
    the share moved, both unit costs with source and year, and ``moved × (cost_from − cost_to)``
    written out; the total a year."""
    cid, _, use_tier = _classification(cat, classification, tier)
    council = CouncilRef.of(caller.council)
    moves = [
        costs.Move(m.service, m.from_channel, m.to_channel, m.share, m.volume, m.min_index)
        for m in body.moves
    ]
    doc = await costs.channel_shift(store, council, moves, end=body.end, classification_id=cid, tier=use_tier)
    if format == "json":
        return doc
    rows = [
        {
            "council_id": council.council_id,
            "service_lgsl": m["service"]["lgsl"] if m["service"] else None,
            "service_label": m["service"]["label"] if m["service"] else None,
            "from_channel": m["from_channel"],
            "to_channel": m["to_channel"],
            "share": m["share"],
            "volume": m["volume"],
            "moved": m["moved"],
            "cost_from_gbp": m["cost_from"]["cost_gbp"],
            "cost_from_source": f"{m['cost_from']['source']} ({m['cost_from']['year']})",
            "cost_to_gbp": m["cost_to"]["cost_gbp"],
            "cost_to_source": f"{m['cost_to']['source']} ({m['cost_to']['year']})",
            "saving_gbp": m["saving_gbp"],
            "arithmetic": m["arithmetic"],
            "basis": m["basis"],
            "synthetic": doc["synthetic"],
        }
        for m in doc["moves"]
    ]
    return _csv(to_csv(SCENARIO_CSV, rows), f"channel-shift-{council.council_id}")
