"""Area lookups (OA → LSOA → ward → LAD) from ONS-style CSV files, as ``area_link`` rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.loaders.common import may_shrink, read_csv, write_source
from boundaries.store import AREA_LEVELS, check_link_conflicts
from core.store import Transaction, Writer


@dataclass(frozen=True)
class LinkSpec:
    """Which columns of a lookup link a child level to a parent level."""

    child_level: str
    child_col: str
    parent_level: str
    parent_col: str

    @classmethod
    def parse(cls, text: str) -> LinkSpec:
        """``oa:oa21cd=lsoa:lsoa21cd`` (child level:column = parent level:column)."""
        match = re.fullmatch(r"\s*(\w+):([^=]+)=(\w+):(.+?)\s*", text)
        if not match:
            raise ValueError(
                f"bad link {text!r}: write CHILD_LEVEL:COLUMN=PARENT_LEVEL:COLUMN, e.g. oa:oa21cd=lsoa:lsoa21cd"
            )
        spec = cls(*match.groups())
        for level in (spec.child_level, spec.parent_level):
            if level not in AREA_LEVELS:
                raise ValueError(f"unknown level {level!r} in {text!r}; known: {', '.join(AREA_LEVELS)}")
        return spec


# the column mapping of each lookup in the catalogue
PRESETS: dict[str, tuple[LinkSpec, ...]] = {
    "gm-lookup-statistical-2021": (
        LinkSpec("oa", "oa21cd", "lsoa", "lsoa21cd"),
        LinkSpec("oa", "oa21cd", "lad", "lad22cd"),
        LinkSpec("lsoa", "lsoa21cd", "lad", "lad22cd"),
    ),
    "gm-lookup-administrative-2021": (LinkSpec("ward", "wd22cd", "lad", "lad22cd"),),
    "gm-lookup-lsoa-ward-2021": (LinkSpec("lsoa", "lsoa21cd", "ward", "wd22cd"),),
}


def link_rows(
    frame: pd.DataFrame, specs: tuple[LinkSpec, ...] | list[LinkSpec], path: object
) -> pd.DataFrame:
    """Distinct child → parent pairs per spec; a child with two parents of one level is refused,
    and so are lines lacking a code the specs read (short rows), unless loads may shrink."""
    columns = list(dict.fromkeys(c for s in specs for c in (s.child_col, s.parent_col)))
    blank = frame[columns].isna() | frame[columns].apply(lambda col: col.astype(str).str.strip() == "")
    short = blank.any(axis=1).to_numpy()
    if short.any() and not may_shrink():
        lines = [int(i) + 2 for i in np.flatnonzero(short)]  # +1 header, +1 one-based
        raise LoadError(
            path,
            f"{len(lines):,} of {len(frame):,} line(s) lack a code in {', '.join(map(repr, columns))} "
            f"(short or blank rows): line(s) {name_some(lines)}; pass --allow-shrink to skip them",
        )
    parts = []
    for spec in specs:
        pairs = frame[[spec.child_col, spec.parent_col]].dropna().drop_duplicates()
        pairs = pairs.apply(lambda col: col.str.strip())
        pairs = pairs[(pairs[spec.child_col] != "") & (pairs[spec.parent_col] != "")].drop_duplicates()
        split = pairs[spec.child_col][pairs[spec.child_col].duplicated()]
        if not split.empty:
            raise LoadError(
                path,
                f"{spec.child_level} code(s) {name_some(split.unique())} have more than one "
                f"{spec.parent_level} in {spec.parent_col!r}",
            )
        parts.append(
            pd.DataFrame(
                {
                    "child_level": spec.child_level,
                    "child_code": pairs[spec.child_col].to_numpy(),
                    "parent_level": spec.parent_level,
                    "parent_code": pairs[spec.parent_col].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def insert_links(tx: Transaction, links: pd.DataFrame, source: Source, file: object) -> int:
    links = links.assign(source_id=source.id)
    check_link_conflicts(tx, links, source.id, file)
    return tx.insert_frame("area_link", links)


def load_lookup(
    writer: Writer, path: Path, source: Source, specs: tuple[LinkSpec, ...] | list[LinkSpec] | None = None
) -> int:
    """Load the links of a lookup CSV, replacing the source's earlier load.

    Parameters
    ----------
    specs
        Column mapping; defaults to the catalogue's mapping for ``source.id``.

    Returns
    -------
    Number of links loaded.
    """
    specs = specs or PRESETS.get(source.id)
    if not specs:
        raise LoadError(path, f"no column mapping for source {source.id!r}: give --link CHILD:COL=PARENT:COL")
    columns = list(dict.fromkeys(c for s in specs for c in (s.child_col, s.parent_col)))
    links = link_rows(read_csv(path, columns), specs, path)
    return write_source(writer, source, path, lambda tx: insert_links(tx, links, source, path))
