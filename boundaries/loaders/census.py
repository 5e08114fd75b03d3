"""Census 2021 OA tables (one Parquet or CSV per table, one column per category) in long form.

About 8.5 million values: they never pass through Python rows. The store unpivots each wide
table itself (:meth:`Transaction.insert_unpivot`), inside a bulk load that builds the value
index once at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.loaders.common import read_csv, write_source
from boundaries.readers import check_file
from core import progress
from core.store import Transaction, Writer
from core.store.queries import loads as q

VARIABLE = re.compile(r"^ts\d{7}$")
AREA_COL = "OA"


def read_metadata(path: Path) -> pd.DataFrame:
    """``Table_Metadata.csv`` as ``variable, table_id, table_name, name``."""
    frame = read_csv(path, ["new_names", "Table_ID", "Table_Name", "Variable_Name"])
    return pd.DataFrame(
        {
            "variable": frame["new_names"].str.strip(),
            "table_id": frame["Table_ID"].str.strip().str.upper(),
            "table_name": frame["Table_Name"].str.strip(),
            "name": frame["Variable_Name"].str.strip(),
        }
    ).drop_duplicates("variable")


def read_table(path: Path, known: set[str]) -> pd.DataFrame:
    """One wide census table: ``OA`` plus numeric ``tsNNNxxxx`` columns, all described."""
    path = check_file(path)
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # pyarrow / pandas raise several types for damaged files
        raise LoadError(path, f"cannot read: {exc}") from None
    if AREA_COL not in frame.columns:
        raise LoadError(path, f"missing column 'OA'; the file has: {', '.join(map(str, frame.columns[:12]))}")
    variables = [c for c in frame.columns if c != AREA_COL]
    bad = [c for c in variables if not VARIABLE.match(str(c))]
    if bad or not variables:
        raise LoadError(path, f"columns not named like ts0410001: {name_some(bad) or 'none'}")
    undescribed = [c for c in variables if c not in known]
    if undescribed:
        raise LoadError(path, f"column(s) {name_some(undescribed)} are not in Table_Metadata.csv")
    values = frame[variables].apply(pd.to_numeric, errors="coerce")
    broken = values.isna() & frame[variables].notna()
    if broken.any().any():
        raise LoadError(path, f"non-numeric values in column(s) {name_some(values.columns[broken.any()])}")
    frame["OA"] = frame[AREA_COL].astype(str).str.strip()
    dup = frame["OA"][frame["OA"].duplicated()]
    if not dup.empty:
        raise LoadError(path, f"duplicate OA codes: {name_some(dup.unique())}")
    return pd.concat([frame[["OA"]], values.astype("float64")], axis=1)


def insert_long(tx: Transaction, wide: pd.DataFrame, source_id: str) -> int:
    """Append one wide table to ``census_value`` as (variable, area_code, value) rows."""
    assert all(VARIABLE.match(str(c)) for c in wide.columns if c != AREA_COL)
    return tx.insert_unpivot(
        "census_value",
        wide,
        AREA_COL,
        key_as="area_code",
        name_as="variable",
        value_as="value",
        constants={"source_id": source_id},
    )


def load_census(writer: Writer, metadata: Path, tables: list[Path], source: Source) -> int:
    """Load Census tables (wide, one column per category) and their variable names.

    Parameters
    ----------
    metadata
        ``Table_Metadata.csv`` (``new_names, Table_ID, Table_Name, Variable_Name``).
    tables
        One file per table, each with ``OA`` and ``tsNNNxxxx`` columns.

    Returns
    -------
    Number of values loaded.
    """
    meta = read_metadata(metadata)
    known = set(meta["variable"])
    wides = [read_table(p, known) for p in progress.bar(tables, "read census tables")]
    used = [c for w in wides for c in w.columns if c != "OA"]
    dup = pd.Series(used)[pd.Series(used).duplicated()]
    if not dup.empty:
        raise LoadError(tables[0].parent, f"variable(s) {name_some(dup)} appear in two tables")
    variables = meta[meta["variable"].isin(used)].assign(source_id=source.id)

    def write(tx: Transaction) -> int:
        held = tx.fetch_frame(q.census_variable_owners(source.id))
        clash = held[held["variable"].isin(used)]
        if not clash.empty:
            raise LoadError(
                tables[0],
                f"variable(s) {name_some(clash['variable'])} already loaded by {clash['source_id'].iloc[0]}",
            )
        tx.insert_frame("census_variable", variables)
        total = 0
        with tx.bulk_load("census_value"):
            for wide in progress.bar(wides, "write census tables"):
                total += insert_long(tx, wide, source.id)
        return total

    return write_source(writer, source, [metadata, *tables], write)
