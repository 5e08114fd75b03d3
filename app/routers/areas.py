"""Areas: search, detail with class mix and predominant class, demand, similar areas."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.deps import CatalogueDep, SettingsDep, StoreDep
from app.lookup import area_or_404, check_parent, summary
from app.models import AreaDemand, AreaDetail, AreaPage, Metric, SimilarAreas
from app.similar import similar_areas
from core.errors import LimitExceeded
from core.levels import LEVEL_NAMES
from core.store.queries import areas as q
from core.store.queries.areas import (
    AreaRow,
    ClassMixRow,
    DemandRow,
    ParentRow,
    PredominantRow,
)

CHANNEL_NOTE = (
    "Modelled, not observed: the likelihood of needing assisted contact from Census 2021 drivers of "
    "digital exclusion (see /api/channels/model), and the expected mix from an assumed baseline"
)

OBSERVED_CHANNEL_NOTE = (
    "Observed in councils' pooled records: each class's channel mix where enough councils' records "
    "stand behind it (see /api/channels/model), the modelled likelihood elsewhere, applied to this "
    "area's class mix"
)

router = APIRouter(prefix="/api/areas", tags=["areas"])

CodePath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")]
LevelQuery = Annotated[str | None, Query(pattern="^(" + "|".join(LEVEL_NAMES) + ")$")]
ClassificationQuery = Annotated[str | None, Query(max_length=64, description="Classification id")]


@router.get("", response_model=AreaPage, summary="Search areas by code, name, postcode or postcode district")
async def search_areas(
    store: StoreDep,
    settings: SettingsDep,
    level: LevelQuery = None,
    q_: Annotated[str | None, Query(alias="q", max_length=100)] = None,
    parent: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    limit = limit or settings.default_page_size
    if limit > settings.max_page_size:
        raise LimitExceeded(f"limit {limit} exceeds the maximum page size {settings.max_page_size}")
    text = q_.strip().lower() if q_ and q_.strip() else None
    await check_parent(store, parent)
    rows = await _by_postcode(store, q_, level) if text and not parent and not offset else []
    if not rows:
        rows = await store.fetch_as(AreaRow, q.search(level, text, parent, limit, offset))
    total = int(rows[0].total or 0) if rows else 0
    return {"total": total, "limit": limit, "offset": offset, "items": [summary(r) for r in rows]}


# A full postcode (outward code, then digit and two letters) or a postcode district (outward code).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})?$")


async def _by_postcode(store: StoreDep, text: str | None, level: str | None) -> list[AreaRow]:
    """Areas a postcode or postcode district names, through the loaded postcode lookup (none
    when the text is not shaped like one or no lookup is loaded)."""
    compact = re.sub(r"\s+", "", text or "").upper()
    match = _POSTCODE.match(compact)
    if not match:
        return []
    full = compact if match.group(2) else None
    rows = await store.fetch_as(AreaRow, q.by_postcode(full, None if full else compact, 100))
    return [r for r in rows if level is None or r.level == level]


@router.get("/{code}", response_model=AreaDetail, summary="One area: parents, households, class mix")
async def get_area(
    code: CodePath,
    store: StoreDep,
    cat: CatalogueDep,
    level: LevelQuery = None,
    classification: ClassificationQuery = None,
) -> dict[str, Any]:
    area = await area_or_404(store, code, level)
    parents = await store.fetch_as(ParentRow, q.parents(area.level, area.code))
    out = summary(area) | {
        "vintage": area.vintage,
        "parents": [asdict(p) for p in parents],
        "households": None,
        "households_basis": None,
        "classification": None,
        "mix": {},
        "predominant": {},
    }
    if not cat.classifications.get(area.level) and classification is None:
        return out
    chosen = cat.classification_at(area.level, classification)
    cid = chosen.classification_id
    out["classification"] = {"id": cid, "name": chosen.name, "attribution": chosen.attribution}
    out["households_basis"] = "population" if chosen.population_based else "households"
    mix_rows = await store.fetch_as(ClassMixRow, q.mix(cid, area.level, area.code))
    tiers = chosen.tiers
    for tier in tiers:
        rows = [r for r in mix_rows if r.tier == tier]
        total = sum(float(r.households) for r in rows)
        if tier == tiers[0]:
            out["households"] = total
        out["mix"][tier] = [
            {
                "code": r.code,
                "name": r.name,
                "colour": r.colour,
                "households": float(r.households),
                "share": float(r.households) / total if total else 0.0,
            }
            for r in rows
        ]
    need = await store.fetch_as(q.ChannelNeedRow, q.channel_need(area.level, area.code))
    if need:
        n = need[0]
        out["channels"] = {
            "classification_id": n.classification_id,
            "assisted_index": n.assisted_index,
            "web": n.web_share,
            "telephone": n.telephone_share,
            "face_to_face": n.face_to_face_share,
            "modelled": n.source != "observed",
            "source": n.source,
            "note": OBSERVED_CHANNEL_NOTE if n.source == "observed" else CHANNEL_NOTE,
        }
    for p in await store.fetch_as(PredominantRow, q.predominant(cid, area.level, area.code)):
        out["predominant"][p.tier] = {
            "code": p.code,
            "name": p.name,
            "colour": p.colour,
            "share": p.share,
            "margin": p.margin,
            "mixed": p.mixed,
            "runner_up_code": p.runner_up_code,
        }
    return out


@router.get("/{code}/demand", response_model=AreaDemand, summary="Modelled demand per service")
async def get_area_demand(
    code: CodePath,
    store: StoreDep,
    cat: CatalogueDep,
    level: LevelQuery = None,
    classification: ClassificationQuery = None,
) -> dict[str, Any]:
    area = await area_or_404(store, code, level)
    chosen = cat.classification_at(area.level, classification)
    rows = await store.fetch_as(DemandRow, q.demand(chosen.classification_id, area.level, area.code))
    return {
        "code": area.code,
        "level": area.level,
        "classification_id": chosen.classification_id,
        "modelled": True,
        "note": "Modelled: expected demand from the area's class mix and propensity indices derived "
        "from census/Eurostat driver variables; index 100 = the national (or European) average.",
        "services": [
            {"lgsl": r.lgsl, "label": r.label, "expected": r.expected, "index": r.index, "band": r.band}
            for r in rows
        ],
    }


@router.get("/{code}/similar", response_model=SimilarAreas, summary="Areas with the most similar class mix")
async def get_similar_areas(
    code: CodePath,
    store: StoreDep,
    settings: SettingsDep,
    cat: CatalogueDep,
    k: Annotated[int, Query(ge=1)] = 10,
    metric: Metric = "hellinger",
    level: LevelQuery = None,
    classification: ClassificationQuery = None,
) -> dict[str, Any]:
    if k > settings.max_similar:
        raise LimitExceeded(f"k {k} exceeds the maximum {settings.max_similar}")
    area = await area_or_404(store, code, level)
    chosen = cat.classification_at(area.level, classification)
    return await similar_areas(store, area, chosen, k, metric)
