"""Council uploads: their rows, their aggregates, and what an upload is matched against.

An upload row carries the validation report; its aggregates (``workspace.service_count``)
are written in bulk by the unit of work (``insert_arrow``) and go with it when it is deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core.store.sql import Binds, Dialects, Query

MATCH_LEVELS = ("oa", "lsoa", "ward")  # the levels an upload may name
_UPLOAD_COLUMNS = (
    "upload_id, council_id, content_hash, source_name, uploaded_at, synthetic, rows_read, rows_matched, "
    "rows_rejected, date_from, date_to, report"
)


@dataclass(frozen=True)
class UploadRow:
    upload_id: str
    council_id: str
    content_hash: str
    source_name: str
    uploaded_at: dt.datetime
    synthetic: bool
    rows_read: int
    rows_matched: int
    rows_rejected: int
    date_from: dt.date | None
    date_to: dt.date | None
    report: str


def insert_upload(row: UploadRow) -> Query:
    """Add an upload, unless the council has one of the same content: returns ``upload_id``
    when added and no row when the content hash is taken (two uploads racing included)."""
    b = Binds()
    values = ", ".join(
        [
            b(row.upload_id),
            b(row.council_id),
            b(row.content_hash),
            b(row.source_name),
            "now()",
            b(row.synthetic),
            b(row.rows_read),
            b(row.rows_matched),
            b(row.rows_rejected),
            b(row.date_from),
            b(row.date_to),
            b(row.report),
        ]
    )
    return b.query(
        f"INSERT INTO workspace.upload ({_UPLOAD_COLUMNS}) VALUES ({values}) "
        "ON CONFLICT (council_id, content_hash) DO NOTHING RETURNING upload_id"
    )


def upload_by_hash(council_id: str, content_hash: str) -> Query:
    b = Binds()
    return b.query(
        f"SELECT {_UPLOAD_COLUMNS} FROM workspace.upload "
        f"WHERE council_id = {b(council_id)} AND content_hash = {b(content_hash)}"
    )


def upload(council_id: str, upload_id: str) -> Query:
    b = Binds()
    return b.query(
        f"SELECT {_UPLOAD_COLUMNS} FROM workspace.upload "
        f"WHERE council_id = {b(council_id)} AND upload_id = {b(upload_id)}"
    )


def uploads(council_id: str) -> Query:
    """A council's uploads (``UploadRow``), newest first."""
    b = Binds()
    return b.query(
        f"SELECT {_UPLOAD_COLUMNS} FROM workspace.upload WHERE council_id = {b(council_id)} "
        "ORDER BY uploaded_at DESC, upload_id"
    )


def delete_upload(council_id: str, upload_id: str) -> Query:
    """Remove an upload row; returns its ``upload_id`` if there was one."""
    b = Binds()
    return b.query(
        f"DELETE FROM workspace.upload WHERE council_id = {b(council_id)} AND upload_id = {b(upload_id)} "
        "RETURNING upload_id"
    )


def delete_counts(council_id: str, upload_id: str) -> Query:
    """The aggregates of one upload."""
    b = Binds()
    return b.query(
        f"DELETE FROM workspace.service_count WHERE council_id = {b(council_id)} AND upload_id = {b(upload_id)}"
    )


# --- what uploads are matched against -------------------------------------------------------
def council_postcodes(districts: Sequence[str]) -> Query:
    """Postcodes of the output areas in ``districts``: ``postcode``, ``oa_code``, ``terminated``."""
    b = Binds()
    codes = ", ".join(b(d) for d in districts)
    return b.query(
        "SELECT p.postcode, p.oa_code, p.terminated FROM postcode p "
        "JOIN area_link l ON l.child_level = 'oa' AND l.child_code = p.oa_code AND l.parent_level = 'lad' "
        f"WHERE l.parent_code IN ({codes})"
    )


def council_areas(districts: Sequence[str]) -> Query:
    """Output areas, LSOAs and wards linked to ``districts``: ``code``, ``level``."""
    b = Binds()
    codes = ", ".join(b(d) for d in districts)
    levels = ", ".join(b(lv) for lv in MATCH_LEVELS)
    return b.query(
        "SELECT DISTINCT child_code AS code, child_level AS level FROM area_link "
        f"WHERE parent_level = 'lad' AND parent_code IN ({codes}) AND child_level IN ({levels}) "
        "ORDER BY level, code"
    )


