"""Links made by geometry: each child area's point on surface located in a parent polygon.

Used where no published lookup matches the boundaries we hold (2021 OAs in 2023 wards, 2011
OAs in 2017 wards). Every child must land in exactly one parent: a point on a shared border
(both generalised differently) goes to the nearest parent within a small tolerance, and a
child further away than that is refused by code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.loaders.common import write_source
from boundaries.loaders.lookups import insert_links
from boundaries.store import fetch_areas
from core.store import Transaction, Writer

NEAREST_TOLERANCE_DEG = 0.002  # ~150 m: gaps between independently generalised boundaries


def locate(points: np.ndarray, polygons: np.ndarray, tolerance: float = NEAREST_TOLERANCE_DEG) -> np.ndarray:
    """Index of the polygon holding each point (nearest within ``tolerance`` degrees), -1 when none."""
    tree = shapely.STRtree(polygons)
    found = np.full(len(points), -1, dtype=int)
    pt_idx, poly_idx = tree.query(points, predicate="within")
    # a point on a shared edge may be "within" none; in several only through overlaps: keep the first
    order = np.argsort(pt_idx, kind="stable")
    pt_idx, poly_idx = pt_idx[order], poly_idx[order]
    first = np.unique(pt_idx, return_index=True)[1]
    found[pt_idx[first]] = poly_idx[first]
    missing = np.flatnonzero(found < 0)
    if len(missing):
        near_pt, near_poly = tree.query_nearest(points[missing], max_distance=tolerance, all_matches=False)
        found[missing[near_pt]] = near_poly
    return found


def link_by_point(
    writer: Writer,
    source: Source,
    *,
    child_level: str,
    child_source: str,
    parent_level: str,
    parent_source: str | None = None,
    lad: str | None = None,
) -> int:
    """Link every child area of ``child_source`` to the ``parent_level`` area holding its point.

    Parameters
    ----------
    parent_source
        Restrict parents to one source (None: every loaded area of ``parent_level``).
    lad
        A district holding every child and parent: also writes child → lad and parent → lad links.

    Returns
    -------
    Number of links written.
    """
    with writer.transaction() as tx:
        children = fetch_areas(tx, child_level, child_source)
        parents = fetch_areas(tx, parent_level, parent_source, geometry=True)
    if children.empty:
        raise LoadError(None, f"no {child_level} areas of source {child_source!r} loaded: load them first")
    if parents.empty:
        raise LoadError(None, f"no {parent_level} areas loaded to link {child_level} areas to")
    points = shapely.points(children["lon"].to_numpy(float), children["lat"].to_numpy(float))
    found = locate(points, np.asarray(parents["geometry"], dtype=object))
    if (found < 0).any():
        raise LoadError(
            None,
            f"{child_level} area(s) {name_some(children['code'][found < 0])} lie in no {parent_level} "
            f"of {parent_source or 'the store'}",
        )
    links = [
        pd.DataFrame(
            {
                "child_level": child_level,
                "child_code": children["code"].to_numpy(),
                "parent_level": parent_level,
                "parent_code": parents["code"].to_numpy()[found],
            }
        )
    ]
    if lad:
        used = np.unique(parents["code"].to_numpy()[found])
        links.append(
            pd.DataFrame(
                {
                    "child_level": child_level,
                    "child_code": children["code"],
                    "parent_level": "lad",
                    "parent_code": lad,
                }
            )
        )
        links.append(
            pd.DataFrame(
                {"child_level": parent_level, "child_code": used, "parent_level": "lad", "parent_code": lad}
            )
        )
    frame = pd.concat(links, ignore_index=True)

    def write(tx: Transaction) -> int:
        return insert_links(tx, frame, source, child_source)

    return write_source(writer, source, None, write)
