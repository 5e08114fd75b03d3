"""Vector tiles (MVT), their TileJSON and a legend of what a tile draws.

The tile route is the hot path: no response model, headers read straight off the request,
bytes served from the in-process cache when they can be.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from typing import Annotated, Any, Literal, get_args
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from app.deps import (
    CatalogueDep,
    SettingsDep,
    StoreDep,
    TileCatalogueDep,
    TileServiceDep,
    get_tile_catalogue,
    get_tile_service,
    public_root,
)
from app.tiles.attribution import CHANNEL_MODELLED, MODELLED, OBSERVED, attribution_for
from app.tiles.cache import Tile
from app.tiles.layers import EUROPE_EXTENT, counts_description, layer_fields
from core.errors import NotFound
from core.levels import BY_NAME
from core.store.queries import tiles as q
from core.store.queries.catalogue import observed_service
from core.store.queries.data import BandEdgesRow, band_edges

router = APIRouter(prefix="/tiles", tags=["tiles"])

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"

# The bounds of the tile parameters, declared once: FastAPI checks them (and documents them), and
# so does the tile route's direct path (:class:`TileRoute`).
MAX_LAYER_NAME, MAX_PATH_ZOOM, MAX_SERVICE = 16, 30, 1_000_000
MAX_CLASSIFICATION, MAX_TIER = 64, 32
Channel = Literal["assisted", "web", "telephone", "face-to-face"]

LayerPath = Annotated[
    str, Path(max_length=MAX_LAYER_NAME, description="nuts0..nuts3, lad, ward, lsoa, oa or auto")
]
ServiceQuery = Annotated[
    int | None, Query(ge=0, le=MAX_SERVICE, description="LGSL code: adds demand_index, band")
]
ClassificationQuery = Annotated[
    str | None, Query(max_length=MAX_CLASSIFICATION, description="Classification id")
]
ChannelQuery = Annotated[
    Channel | None,
    Query(
        description="Adds the modelled channel suitability (UK areas): assisted_index, web_share, "
        "telephone_share, face_to_face_share; the value names the channel a map colours by"
    ),
]
TierQuery = Annotated[
    str | None, Query(max_length=MAX_TIER, description="Class tier (default: the coarsest)")
]


def _tile_response(request: Request, tile: Tile, cache_control: str) -> Response:
    headers = {
        "ETag": tile.etag,
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding",
        "X-Tile-Level": tile.level,
        "X-Tile-Features": str(tile.features),
    }
    if tile.capped:
        headers["X-Tile-Capped"] = f"true; features beyond {tile.features} were left out"
    if getattr(request.state, "stale_catalogue", False):  # the store is down: a cached tile, not revalidated
        headers["Cache-Control"] = "no-cache"
        headers["X-Tile-Stale"] = "true; the database is unreachable, this tile comes from the cache"
    match = request.headers.get("if-none-match")
    if match and (match.strip() == "*" or tile.etag in [m.strip() for m in match.split(",")]):
        return Response(status_code=304, headers=headers)
    if tile.empty:
        return Response(status_code=204, headers=headers)
    if tile.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(tile.gzipped, headers=headers, media_type=MVT_MEDIA_TYPE)
    return Response(tile.body, headers=headers, media_type=MVT_MEDIA_TYPE)


def _whole(text: str, most: int) -> int | None:
    """``text`` as a whole number from 0 to ``most`` when it is plain ASCII digits, else None."""
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= most else None


_TEXT_LIMITS = {"classification": MAX_CLASSIFICATION, "tier": MAX_TIER}
_CHANNELS = frozenset(get_args(Channel))


def plain_tile_parameters(request: Request) -> dict[str, Any] | None:
    """The tile route's parameters read directly, when every one is plainly within its declared
    bounds (whole numbers in range, short names, a known channel), else ``None``: FastAPI then
    parses them itself and answers what is wrong. Unknown query parameters are ignored, as
    FastAPI ignores them, and the last of repeated ones counts."""
    path = request.path_params
    layer, z = path["layer"], _whole(path["z"], MAX_PATH_ZOOM)
    x, y = _whole(path["x"], 2**31), _whole(path["y"], 2**31)
    if z is None or x is None or y is None or len(layer) > MAX_LAYER_NAME:
        return None
    found: dict[str, Any] = {"layer": layer, "z": z, "x": x, "y": y}
    query = request.scope["query_string"]
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if query else ():
        if name == "service":
            found["service"] = _whole(value, MAX_SERVICE)
            if found["service"] is None:
                return None
        elif name in _TEXT_LIMITS:
            if len(value) > _TEXT_LIMITS[name] or not value.isascii():
                return None
            found[name] = value
        elif name == "channel":
            if value not in _CHANNELS:
                return None
            found[name] = value
    return found


class TileRoute(APIRoute):
    """The tile route, answered without FastAPI's parameter machinery when its parameters are
    plain (:func:`plain_tile_parameters`).

    Parsing and validating eight parameters and two dependencies took half of a cached tile's
    Python time (about 130 of 265 µs in-process). The direct path calls the same endpoint with
    the same dependencies; anything unusual (a bound crossed, a non-ASCII name, dependency
    overrides) goes through FastAPI, so every error answer stays FastAPI's own.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        general = super().get_route_handler()
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            found = plain_tile_parameters(request)
            if found is None or request.app.dependency_overrides:
                return await general(request)
            cat = await get_tile_catalogue(request)
            tiles = await get_tile_service(request)
            response: Response = await endpoint(request, cat=cat, tiles=tiles, **found)
            return response

        return handler


