"""OGC API – Features, Part 1 Core with GeoJSON: one collection per loaded area level.

Readable by GDAL's OAPIF driver and QGIS. Items carry the predominant class of the level's
default classification; pages are ordered by code and linked with ``next``/``prev``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import cql2
from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import Response

from app.catalogue import LevelExtent
from app.deps import CatalogueDep, SettingsDep, StoreDep, public_root
from app.tiles.attribution import attribution_for
from app.tiles.features import dumps, feature, parse_bbox, parse_properties
from app.tiles.layers import counts_description
from core.errors import BadRequest, NotFound
from core.levels import BY_NAME
from core.store import Reader
from core.store.queries import features as q
from core.store.queries.features import PROPERTIES
from core.store.sql import Query as QueryType

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
]
CQL2_TEXT = "cql2-text"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SCHEMA_JSON = "application/schema+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"
JSON = "application/json"
OGC_PROPERTIES = [p for p in PROPERTIES if p not in ("demand_index", "band")]

CollectionPath = Annotated[
    str, Path(max_length=16, description="Area level: nuts0..nuts3, lad, ward, lsoa, oa")
]


def _base(request: Request) -> str:
    return public_root(request) + "/ogc"


def _json(doc: Any, media_type: str = JSON) -> Response:
    return Response(dumps(doc), media_type=media_type)


@router.get("", summary="Landing page")
async def landing(request: Request) -> Response:
    base = _base(request)
    root = public_root(request)
    return _json(
        {
            "title": "Citizen Insight – OGC API Features",
            "description": "Area boundaries of every loaded level with their predominant profile class.",
            "links": [
                {"href": base, "rel": "self", "type": JSON, "title": "This document"},
                {
                    "href": f"{base}/openapi.json",
                    "rel": "service-desc",
                    "type": f"application/vnd.oai.openapi+json;version={OPENAPI_VERSION}",
                    "title": "The API definition",
                },
                {
                    "href": f"{root}/docs",
                    "rel": "service-doc",
                    "type": "text/html",
                    "title": "API documentation",
                },
                {
                    "href": f"{base}/conformance",
                    "rel": "conformance",
                    "type": JSON,
                    "title": "Conformance classes implemented",
                },
                {"href": f"{base}/collections", "rel": "data", "type": JSON, "title": "The collections"},
            ],
        }
    )


@router.get("/openapi.json", summary="The OGC API's own OpenAPI document (paths relative to /ogc)")
async def ogc_openapi(request: Request) -> Response:
    return _json(ogc_document(request.app, _base(request)))  # plain JSON: GDAL accepts it for any version


@router.get("/conformance", summary="Conformance classes")
async def conformance() -> Response:
    return _json({"conformsTo": CONFORMANCE})


def _collection(base: str, level: str, extent: LevelExtent) -> dict[str, Any]:
    lv = BY_NAME[level]
    href = f"{base}/collections/{level}"
    return {
        "id": level,
        "title": lv.label,
        "description": f"{lv.label}: {extent.areas} areas with their predominant profile class"
        + (f" ({', '.join(extent.vintages)} boundaries)" if extent.vintages else "")
        + f". Counts: {counts_description((level,))}. {attribution_for([level])}",
        "vintages": list(extent.vintages),
        "attribution": attribution_for([level]),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [list(extent.bbox)], "crs": CRS84}} if extent.bbox else {},
        "links": [
            {"href": href, "rel": "self", "type": JSON, "title": lv.label},
            {"href": f"{href}/items", "rel": "items", "type": GEOJSON, "title": f"{lv.label} areas"},
            {"href": f"{href}/queryables", "rel": QUERYABLES_REL, "type": SCHEMA_JSON, "title": "Queryables"},
        ],
    }


@router.get("/collections", summary="The collections: one per loaded area level")
async def collections(request: Request, cat: CatalogueDep) -> Response:
    base = _base(request)
    levels = [lv for lv in BY_NAME if lv in cat.levels]
    return _json(
        {
            "links": [{"href": f"{base}/collections", "rel": "self", "type": JSON, "title": "Collections"}],
            "collections": [_collection(base, lv, cat.levels[lv]) for lv in levels],
        }
    )


@router.get("/collections/{collection}", summary="One collection")
async def collection(request: Request, collection: CollectionPath, cat: CatalogueDep) -> Response:
    level = cat.level_or_404(collection)
    return _json(_collection(_base(request), level, cat.levels[level]))


@router.get(
    "/collections/{collection}/queryables",
    summary="What a filter may compare (Part 3)",
    response_class=Response,
    responses={200: {"content": {SCHEMA_JSON: {}}, "description": "A JSON Schema of the queryables"}},
)
async def queryables(request: Request, collection: CollectionPath, cat: CatalogueDep) -> Response:
    level = cat.level_or_404(collection)
    href = f"{_base(request)}/collections/{level}/queryables"
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": href,
        "type": "object",
        "title": BY_NAME[level].label,
        "description": "Properties a CQL2 text filter (filter=..., filter-lang=cql2-text) may compare.",
        "properties": {
            "class_code": {"type": "string", "title": "Leading (predominant) class code"},
            "parent_code": {"type": "string", "title": "Parent area code in the level's main hierarchy"},
            "mixed": {"type": "boolean", "title": "No clear leading class (small margin)"},
        },
        "additionalProperties": False,
    }
    return _json(doc, SCHEMA_JSON)


def _parse_filter(text: str | None, lang: str | None) -> Any:
    """A CQL2 text filter as its JSON form (400 when it does not parse or another language is named)."""
    if lang not in (None, CQL2_TEXT):
        raise BadRequest(f"filter-lang {lang!r} is not supported; use {CQL2_TEXT}")
    if text is None or not text.strip():
        return None
    try:
        return cql2.parse_text(text).to_json()
    except (cql2.ParseError, cql2.ValidationError, ValueError) as exc:
        raise BadRequest(f"filter is not valid CQL2 text: {exc}") from exc


@router.get(
    "/collections/{collection}/items",
    summary="Areas of a level as GeoJSON, paged",
    responses={200: {"content": {GEOJSON: {}}}},
)
async def items(
    request: Request,
    collection: CollectionPath,
    store: StoreDep,
    settings: SettingsDep,
    cat: CatalogueDep,
    limit: Annotated[
        int | None, Query(ge=1, description="Page size; larger values are cut to the maximum")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    bbox: Annotated[str | None, Query(max_length=200, description="minx,miny,maxx,maxy in CRS84")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", max_length=200)] = None,
    properties: Annotated[str | None, Query(max_length=500, description="Comma list of properties")] = None,
    classification: Annotated[str | None, Query(max_length=64)] = None,
    tier: Annotated[str | None, Query(max_length=32)] = None,
    filter: Annotated[
        str | None,
        Query(max_length=2000, description="CQL2 text over the queryables: class_code, parent_code, mixed"),
    ] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang", max_length=32)] = None,
    class_code: Annotated[str | None, Query(max_length=32, description="Leading class code equals")] = None,
    parent_code: Annotated[str | None, Query(max_length=32, description="Parent area code equals")] = None,
    mixed: Annotated[bool | None, Query(description="No clear leading class")] = None,
) -> Response:
    level = cat.level_or_404(collection)
    where = _parse_filter(filter, filter_lang)
    equals = [
        {"op": "=", "args": [{"property": name}, value]}
        for name, value in (("class_code", class_code), ("parent_code", parent_code), ("mixed", mixed))
        if value is not None
    ]
    if equals:  # property query parameters (Part 1 / Part 3), ANDed with any filter
        where = {"op": "and", "args": equals + ([where] if where is not None else [])}
    if bbox_crs not in (None, CRS84):
        raise BadRequest(f"bbox-crs {bbox_crs!r} is not supported; use {CRS84}")
    box = parse_bbox(bbox)
    keep = parse_properties(properties, collection) or OGC_PROPERTIES
    choice = cat.choose(level, classification, tier)
    limit = min(limit or settings.default_page_size, settings.max_page_size)

    def matching(limit: int, offset: int, with_geometry: bool = True) -> QueryType:
        return q.features(
            level=level,
            classifications=choice.classifications,
            tier=choice.tier,
            bbox=box,
            limit=limit,
            offset=offset,
            with_geometry=with_geometry,
            where=where,
        )

    rows = await store.fetch(matching(limit, offset))
    total = int(rows[0]["total"]) if rows else 0
    if not rows and offset > 0:  # an offset past the end: count the matches from the start
        total = await _count(store, matching(1, 0, with_geometry=False))

    base = _base(request)
    href = f"{base}/collections/{level}/items"
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}

    def page(at: int) -> str:
        return f"{href}?{urlencode(params | {'limit': limit, 'offset': at})}"

    links = [
        {"href": page(offset), "rel": "self", "type": GEOJSON, "title": "This page"},
        {"href": f"{base}/collections/{level}", "rel": "collection", "type": JSON, "title": "The collection"},
    ]
    if offset + len(rows) < total:
        links.append({"href": page(offset + limit), "rel": "next", "type": GEOJSON, "title": "Next page"})
    if offset > 0:
        links.append(
            {"href": page(max(offset - limit, 0)), "rel": "prev", "type": GEOJSON, "title": "Previous page"}
        )
    doc = {
        "type": "FeatureCollection",
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberMatched": total,
        "numberReturned": len(rows),
        "attribution": attribution_for([level]),
        "features": [feature(r, keep) for r in rows],
        "links": links,
    }
    return _json(doc, GEOJSON)


async def _count(store: Reader, first_row: QueryType) -> int:
    """Matches of a query, from the ``total`` of its first row."""
    rows = await store.fetch(first_row)
    return int(rows[0]["total"]) if rows else 0


@router.get(
    "/collections/{collection}/items/{code}",
    summary="One area as a GeoJSON feature",
    responses={200: {"content": {GEOJSON: {}}}},
)
async def item(
    request: Request,
    collection: CollectionPath,
    code: Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")],
    store: StoreDep,
    cat: CatalogueDep,
) -> Response:
    level = cat.level_or_404(collection)
    choice = cat.choose(level)
    row = await store.fetchrow(
        q.feature(level=level, code=code, classifications=choice.classifications, tier=choice.tier)
    )
    if row is None:
        raise NotFound(f"no area with code {code!r} in collection {level!r}")
    base = _base(request)
    links = [
        {"href": f"{base}/collections/{level}/items/{code}", "rel": "self", "type": GEOJSON, "title": code},
        {"href": f"{base}/collections/{level}", "rel": "collection", "type": JSON, "title": "The collection"},
    ]
    return _json(feature(row, OGC_PROPERTIES, links), GEOJSON)


# The OpenAPI version the document at /openapi.json is written in: FastAPI writes 3.1 (JSON
# Schema 2020-12, ``"type": "null"``), so the landing page says 3.1, and Part 1's ``oas30``
# conformance class (OpenAPI 3.0) is not claimed.
OPENAPI_VERSION = "3.1"
ITEMS_PATH = "/ogc/collections/{collection}/items"


def declare_paging(app: FastAPI, default: int, maximum: int) -> None:
    """Declare the OGC ``limit`` parameter in ``components.parameters`` (with its default and
    maximum) and refer to it from the items path: QGIS and GDAL choose their page size from it."""
    make = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = make()
        limit = {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": f"Page size: at most {maximum}; larger values are cut to it",
            "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
            "style": "form",
            "explode": False,
        }
        doc.setdefault("components", {}).setdefault("parameters", {})["limit"] = limit
        get = doc.get("paths", {}).get(ITEMS_PATH, {}).get("get")
        if get is not None:
            get["parameters"] = [
                {"$ref": "#/components/parameters/limit"} if p.get("name") == "limit" else p
                for p in get.get("parameters", [])
            ]
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def ogc_document(app: FastAPI, base: str) -> dict[str, Any]:
    """The OpenAPI document of the OGC API alone, as OGC clients expect it: ``servers`` is the
    ``/ogc`` base and paths are relative to it with the standard ``{collectionId}``, so GDAL
    finds the items path (``/collections/{collectionId}/items``), its ``limit`` and the
    queryables it may send as query parameters."""
    full = app.openapi()
    paths: dict[str, Any] = {}
    for path, item in full.get("paths", {}).items():
        if not path.startswith("/ogc/") or path == "/ogc/openapi.json":
            continue
        relative = path.removeprefix("/ogc").replace("{collection}", "{collectionId}")
        operations = {}
        for method, op in item.items():
            op = dict(op)
            op["parameters"] = [
                p if p.get("name") != "collection" else p | {"name": "collectionId"}
                for p in op.get("parameters", [])
            ]
            operations[method] = op
        paths[relative] = operations
    return {
        "openapi": full["openapi"],
        "info": {"title": "Citizen Insight - OGC API Features", "version": full["info"]["version"]},
        "servers": [{"url": base}],
        "paths": paths,
        "components": full.get("components", {}),
    }
