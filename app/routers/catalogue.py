"""Classifications (class hierarchies) and services (LGSL, how each is modelled)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from app.deps import StoreDep
from app.models import ClassificationDetail, ClassificationSummary, ServiceDetail, ServiceSummary
from app.pooled import SYNTHETIC_NOTE, pooled_evidence
from app.tabular import csv_response, csv_text, sidecar_url
from core.errors import NotFound
from core.store.queries import catalogue as q
from core.store.queries import pooling as qp
from core.store.queries.catalogue import (
    ClassificationRow,
    ClassRow,
    PropensityRow,
    ServiceListRow,
    ServiceModelRow,
    ServiceRow,
)
from core.store.queries.pooling import PooledRow

router = APIRouter(prefix="/api", tags=["classifications", "services"])

IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


def _families(base_levels: str | None) -> list[str]:
    levels = (base_levels or "").split(",")
    return sorted({"europe" if lv.startswith("nuts") else "uk" for lv in levels if lv})


def _classification(row: ClassificationRow) -> dict[str, Any]:
    return asdict(row) | {"tiers": row.tier_list}


@router.get("/classifications", response_model=list[ClassificationSummary], summary="Classifications")
async def list_classifications(store: StoreDep) -> list[dict[str, Any]]:
    return [_classification(r) for r in await store.fetch_as(ClassificationRow, q.classifications())]


@router.get(
    "/classifications/{classification_id}",
    response_model=ClassificationDetail,
    summary="A classification's class hierarchy: names, colours, descriptions",
)
async def get_classification(classification_id: IdPath, store: StoreDep) -> dict[str, Any]:
    rows = await store.fetch_as(ClassificationRow, q.classification(classification_id))
    if not rows:
        raise NotFound(f"no classification {classification_id!r}")
    classes = await store.fetch_as(ClassRow, q.classes(classification_id))
    return _classification(rows[0]) | {"classes": [asdict(c) for c in classes]}


@router.get("/services", response_model=list[ServiceSummary], summary="LGSL services, modelled ones marked")
async def list_services(
    store: StoreDep,
    q_: Annotated[str | None, Query(alias="q", max_length=100)] = None,
    modelled: bool = False,
) -> list[dict[str, Any]]:
    text = q_.strip().lower() if q_ and q_.strip() else None
    rows = await store.fetch_as(ServiceListRow, q.services(text, modelled))
    return [
        {k: v for k, v in asdict(r).items() if k != "base_levels"} | {"families": _families(r.base_levels)}
        for r in rows
    ]


@router.get(
    "/services/{lgsl}", response_model=ServiceDetail, summary="A service and how its demand is modelled"
)
async def get_service(lgsl: Annotated[int, Path(ge=0, le=1_000_000)], store: StoreDep) -> dict[str, Any]:
    rows = await store.fetch_as(ServiceRow, q.service(lgsl))
    if not rows:
        raise NotFound(f"no LGSL service {lgsl}")
    models = []
    pooled = await store.fetch_as(PooledRow, qp.for_service(lgsl))
    for m in await store.fetch_as(ServiceModelRow, q.service_models(lgsl)):
        propensity = await store.fetch_as(PropensityRow, q.propensities(m.classification_id, lgsl))
        models.append(
            asdict(m)
            | {
                "modelled": True,
                "drivers": json.loads(m.drivers) if m.drivers else [],
                "propensity": [asdict(p) for p in propensity],
                "evidence": pooled_evidence(
                    [r for r in pooled if r.classification_id == m.classification_id]
                ),
            }
        )
    return asdict(rows[0]) | {"modelled": bool(models), "models": models}


PROPENSITY_COLUMNS = [
    "classification_id",
    "tier",
    "class_code",
    "name",
    "index",
    "source",
    "modelled_index",
    "observed_index",
    "index_low",
    "index_high",
    "customers",
    "households",
    "councils",
    "warning",
    "as_of",
    "sample_size",
]


@router.get(
    "/services/{lgsl}/propensities",
    response_model=None,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="A service's propensity per class: the one used, the modelled one and councils' observed one",
)
async def service_propensities(
    request: Request,
    lgsl: Annotated[int, Path(ge=0, le=1_000_000)],
    store: StoreDep,
    format: Annotated[
        Literal["json", "csv", "meta"],
        Query(description="json (rows and metadata), csv (rows only) or meta (the CSV's metadata)"),
    ] = "json",
) -> Any:
    doc = await get_service(lgsl, store)
    rows = []
    for m in doc["models"]:
        evidence = {c["class_code"]: c for c in (m["evidence"] or {}).get("classes", [])}
        for p in m["propensity"]:
            e = evidence.get(p["class_code"], {})
            rows.append(
                {"classification_id": m["classification_id"], **p}
                | {k: e.get(k) for k in PROPENSITY_COLUMNS if k in e and k not in ("tier", "class_code")}
                | {"modelled_index": e.get("modelled_index", p["index"]) if e else p["index"]}
            )
    sources = sorted({r["source"] for r in rows})
    synthetic = any((m["evidence"] or {}).get("synthetic") for m in doc["models"])
    body = {
        "lgsl": lgsl,
        "label": doc["label"],
        "sources": sources,
        "note": "index is the propensity the public demand model uses; source says whether it is modelled "
        "from census drivers or observed in councils' pooled records (see evidence in /api/services/{lgsl})."
        + (f" {SYNTHETIC_NOTE}" if synthetic else ""),
        "synthetic": synthetic,
        "rows": rows,
    }
    if format == "json":
        return body
    meta = {k: v for k, v in body.items() if k != "rows"} | {"columns": PROPENSITY_COLUMNS}
    if format == "meta":
        return meta
    text = csv_text(PROPENSITY_COLUMNS, ([r.get(c) for c in PROPENSITY_COLUMNS] for r in rows))
    return csv_response(
        text,
        filename=f"insight-propensities-{lgsl}.csv",
        described_by=sidecar_url(request, format="meta"),
        headers={"X-Insight-Sources": ", ".join(sources), "X-Insight-Synthetic": str(synthetic).lower()},
    )