tile_router = APIRouter(prefix="/tiles", tags=["tiles"], route_class=TileRoute)


@tile_router.get(
    "/{layer}/{z}/{x}/{y}.mvt",
    summary="A vector tile (MVT) of one layer",
    response_class=Response,
    responses={
        200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "The tile"},
        204: {"description": "No area in this tile"},
        304: {"description": "Not modified (If-None-Match)"},
        400: {"description": "Zoom beyond the maximum, or a bad tier"},
        404: {"description": "Unknown layer, classification or service, or a tile outside the grid"},
    },
)
async def get_tile(
    request: Request,
    layer: LayerPath,
    z: Annotated[int, Path(ge=0, le=MAX_PATH_ZOOM)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    cat: TileCatalogueDep,
    tiles: TileServiceDep,
    service: ServiceQuery = None,
    classification: ClassificationQuery = None,
    tier: TierQuery = None,
    channel: ChannelQuery = None,
) -> Response:
    req = tiles.resolve(cat, layer, z, x, y, classification, tier, service, channel is not None)
    tile = await tiles.tile(cat, req)
    return _tile_response(request, tile, tiles.settings.tile_cache_control)


def _center(bounds: list[float]) -> list[float]:
    west, south, east, north = bounds
    span = max(east - west, (north - south) * 1.5, 1e-6)
    zoom = max(0, min(14, int(math.floor(math.log2(360.0 / span)))))
    return [round((west + east) / 2, 6), round((south + north) / 2, 6), zoom]


def _within(bounds: list[float], extent: tuple[float, float, float, float]) -> list[float]:
    """``bounds`` cut to ``extent`` (``extent`` itself when they do not meet)."""
    west, south = max(bounds[0], extent[0]), max(bounds[1], extent[1])
    east, north = min(bounds[2], extent[2]), min(bounds[3], extent[3])
    return [west, south, east, north] if west < east and south < north else list(extent)


@router.get("/{layer}.json", summary="TileJSON 3.0.0 of a tile layer")
async def get_tilejson(
    request: Request,
    layer: LayerPath,
    settings: SettingsDep,
    cat: CatalogueDep,
    service: ServiceQuery = None,
    classification: ClassificationQuery = None,
    tier: TierQuery = None,
    channel: ChannelQuery = None,
) -> dict[str, Any]:
    tl = cat.layer_or_404(layer)
    cat.check_names(tl.levels, classification, tier, service)
    params = {
        k: v
        for k, v in (
            ("service", service),
            ("classification", classification),
            ("tier", tier),
            ("channel", channel),
        )
        if v
    }
    query = f"?{urlencode(params)}" if params else ""
    base = public_root(request)
    bounds = list(cat.bbox(tl.levels) or (-180.0, -85.0511, 180.0, 85.0511))
    if any(BY_NAME[level].family == "nuts" for level in tl.levels if level in cat.levels):
        bounds = _within(bounds, EUROPE_EXTENT)
    bounds = [
        round(max(bounds[0], -180), 6),
        round(max(bounds[1], -85.0511), 6),
        round(min(bounds[2], 180), 6),
        round(min(bounds[3], 85.0511), 6),
    ]
    fields = layer_fields(tl.levels, service is not None, channel is not None)
    attribution = attribution_for(tl.levels) + (f" | {MODELLED}" if service is not None else "")
    attribution += f" | {CHANNEL_MODELLED}" if channel is not None else ""
    return {
        "tilejson": "3.0.0",
        "name": f"Citizen Insight: {tl.name}",
        "description": tl.description,
        "version": "1.0.0",
        "attribution": attribution,
        "scheme": "xyz",
        "tiles": [f"{base}/tiles/{tl.name}/{{z}}/{{x}}/{{y}}.mvt{query}"],
        "minzoom": 0,
        "maxzoom": settings.max_zoom,
        "bounds": bounds,
        "center": _center(bounds),
        "vintages": {lv: list(cat.levels[lv].vintages) for lv in tl.levels if lv in cat.levels},
        "vector_layers": [
            {
                "id": tl.name,
                "description": f"{tl.description}. Counts: {counts_description(tl.levels)}. "
                "Every feature has a numeric id (the area code read as base 36).",
                "minzoom": 0,
                "maxzoom": settings.max_zoom,
                "fields": {name: kind for name, kind in fields.items()},
            }
        ],
    }


@router.get("/{layer}/legend.json", summary="What a tile draws at a zoom: classes and colours, demand bands")
async def get_legend(
    layer: LayerPath,
    settings: SettingsDep,
    store: StoreDep,
    cat: CatalogueDep,
    tiles: TileServiceDep,
    z: Annotated[int, Query(ge=0, le=30)] = 0,
    service: ServiceQuery = None,
    classification: ClassificationQuery = None,
    tier: TierQuery = None,
) -> dict[str, Any]:
    n = 1 << min(z, settings.max_zoom)
    req = tiles.resolve(cat, layer, z, n // 2, n // 2, classification, tier, service)
    tl, level = req.layer, req.level
    out: dict[str, Any] = {
        "layer": tl.name,
        "level": level,
        "classification_id": req.classification_id,
        "classifications": list(req.classifications),
        "tier": req.tier,
        "classes": [],
        "service": None,
        "attribution": attribution_for([level]),
    }
    if req.tier:
        for cid in req.classifications:
            out["classes"] += [
                asdict(c) for c in await store.fetch_as(q.LegendClassRow, q.legend_classes(cid, req.tier))
            ]
    if req.service is not None:
        modelled = [cid for cid in req.classifications if req.service in cat.services.get(cid, {})]
        if not modelled:
            raise NotFound(f"service {req.service} has no modelled demand at level {level!r}")
        edges = {
            cid: {
                r.scheme: json.loads(r.edges)
                for r in await store.fetch_as(BandEdgesRow, band_edges(cid, req.service, level))
            }
            for cid in modelled
        }
        observed = bool(await store.fetch(observed_service(modelled[0], req.service)))
        out["service"] = {
            "lgsl": req.service,
            "label": cat.services[modelled[0]][req.service],
            "modelled": not observed,
            "source": "observed" if observed else "modelled",
            "note": OBSERVED if observed else MODELLED,
            "bands": ["low", "medium", "high"],
            "band_edges": edges[modelled[0]],
            "band_edges_by_classification": edges,
        }
    return out
