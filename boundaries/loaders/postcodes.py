"""The postcode → output area lookup, from a file in the ONS Postcode Directory layout.

The ONS Postcode Directory (ONSPD) and the National Statistics Postcode Lookup are CSV files
with one row per postcode: ``pcds`` (the postcode, one space), ``oa21cd`` (its 2021 output
area), ``doterm`` (year and month it was terminated, empty while live) among fifty-odd others.
Only these three are read. Postcodes are kept normalised (upper case, no spaces); terminated
ones are kept and flagged, as old records still name them. A load replaces the whole table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.loaders.common import write_source
from boundaries.readers import check_file
from core.store import Transaction, Writer

POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "pcd2", "postcode")
OA_COLUMNS = ("oa21cd", "oa21")
TERMINATED_COLUMNS = ("doterm",)


def normalise_postcodes(values: pa.Array) -> pa.Array:
    """Upper case, every space removed: ``"m1 1ae"`` and ``"M1  1AE"`` both become ``"M11AE"``."""
    return pc.utf8_upper(pc.replace_substring_regex(values, r"\s+", ""))


def _pick(path: Path, header: list[str], wanted: tuple[str, ...], what: str) -> str:
    lowered = {h.strip().lower(): h for h in header}
    for name in wanted:
        if name in lowered:
            return lowered[name]
    raise LoadError(path, f"no {what} column ({' or '.join(wanted)}); the file has {name_some(header, 15)}")


def read_postcode_directory(path: Path) -> pd.DataFrame:
    """``postcode``, ``oa_code``, ``terminated`` from an ONSPD-layout CSV.

    Rows without an output area are dropped; a postcode listed twice keeps its live row.
    """
    path = check_file(path)
    try:
        with path.open("rb") as fh:
            first = fh.readline().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError(path, "is not UTF-8 text") from None
    header = [h.strip().strip('"') for h in first.rstrip("\r\n").split(",")]
    pcd = _pick(path, header, POSTCODE_COLUMNS, "postcode")
    oa = _pick(path, header, OA_COLUMNS, "2021 output area")
    term = _pick(path, header, TERMINATED_COLUMNS, "termination date")
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                include_columns=[pcd, oa, term],
                column_types={pcd: pa.string(), oa: pa.string(), term: pa.string()},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise LoadError(path, f"cannot read as CSV: {exc}") from None
    postcodes = normalise_postcodes(table.column(pcd).combine_chunks())
    oas = pc.utf8_trim_whitespace(table.column(oa).combine_chunks())
    terminated = pc.not_equal(pc.utf8_length(pc.utf8_trim_whitespace(table.column(term).combine_chunks())), 0)
    frame = pd.DataFrame(
        {
            "postcode": postcodes.to_numpy(zero_copy_only=False),
            "oa_code": oas.to_numpy(zero_copy_only=False),
            "terminated": terminated.to_numpy(zero_copy_only=False),
        }
    )
    frame = frame[(frame["oa_code"] != "") & (frame["postcode"] != "")]
    if frame.empty:
        raise LoadError(path, "holds no postcode with an output area")
    # a postcode listed twice: keep the live row (False sorts first)
    frame = frame.sort_values(["postcode", "terminated"], kind="stable").drop_duplicates("postcode")
    return frame.reset_index(drop=True)


def load_postcodes(writer: Writer, path: Path, source: Source) -> tuple[int, int]:
    """Replace the postcode lookup by the file's; returns (postcodes, of which terminated)."""
    frame = read_postcode_directory(path)

    def write(tx: Transaction) -> int:
        with tx.bulk_load("postcode"):  # PostGIS builds its oa_code index once, over the new rows
            tx.clear("postcode")
            return tx.insert_frame("postcode", frame.assign(source_id=source.id))

    rows = write_source(writer, source, path, write)
    return rows, int(frame["terminated"].sum())
