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
from core import progress

_POLYGONAL = ("Polygon", "MultiPolygon")


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


def valid_polygons(geoms: np.ndarray, codes: np.ndarray, file: object) -> np.ndarray:
    """Repair every geometry and keep its polygonal parts; areas left with none are refused."""
    out = np.empty(len(geoms), dtype=object)
    valid = shapely.is_valid(geoms)
    kinds = shapely.get_type_id(geoms)
    for i in progress.bar(range(len(geoms)), "repair geometry", total=len(geoms)):
        g = geoms[i]
        out[i] = g if valid[i] and kinds[i] in (3, 6) else polygonal(g)
    empty = np.array([g is None or g.is_empty for g in out])
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
        out = np.array([polygonal(g) for g in out], dtype=object)
        bad = np.array([g is None or g.is_empty for g in out])
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
    g4326 = np.array([polygonal(g) for g in g4326], dtype=object)
    g3857 = gpd.GeoSeries(g4326, crs=4326).to_crs(3857).to_numpy()
    g3857 = np.array([polygonal(g) for g in g3857], dtype=object)
    bad = np.array([g is None for g in g3857]) | np.array([g is None for g in g4326])
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
