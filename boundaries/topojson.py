"""What GDAL's TopoJSON driver does not read: the CRS declared on a TopoJSON object.

ONS-derived TopoJSON files (the national 2011 boundaries) carry
``"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}`` on the
object rather than on the topology, so GDAL reports no CRS at all. Reading it here keeps the
generic CRS checks of :mod:`boundaries.readers` honest for these files.
"""

from __future__ import annotations

import json
from pathlib import Path

from boundaries.errors import LoadError

TOPOJSON_SUFFIXES = {".json", ".topojson"}


def is_topojson(path: Path) -> bool:
    """Whether ``path`` holds a TopoJSON topology (by its first bytes, not its name)."""
    if path.suffix.lower() not in TOPOJSON_SUFFIXES:
        return False
    with path.open("rb") as fh:
        head = fh.read(256).lstrip()
    return head.startswith(b"{") and b'"Topology"' in head.replace(b" ", b"")


def topojson_crs(path: Path, layer: str | int | None = None) -> str | None:
    """The CRS name declared on the topology or on its object ``layer`` (the only one by default).

    Returns
    -------
    The declared name (e.g. ``urn:ogc:def:crs:OGC:1.3:CRS84``), or None when nothing is declared.

    Raises
    ------
    LoadError
        The file is not valid JSON, or its objects declare different CRSs.
    """
    try:
        with path.open("rb") as fh:
            topology = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(path, f"cannot read as TopoJSON: {exc}") from None
    if not isinstance(topology, dict):
        return None
    objects = topology.get("objects") or {}
    if isinstance(layer, str) and layer in objects:
        chosen = [objects[layer]]
    elif isinstance(layer, int) and 0 <= layer < len(objects):
        chosen = [list(objects.values())[layer]]
    else:
        chosen = list(objects.values())
    names = {n for o in [topology, *chosen] if isinstance(o, dict) and (n := _crs_name(o)) is not None}
    if len(names) > 1:
        raise LoadError(
            path, f"its objects declare different CRSs ({', '.join(sorted(names))}); choose one with --layer"
        )
    return names.pop() if names else None


def _crs_name(member: dict) -> str | None:
    crs = member.get("crs")
    if not isinstance(crs, dict):
        return None
    name = (crs.get("properties") or {}).get("name")
    return str(name) if name else None
