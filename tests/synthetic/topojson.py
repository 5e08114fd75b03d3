"""Small TopoJSON files in the layout of the national 2011 boundaries (one file per district).

Each polygon ring becomes its own arc (no shared arcs, no quantisation): valid TopoJSON that
GDAL reads, with the CRS declared on the object as in the ONS-derived files, where GDAL does
not see it.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely

CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}


def bowtie(x: float, y: float, size: float) -> shapely.Polygon:
    """A self-intersecting square (two triangles touching in the middle): invalid until repaired."""
    return shapely.Polygon([(x, y), (x + size, y + size), (x + size, y), (x, y + size), (x, y)])


def write_topojson(path: Path, object_name: str, features: list[tuple[shapely.Polygon, dict]]) -> Path:
    """Write ``(polygon, properties)`` pairs as one TopoJSON object with its CRS on the object."""
    arcs: list[list[list[float]]] = []
    geometries = []
    for polygon, properties in features:
        rings = []
        for ring in [polygon.exterior, *polygon.interiors]:
            rings.append([len(arcs)])
            arcs.append([[round(x, 6), round(y, 6)] for x, y in ring.coords])
        geometries.append(
            {
                "type": "Polygon",
                "properties": properties,
                "id": next(iter(properties.values())),
                "arcs": rings,
            }
        )
    topology = {
        "type": "Topology",
        "objects": {object_name: {"type": "GeometryCollection", "crs": CRS84, "geometries": geometries}},
        "arcs": arcs,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(topology))
    return path


def grid_district(
    root: Path, district: str, x0: float, y0: float, n: int = 3, size: float = 0.01, invalid: int | None = 0
) -> list[str]:
    """An ``n`` × ``n`` grid of OAs of one district at ``root/oa/eng/DISTRICT.json``.

    OA codes are ``E00`` + district digits + index; the OA ``invalid`` (index, or None) is a
    bowtie. Returns the codes.
    """
    features, codes = [], []
    for i in range(n * n):
        x, y = x0 + (i % n) * size, y0 + (i // n) * size
        code = f"E00{district[-4:]}{i:02d}"
        geom = bowtie(x, y, size) if i == invalid else shapely.box(x, y, x + size, y + size)
        features.append((geom, {"OA11CD": code, "LAD11CD": district}))
        codes.append(code)
    write_topojson(root / "oa" / "eng" / f"{district}.json", district, features)
    return codes
