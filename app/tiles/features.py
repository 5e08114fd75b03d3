"""Area rows as GeoJSON features and request checks shared by OGC API – Features and the export."""

from __future__ import annotations

import math
from typing import Any

import orjson

from core.errors import BadRequest
from core.store.queries.features import PROPERTIES


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in degrees: finite, ordered, inside lon/lat ranges (400 otherwise)."""
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    if len(parts) == 6:  # 3D bbox: keep the horizontal part
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise BadRequest("bbox needs four numbers: minx,miny,maxx,maxy (longitude/latitude, CRS84)")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError as exc:
        raise BadRequest(f"bbox has a value that is not a number: {text!r}") from exc
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise BadRequest("bbox values must be finite numbers")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise BadRequest("bbox is outside longitude -180..180 / latitude -90..90")
    if west > east or south > north:
        raise BadRequest(
            "bbox must be ordered minx,miny,maxx,maxy (boxes across the antimeridian are not supported)"
        )
    return west, south, east, north


def parse_properties(text: str | None) -> list[str] | None:
    """A comma list of property names to keep; unknown names are a 400."""
    if text is None:
        return None
    names = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in names if p not in PROPERTIES]
    if unknown:
        raise BadRequest(f"unknown properties {unknown}; known: {', '.join(PROPERTIES)}")
    return names


def properties_of(row: dict[str, Any], keep: list[str] | None = None) -> dict[str, Any]:
    props = {k: row.get(k) for k in PROPERTIES if k in row}
    for key in ("households", "share", "margin", "demand_index"):
        value = props.get(key)
        if value is not None:
            props[key] = float(value)
    if props.get("mixed") is not None:
        props["mixed"] = bool(props["mixed"])
    if keep is not None:
        props = {k: v for k, v in props.items() if k in keep}
    return props


def feature(
    row: dict[str, Any], keep: list[str] | None = None, links: list[dict] | None = None
) -> dict[str, Any]:
    """A GeoJSON feature; the geometry JSON from the database is embedded as it is."""
    geometry = row.get("geometry")
    out: dict[str, Any] = {
        "type": "Feature",
        "id": row["code"],
        "geometry": orjson.Fragment(geometry.encode() if isinstance(geometry, str) else geometry)
        if geometry
        else None,
        "properties": properties_of(row, keep),
    }
    if links:
        out["links"] = links
    return out


def dumps(doc: Any) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)
