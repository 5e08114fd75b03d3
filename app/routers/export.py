"""Download the data behind the map: one level's areas as GeoJSON or CSV, by bbox or parent.

Exports carry the attribution their sources require and label modelled figures. A request
matching more areas than ``INSIGHT_MAX_EXPORT_FEATURES`` is refused (400) rather than cut.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from app.deps import CatalogueDep, SettingsDep, StoreDep
from app.tiles.attribution import MODELLED, attribution_for
from app.tiles.features import dumps, feature, parse_bbox
from core.errors import LimitExceeded, NotFound
from core.store.queries import features as q
from core.store.queries.features import PROPERTIES
from core.store.sql import Query as SqlQuery

router = APIRouter(prefix="/api/export", tags=["export"])

CSV_COLUMNS = [p for p in PROPERTIES] + ["lon", "lat"]


@router.get(
    "/{level}.{fmt}",
    summary="Areas of a level with their predominant class (and modelled demand) as GeoJSON or CSV",
    responses={200: {"content": {"application/geo+json": {}, "text/csv": {}}}},
)
async def export(
    level: Annotated[str, Path(max_length=16, description="nuts0..nuts3, lad, ward, lsoa, oa")],
    fmt: Annotated[Literal["geojson", "csv"], Path(description="geojson or csv")],
    store: StoreDep,
    settings: SettingsDep,
    cat: CatalogueDep,
    bbox: Annotated[str | None, Query(max_length=200, description="minx,miny,maxx,maxy (lon/lat)")] = None,
    parent: Annotated[
        str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9_\-]+$", description="Any ancestor's code")
    ] = None,
    service: Annotated[
        int | None, Query(ge=0, le=1_000_000, description="LGSL: adds demand index and band")
    ] = None,
    classification: Annotated[str | None, Query(max_length=64)] = None,
    tier: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    level = cat.level_or_404(level)
    box = parse_bbox(bbox)
    choice = cat.choose(level, classification, tier)
    ids, use_tier = list(choice.classifications), choice.tier
    labels = cat.modelled(ids)
    if service is not None and service not in labels:
        raise NotFound(f"service {service} has no modelled demand at level {level!r}")
    cap = settings.max_export_features

    def matching(limit: int, with_geometry: bool) -> SqlQuery:
        return q.features(
            level=level,
            classifications=ids,
            tier=use_tier,
            bbox=box,
            parent=parent,
            limit=limit,
            service=service,
            with_geometry=with_geometry,
        )

    # Count first, without outlines: a refused export builds no geometry at all.
    probe = await store.fetch(matching(1, with_geometry=False))
    total = int(probe[0]["total"]) if probe else 0
    if total > cap:
        raise LimitExceeded(
            f"{total} areas match, more than the export maximum {cap}: narrow it with bbox or parent"
        )
    rows = await store.fetch(matching(cap, with_geometry=fmt == "geojson")) if total else []
    attribution = attribution_for([level])
    notes = [attribution]
    if service is not None:
        notes.append(f"{MODELLED} (service {service}: {labels[service]})")
    filename = f"{level}-areas.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    keep = [p for p in PROPERTIES if service is not None or p not in ("demand_index", "band")]
    if fmt == "geojson":
        doc = {
            "type": "FeatureCollection",
            "name": f"{level}-areas",
            "attribution": attribution,
            "notes": notes,
            "classifications": ids,
            "tier": use_tier,
            "features": [feature(r, keep) for r in rows],
        }
        return Response(dumps(doc), media_type="application/geo+json", headers=headers)
    out = io.StringIO()
    for note in notes:
        out.write(f"# {note}\n")
    if ids:
        out.write(f"# classifications: {', '.join(ids)}; tier: {use_tier}\n")
    columns = [c for c in CSV_COLUMNS if c in keep or c in ("lon", "lat")]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
