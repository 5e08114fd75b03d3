"""The frame every loader shares: one transaction that replaces a source's rows and records it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import pandas as pd

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.readers import check_file
from boundaries.store import SOURCED_TABLES, check_area_conflicts, clear_source, record_source
from core.store import Transaction, Writer
from core.store.queries import loads as q

_SHRINK_ALLOWED: ContextVar[bool] = ContextVar("shrink_allowed", default=False)


@contextmanager
def shrink_allowed(allowed: bool = True) -> Iterator[None]:
    """Within the block, loads may replace a source by fewer rows, or none (``--allow-shrink``)."""
    token = _SHRINK_ALLOWED.set(allowed)
    try:
        yield
    finally:
        _SHRINK_ALLOWED.reset(token)


def may_shrink() -> bool:
    """Whether loads in this context may drop rows (input lines or earlier rows)."""
    return _SHRINK_ALLOWED.get()


def write_source(
    writer: Writer, source: Source, files: list[Path] | Path | None, write: Callable[[Transaction], int]
) -> int:
    """Replace everything ``source`` wrote before by what ``write`` writes, in one transaction.

    ``write`` returns the number of rows it wrote; any exception rolls the whole load back, so
    the store keeps the previous version of the source. Good data is never replaced by less
    unasked: a load that writes no rows, or fewer rows to any table than the source held
    there, is refused (naming the tables and counts) unless :func:`shrink_allowed`.
    """
    file = _named(files)
    with writer.transaction() as tx:
        before = _counts(tx, source.id)
        clear_source(tx, source.id)
        rows = write(tx)
        if rows == 0 and (not may_shrink() or not any(before.values())):
            held = (
                f"; the store keeps the {sum(before.values()):,} rows loaded before"
                if any(before.values())
                else ""
            )
            raise LoadError(file, f"yields no rows for source {source.id}{held}")
        after = _counts(tx, source.id)
        lost = [f"{t} {before[t]:,} → {after[t]:,}" for t in SOURCED_TABLES if after[t] < before[t]]
        if lost and not may_shrink():
            raise LoadError(
                file,
                f"would replace source {source.id}'s rows by fewer ({'; '.join(lost)}); nothing was "
                "changed: pass --allow-shrink to accept the smaller data",
            )
        record_source(tx, source, files, rows)
    return rows


def _counts(tx: Transaction, source_id: str) -> dict[str, int]:
    frame = tx.fetch_frame(q.source_rows(source_id, SOURCED_TABLES))
    return {t: int(n) for t, n in zip(frame["tbl"], frame["n"], strict=True)}


def _named(files: list[Path] | Path | None) -> str | None:
    if isinstance(files, list):
        return ", ".join(str(f) for f in files) or None
    return str(files) if files is not None else None


def insert_areas(
    tx: Transaction, rows: pd.DataFrame, source: Source, file: object, country: str | None = None
) -> int:
    """Insert ``area`` rows made by :func:`boundaries.geometry.area_rows`, stamped with the source."""
    rows = rows.copy()
    rows["source_id"] = source.id
    rows["vintage"] = source.vintage or None
    if "country" not in rows.columns:
        rows["country"] = country
    check_area_conflicts(tx, rows, source.id, file)
    return tx.insert_frame("area", rows)


def parents_from_links(tx: Transaction, codes: pd.Series, level: str, parent_level: str) -> np.ndarray:
    """Parent code of each area through the loaded ``area_link`` rows (None where there is none)."""
    links = tx.fetch_frame(q.links_between(level, parent_level))
    lookup = dict(zip(links["child_code"], links["parent_code"], strict=True))
    return np.array([lookup.get(c) for c in codes], dtype=object)


def read_csv(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A CSV as text columns (BOM stripped, quoted newlines kept); missing columns named."""
    path = check_file(path)
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise LoadError(path, f"cannot read as CSV: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns or [] if c not in frame.columns]
    if missing:
        raise LoadError(
            path,
            f"missing column(s) {', '.join(map(repr, missing))}; the file has: {', '.join(frame.columns)}",
        )
    if frame.empty:
        raise LoadError(path, "holds no rows")
    return frame


def read_tabular(path: Path, columns: list[str]) -> pd.DataFrame:
    """A CSV or Parquet table as text columns, checking the wanted columns exist."""
    path = check_file(path)
    if path.suffix.lower() == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise LoadError(path, f"cannot read as Parquet: {exc}") from None
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise LoadError(
                path,
                f"missing column(s) {', '.join(map(repr, missing))}; the file has: {', '.join(frame.columns)}",
            )
        frame = frame[columns].astype(object).where(frame[columns].notna(), None)
        return frame.apply(lambda col: col.map(lambda v: None if v is None else str(v).strip()))
    return read_csv(path, columns)


def require_unique(values: pd.Series, path: object, what: str) -> None:
    dup = values[values.duplicated(keep=False)]
    if not dup.empty:
        raise LoadError(path, f"duplicate {what}: {name_some(dup.unique())}")


def require_filled(frame: pd.DataFrame, columns: list[str], path: object) -> None:
    for col in columns:
        empty = frame[col].isna() | (frame[col].astype(str).str.strip() == "")
        if empty.any():
            rows = [int(i) + 2 for i in np.flatnonzero(empty.to_numpy())]  # +1 header, +1 one-based
            raise LoadError(path, f"empty {col!r} in line(s) {name_some(rows)}")