def service_codes() -> Query:
    """Every loaded LGSL code (``lgsl``)."""
    return Query("SELECT lgsl FROM service")


def postcodes_known(postcodes: Sequence[str]) -> Query:
    """Which of ``postcodes`` (normalised) the national lookup holds (``postcode``)."""
    b = Binds()
    return b.query(f"SELECT postcode FROM postcode WHERE postcode IN ({', '.join(b(p) for p in postcodes)})")


def areas_known(codes: Sequence[str]) -> Query:
    """Which of ``codes`` are loaded output areas, LSOAs or wards, anywhere (``code``)."""
    b = Binds()
    levels = ", ".join(b(lv) for lv in MATCH_LEVELS)
    return b.query(
        f"SELECT DISTINCT code FROM area WHERE level IN ({levels}) AND code IN ({', '.join(b(c) for c in codes)}) "
        f"UNION SELECT DISTINCT child_code AS code FROM area_link WHERE child_level IN ({levels}) "
        f"AND child_code IN ({', '.join(b(c) for c in codes)})"
    )


def council_demand(districts: Sequence[str], classification_id: str, level: str = "oa") -> Query:
    """Modelled demand of the areas of ``level`` (``oa`` or ``lsoa``) in ``districts``: ``lgsl``,
    ``code``, ``expected`` and ``demand_index`` (for generating synthetic records)."""
    b = Binds()
    codes = ", ".join(b(d) for d in districts)
    lv = b(level)
    return b.query(
        "SELECT d.lgsl, d.code, d.expected, d.demand_index FROM demand d "
        f"JOIN area_link l ON l.child_level = {lv} AND l.child_code = d.code AND l.parent_level = 'lad' "
        f"WHERE d.level = {lv} AND d.classification_id = {b(classification_id)} AND l.parent_code IN ({codes}) "
        "AND d.expected > 0 ORDER BY d.lgsl, d.code"
    )


@dataclass(frozen=True)
class CountRow:
    level: str
    area_code: str
    service_code: int
    channel: str
    month: dt.date
    interaction_id: int
    contacts: int


def upload_counts(council_id: str, upload_id: str) -> Query:
    """The aggregates of one upload (``CountRow``), in key order."""
    b = Binds()
    return b.query(
        "SELECT level, area_code, service_code, channel, month, interaction_id, contacts "
        f"FROM workspace.service_count WHERE council_id = {b(council_id)} AND upload_id = {b(upload_id)} "
        "ORDER BY level, area_code, service_code, channel, month, interaction_id"
    )


def council_totals(council_id: str) -> Query:
    """Uploads, aggregate cells and contacts a council holds (``uploads``, ``cells``, ``contacts``)."""
    b = Binds()
    council = b(council_id)
    return b.query(
        f"SELECT (SELECT count(*) FROM workspace.upload WHERE council_id = {council}) AS uploads, "
        f"(SELECT count(*) FROM workspace.service_count WHERE council_id = {council}) AS cells, "
        f"(SELECT coalesce(sum(contacts), 0) FROM workspace.service_count WHERE council_id = {council}) AS contacts"
    )


# --- inspection (the privacy test reads every table the store holds) ---------------------------
def stored_tables() -> Query:
    """Every base table of the store, national and workspace, as a quoted qualified name
    (``qualified``) read from the database's own catalogue."""
    return Query(
        Dialects(
            postgis="SELECT format('%I.%I', table_schema, table_name) AS qualified "
            "FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema', 'tiger', 'tiger_data', 'topology') "
            "ORDER BY 1",
            duckdb="SELECT '\"' || table_catalog || '\".\"' || table_schema || '\".\"' || table_name || '\"' "
            "AS qualified FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1",
        )
    )


def whole_table(qualified: str) -> Query:
    """Every row of a table named by :func:`stored_tables` (never by a caller)."""
    return Query(f"SELECT * FROM {qualified}")
