"""Eurostat bulk TSV (``freq,unit,...,geo\\TIME_PERIOD`` key column, one column per year).

Values carry flags after a space (``123 p`` provisional, ``28791 e`` estimated); ``:`` is
missing. Missing values are not stored. The other dimensions become one text key, ``dims``:
the ``dim=value`` pairs sorted by dimension name and joined by ``;``, without ``geo`` and
``freq`` — e.g. ``age=Y_LT15;sex=T;unit=NR`` (see :func:`dims_key`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.loaders.common import write_source
from boundaries.readers import check_file
from core.store import Transaction, Writer
from core.store.queries import loads as q

SKIPPED_DIMS = ("geo", "freq")
_VALUE = r"^\s*(?P<value>[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|:)\s*(?P<flag>[A-Za-z@]*)\s*$"


def dims_key(**dims: str) -> str:
    """The ``dims`` text for given dimensions: ``dims_key(sex="T", age="Y_LT15", unit="NR")``."""
    return ";".join(f"{k}={v}" for k, v in sorted(dims.items()) if k not in SKIPPED_DIMS)


def read_eurostat(path: Path, dataset: str) -> pd.DataFrame:
    """Long rows ``dataset, geo, year, dims, value, flag`` of one bulk TSV file."""
    path = check_file(path)
    try:
        raw = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise LoadError(path, f"cannot read as a Eurostat TSV: {exc}") from None
    key = raw.columns[0]
    if "\\" not in key or "geo" not in key.split("\\")[0].split(","):
        raise LoadError(path, f"first column {key!r} is not a Eurostat key like 'freq,unit,geo\\TIME_PERIOD'")
    dims = [d.strip() for d in key.split("\\")[0].split(",")]
    years = [c.strip() for c in raw.columns[1:]]
    bad_years = [y for y in years if not y.isdigit()]
    if bad_years or not years:
        raise LoadError(path, f"year columns expected, found {name_some(bad_years) or 'none'}")
    parts = raw[key].str.split(",", expand=True)
    if parts.shape[1] != len(dims) or parts.isna().any().any():
        raise LoadError(path, f"key values do not all have the {len(dims)} parts {', '.join(dims)}")
    parts.columns = dims
    parts = parts.apply(lambda col: col.str.strip())
    others = sorted(d for d in dims if d not in SKIPPED_DIMS)
    dims_text = parts[others[0]].radd(f"{others[0]}=") if others else pd.Series("", index=parts.index)
    for d in others[1:]:
        dims_text = dims_text + f";{d}=" + parts[d]
    values = raw.iloc[:, 1:].set_axis(years, axis=1)
    values.insert(0, "geo", parts["geo"].to_numpy())
    values.insert(1, "dims", dims_text.to_numpy())
    long = values.melt(id_vars=["geo", "dims"], var_name="year", value_name="raw")
    parsed = long["raw"].str.extract(_VALUE)
    unreadable = parsed["value"].isna()
    if unreadable.any():
        raise LoadError(path, f"unreadable value(s) {name_some(long.loc[unreadable, 'raw'].str.strip(), 5)}")
    keep = parsed["value"] != ":"
    out = pd.DataFrame(
        {
            "dataset": dataset,
            "geo": long.loc[keep, "geo"].to_numpy(),
            "year": long.loc[keep, "year"].astype(int).to_numpy(),
            "dims": long.loc[keep, "dims"].to_numpy(),
            "value": parsed.loc[keep, "value"].astype(float).to_numpy(),
            "flag": parsed.loc[keep, "flag"].replace("", np.nan).to_numpy(),
        }
    )
    dup = out.duplicated(["geo", "year", "dims"], keep=False)
    if dup.any():
        raise LoadError(path, f"duplicate rows for {name_some(out.loc[dup, 'geo'].unique())}")
    return out


def load_eurostat(writer: Writer, path: Path, source: Source, dataset: str | None = None) -> int:
    """Load one Eurostat bulk TSV; ``dataset`` defaults to the file name (``demo_r_pjanaggr3``).

    Returns
    -------
    Number of values loaded (missing ones are skipped).
    """
    dataset = dataset or Path(path).name.split(".")[0]
    rows = read_eurostat(path, dataset)

    def write(tx: Transaction) -> int:
        held = tx.fetch_frame(q.eurostat_dataset_owners(dataset, source.id))
        if not held.empty:
            raise LoadError(path, f"dataset {dataset!r} already loaded by source {held['source_id'].iloc[0]}")
        return tx.insert_frame("eurostat_value", rows.assign(source_id=source.id))

    return write_source(writer, source, path, write)
