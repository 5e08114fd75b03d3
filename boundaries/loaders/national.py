"""National boundary sets split into many files (one per district), loaded as one level.

The ONS-derived 2011 geography of England and Wales comes as a TopoJSON file per district and
level. Every file of a level is read (in parallel worker processes when there are many),
repaired and reprojected, and the whole level is written in one transaction: a failure in any
file leaves the store as it was.

Newer boundaries win: areas of the same level already loaded by another source with a newer
vintage (the 2021 output areas and 2023 wards of Greater Manchester) keep their place, and the
national areas whose point on surface falls inside them are left out, as are national areas
whose code another source already holds. One level, one code per area, no double counting.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.geometry import area_rows
from boundaries.loaders.common import insert_areas, write_source
from boundaries.loaders.lookups import insert_links
from boundaries.readers import read_boundaries
from boundaries.store import AREA_LEVELS
from core import progress
from core.store import Transaction, Writer
from core.store.queries import loads as q

INSERT_CHUNK = 20_000  # area rows per insert, so the progress bar moves on national loads


@dataclass(frozen=True)
class NationalLayout:
    """Where a level's files are and which columns hold what."""

    level: str
    pattern: str  # glob under the source folder
    code_col: str
    name_col: str | None
    parent_col: str | None  # district code column; None: the file's name is the district code


# the ONS 2011/2013 geography of England and Wales, one TopoJSON file per district
LAYOUTS: dict[str, NationalLayout] = {
    "oa": NationalLayout("oa", "oa/*/*.json", "OA11CD", None, "LAD11CD"),
    "lsoa": NationalLayout("lsoa", "lsoa/*/*.json", "LSOA11CD", "LSOA11NM", None),
    "ward": NationalLayout("ward", "ward/*/*.json", "WD13CD", "WD13NM", None),
    "lad": NationalLayout("lad", "lad/*.json", "LAD13CD", "LAD13NM", None),
}


def expand_paths(items: Iterable[str | Path]) -> list[Path]:
    """Files named by ``items``: files as given, folders searched for ``*.json``/``*.topojson``
    (recursively), anything else taken as a glob pattern; sorted, without repeats.

    Raises
    ------
    LoadError
        An item matches no file.
    """
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_file():
            found.append(path)
            continue
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".json", ".topojson"))
        else:
            matches = sorted(Path(m) for m in glob.glob(str(item), recursive=True) if Path(m).is_file())
        if not matches:
            raise LoadError(item, "matches no boundary file")
        found.extend(matches)
    return list(dict.fromkeys(found))


def _district_of(path: Path) -> str | None:
    """The district code a per-district file is named after (``E08000009.json``), if it is."""
    stem = path.stem.removeprefix("topo_")
    return stem if len(stem) == 9 and stem[0] in "EWSN" and stem[1:].isdigit() else None


def read_level_file(path: Path, layout: NationalLayout) -> pd.DataFrame:
    """One file's ``area`` rows: read (CRS from the TopoJSON object), repaired, reprojected.

    Runs in a worker process on national loads, so it takes and returns only picklable values.
    """
    frame = read_boundaries(
        path, code_col=layout.code_col, name_col=layout.name_col, parent_col=layout.parent_col
    )
    if layout.parent_col is None and layout.level != "lad":
        frame["parent_code"] = _district_of(path)
    return area_rows(frame, layout.level, path)


def read_level(paths: Sequence[Path], layout: NationalLayout, workers: int = 1) -> pd.DataFrame:
    """Every file's rows, in file order; ``workers`` > 1 parses files in that many processes."""
    if workers > 1 and len(paths) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            jobs = pool.map(read_level_file, paths, [layout] * len(paths), chunksize=4)
            parts = list(progress.bar(jobs, f"read {layout.level} files", total=len(paths)))
    else:
        parts = [read_level_file(p, layout) for p in progress.bar(paths, f"read {layout.level} files")]
    rows = pd.concat(parts, ignore_index=True)
    dup = rows["code"][rows["code"].duplicated(keep=False)]
    if not dup.empty:
        raise LoadError(
            None, f"{layout.level} code(s) {name_some(dup.unique())} appear in more than one file"
        )
    return rows


def _vintage_number(vintage: object) -> int | None:
    text = str(vintage or "").strip()[:4]
    return int(text) if text.isdigit() else None


