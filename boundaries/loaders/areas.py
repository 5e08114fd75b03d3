"""Boundary loaders: ONS-style area files (OA, LSOA, ward, LAD) and areas dissolved from others."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.catalogue import Source
from boundaries.errors import LoadError
from boundaries.geometry import area_rows, polygonal
from boundaries.loaders.common import insert_areas, parents_from_links, write_source
from boundaries.loaders.lookups import insert_links
from boundaries.readers import read_boundaries
from boundaries.store import AREA_LEVELS, fetch_areas
from core.store import Transaction, Writer


def load_boundaries(
    writer: Writer,
    path: Path,
    source: Source,
    *,
    level: str,
    code_col: str,
    name_col: str | None = None,
    parent_col: str | None = None,
    parent: str | None = None,
    parent_level: str | None = None,
    link_level: str | None = None,
    crs: str | None = None,
    layer: str | int | None = None,
    country: str | None = "UK",
) -> int:
    """Load one level of areas from a boundary file, replacing the source's earlier load.

    Parameters
    ----------
    writer
        The store.
    path
        GeoJSON, GeoPackage, Shapefile, TopoJSON (anything GDAL reads).
    source
        Catalogue entry (or a user's own, see :meth:`Source.renamed`) recorded with the rows.
    level
        Area level of every feature (``oa``, ``lsoa``, ``ward``, ``lad`` ...).
    code_col, name_col, parent_col
        Column mapping; ``parent_col`` gives each area's parent code.
    parent
        One parent code for every area (a file of one district's wards).
    parent_level
        Take parent codes from the loaded lookup links to this level instead (load the lookup first).
    link_level
        Level of the parent codes: also write them as ``area_link`` rows (e.g. ward → lad).
    crs
        CRS of coordinates the file does not declare (``EPSG:27700`` for British National Grid).
    layer
        Layer of a multi-layer file.
    country
        Country code stored with the areas (GISCO's ``UK`` for the United Kingdom).

    Returns
    -------
    Number of areas loaded.

    Raises
    ------
    LoadError
        Naming the file and the problem; the store is left as it was.
    """
    for lv in (level, parent_level, link_level):
        if lv and lv not in AREA_LEVELS:
            raise LoadError(path, f"unknown level {lv!r}; known: {', '.join(AREA_LEVELS)}")
    frame = read_boundaries(
        path, code_col=code_col, name_col=name_col, parent_col=parent_col, crs=crs, layer=layer
    )
    if parent:
        frame["parent_code"] = parent
    rows = area_rows(frame, level, path)

    def write(tx: Transaction) -> int:
        if parent_level:
            rows["parent_code"] = parents_from_links(tx, rows["code"], level, parent_level)
        count = insert_areas(tx, rows, source, path, country)
        if link_level:
            has = rows["parent_code"].notna()
            links = pd.DataFrame(
                {
                    "child_level": level,
                    "child_code": rows.loc[has, "code"],
                    "parent_level": link_level,
                    "parent_code": rows.loc[has, "parent_code"],
                }
            )
            insert_links(tx, links, source, path)
        return count

    return write_source(writer, source, path, write)


def load_dissolved(
    writer: Writer,
    source: Source,
    *,
    level: str,
    code: str,
    name: str,
    child_level: str,
    child_source: str,
    parent: str | None = None,
    country: str | None = "UK",
) -> int:
    """One area made by dissolving loaded areas (e.g. a district from its wards).

    The children's EPSG:4326 geometries are unioned; the result goes through the same repair,
    reprojection and generalisation as any loaded area.
    """
    with writer.transaction() as tx:
        children = fetch_areas(tx, child_level, child_source, geometry=True)
    if children.empty:
        raise LoadError(None, f"no {child_level} areas of source {child_source!r} to dissolve into {code}")
    merged = polygonal(shapely.union_all(np.asarray(children["geometry"], dtype=object)))
    if merged is None:
        raise LoadError(None, f"dissolving {len(children)} {child_level} areas gave no polygon")
    frame = gpd.GeoDataFrame(
        {"code": [code], "name": [name], "parent_code": [parent]}, geometry=[merged], crs="EPSG:4326"
    )
    rows = area_rows(frame, level, child_source)
    return write_source(
        writer, source, None, lambda tx: insert_areas(tx, rows, source, child_source, country)
    )
