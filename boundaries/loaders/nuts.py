"""GISCO NUTS boundaries: one file per level or all levels in one file (GeoJSON or TopoJSON)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.geometry import area_rows
from boundaries.loaders.common import insert_areas, write_source
from boundaries.readers import read_boundaries, reject_duplicates
from core.store import Transaction, Writer

NUTS_LEVELS = {0: "nuts0", 1: "nuts1", 2: "nuts2", 3: "nuts3"}


def nuts_rows(path: Path, crs: str | None = None, layer: str | int | None = None) -> pd.DataFrame:
    """``area`` rows of every NUTS region in one GISCO file, all levels it holds.

    ``name`` is ``NAME_LATN`` (Latin script), ``country`` is ``CNTR_CODE`` (GISCO writes ``UK``
    and ``EL``), and the parent is the code one level up (``UKD35`` → ``UKD3``).
    """
    frame = read_boundaries(
        path, code_col="NUTS_ID", name_col="NAME_LATN", crs=crs, layer=layer, keep=("LEVL_CODE", "CNTR_CODE")
    )
    levels = pd.to_numeric(frame["LEVL_CODE"], errors="coerce")
    bad = ~levels.isin(list(NUTS_LEVELS))
    if bad.any():
        raise LoadError(path, f"LEVL_CODE not 0-3 for region(s) {name_some(frame.loc[bad, 'code'])}")
    wrong = frame["code"].str.len() != levels + 2
    if wrong.any():
        raise LoadError(path, f"NUTS_ID does not match LEVL_CODE for {name_some(frame.loc[wrong, 'code'])}")
    parts = []
    for number, group in frame.groupby(levels.astype(int)):
        group = group.copy()
        group["parent_code"] = group["code"].str[:-1] if number > 0 else None
        rows = area_rows(group, NUTS_LEVELS[int(number)], path)
        rows["country"] = group["CNTR_CODE"].astype(str).str.strip().to_numpy()
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def load_nuts(
    writer: Writer, paths: list[Path], source: Source, crs: str | None = None, layer: str | int | None = None
) -> int:
    """Load GISCO NUTS files (any mix of levels) as one source, replacing its earlier load.

    Returns
    -------
    Number of regions loaded.
    """
    if not paths:
        raise LoadError(None, f"no files given for source {source.id}")
    rows = pd.concat([nuts_rows(p, crs, layer) for p in paths], ignore_index=True)
    label = paths[0] if len(paths) == 1 else paths[0].parent
    for level, group in rows.groupby("level"):
        reject_duplicates(group["code"], label, f"{level} code")

    def write(tx: Transaction) -> int:
        return insert_areas(tx, rows, source, label)

    return write_source(writer, source, list(paths), write)
