"""Area lookups (OA → LSOA → ward → LAD, and OA 2011 → OA 2021) from ONS-style CSV files, as
``area_link`` rows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.loaders.common import may_shrink, read_csv, require_filled, write_source
from boundaries.store import AREA_LEVELS, check_link_conflicts
from core.store import Transaction, Writer
from core.store.queries import loads as q


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


# the ONS "OA (2011) to OA (2021) to LAD (2022)" exact-fit lookup: one row per 2011/2021 pair
EXACT_FIT = ("OA11CD", "OA21CD", "CHNGIND")
EXACT_FIT_DISTRICT = ("LAD22CD", "LAD21CD", "LAD23CD")


def is_exact_fit(columns: list[str] | pd.Index) -> bool:
    """Whether a lookup has the OA 2011 → OA 2021 exact-fit layout (any letter case)."""
    upper = {str(c).strip().upper() for c in columns}
    return set(EXACT_FIT) <= upper


def exact_fit_links(frame: pd.DataFrame, path: object) -> pd.DataFrame:
    """Links of the exact-fit lookup: each 2021 OA to the 2011 OA holding it, and to its district.

    ``oa → oa`` links carry 2021 codes as children and 2011 codes as parents, written only where
    the code changed (``CHNGIND`` S split, M merged, X complex): the 2021 parts of a split OA
    stand on the 2011 boundary that holds them. A 2021 OA made of several 2011 OAs (a merge) is
    linked to the first of them, so it is placed once and counted once.
    """
    frame = frame.rename(columns={c: str(c).strip().upper() for c in frame.columns})
    for col in EXACT_FIT:
        frame[col] = frame[col].astype("string").str.strip()
    require_filled(frame, ["OA11CD", "OA21CD"], path)
    changed = frame[(frame["OA11CD"] != frame["OA21CD"]) & (frame["CHNGIND"].str.upper() != "U")]
    first = changed.sort_values(["OA21CD", "OA11CD"]).drop_duplicates("OA21CD")
    parts = [
        pd.DataFrame(
            {
                "child_level": "oa",
                "child_code": first["OA21CD"].to_numpy(),
                "parent_level": "oa",
                "parent_code": first["OA11CD"].to_numpy(),
            }
        )
    ]
    district = next((c for c in EXACT_FIT_DISTRICT if c in frame.columns), None)
    if district:
        pairs = frame[["OA21CD", district]].dropna().drop_duplicates()
        split = pairs["OA21CD"][pairs["OA21CD"].duplicated()]
        if not split.empty:
            raise LoadError(
                path, f"OA 2021 code(s) {name_some(split.unique())} have more than one {district}"
            )
        parts.append(
            pd.DataFrame(
                {
                    "child_level": "oa",
                    "child_code": pairs["OA21CD"].to_numpy(),
                    "parent_level": "lad",
                    "parent_code": pairs[district].astype(str).str.strip().to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def load_exact_fit(writer: Writer, path: Path, source: Source) -> int:
    """Load the OA 2011 → OA 2021 exact-fit lookup, replacing the source's earlier load.

    Links other sources already hold (a regional OA → district lookup) keep their place; this
    lookup fills in the rest.
    """
    frame = read_csv(path)
    if not is_exact_fit(frame.columns):
        raise LoadError(path, f"not the OA 2011 → OA 2021 layout: needs columns {', '.join(EXACT_FIT)}")
    links = exact_fit_links(frame, path)

    def write(tx: Transaction) -> int:
        kept = []
        for (child_level, parent_level), group in links.groupby(["child_level", "parent_level"]):
            held = tx.fetch_frame(q.link_children_of_others(str(child_level), str(parent_level), source.id))
            kept.append(group[~group["child_code"].isin(set(held["child_code"]))])
        return insert_links(tx, pd.concat(kept, ignore_index=True), source, path)

    return write_source(writer, source, path, write)


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
    if not specs and is_exact_fit(read_csv(path).columns):
        return load_exact_fit(writer, path, source)
    if not specs:
        raise LoadError(path, f"no column mapping for source {source.id!r}: give --link CHILD:COL=PARENT:COL")
    columns = list(dict.fromkeys(c for s in specs for c in (s.child_col, s.parent_col)))
    links = link_rows(read_csv(path, columns), specs, path)
    return write_source(writer, source, path, lambda tx: insert_links(tx, links, source, path))
