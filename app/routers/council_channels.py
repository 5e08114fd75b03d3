"""A council's channels: mix and index per class, the seasons and channel migration (JSON, CSV).

Token-protected like every council route; answers are private. CSV files are header first and
data only, every row naming its source ("synthetic" where any upload was generated).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app import channels
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
from app.routers.councils import CSV_OR_JSON
from app.tabular import SUPPRESSED, to_csv

router = APIRouter(prefix="/api/councils", tags=["council workspace"])
DateQuery = Annotated[dt.date, Query(description="A date (YYYY-MM-DD); months count whole")]


def _common(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "council_id": doc["council"]["id"],
        "service_lgsl": (doc["service"] or {}).get("lgsl"),
        "service_label": (doc["service"] or {}).get("label") or "every service",
        "source": doc["source"]["customers"],
        "synthetic": doc["source"]["synthetic"],
    }


def _or_suppressed(row: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    if not row.get("suppressed"):
        return row
    return row | {k: SUPPRESSED for k in keys if row.get(k) is None}


MIX_CSV = [
    "council_id",
    "service_lgsl",
    "service_label",
    "tier",
    "source",
    "synthetic",
    "class_code",
    "class_name",
    "channel",
    "contacts",
    "share",
    "share_low",
    "share_high",
    "index",
    "index_low",
    "index_high",
    "z",
    "significant",
    "suppressed",
]


@router.get(
    "/{council_id}/channels",
    responses=CSV_OR_JSON,
    summary="Channel mix and channel index per class, with intervals and z",
)
async def get_channels(
    caller: CouncilDep,
    store: StoreDep,
    cat: CatalogueDep,
    service: ServiceQuery = None,
    tier: TierQuery = None,
    classification: ClassificationQuery = None,
    format: FormatQuery = "json",
) -> Any:
    """Per class: contacts on each channel, the class's share on it with its 95 % interval, and
    the channel index (100 = the council's overall mix) with its interval and z; counts of 1 to
    5 and what would reveal them are suppressed."""
    cid, _, use_tier = _classification(cat, classification, tier)
    council = CouncilRef.of(caller.council)
    doc = await channels.channel_mix(store, council, classification_id=cid, tier=use_tier, lgsl=service)
    if format == "json":
        return doc
    common = _common(doc) | {"tier": use_tier}
    rows = []
    for cls in doc["classes"]:
        for cell in cls["channels"]:
            row = common | {"class_code": cls["code"], "class_name": cls["name"]} | cell
            rows.append(_or_suppressed(row, MIX_CSV[9:18]))
    return _csv(to_csv(MIX_CSV, rows), f"channels-{council.council_id}-{use_tier}")


SEASON_CSV = [
    "council_id",
    "service_lgsl",
    "service_label",
    "source",
    "synthetic",
    "month",
    "name",
    "months_covered",
    "contacts",
    "month_mean",
    "index",
    "suppressed",
]


@router.get(
    "/{council_id}/seasons",
    responses=CSV_OR_JSON,
    summary="Seasonal index per calendar month: 100 × month mean / annual mean",
)
async def get_seasons(
    caller: CouncilDep, store: StoreDep, service: ServiceQuery = None, format: FormatQuery = "json"
) -> Any:
    """Contacts per calendar month over the months covered, the mean per month and the seasonal
    index (100 = an average month)."""
    council = CouncilRef.of(caller.council)
    doc = await channels.seasons(store, council, service)
    if format == "json":
        return doc
    rows = [_or_suppressed(_common(doc) | m, ["contacts", "month_mean", "index"]) for m in doc["months"]]
    return _csv(to_csv(SEASON_CSV, rows), f"seasons-{council.council_id}")


MIGRATION_CSV = [
    "council_id",
    "service_lgsl",
    "service_label",
    "tier",
    "source",
    "synthetic",
    "period_1",
    "period_2",
    "class_code",
    "class_name",
    "channel",
    "contacts_1",
    "share_1",
    "contacts_2",
    "share_2",
    "change_points",
    "z",
    "significant",
    "suppressed",
]


@router.get(
    "/{council_id}/channels/migration",
    responses=CSV_OR_JSON,
    summary="Channel migration between two periods, with a two-proportion z-test",
)
async def get_migration(
    caller: CouncilDep,
    store: StoreDep,
    cat: CatalogueDep,
    from1: DateQuery,
    to1: DateQuery,
    from2: DateQuery,
    to2: DateQuery,
    service: ServiceQuery = None,
    tier: TierQuery = None,
    classification: ClassificationQuery = None,
    format: FormatQuery = "json",
) -> Any:
    """Each channel's share of contacts in the first period (``from1``–``to1``) and the second
    (``from2``–``to2``), the change in points and the z of a two-proportion test, overall and per
    class (classes without contacts in both periods are not tested)."""
    cid, _, use_tier = _classification(cat, classification, tier)
    council = CouncilRef.of(caller.council)
    doc = await channels.migration(
        store,
        council,
        classification_id=cid,
        tier=use_tier,
        lgsl=service,
        first=(from1, to1),
        second=(from2, to2),
    )
    if format == "json":
        return doc
    periods = [f"{p['from']}..{p['to']}" for p in doc["periods"]]
    common = _common(doc) | {"tier": use_tier, "period_1": periods[0], "period_2": periods[1]}
    rows = [
        _or_suppressed(common | {"class_code": "all", "class_name": "all classes"} | r, MIGRATION_CSV[11:18])
        for r in doc["overall"]
    ]
    for cls in doc["classes"]:
        for r in cls["channels"] or []:
            row = common | {"class_code": cls["code"], "class_name": cls["name"]} | r
            rows.append(_or_suppressed(row, MIGRATION_CSV[11:18]))
    return _csv(to_csv(MIGRATION_CSV, rows), f"migration-{council.council_id}")
