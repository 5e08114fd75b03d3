"""Download the data behind the map: one level's areas as GeoJSON or CSV, by bbox or parent.

Exports carry the attribution their sources require and label modelled figures. A request
matching more areas than ``INSIGHT_MAX_EXPORT_FEATURES`` is refused (400) after a count, before any
geometry is built, rather than cut.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.catalogue import Catalogue
from app.deps import CatalogueDep, SettingsDep, StoreDep
from app.lookup import check_parent
from app.tabular import csv_response, csv_text, sidecar_url
from app.tiles.attribution import MODELLED, attribution_for
from app.tiles.features import dumps, feature, output_name, parse_bbox
from core.errors import LimitExceeded, NotFound
from core.levels import counted
from core.store import Reader
from core.store.queries import features as q
from core.store.queries.data import BandEdgesRow, SourceRow, band_edges
from core.store.queries.data import sources as sources_of
from core.store.queries.features import PROPERTIES
from core.store.sql import Query as SqlQuery

router = APIRouter(prefix="/api/export", tags=["export"])

CSV_COLUMNS = [p for p in PROPERTIES] + ["lon", "lat"]


COLUMN_TEXT = {
    "code": "area code",
    "name": "area name",
    "level": "area level",
    "country": "country code",
    "parent_code": "parent in the level's main hierarchy",
    "households": "all households in the area (Census 2021)",
    "leading_class_households": "households of the leading class",
    "population": "residents of the region (Eurostat)",
    "leading_class_population": "residents counted in the leading class",
    "classification_id": "classification the class comes from",
    "class_code": "leading (predominant) class",
    "class_name": "its name",
    "colour": "its colour on the map",
    "share": "leading class's share of the area (0-1)",
    "margin": "share ahead of the runner-up class (0-1)",
    "mixed": "true when the margin is small: no clear leading class",
    "demand_index": "modelled demand index (100 = reference average)",
    "band": "modelled demand band (thresholds scheme)",
    "lon": "longitude of a point inside the area (EPSG:4326)",
    "lat": "latitude of that point",
}

LevelPath = Annotated[str, Path(max_length=16, description="nuts0..nuts3, lad, ward, lsoa, oa")]
BBoxQuery = Annotated[str | None, Query(max_length=200, description="minx,miny,maxx,maxy (lon/lat)")]
ParentQuery = Annotated[
    str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9_\-]+$", description="Any ancestor's code")
]
ServiceQuery = Annotated[
    int | None, Query(ge=0, le=1_000_000, description="LGSL: adds demand index and band")
]
ClassificationQuery = Annotated[str | None, Query(max_length=64)]
TierQuery = Annotated[str | None, Query(max_length=32)]


@dataclass(frozen=True)
class ExportPlan:
    """What an export holds: the level, classifications, tier, service and its columns."""

    level: str
    ids: list[str]
    tier: str | None
    service: int | None
    labels: dict[int, str]
    keep: list[str]

    @property
    def csv_columns(self) -> list[str]:
        return [c for c in CSV_COLUMNS if c in self.keep or c in ("lon", "lat")]

    @property
    def notes(self) -> list[str]:
        notes = [attribution_for([self.level])]
        if self.service is not None:
            notes.append(f"{MODELLED} (service {self.service}: {self.labels[self.service]})")
        return notes


def _plan(
    cat: Catalogue, level: str, classification: str | None, tier: str | None, service: int | None
) -> ExportPlan:
    level = cat.level_or_404(level)
    choice = cat.choose(level, classification, tier)
    ids = list(choice.classifications)
    labels = cat.modelled(ids)
    if service is not None and service not in labels:
        raise NotFound(f"service {service} has no modelled demand at level {level!r}")
    keep = [p for p in PROPERTIES if service is not None or p not in ("demand_index", "band")]
    return ExportPlan(level, ids, choice.tier, service, labels, keep)


async def _metadata(store: Reader, plan: ExportPlan) -> dict[str, Any]:
    """The sidecar of an export: what each CSV column holds, sources, attribution, band edges."""
    sources = await store.fetch_as(SourceRow, sources_of(plan.level, plan.ids))
    meta: dict[str, Any] = {
        "level": plan.level,
        "classifications": plan.ids,
        "tier": plan.tier,
        "counted": counted(plan.level),
        "attribution": attribution_for([plan.level]),
        "notes": plan.notes,
        "sources": [asdict(r) for r in sources],
        "columns": [
            {"name": output_name(c, plan.level), "description": COLUMN_TEXT[output_name(c, plan.level)]}
            for c in plan.csv_columns
        ],
    }
    if plan.service is not None and plan.ids:
        edges = await store.fetch_as(BandEdgesRow, band_edges(plan.ids[0], plan.service, plan.level))
        meta["service"] = {
            "lgsl": plan.service,
            "label": plan.labels[plan.service],
            "modelled": True,
            "band_edges": {r.scheme: json.loads(r.edges) for r in edges},
        }
    return meta


@router.get(
    "/{level}.meta.json",
    summary="What an export's CSV columns hold: sources, attribution, classification, band edges",
)
async def export_metadata(
    level: LevelPath,
    store: StoreDep,
    cat: CatalogueDep,
    bbox: BBoxQuery = None,
    parent: ParentQuery = None,
    service: ServiceQuery = None,
    classification: ClassificationQuery = None,
    tier: TierQuery = None,
) -> dict[str, Any]:
    parse_bbox(bbox)
    plan = _plan(cat, level, classification, tier, service)
    await check_parent(store, parent)
    return await _metadata(store, plan)


@router.get(
    "/{level}.{fmt}",
    summary="Areas of a level with their predominant class (and modelled demand) as GeoJSON or CSV",
    responses={200: {"content": {"application/geo+json": {}, "text/csv": {}}}},
)
async def export(
    request: Request,
    level: LevelPath,
    fmt: Annotated[Literal["geojson", "csv"], Path(description="geojson or csv")],
    store: StoreDep,
    settings: SettingsDep,
    cat: CatalogueDep,
    bbox: BBoxQuery = None,
    parent: ParentQuery = None,
    service: ServiceQuery = None,
    classification: ClassificationQuery = None,
    tier: TierQuery = None,
    bom: Annotated[bool, Query(description="CSV: start with a UTF-8 byte-order mark (for Excel)")] = False,
) -> Response:
    box = parse_bbox(bbox)
    plan = _plan(cat, level, classification, tier, service)
    level = plan.level
    await check_parent(store, parent)
    cap = settings.max_export_features

    def matching(limit: int, with_geometry: bool) -> SqlQuery:
        return q.features(
            level=level,
            classifications=plan.ids,
            tier=plan.tier,
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
    filename = f"{level}-areas.{fmt}"
    if fmt == "geojson":
        doc = {
            "type": "FeatureCollection",
            "name": f"{level}-areas",
            "attribution": attribution,
            "notes": plan.notes,
            "classifications": plan.ids,
            "tier": plan.tier,
            "counted": counted(level),
            "features": [feature(r, plan.keep) for r in rows],
        }
        return Response(
            dumps(doc),
            media_type="application/geo+json",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    columns = plan.csv_columns
    text = csv_text(
        [output_name(c, level) for c in columns],
        ([_csv_value(r.get(c)) for c in columns] for r in rows),
        bom=bom,
    )
    headers = {
        "X-Insight-Attribution": attribution,
        "X-Insight-Counted": counted(level),
        "X-Total-Count": str(len(rows)),
    }
    if plan.ids:
        headers["X-Insight-Classification"] = f"{', '.join(plan.ids)}; tier {plan.tier}"
    if service is not None:
        headers["X-Insight-Modelled"] = f"true; {plan.notes[-1]}"
    return csv_response(
        text,
        filename=filename,
        described_by=sidecar_url(request, path=f"/api/export/{level}.meta.json"),
        headers=headers,
    )


def _csv_value(value: Any) -> Any:
    """A CSV field: booleans as true/false (as in the JSON), the rest as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
