"""A council against the other councils that uploaded the same service (JSON, CSV), anonymised.

Token-protected like every council route; answers are private.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app import benchmarks
from app.council_data import CouncilRef
from app.councils import CouncilDep
from app.deps import CatalogueDep, SettingsDep, StoreDep
from app.routers.council_profiles import (
    ClassificationQuery,
    FormatQuery,
    ServiceQuery,
    TierQuery,
    _classification,
    _csv,
)
from app.routers.councils import CSV_OR_JSON
from app.tabular import to_csv

router = APIRouter(prefix="/api/councils", tags=["council workspace"])

BENCH_CSV = [
    "council_id",
    "service_lgsl",
    "service_label",
    "tier",
    "measure",
    "class_code",
    "class_name",
    "value",
    "percentile",
    "median",
    "q1",
    "q3",
    "others",
]


@router.get(
    "/{council_id}/benchmarks",
    responses=CSV_OR_JSON,
    summary="Your take-up and index against other councils' (anonymised percentiles)",
)
async def get_benchmarks(
    caller: CouncilDep,
    store: StoreDep,
    cat: CatalogueDep,
    settings: SettingsDep,
    service: ServiceQuery = None,
    tier: TierQuery = None,
    classification: ClassificationQuery = None,
    format: FormatQuery = "json",
) -> Any:
    """The council's take-up against expected demand and its profile index per class, placed
    among the other councils that uploaded the same service: percentile, median and
    interquartile range, never another council's name or counts; only with at least
    ``INSIGHT_BENCHMARK_MIN_OTHERS`` other councils."""
    cid, tiers, use_tier = _classification(cat, classification, tier)
    council = CouncilRef.of(caller.council)
    doc = await benchmarks.benchmark(
        store,
        council,
        classification_id=cid,
        tiers=tiers,
        tier=use_tier,
        lgsl=service,
        min_others=settings.benchmark_min_others,
    )
    if format == "json":
        return doc
    common = {
        "council_id": council.council_id,
        "service_lgsl": service,
        "service_label": (doc["service"] or {}).get("label"),
        "tier": use_tier,
    }
    rows = []
    if doc["enough"] and doc["takeup"]:
        rows.append(common | {"measure": "takeup", "class_code": "all"} | doc["takeup"])
    for c in doc.get("classes", []) if doc["enough"] else []:
        placing = c["placing"] or {"value": c["index"]}
        rows.append(common | {"measure": "index", "class_code": c["code"], "class_name": c["name"]} | placing)
    return _csv(to_csv(BENCH_CSV, rows), f"benchmarks-{council.council_id}")
