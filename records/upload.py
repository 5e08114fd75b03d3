"""Uploads of a council: take a file (check, aggregate, store in one unit of work), list, delete.

A file is read in a worker thread, so the server keeps answering while it is checked. Only
its aggregates and its validation report are stored, with the upload's row; the file stays
the caller's to delete. The same content (SHA-256) twice for one council is refused with 409,
before reading and again inside the unit of work, so two racing uploads cannot both count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pyarrow as pa

from core.errors import Conflict, NotFound
from core.settings import Settings
from core.store import Reader, council_scope
from core.store.queries import councils as qc
from core.store.queries import uploads as q
from records.access import Council
from records.gazetteer import Gazetteer
from records.ingest import Ingested, check_acceptable, read_records
from records.report import NOT_IN_LOOKUP, UNKNOWN_AREA, Report
from records.validate import AGGREGATE_KEYS

COUNTS_TABLE = "workspace.service_count"
FOLLOW_UP = 20_000  # unmatched codes looked up nationally, to tell "outside" from "unknown"
CHUNK = 1_000
INSERT_ROWS = 100_000  # aggregate rows per bulk statement (bounds its time and the memory it takes)


@dataclass(frozen=True)
class Taken:
    """An upload stored: its row and its report."""

    upload: q.UploadRow
    cells: int  # aggregate rows written

    def as_dict(self) -> dict[str, Any]:
        return upload_dict(self.upload) | {"cells": self.cells}


def upload_dict(row: q.UploadRow) -> dict[str, Any]:
    """An upload as the API shows it (report parsed)."""
    return {
        "upload_id": row.upload_id,
        "source_name": row.source_name,
        "uploaded_at": row.uploaded_at,
        "synthetic": row.synthetic,
        "rows_read": row.rows_read,
        "rows_matched": row.rows_matched,
        "rows_rejected": row.rows_rejected,
        "date_from": row.date_from,
        "date_to": row.date_to,
        "content_hash": row.content_hash,
        "report": json.loads(row.report),
    }


def hash_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


async def gazetteer(store: Reader, council: Council) -> Gazetteer:
    """The council's postcodes, areas and the known services, read once per upload."""
    districts = council.district_codes
    postcodes = await store.fetch(q.council_postcodes(districts))
    areas = await store.fetch(q.council_areas(districts))
    services = await store.fetch(q.service_codes())
    return Gazetteer.build(
        ((r["postcode"], r["oa_code"], r["terminated"]) for r in postcodes),
        ((r["code"], r["level"]) for r in areas),
        (r["lgsl"] for r in services),
    )


async def _known(store: Reader, codes: list[str], query: Any, column: str) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(codes), CHUNK):
        rows = await store.fetch(query(codes[start : start + CHUNK]))
        found.update(r[column] for r in rows)
    return found


async def refine(store: Reader, report: Report) -> None:
    """Tell rows whose postcode or area lies outside the council's districts from those whose
    code is unknown everywhere (the most frequent :data:`FOLLOW_UP` codes are looked up)."""
    postcodes = [c for c, _ in report.unmatched["postcode"].most_common(FOLLOW_UP)]
    if postcodes:
        outside = await _known(store, postcodes, q.postcodes_known, "postcode")
        report.refine_outside("postcode", NOT_IN_LOOKUP, outside)
    areas = [c for c, _ in report.unmatched["area"].most_common(FOLLOW_UP)]
    if areas:
        outside = await _known(store, areas, q.areas_known, "code")
        report.refine_outside("area", UNKNOWN_AREA, outside)


