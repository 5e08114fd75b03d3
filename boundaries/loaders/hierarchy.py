"""The hierarchy by location where no lookup exists: OA → LSOA → ward, and district → NUTS3.

The national 2011/2013 boundaries come without lookups between their levels, and no lookup
places a UK district in a NUTS3 region. Each area without a link to the next level up gets
one by its point on surface (nearest parent within a tolerance for points that fall in a gap
between independently generalised sets), recorded under a ``spatial`` source whose title says
so. Links loaded from lookups keep their place: only areas without one are located.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from boundaries.catalogue import Source
from boundaries.loaders.common import write_source
from boundaries.loaders.lookups import insert_links
from boundaries.loaders.spatial import NEAREST_TOLERANCE_DEG, locate
from boundaries.store import fetch_areas
from core.store import Transaction, Writer
from core.store.queries import loads as q


@dataclass(frozen=True)
class Step:
    """Link areas of ``child`` to the ``parent`` holding their point."""

    child: str
    parent: str
    tolerance: float = NEAREST_TOLERANCE_DEG
    parent_prefix: str = ""  # only parents whose code starts so (UK NUTS regions: "UK")


# coarse NUTS 1:20M outlines miss coastal districts by kilometres: a wider tolerance there
STEPS: tuple[Step, ...] = (
    Step("oa", "lsoa"),
    Step("oa", "ward"),
    Step("lsoa", "ward"),
    Step("ward", "lad"),
    Step("lad", "nuts3", tolerance=0.1, parent_prefix="UK"),
)


@dataclass
class HierarchyReport:
    """Links written per step, and areas no parent was found for."""

    linked: dict[str, int]
    unplaced: dict[str, int]


def locate_step(tx: Transaction, step: Step, source_id: str) -> tuple[pd.DataFrame, int]:
    """The links one step adds (areas without a link to ``step.parent`` from other sources)."""
    children = fetch_areas(tx, step.child)
    held = set(tx.fetch_frame(q.link_children_of_others(step.child, step.parent, source_id))["child_code"])
    children = children[~children["code"].isin(held)]
    parents = fetch_areas(tx, step.parent, geometry=True)
    if step.parent_prefix:
        parents = parents[parents["code"].str.startswith(step.parent_prefix)]
    if children.empty or parents.empty:
        return pd.DataFrame(columns=["child_level", "child_code", "parent_level", "parent_code"]), 0
    points = shapely.points(children["lon"].to_numpy(float), children["lat"].to_numpy(float))
    found = locate(points, np.asarray(parents["geometry"], dtype=object), step.tolerance)
    ok = found >= 0
    links = pd.DataFrame(
        {
            "child_level": step.child,
            "child_code": children["code"].to_numpy()[ok],
            "parent_level": step.parent,
            "parent_code": parents["code"].to_numpy()[found[ok]],
        }
    )
    return links, int((~ok).sum())


def link_hierarchy(writer: Writer, source: Source, steps: tuple[Step, ...] = STEPS) -> HierarchyReport:
    """Link every area lacking a parent to the one holding it, replacing the source's earlier links.

    Parameters
    ----------
    writer
        The store.
    source
        The ``spatial`` source the links are recorded under (its title names the method).
    steps
        Child → parent levels to fill in (default: OA → LSOA, OA → ward, LSOA → ward,
        ward → district, district → NUTS3).

    Returns
    -------
    Links written and areas left without a parent, per step (``"oa→lsoa"``).
    """
    report = HierarchyReport({}, {})

    def write(tx: Transaction) -> int:
        total = 0
        for step in steps:
            links, missed = locate_step(tx, step, source.id)
            key = f"{step.child}→{step.parent}"
            report.linked[key], report.unplaced[key] = len(links), missed
            if not links.empty:
                total += insert_links(tx, links, source, None)
        tx.analyze("area_link")
        return total

    write_source(writer, source, None, write)
    return report
