"""The data view: households, predominant class and modelled demand per area, JSON or CSV."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Request
from pydantic import Field

from app.deps import CatalogueDep, SettingsDep, StoreDep
from app.lookup import check_parent
from app.models import Scheme
from app.tabular import csv_response, csv_text, sidecar_url
from app.tiles.attribution import attribution_for
from core.errors import LimitExceeded, NotFound, NotReady, TooLarge
from core.levels import LEVEL_NAMES, counted
from core.store.queries import data as q
from geo.demand import assign_bands

router = APIRouter(prefix="/api", tags=["data"])


def band_for(index: float | None, edges: list[float], scheme: str) -> str | None:
    """Band of an index under ``scheme`` from its stored upper bounds (see ``geo.demand``)."""
    if index is None or len(edges) != 3:
        return None
    return str(assign_bands(np.array([index], float), edges, scheme)[0])


MAX_OFFSET = 10_000_000  # far past any level's areas, and well inside a 64-bit OFFSET
EXPECTED_USES = "uses per year"
EXPECTED_RELATIVE = "relative units (households weighted by propensity; no usage rate set)"


@router.get("/data", summary="One row per area: households and modelled demand per service")
async def get_data(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    cat: CatalogueDep,
    level: Annotated[str, Query(pattern="^(" + "|".join(LEVEL_NAMES) + ")$")],
    parent: Annotated[str | None, Query(max_length=32)] = None,
    service: Annotated[
        list[Annotated[int, Field(ge=0, le=1_000_000)]] | None,
        Query(description="LGSL codes; default all modelled (at most INSIGHT_MAX_SERVICES_PER_REQUEST)"),
    ] = None,
    classification: Annotated[str | None, Query(max_length=64)] = None,
    scheme: Scheme = "thresholds",
    format: Annotated[
        Literal["json", "csv", "meta"],
        Query(description="json (rows and metadata), csv (rows only) or meta (the CSV's metadata)"),
    ] = "json",
    bom: Annotated[bool, Query(description="CSV: start with a UTF-8 byte-order mark (for Excel)")] = False,
    channels: Annotated[
        bool, Query(description="Add the modelled channel suitability (UK areas; null elsewhere)")
    ] = False,
    limit: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    if service and len(service) > settings.max_services_per_request:
        raise LimitExceeded(
            f"{len(service)} service parameters exceed the maximum {settings.max_services_per_request}"
        )
    cap = settings.max_export_features if format != "json" else settings.max_page_size
    asked_limit = limit is not None
    limit = limit or cap
    if limit > cap:
        raise LimitExceeded(f"limit {limit} exceeds the maximum {cap} rows for format={format}")
    choice = cat.choose(level, classification)
    await check_parent(store, parent)
    cid = choice.classification_id
    if cid is None:
        raise NotReady(f"no classification is built for level {level!r}: run `insight build all`")
    models = await store.fetch_as(q.ServiceModelRow, q.service_models(cid))
    modelled = {r.lgsl: r.label for r in models}
    rates = {r.lgsl: r.rate for r in models}
    lgsls = list(dict.fromkeys(service)) if service else list(modelled)
    unknown = [s for s in lgsls if s not in modelled]
    if unknown:
        raise NotFound(f"service(s) {unknown} are not modelled for classification {cid!r}")

    areas = (
        await store.fetch_as(
            q.DataAreaRow,
            q.areas(
                classification_id=cid,
                level=level,
                tier=choice.tier,
                parent=parent,
                limit=limit,
                offset=offset,
            ),
        )
        if format != "meta"
        else []
    )
    total = int(areas[0].total) if areas else 0
    if format == "csv" and not asked_limit and offset + len(areas) < total:
        raise TooLarge(
            f"{total - offset} rows match, more than the {cap} a CSV download may hold "
            "(INSIGHT_MAX_EXPORT_FEATURES): narrow it with parent or page it with limit and offset"
        )
    codes = [a.code for a in areas]
    demand = (
        {
            (d.code, d.lgsl): d
            for d in await store.fetch_as(
                q.DemandRow, q.demand(classification_id=cid, level=level, codes=codes, lgsls=lgsls)
            )
        }
        if codes
        else {}
    )

    edges_by_service: dict[int, dict[str, list[float]]] = {lgsl: {} for lgsl in lgsls}
    for r in await store.fetch_as(q.ServiceBandEdgesRow, q.band_edges_of(cid, lgsls, level)):
        edges_by_service[r.lgsl][r.scheme] = json.loads(r.edges)
    services: list[dict[str, Any]] = []
    for lgsl in lgsls:
        edges = edges_by_service[lgsl]
        services.append(
            {
                "lgsl": lgsl,
                "label": modelled[lgsl],
                "scheme": scheme,
                "band_edges": edges.get(scheme, []),
                "rate": rates[lgsl],
                # Without a known usage rate, expected demand is households weighted by propensity:
                # comparable between areas, not a count of uses.
                "expected_units": EXPECTED_USES if rates[lgsl] else EXPECTED_RELATIVE,
            }
        )

    need = (
        {
            r.code: r
            for r in await store.fetch_as(
                q.ChannelNeedRow, q.channel_need(classification_id=cid, level=level, codes=codes)
            )
        }
        if channels and codes
        else {}
    )
    rows = []
    for a in areas:
        row: dict[str, Any] = {
            "code": a.code,
            "name": a.name,
            "level": a.level,
            "households": a.households,
            "predominant_code": a.predominant_code,
            "predominant_name": a.predominant_name,
        }
        for s in services:
            d = demand.get((a.code, s["lgsl"]))
            index = d.index if d else None
            band = (
                (d.band if scheme == "thresholds" else band_for(index, s["band_edges"], scheme))
                if d
                else None
            )
            row[f"s{s['lgsl']}_expected"] = d.expected if d else None
            row[f"s{s['lgsl']}_index"] = index
            row[f"s{s['lgsl']}_band"] = band
        if channels:
            n = need.get(a.code)
            for column in CHANNEL_COLUMNS:
                row[column] = getattr(n, column) if n else None
        rows.append(row)

    sources = await store.fetch_as(q.SourceRow, q.sources(level, [cid]))
    classified = next((c for c in cat.classifications.get(level, ()) if c.classification_id == cid), None)
    body: dict[str, Any] = {
        "level": level,
        "parent": parent,
        "classification_id": cid,
        "classification": classified.name if classified else cid,
        "tier": choice.tier,
        "counted": counted(level),
        "modelled": True,
        "note": "Demand figures are modelled (class mix × propensity indices from driver variables).",
        "attribution": attribution_for([level]),
        "sources": [asdict(r) for r in sources],
        "total": total,
        "limit": limit,
        "offset": offset,
        "services": services,
        "channels": channels,
        "rows": rows,
    }
    if format == "json":
        return body
    meta = {k: v for k, v in body.items() if k not in ("rows", "total", "limit", "offset")}
    meta["columns"] = describe_columns(body)
    if format == "meta":
        return meta
    columns: list[str] = [c["name"] for c in meta["columns"]]
    text = csv_text(columns, ([row.get(_key(c)) for c in columns] for row in rows), bom=bom)
    return csv_response(
        text,
        filename=f"insight-{level}.csv",
        described_by=sidecar_url(request, format="meta"),
        headers={
            "X-Insight-Attribution": str(meta["attribution"]),
            "X-Insight-Classification": f"{cid} ({meta['classification']}), tier {choice.tier}",
            "X-Insight-Counted": counted(level),
            "X-Insight-Modelled": "true; demand figures are modelled",
            "X-Total-Count": str(total),
        },
    )


def _key(column: str) -> str:
    """The row key behind a CSV column (the count column is named for what it counts)."""
    return "households" if column == "population" else column


CHANNEL_COLUMNS = ("assisted_index", "web_share", "telephone_share", "face_to_face_share", "channel_source")
CHANNEL_NOTE = "likely contact channel, modelled from Census 2021 drivers and an assumed baseline mix"


def describe_columns(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The CSV's columns in order, each with what it holds and its unit."""
    noun = body["counted"]
    what = (
        "residents of the region (Eurostat)"
        if noun == "population"
        else "all households in the area (Census 2021)"
    )
    columns: list[dict[str, Any]] = [
        {"name": "code", "description": "area code"},
        {"name": "name", "description": "area name"},
        {"name": "level", "description": "area level"},
        {"name": noun, "description": what, "unit": noun},
        {"name": "predominant_code", "description": f"leading class at tier {body['tier']}"},
        {"name": "predominant_name", "description": "its name"},
    ]
    for s in body["services"]:
        key = f"s{s['lgsl']}"
        columns += [
            {
                "name": f"{key}_expected",
                "description": f"expected demand for LGSL {s['lgsl']} {s['label']} (modelled)",
                "unit": s["expected_units"],
            },
            {
                "name": f"{key}_index",
                "description": "demand index (100 = reference average)",
                "unit": "index",
            },
            {
                "name": f"{key}_band",
                "description": f"demand band under the {s['scheme']} scheme",
                "band_edges": s["band_edges"],
            },
        ]
    if body.get("channels"):
        columns += [
            {
                "name": "assisted_index",
                "description": CHANNEL_NOTE + ": assisted-contact index",
                "unit": "index",
            },
            {"name": "web_share", "description": "expected share of web contact (modelled)", "unit": "share"},
            {
                "name": "telephone_share",
                "description": "expected share of telephone contact (modelled)",
                "unit": "share",
            },
            {
                "name": "face_to_face_share",
                "description": "expected share of face-to-face contact (modelled)",
                "unit": "share",
            },
            {"name": "channel_source", "description": "modelled, or observed in councils' pooled records"},
        ]
    return columns
