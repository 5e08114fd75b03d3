"""Area geometry for the store: valid polygons in EPSG:4326 and 3857 plus a generalised copy.

The generalised copy (low-zoom tiles) is simplified over the whole level at once with
coverage simplification, so neighbours keep one shared border instead of gaps and slivers.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.errors import LoadError, name_some
from boundaries.store import AREA_LEVELS

_POLYGONAL = ("Polygon", "MultiPolygon")
_POLYGON_IDS = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """The polygonal part of ``geom`` after ``make_valid``, as one (Multi)Polygon, or None."""
    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL and not p.is_empty]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def polygonal_array(geoms: np.ndarray) -> np.ndarray:
    """:func:`polygonal` over an array, vectorised: ``make_valid`` runs once on the invalid ones.

    Only geometries that are still not a (Multi)Polygon after repair (collections holding
    collapsed lines or points) go through the per-geometry path.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    kinds = shapely.get_type_id(geoms)
    ok = np.isin(kinds, _POLYGON_IDS) & shapely.is_valid(geoms) & ~shapely.is_empty(geoms)
    todo = np.flatnonzero(~ok)
    if len(todo):
        fixed = np.asarray(geoms[todo], dtype=object)
        bad = ~shapely.is_valid(fixed) & ~shapely.is_missing(fixed)
        if bad.any():
            fixed[bad] = shapely.make_valid(fixed[bad], method="structure", keep_collapsed=False)
        fixed_ok = np.isin(shapely.get_type_id(fixed), _POLYGON_IDS) & ~shapely.is_empty(fixed)
        out[todo[fixed_ok]] = fixed[fixed_ok]
        out[todo[~fixed_ok]] = [polygonal(g) for g in fixed[~fixed_ok]]
    return out


def valid_polygons(geoms: np.ndarray, codes: np.ndarray, file: object) -> np.ndarray:
    """Repair every geometry and keep its polygonal parts; areas left with none are refused."""
    out = polygonal_array(geoms)
    empty = shapely.is_missing(out) | shapely.is_empty(out)
    if empty.any():
        raise LoadError(file, f"no polygon left for area(s) {name_some(codes[empty])}")
    return out


def generalise(geoms_3857: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify a level's geometries together; per geometry simplification if that fails."""
    if tolerance <= 0:
        return geoms_3857
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = shapely.coverage_simplify(geoms_3857, tolerance)
        out = polygonal_array(out)
        bad = shapely.is_missing(out) | shapely.is_empty(out)
    except Exception:  # GEOS refuses some inputs; the per-geometry fallback always works
        out, bad = np.empty(len(geoms_3857), dtype=object), np.ones(len(geoms_3857), dtype=bool)
    if bad.any():
        fallback = shapely.simplify(geoms_3857[bad], tolerance, preserve_topology=True)
        out[bad] = [polygonal(g) or g0 for g, g0 in zip(fallback, geoms_3857[bad], strict=True)]
    return out


def area_rows(frame: gpd.GeoDataFrame, level: str, file: object = None) -> pd.DataFrame:
    """Rows for the ``area`` table (without source/vintage) from ``code, name, parent_code, geometry``.

    Parameters
    ----------
    frame
        Areas of one level with a CRS set (see :func:`boundaries.readers.read_boundaries`).
    level
        Area level, for its generalisation tolerance.
    file
        Named in errors.
    """
    if level not in AREA_LEVELS:
        raise LoadError(file, f"unknown level {level!r}; known: {', '.join(AREA_LEVELS)}")
    if frame.crs is None:
        raise LoadError(file, "geometries have no CRS")
    codes = frame["code"].to_numpy()
    geoms = valid_polygons(np.asarray(frame.geometry.to_numpy(), dtype=object), codes, file)
    src = gpd.GeoSeries(geoms, crs=frame.crs)
    g4326 = src.to_crs(4326).to_numpy() if not src.crs.equals(4326) else src.to_numpy()
    g4326 = polygonal_array(g4326)
    g3857 = polygonal_array(gpd.GeoSeries(g4326, crs=4326).to_crs(3857).to_numpy())
    bad = shapely.is_missing(g3857) | shapely.is_missing(g4326)
    if bad.any():
        raise LoadError(file, f"geometry lost in reprojection for area(s) {name_some(codes[bad])}")
    gen = generalise(g3857, AREA_LEVELS[level])
    points = shapely.point_on_surface(g4326)
    bounds = shapely.bounds(g4326)
    return pd.DataFrame(
        {
            "level": level,
            "code": codes,
            "name": frame["name"].to_numpy(),
            "parent_code": frame["parent_code"].to_numpy(),
            "lon": shapely.get_x(points),
            "lat": shapely.get_y(points),
            "minx": bounds[:, 0],
            "miny": bounds[:, 1],
            "maxx": bounds[:, 2],
            "maxy": bounds[:, 3],
            "geom": g4326,
            "geom_3857": g3857,
            "geom_gen": gen,
        }
    )
