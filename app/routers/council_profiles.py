"""A council's customer profile, take-up (JSON, CSV and a tile layer) and funnel plot.

Every route takes ``CouncilDep``: 401 without a valid token, 403 with another council's, an
audit record per use. Answers are private (``Cache-Control: private, no-store``); the CSV
files are header first and data only, every row naming its base and its source.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from app import profiles, takeup
from app.catalogue import Catalogue
from app.council_data import CouncilRef, source_doc
from app.councils import PRIVATE, CouncilDep
from app.deps import CatalogueDep, SettingsDep, StoreDep
from app.routers.councils import AUTH_ERRORS, CSV_OR_JSON
from app.routers.tiles import MVT_MEDIA_TYPE
from app.tabular import SUPPRESSED, to_csv
from core.errors import BadRequest
from core.store import Reader
from core.store.tile_source import AreaValues, TileQuery
from core.tiling import check_tile
from records.access import Caller

router = APIRouter(prefix="/api/councils", tags=["council workspace"])

ServiceQuery = Annotated[
    int | None, Query(ge=0, le=1_000_000, description="LGSL code (default: every service)")
]
TierQuery = Annotated[str | None, Query(max_length=32, description="Class tier (default: the coarsest)")]
ClassificationQuery = Annotated[
    str | None, Query(max_length=64, description="Classification id (default: the output areas' default)")
]
BaseQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Base households: 'districts' (the council's, default), 'ew' (England and Wales) "
        "or LEVEL:CODE (lad, ward, lsoa, oa), e.g. 'ward:E05000820'",
    ),
]
AreaQuery = Annotated[
    str | None,
    Query(max_length=64, description="Whose records count: 'districts' (default) or LEVEL:CODE"),
]
LevelQuery = Annotated[Literal["oa", "lsoa", "ward"], Query(description="Area level of the take-up")]
FormatQuery = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]


def _classification(
    cat: Catalogue, classification: str | None, tier: str | None
) -> tuple[str, tuple[str, ...], str]:
    """The classification of output areas asked for (or the default), its tiers and the tier."""
    c = cat.classification_at("oa", classification)
    tiers = tuple(c.tiers)
    use = tier or tiers[0]
    if use not in tiers:
        raise BadRequest(f"unknown tier {use!r}; known tiers: {', '.join(tiers)}")
    return c.classification_id, tiers, use


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "Cache-Control": PRIVATE},
    )


def _shown(row: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """A row for CSV: a suppressed value says so, never 0 or blank."""
    if not row.get("suppressed"):
        return row
    return row | {c: SUPPRESSED for c in columns if row.get(c) is None}


PROFILE_CSV = [
    "council_id",
    "classification_id",
    "tier",
    "service_lgsl",
    "service_label",
    "base",
    "base_households_total",
    "customer_area",
    "customers_total",
    "source",
    "synthetic",
    "code",
    "name",
    "customers",
    "base_households",
    "customer_share",
    "base_share",
    "index",
    "index_low",
    "index_high",
    "penetration",
    "z",
    "significant",
    "wording",
    "suppressed",
]
PROFILE_HIDDEN = [
    "customers",
    "customer_share",
    "index",
    "index_low",
    "index_high",
    "penetration",
    "z",
    "significant",
    "wording",
]


@router.get(
    "/{council_id}/profile",
    responses=CSV_OR_JSON,
    summary="Customer profile: customers against base households per class, with index, interval and z",
)
async def get_profile(
    caller: CouncilDep,
    store: StoreDep,
    cat: CatalogueDep,
    service: ServiceQuery = None,
    tier: TierQuery = None,
    base: BaseQuery = None,
    area: AreaQuery = None,
    classification: ClassificationQuery = None,
    format: FormatQuery = "json",
) -> Any:
    """Per class: customers and base households, their shares, the index (100 = like the base)
    with its 95 % interval, penetration, z (|z| > 2 flagged) and the wording; counts of 1 to 5
    and what would reveal them are suppressed."""
    council = CouncilRef.of(caller.council)
    cid, tiers, use_tier = _classification(cat, classification, tier)
    doc = await profiles.profile(
        store, council, classification_id=cid, tiers=tiers, tier=use_tier, lgsl=service, base=base, area=area
    )
    if format == "json":
        return doc
    common = {
        "council_id": council.council_id,
        "classification_id": cid,
        "tier": use_tier,
        "service_lgsl": (doc["service"] or {}).get("lgsl"),
        "service_label": (doc["service"] or {}).get("label")
        or ("every service" if service is None else None),
        "base": doc["base"]["label"],
        "base_households_total": doc["base"]["households"],
        "customer_area": doc["customers"]["area"]["label"],
        "customers_total": doc["customers"]["classified"]
        if doc["customers"]["classified"] is not None
        else SUPPRESSED,
        "source": doc["source"]["customers"],
        "synthetic": doc["source"]["synthetic"],
    }
    rows = [_shown(common | r, PROFILE_HIDDEN) for r in doc["classes"]]
    return _csv(to_csv(PROFILE_CSV, rows), f"profile-{council.council_id}-{use_tier}")


TAKEUP_CSV = [
    "council_id",
    "service_lgsl",
    "service_label",
    "level",
    "tier",
    "base",
    "source",
    "synthetic",
    "code",
    "name",
    "observed",
    "expected",
    "index",
    "wording",
    "position",
    "band",
    "suppressed",
]


async def _takeup(
    caller: Caller,
    store: Reader,
    cat: Catalogue,
    service: int | None,
    level: str,
    tier: str | None,
    classification: str | None,
) -> dict[str, Any]:
    council = CouncilRef.of(caller.council)
    cid, _, use_tier = _classification(cat, classification, tier)
    return await takeup.takeup_doc(
        store, council, classification_id=cid, tier=use_tier, lgsl=service, level=level
    )


@router.get(
    "/{council_id}/takeup",
    responses=CSV_OR_JSON,
    summary="Take-up per area: observed against expected from the area's households by class",
)
async def get_takeup(
    caller: CouncilDep,
    store: StoreDep,
    cat: CatalogueDep,
    service: ServiceQuery = None,
    level: LevelQuery = "ward",
    tier: TierQuery = None,
    classification: ClassificationQuery = None,
    format: FormatQuery = "json",
) -> Any:
    """Observed contacts, expected contacts (indirect standardisation with the council's own
    class rates), the take-up index ``100 O/E``, its funnel position and legend band."""
    doc = await _takeup(caller, store, cat, service, level, tier, classification)
    if format == "json":
        return doc
    common = {
        "council_id": doc["council"]["id"],
        "service_lgsl": (doc["service"] or {}).get("lgsl"),
        "service_label": (doc["service"] or {}).get("label")
        or ("every service" if service is None else None),
        "level": level,
        "tier": doc["tier"],
        "base": doc["base"]["label"],
        "source": doc["source"]["customers"],
        "synthetic": doc["source"]["synthetic"],
    }
    rows = [_shown(common | a, ["observed", "index", "wording", "position"]) for a in doc["areas"]]
    return _csv(to_csv(TAKEUP_CSV, rows), f"takeup-{doc['council']['id']}-{level}")


@router.get(
    "/{council_id}/funnel",
    responses=AUTH_ERRORS,
    summary="Funnel plot: take-up index against expected count, with 95 % and 99.8 % control limits",
)
async def get_funnel(
    caller: CouncilDep,
    store: StoreDep,
    cat: CatalogueDep,
    service: ServiceQuery = None,
    level: LevelQuery = "ward",
    tier: TierQuery = None,
    classification: ClassificationQuery = None,
) -> dict[str, Any]:
    """Points (areas whose count is shown) and the control-limit curves; suppressed areas are
    left out of the plot and counted."""
    doc = await _takeup(caller, store, cat, service, level, tier, classification)
    points = [
        {k: a[k] for k in ("code", "name", "expected", "index", "position")}
        for a in doc["areas"]
        if not a["suppressed"] and a["index"] is not None
    ]
    return {
        "council": doc["council"],
        "service": doc["service"],
        "level": level,
        "tier": doc["tier"],
        "base": doc["base"],
        "source": doc["source"],
        "method": doc["method"],
        "x": "expected contacts (E)",
        "y": "take-up index, 100 × observed / expected",
        "limits": doc["funnel"],
        "points": points,
        "left_out": {
            "suppressed": sum(1 for a in doc["areas"] if a["suppressed"]),
            "no_expectation": sum(1 for a in doc["areas"] if not a["suppressed"] and a["index"] is None),
        },
    }


@router.get(
    "/{council_id}/takeup/tiles/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses=AUTH_ERRORS
    | {
        200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "The tile (layer 'takeup')"},
        204: {"description": "None of the council's areas in this tile"},
    },
    summary="Take-up tile layer (private to the council)",
)
async def get_takeup_tile(
    caller: CouncilDep,
    store: StoreDep,
    cat: CatalogueDep,
    settings: SettingsDep,
    z: Annotated[int, Path(ge=0, le=30)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    service: ServiceQuery = None,
    level: LevelQuery = "ward",
    tier: TierQuery = None,
    classification: ClassificationQuery = None,
) -> Response:
    """Areas of the level in the council's districts with ``observed``, ``expected``,
    ``takeup_index``, ``band``, ``position`` and ``source`` (which says "synthetic" when the
    records were); suppressed areas carry ``band`` "suppressed" and no counts.
    Never cached by a shared cache: ``Cache-Control: private, no-store``."""
    check_tile(z, x, y, settings.max_zoom)
    council = CouncilRef.of(caller.council)
    cid, _, use_tier = _classification(cat, classification, tier)
    frame, _ = await takeup.cached_takeup_table(
        store, council, classification_id=cid, tier=use_tier, lgsl=service, level=level
    )

    source = (await source_doc(store, council, service))["customers"]

    def num(v: Any) -> float | None:
        return None if v is None or v != v else float(v)

    values = AreaValues(
        codes=tuple(str(c) for c in frame.index),
        numbers={
            "observed": tuple(num(v) for v in frame["observed"]),
            "expected": tuple(num(v) for v in frame["expected"]),
            "takeup_index": tuple(num(v) for v in frame["index"]),
        },
        texts={
            "band": tuple(
                takeup.takeup_band(num(i), bool(s))
                for i, s in zip(frame["index"], frame["suppressed"], strict=True)
            ),
            "position": tuple(None if p is None else str(p) for p in frame["position"]),
            "source": (source,) * len(frame),
        },
    )
    query = TileQuery(layer="takeup", level=level, z=z, x=x, y=y, max_features=settings.max_features_per_tile)
    drawn = await store.tiles.values_tile(query, values)
    headers = {"Cache-Control": PRIVATE, "X-Tile-Level": level, "X-Tile-Features": str(drawn.features)}
    if not drawn.features:
        return Response(status_code=204, headers=headers)
    return Response(drawn.body, media_type=MVT_MEDIA_TYPE, headers=headers)
