"""Classifications (class hierarchies) and services (LGSL, how each is modelled)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.deps import StoreDep
from app.models import ClassificationDetail, ClassificationSummary, ServiceDetail, ServiceSummary
from core.errors import NotFound
from core.store.queries import catalogue as q

router = APIRouter(prefix="/api", tags=["classifications", "services"])

IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


def _families(base_levels: str | None) -> list[str]:
    levels = (base_levels or "").split(",")
    return sorted({"europe" if lv.startswith("nuts") else "uk" for lv in levels if lv})


def _classification(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"tiers": [t for t in str(row["tiers"]).split(",") if t]}


@router.get("/classifications", response_model=list[ClassificationSummary], summary="Classifications")
async def list_classifications(store: StoreDep) -> list[dict[str, Any]]:
    return [_classification(r) for r in await store.fetch(q.CLASSIFICATIONS)]


@router.get(
    "/classifications/{classification_id}",
    response_model=ClassificationDetail,
    summary="A classification's class hierarchy: names, colours, descriptions",
)
async def get_classification(classification_id: IdPath, store: StoreDep) -> dict[str, Any]:
    row = await store.fetchrow(q.CLASSIFICATION, classification_id)
    if row is None:
        raise NotFound(f"no classification {classification_id!r}")
    classes = await store.fetch(q.CLASSES, classification_id)
    return _classification(row) | {"classes": classes}


@router.get("/services", response_model=list[ServiceSummary], summary="LGSL services, modelled ones marked")
async def list_services(
    store: StoreDep,
    q_: Annotated[str | None, Query(alias="q", max_length=100)] = None,
    modelled: bool = False,
) -> list[dict[str, Any]]:
    text = q_.strip().lower() if q_ and q_.strip() else None
    rows = await store.fetch(q.SERVICES, text, modelled)
    return [r | {"families": _families(r.pop("base_levels", None))} for r in rows]


@router.get(
    "/services/{lgsl}", response_model=ServiceDetail, summary="A service and how its demand is modelled"
)
async def get_service(lgsl: Annotated[int, Path(ge=0, le=1_000_000)], store: StoreDep) -> dict[str, Any]:
    row = await store.fetchrow(q.SERVICE, lgsl)
    if row is None:
        raise NotFound(f"no LGSL service {lgsl}")
    models = []
    for m in await store.fetch(q.SERVICE_MODELS, lgsl):
        drivers = json.loads(m["drivers"]) if m["drivers"] else []
        models.append(
            m
            | {
                "modelled": True,
                "drivers": drivers,
                "propensity": await store.fetch(q.PROPENSITIES, m["classification_id"], lgsl),
            }
        )
    return row | {"modelled": bool(models), "models": models}
