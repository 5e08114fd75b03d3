"""Read boundary files (GeoJSON, GeoPackage, Shapefile, TopoJSON) into code/name/parent frames.

The CRS check matters: a GeoJSON without a ``crs`` member is read as lon/lat by GDAL, so
British National Grid files that declare nothing (the Leeds files) would otherwise land in
the middle of the ocean. Coordinates impossible as lon/lat are refused unless ``crs`` says
what they are; an undeclared CRS with plausible lon/lat gets a warning. Whatever the CRS,
declared or given, the coordinates must lie in its area of use, and a CRS the file names but
nobody knows is refused rather than read as lon/lat.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from boundaries.errors import LoadError, LoadWarning, name_some
from boundaries.topojson import is_topojson, topojson_crs

SUFFIXES = {".geojson", ".json", ".topojson", ".gpkg", ".shp", ".zip", ".fgb"}
_TEXT_JSON = {".geojson", ".json", ".topojson"}
AREA_OF_USE_MARGIN_DEG = 1.0  # slack around a CRS's area of use (generalised or offshore outlines)
LONLAT_SPAN = 360.0  # units: a whole file of areas spanning less in a metre CRS is lon/lat


def check_file(path: str | Path) -> Path:
    """The path, if it is an existing file; a :class:`LoadError` otherwise."""
    path = Path(path)
    if not path.exists():
        raise LoadError(path, "file not found")
    if not path.is_file():
        raise LoadError(path, "is not a file")
    return path


def parse_crs(path: Path, crs: str | int | None) -> CRS | None:
    if crs is None or crs == "":
        return None
    try:
        return CRS.from_user_input(crs)
    except CRSError as exc:
        raise LoadError(path, f"unknown CRS {crs!r}: {exc}") from None


def _declares_crs(path: Path, info_crs: str | None) -> bool:
    """Whether the file itself states its CRS (GDAL reports EPSG:4326 for any bare GeoJSON)."""
    if path.suffix.lower() in _TEXT_JSON:
        with path.open("rb") as fh:
            head = fh.read(65536)
        return b'"crs"' in head
    return info_crs is not None


_CRS_NAME = re.compile(rb'"crs"\s*:\s*\{.*?"name"\s*:\s*"([^"]{1,200})"', re.DOTALL)


def check_declared_crs(path: Path) -> None:
    """Refuse a GeoJSON whose ``crs`` member names a CRS nobody knows.

    GDAL falls back to EPSG:4326 for a name it cannot resolve, which would load the file in
    whatever place its coordinates happen to denote.
    """
    if path.suffix.lower() not in _TEXT_JSON:
        return
    with path.open("rb") as fh:
        match = _CRS_NAME.search(fh.read(65536))
    if match is None:
        return
    name = match.group(1).decode("utf-8", "replace")
    try:
        CRS.from_user_input(name)
    except CRSError:
        raise LoadError(
            path, f"declares CRS {name!r}, which is unknown or cannot be parsed; pass the real CRS with --crs"
        ) from None


def check_area_of_use(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Refuse coordinates that cannot be in the frame's CRS: outside its area of use, or
    lon/lat-sized numbers labelled as metres (a lon/lat file declaring a projected CRS).

    Parameters
    ----------
    frame
        Features with their CRS set.
    path
        The file, named in the error.
    """
    crs = frame.crs
    if crs is None:
        return
    minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        raise LoadError(path, "has coordinates that are not finite numbers")
    name = crs.to_string()
    if crs.is_projected and _lonlat_sized(minx, miny, maxx, maxy):
        raise LoadError(
            path,
            f"declares {name} (metres) but its coordinates span x {minx:g}..{maxx:g}, y {miny:g}..{maxy:g}, "
            "a few metres: they look like longitude/latitude. Pass --crs EPSG:4326 if they are",
        )
    use = crs.area_of_use
    if use is None:
        return
    try:
        to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        west, south, east, north = to_lonlat.transform_bounds(minx, miny, maxx, maxy)
    except Exception:  # noqa: BLE001 - pyproj raises several types for impossible coordinates
        west = south = east = north = float("nan")
    margin = AREA_OF_USE_MARGIN_DEG
    inside = bool(np.all(np.isfinite([west, south, east, north]))) and (
        west >= use.west - margin and east <= use.east + margin
        and south >= use.south - margin and north <= use.north + margin
    )  # fmt: skip
    if not inside:
        raise LoadError(
            path,
            f"coordinates span x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}, outside the area of "
            f"use of its CRS {name} ({use.name}: lon {use.west:g}..{use.east:g}, lat {use.south:g}.."
            f"{use.north:g}); the file's CRS is wrong: pass the real one with --crs",
        )


def _lonlat_sized(minx: float, miny: float, maxx: float, maxy: float) -> bool:
    """Bounds that are plausible degrees and span under ``LONLAT_SPAN`` units: no real set of
    areas in a metre-based CRS is that small."""
    in_range = minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90
    return in_range and (maxx - minx) < LONLAT_SPAN and (maxy - miny) < LONLAT_SPAN


def read_table(path: Path, layer: str | int | None = None) -> gpd.GeoDataFrame:
    """Read every feature of a vector file, turning any GDAL failure into a :class:`LoadError`."""
    path = check_file(path)
    try:
        layers = pyogrio.list_layers(path)
        if layer is None and len(layers) > 1:
            names = ", ".join(str(n) for n in layers[:, 0])
            raise LoadError(path, f"has {len(layers)} layers ({names}); choose one with --layer")
        frame = pyogrio.read_dataframe(path, layer=layer)
    except LoadError:
        raise
    except Exception as exc:  # pyogrio/GDAL raise many types for corrupt or unknown files
        raise LoadError(path, f"cannot read as a vector file: {exc}") from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry is None:
        raise LoadError(path, "has no geometry column")
    if frame.empty:
        raise LoadError(path, "holds no features")
    return frame