async def take_upload(
    store: Reader,
    settings: Settings,
    council: Council,
    actor: str,
    path: Path,
    *,
    source_name: str,
    content_hash: str | None = None,
    mapping: Mapping[str, str] | None = None,
    max_rejected: float | None = None,
    synthetic: bool = False,
    today: dt.date | None = None,
) -> Taken:
    """Check and aggregate the file at ``path`` and store the result for ``council``.

    Parameters
    ----------
    actor
        Who uploads, for the audit trail (``token:<id>`` or ``cli``).
    content_hash
        SHA-256 of the file when the caller computed it while receiving it.
    max_rejected
        Largest share of rejected rows accepted (default ``INSIGHT_UPLOAD_MAX_REJECTED_SHARE``).
    synthetic
        Mark the upload synthetic (also when every row's ``synthetic`` column says so).

    Raises
    ------
    Conflict
        The council uploaded the same content before (409).
    UploadInvalid
        The file cannot be taken (422, with the report when rows were read).
    """
    if content_hash is None:
        content_hash = await anyio.to_thread.run_sync(hash_file, path)
    council_id = council.council_id
    await _refuse_duplicate(store, council_id, content_hash)
    gaz = await gazetteer(store, council)

    def read() -> Ingested:
        return read_records(
            path,
            gaz,
            mapping=mapping,
            max_rows=settings.upload_max_rows,
            today=today,
            source_name=source_name,
        )

    ingested = await anyio.to_thread.run_sync(read)
    report = ingested.report
    await refine(store, report)
    share = settings.upload_max_rejected_share if max_rejected is None else max_rejected
    check_acceptable(report, share)
    is_synthetic = synthetic or ingested.synthetic
    row = q.UploadRow(
        upload_id=uuid.uuid4().hex,
        council_id=council_id,
        content_hash=content_hash,
        source_name=source_name,
        uploaded_at=dt.datetime.now(dt.UTC),
        synthetic=is_synthetic,
        rows_read=report.rows_read,
        rows_matched=report.rows_matched,
        rows_rejected=report.rows_rejected,
        date_from=report.date_from,
        date_to=report.date_to,
        report=json.dumps(report.as_dict() | {"synthetic": is_synthetic}),
    )
    # in key order: PostGIS then appends to its primary key's index instead of inserting at random
    # (a 318,000-cell upload: 4.1 s instead of 9.3 s); the embedded store's zone maps like it too
    ordered = ingested.aggregates.sort_by([(k, "ascending") for k in AGGREGATE_KEYS])
    counts = _with_ids(ordered, row.upload_id, council_id)
    async with store.unit_of_work() as uow:
        if not await uow.fetch(q.insert_upload(row)):
            raise _duplicate(content_hash)
        cells = 0
        for start in range(0, counts.num_rows, INSERT_ROWS):  # each statement well within the timeout
            cells += await uow.insert_arrow(COUNTS_TABLE, counts.slice(start, INSERT_ROWS))
        detail = (
            f"upload {row.upload_id} of {source_name!r}{' (synthetic)' if is_synthetic else ''}: "
            f"{report.rows_matched:,} of {report.rows_read:,} rows matched, {cells:,} aggregate cells"
        )
        await uow.execute(qc.write_audit(council_id, actor, "upload", detail, report.rows_read))
        await uow.bump_data_version(council_scope(council_id))
    stored = await store.fetch_as(q.UploadRow, q.upload(council_id, row.upload_id))
    return Taken(stored[0], cells)


def _with_ids(aggregates: pa.Table, upload_id: str, council_id: str) -> pa.Table:
    n = aggregates.num_rows
    return aggregates.append_column("upload_id", pa.array([upload_id] * n, pa.string())).append_column(
        "council_id", pa.array([council_id] * n, pa.string())
    )


def _duplicate(content_hash: str, earlier: q.UploadRow | None = None) -> Conflict:
    when = (
        f" as upload {earlier.upload_id} ({earlier.source_name!r}, {earlier.uploaded_at:%Y-%m-%d %H:%M} UTC)"
        if earlier
        else ""
    )
    details: dict[str, object] = {"content_hash": content_hash}
    if earlier:
        details["upload_id"] = earlier.upload_id
    return Conflict(f"this file was already uploaded{when}; it is not counted twice", details)


async def _refuse_duplicate(store: Reader, council_id: str, content_hash: str) -> None:
    rows = await store.fetch_as(q.UploadRow, q.upload_by_hash(council_id, content_hash))
    if rows:
        raise _duplicate(content_hash, rows[0])


async def list_uploads(store: Reader, council_id: str) -> list[q.UploadRow]:
    return await store.fetch_as(q.UploadRow, q.uploads(council_id))


async def get_upload(store: Reader, council_id: str, upload_id: str) -> q.UploadRow:
    rows = await store.fetch_as(q.UploadRow, q.upload(council_id, upload_id))
    if not rows:
        raise NotFound(f"council {council_id!r} has no upload {upload_id!r}")
    return rows[0]


async def delete_upload(store: Reader, council_id: str, upload_id: str, actor: str) -> None:
    """Remove an upload and its aggregates (one unit of work, audited)."""
    async with store.unit_of_work() as uow:
        await uow.execute(q.delete_counts(council_id, upload_id))
        if not await uow.fetch(q.delete_upload(council_id, upload_id)):
            raise NotFound(f"council {council_id!r} has no upload {upload_id!r}")
        await uow.execute(qc.write_audit(council_id, actor, "upload.delete", f"upload {upload_id} deleted"))
        await uow.bump_data_version(council_scope(council_id))