def superseded(tx: Transaction, rows: pd.DataFrame, level: str, source: Source) -> np.ndarray:
    """Which national rows other sources already cover: same code, or inside a newer boundary.

    A national area is left out when another source holds its code (whatever the vintage) or
    when its point on surface lies in an area of the same level with a newer vintage than
    ``source`` (a changed code in a district redrawn since).
    """
    others = tx.fetch_frame(q.areas_of_others(level, source.id))
    if others.empty:
        return np.zeros(len(rows), dtype=bool)
    out = np.array(rows["code"].isin(set(others["code"])), dtype=bool)
    mine = _vintage_number(source.vintage)
    years = pd.to_numeric(others["vintage"].astype("string").str[:4], errors="coerce")
    newer = others[years > mine] if mine is not None else others[:0]
    if not newer.empty:
        polygons = shapely.from_wkb([bytes(b) for b in newer["wkb"]])
        tree = shapely.STRtree(polygons)
        points = shapely.points(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))
        inside, _ = tree.query(points, predicate="intersects")  # a point on a shared edge counts
        out[np.unique(inside)] = True
    return out


def load_national_level(
    writer: Writer,
    paths: Sequence[Path],
    source: Source,
    *,
    level: str,
    layout: NationalLayout | None = None,
    districts: Sequence[str] = (),
    workers: int | None = None,
    country: str = "UK",
) -> dict[str, int]:
    """Load one level of a per-district boundary set, replacing the source's earlier load.

    Parameters
    ----------
    writer
        The store.
    paths
        The level's files (see :func:`expand_paths` for folders and globs).
    source
        Recorded with the rows; its vintage is the boundaries' (``2011`` OAs, ``2013`` wards).
    level
        ``oa``, ``lsoa``, ``ward`` or ``lad``.
    layout
        Column mapping; defaults to the ONS 2011 layout of the level (:data:`LAYOUTS`).
    districts
        Only these district codes (files named after them, or rows of the district file).
    workers
        Parsing processes; default: one per core, at most 4, and 1 for a few files.
    country
        Country code stored with the areas.

    Returns
    -------
    ``{"files": ..., "read": ..., "loaded": ..., "superseded": ...}``.

    Raises
    ------
    LoadError
        Naming the file and the problem; nothing is written.
    """
    if level not in AREA_LEVELS:
        raise LoadError(None, f"unknown level {level!r}; known: {', '.join(AREA_LEVELS)}")
    layout = layout or LAYOUTS.get(level)
    if layout is None:
        raise LoadError(None, f"no national file layout for level {level!r}; known: {', '.join(LAYOUTS)}")
    wanted = set(districts)
    files = [p for p in paths if not wanted or _district_of(p) is None or _district_of(p) in wanted]
    if not files:
        raise LoadError(None, f"no {level} file of district(s) {name_some(wanted)} among {len(paths)} files")
    if workers is None:
        workers = min(4, os.cpu_count() or 1) if len(files) >= 8 else 1
    rows = read_level(files, layout, workers)
    if wanted:
        key = rows["code"] if level == "lad" else rows["parent_code"]
        rows = rows[key.isin(wanted)].reset_index(drop=True)
    counts = {"files": len(files), "read": len(rows)}

    def write(tx: Transaction) -> int:
        drop = superseded(tx, rows, level, source)
        kept = rows[~drop].reset_index(drop=True)
        counts["superseded"] = int(drop.sum())
        bar = progress.counter(f"write {level} areas", len(kept))
        written = 0
        for start in range(0, len(kept), INSERT_CHUNK):
            chunk = kept.iloc[start : start + INSERT_CHUNK]
            written += insert_areas(tx, chunk, source, files[0].parent, country)
            bar.update(len(chunk))
        bar.close()
        if level != "lad":
            _link_to_districts(tx, kept, level, source)
        # written in chunks below the backend's own analyse threshold: refresh the statistics
        # once, or the next build plans its joins on an empty-looking table
        tx.analyze("area")
        tx.analyze("area_link")
        counts["loaded"] = written
        return written

    write_source(writer, source, [files[0].parent] if len(files) > 1 else files, write)
    return counts


def _link_to_districts(tx: Transaction, rows: pd.DataFrame, level: str, source: Source) -> None:
    """``level`` → ``lad`` links from the districts the files name, where no other source has one."""
    has = rows["parent_code"].notna()
    held = set(tx.fetch_frame(q.link_children_of_others(level, "lad", source.id))["child_code"])
    links = pd.DataFrame(
        {
            "child_level": level,
            "child_code": rows.loc[has, "code"].to_numpy(),
            "parent_level": "lad",
            "parent_code": rows.loc[has, "parent_code"].to_numpy(),
        }
    )
    links = links[~links["child_code"].isin(held)]
    if not links.empty:
        insert_links(tx, links, source, None)