def resolve_crs(frame: gpd.GeoDataFrame, path: Path, crs: str | int | None) -> gpd.GeoDataFrame:
    """Set the frame's CRS: the override, the declared one, or lon/lat after a plausibility check."""
    override = parse_crs(path, crs)
    if override is not None:
        frame = frame.set_crs(override, allow_override=True)
        check_area_of_use(frame, path)
        return frame
    check_declared_crs(path)
    declared = _declares_crs(path, frame.crs.to_string() if frame.crs is not None else None)
    minx, miny, maxx, maxy = frame.total_bounds
    lonlat_ok = bool(np.all(np.isfinite([minx, miny, maxx, maxy]))) and (
        minx >= -180.5 and maxx <= 180.5 and miny >= -90.5 and maxy <= 90.5
    )
    geographic = frame.crs is None or frame.crs.is_geographic
    if geographic and not lonlat_ok:
        what = "declares a geographic CRS" if declared else "declares no CRS (read as lon/lat)"
        raise LoadError(
            path,
            f"{what} but its coordinates span x {minx:.0f}..{maxx:.0f}, y {miny:.0f}..{maxy:.0f}, "
            "impossible as longitude/latitude: they look projected. Pass the real CRS with --crs "
            "(e.g. --crs EPSG:27700 for British National Grid)",
        )
    if not declared:
        warnings.warn(
            f"{path}: declares no CRS; assuming EPSG:4326 longitude/latitude (pass --crs to set it)",
            LoadWarning,
            stacklevel=3,
        )
        return frame.set_crs("EPSG:4326", allow_override=True)
    check_area_of_use(frame, path)
    return frame


def clean_codes(values: pd.Series, path: Path, column: str) -> pd.Series:
    """Codes as trimmed text (``1.0`` → ``"1"``); empty or missing ones are refused by row."""
    text = values.map(_code_text)
    bad = text.isna() | (text == "")
    if bad.any():
        rows = [int(i) + 1 for i in np.flatnonzero(bad.to_numpy())]
        raise LoadError(path, f"empty or missing {column!r} in row(s) {name_some(rows)}")
    return text


def _code_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def require_columns(path: Path, available: list[str] | pd.Index, wanted: dict[str, str | None]) -> None:
    """Refuse a file lacking a mapped column, listing what it does have."""
    missing = [f"{role} column {col!r}" for role, col in wanted.items() if col and col not in available]
    if missing:
        have = ", ".join(str(c) for c in available if c != "geometry")
        raise LoadError(path, f"missing {', '.join(missing)}; the file has: {have}")


def reject_duplicates(codes: pd.Series, path: Path, what: str = "code") -> None:
    dup = codes[codes.duplicated(keep=False)]
    if not dup.empty:
        raise LoadError(path, f"duplicate {what}s: {name_some(dup.unique())}")


def read_boundaries(
    path: str | Path,
    *,
    code_col: str,
    name_col: str | None = None,
    parent_col: str | None = None,
    crs: str | int | None = None,
    layer: str | int | None = None,
    keep: tuple[str, ...] = (),
) -> gpd.GeoDataFrame:
    """Read a boundary file into columns ``code, name, parent_code, geometry``.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile, TopoJSON or any other file GDAL reads.
    code_col, name_col, parent_col
        Columns holding the area code (required, unique), its name and its parent's code.
    crs
        The coordinates' CRS when the file does not declare it (or declares it wrongly).
    layer
        Layer name or index, for files with several (GeoPackage, TopoJSON objects).
    keep
        Further columns to carry through unchanged (e.g. ``LEVL_CODE``, ``CNTR_CODE``).

    Returns
    -------
    GeoDataFrame in the file's (or the given) CRS.

    Raises
    ------
    LoadError
        Naming the file: unreadable, missing columns, empty or duplicate codes, a CRS that
        cannot be right, features without geometry.
    """
    path = check_file(path)
    parse_crs(path, crs)
    frame = read_table(path, layer)
    if frame.crs is None and crs is None and is_topojson(path):
        declared = topojson_crs(path, layer)
        if declared is not None:
            # CRS84 is EPSG:4326 with x = longitude, which is how every frame here is held
            lonlat = declared.upper().endswith(("CRS84", "CRS:84"))
            frame = frame.set_crs("EPSG:4326" if lonlat else parse_crs(path, declared))
    require_columns(path, frame.columns, {"code": code_col, "name": name_col, "parent": parent_col})
    for column in keep:
        require_columns(path, frame.columns, {"attribute": column})
    frame = resolve_crs(frame, path, crs)
    codes = clean_codes(frame[code_col], path, code_col)
    reject_duplicates(codes, path)
    out = gpd.GeoDataFrame(
        {
            "code": codes.to_numpy(),
            "name": frame[name_col].map(_code_text).to_numpy() if name_col else None,
            "parent_code": frame[parent_col].map(_code_text).to_numpy() if parent_col else None,
            **{c: frame[c].to_numpy() for c in keep},
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    missing = out.geometry.isna() | out.geometry.is_empty
    if missing.any():
        raise LoadError(path, f"features without geometry: {name_some(out.loc[missing, 'code'])}")
    return out
