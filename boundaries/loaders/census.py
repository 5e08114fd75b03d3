"""Census 2021 OA tables (one Parquet or CSV per table, one column per category) in long form.

About 8.5 million values: they never pass through Python rows. DuckDB unpivots the wide
table itself; PostGIS receives the wide table by COPY into a temporary table and unpivots
it with one INSERT ... SELECT.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.loaders.common import read_csv, write_source
from boundaries.readers import check_file
from core import progress
from core.store import Transaction, Writer

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
    from core.store.duckdb_backend import DuckTransaction

    variables = [c for c in wide.columns if c != "OA"]
    assert all(VARIABLE.match(v) for v in variables)  # identifiers below come from checked names
    if isinstance(tx, DuckTransaction):
        tx.con.register("_census_wide", wide)
        try:
            tx.con.execute(
                "INSERT INTO census_value (variable, area_code, value, source_id) "
                "SELECT variable, OA, value, $1 FROM (UNPIVOT _census_wide ON "
                + ", ".join(variables)
                + " INTO NAME variable VALUE value)",
                [source_id],
            )
        finally:
            tx.con.unregister("_census_wide")
        return len(wide) * len(variables)
    conn = tx.conn  # type: ignore[attr-defined]
    conn.execute("DROP TABLE IF EXISTS _census_wide")
    conn.execute(
        "CREATE TEMP TABLE _census_wide (oa text, "
        + ", ".join(f"{v} double precision" for v in variables)
        + ") ON COMMIT DROP"
    )
    with conn.cursor() as cur, cur.copy(f"COPY _census_wide (oa, {', '.join(variables)}) FROM STDIN") as copy:
        copy.write(wide.to_csv(sep="\t", header=False, index=False, na_rep="\\N", lineterminator="\n"))
    values = ", ".join(f"('{v}', w.{v})" for v in variables)
    cur = conn.execute(
        "INSERT INTO census_value (variable, area_code, value, source_id) "
        f"SELECT v.variable, w.oa, v.value, %s FROM _census_wide w CROSS JOIN LATERAL (VALUES {values}) "
        "AS v(variable, value) WHERE v.value IS NOT NULL",
        [source_id],
    )
    conn.execute("DROP TABLE _census_wide")
    return cur.rowcount


@contextmanager
def index_dropped(tx: Transaction) -> Iterator[None]:
    """On PostGIS, rebuild the value index once after the bulk insert instead of row by row."""
    from core.store.duckdb_backend import DuckTransaction

    if isinstance(tx, DuckTransaction):
        yield
        return
    tx.execute("DROP INDEX IF EXISTS census_value_var_idx")
    yield
    tx.execute("CREATE INDEX census_value_var_idx ON census_value (variable, area_code)")


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
        held = tx.fetch_frame(
            "SELECT variable, source_id FROM census_variable WHERE source_id <> $1", [source.id]
        )
        clash = held[held["variable"].isin(used)]
        if not clash.empty:
            raise LoadError(
                tables[0],
                f"variable(s) {name_some(clash['variable'])} already loaded by {clash['source_id'].iloc[0]}",
            )
        tx.insert_frame("census_variable", variables)
        total = 0
        with index_dropped(tx):
            for wide in progress.bar(wides, "write census tables"):
                total += insert_long(tx, wide, source.id)
        return total

    return write_source(writer, source, [metadata, *tables], write)
