"""An upload from file to aggregates: read in batches, check, aggregate on the way.

Only the running aggregates (level × area × service × channel × month × interaction, with
the number of contacts) and the validation report outlive a batch: no row-level record is
kept, and the file itself is the caller's (a temporary file, deleted after).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from records.columns import resolve
from records.errors import UploadInvalid
from records.gazetteer import Gazetteer
from records.reading import Ragged, open_upload
from records.report import Report
from records.validate import RAGGED, REASONS, check_batch, sum_by_key, to_table

COMPACT_ROWS = 4_000_000  # partial aggregates are folded together past this many rows
_SYNTHETIC_MARKS = pa.array(["1", "true", "yes", "synthetic"])


@dataclass
class Ingested:
    """What an upload leaves: aggregates and the report (still open to refinement)."""

    aggregates: pa.Table
    report: Report
    synthetic: bool


def _reject_ragged(ragged: list[Ragged], before: int | None, width: int, report: Report) -> None:
    """Reject (and forget) the ragged rows numbered below ``before`` (all when ``None``)."""
    field, reason = REASONS[RAGGED]
    keep = []
    for r in ragged:
        if before is not None and (r.row is None or r.row >= before):
            keep.append(r)
            continue
        report.rows_read += 1
        report.reject(r.row, field, f"{reason}: {r.found} instead of {width}", r.text)
    ragged[:] = keep


def row_numbers(first: int, n: int, ragged: list[Ragged]) -> np.ndarray:
    """File row numbers of the next ``n`` rows read, from row ``first`` on, stepping over the
    ragged rows the reader skipped (so a rejection names the row a spreadsheet shows).

    >>> row_numbers(2, 4, [Ragged(3, 1, "x"), Ragged(5, 3, "a,b,c")])
    array([2, 4, 6, 7])
    """
    skipped = np.array(sorted({r.row for r in ragged if r.row is not None and r.row >= first}), np.int64)
    candidates = first + np.arange(n + len(skipped), dtype=np.int64)
    if not len(skipped):
        return candidates
    return np.setdiff1d(candidates, skipped, assume_unique=True)[:n]


def read_records(
    path: Path,
    gazetteer: Gazetteer,
    *,
    mapping: Mapping[str, str] | None = None,
    max_rows: int,
    today: dt.date | None = None,
    source_name: str = "",
) -> Ingested:
    """Read, check and aggregate an upload.

    Parameters
    ----------
    path
        The uploaded file (CSV or XLSX, told apart by content).
    gazetteer
        The council's postcodes, areas and the known services.
    mapping
        ``{field: column}`` overriding the default header names.
    max_rows
        More data rows than this refuse the upload (the setting is named in the message).
    today
        Dates after it are rejected (default: today, UTC).

    Raises
    ------
    UploadInvalid
        The file cannot be read as a table of records, or holds too many rows.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    opened = open_upload(path)
    columns = resolve(opened.header, mapping)
    report = Report(
        source_name=source_name, kind=opened.kind, delimiter=opened.delimiter, place=columns.place
    )
    report.columns = {f: opened.header[i] for f, i in columns.positions.items() if i is not None}
    keys: list[np.ndarray] = []
    sums: list[np.ndarray] = []
    held = 0
    next_row = 2  # the header is row 1
    synthetic_marks = 0
    for batch in opened.batches():
        if columns["synthetic"] is not None:
            marks = pc.utf8_lower(pc.utf8_trim_whitespace(batch.column(columns["synthetic"])))
            synthetic_marks += pc.sum(pc.is_in(marks, value_set=_SYNTHETIC_MARKS)).as_py() or 0
        numbers = row_numbers(next_row, batch.num_rows, opened.ragged)
        part_keys, part_contacts = check_batch(batch, numbers, columns, gazetteer, today, report)
        next_row = int(numbers[-1]) + 1 if len(numbers) else next_row
        _reject_ragged(opened.ragged, next_row, len(opened.header), report)  # in file order
        if report.rows_read + len(opened.ragged) > max_rows:
            raise UploadInvalid(
                f"the file holds more than {max_rows:,} rows, the upload limit (INSIGHT_UPLOAD_MAX_ROWS)"
            )
        if len(part_keys):
            keys.append(part_keys)
            sums.append(part_contacts)
            held += len(part_keys)
        if held > COMPACT_ROWS:
            k, c = sum_by_key(np.concatenate(keys), np.concatenate(sums))
            keys, sums, held = [k], [c], len(k)
    _reject_ragged(opened.ragged, None, len(opened.header), report)
    if report.rows_read == 0:
        raise UploadInvalid("the file holds a header but no data rows")
    synthetic = columns["synthetic"] is not None and synthetic_marks >= report.rows_read
    if keys:
        total_keys, total = sum_by_key(np.concatenate(keys), np.concatenate(sums))
    else:
        total_keys, total = np.zeros(0, np.int64), np.zeros(0, np.int64)
    return Ingested(to_table(total_keys, total, gazetteer), report, synthetic)


def check_acceptable(report: Report, max_rejected_share: float) -> None:
    """Refuse an upload with no matched row, or with more rejected rows than allowed.

    Raises
    ------
    UploadInvalid
        With the report, so the council sees every reason at once.
    """
    if report.rows_matched == 0:
        raise UploadInvalid(
            f"all {report.rows_read:,} rows were rejected, so nothing was stored: the report says why, row by row",
            report.as_dict(),
        )
    share = report.rows_rejected / report.rows_read
    if share > max_rejected_share:
        raise UploadInvalid(
            f"{report.rows_rejected:,} of {report.rows_read:,} rows ({share:.1%}) were rejected, more than "
            f"the {max_rejected_share:.1%} allowed (INSIGHT_UPLOAD_MAX_REJECTED_SHARE, or max_rejected "
            "per upload): see the report for why",
            report.as_dict(),
        )
