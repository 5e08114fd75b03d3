"""Area rows as GeoJSON features and request checks shared by OGC API – Features and the export."""

from __future__ import annotations

import math
from typing import Any

import orjson

from core.errors import BadRequest
from core.levels import BY_NAME, counted
from core.store.queries.features import PROPERTIES

# The count properties, named for households in the queries and renamed for population-based
# levels (``core.levels.counted``): a NUTS region says ``population``.
COUNT_PROPERTIES = ("households", "leading_class_households")


def output_name(name: str, level: str) -> str:
    """A property's name in the output of a level: counts are named for what they count."""
    if name in COUNT_PROPERTIES and level in BY_NAME:
        return name.replace("households", counted(level))
    return name


def output_names(level: str) -> list[str]:
    """Every property of a level's features under its output name."""
    return [output_name(p, level) for p in PROPERTIES]


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


def parse_properties(text: str | None, level: str | None = None) -> list[str] | None:
    """A comma list of property names to keep (as the level's output names them), returned as
    the query's names; unknown names are a 400."""
    if text is None:
        return None
    names = [p.strip() for p in text.split(",") if p.strip()]
    known = {output_name(p, level) if level else p: p for p in PROPERTIES}
    unknown = [p for p in names if p not in known]
    if unknown:
        raise BadRequest(f"unknown properties {unknown}; known: {', '.join(known)}")
    return [known[p] for p in names]


def properties_of(row: dict[str, Any], keep: list[str] | None = None) -> dict[str, Any]:
    props = {k: row.get(k) for k in PROPERTIES if k in row}
    for key in ("households", "leading_class_households", "share", "margin", "demand_index"):
        value = props.get(key)
        if value is not None:
            props[key] = float(value)
    if props.get("mixed") is not None:
        props["mixed"] = bool(props["mixed"])
    if keep is not None:
        props = {k: v for k, v in props.items() if k in keep}
    level = str(row.get("level") or "")
    return {output_name(k, level): v for k, v in props.items()}


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
