"""What the loaders read back: rows other sources hold (to refuse clashes) and loaded areas.

A reload replaces only its own source's rows, so before writing a loader asks who else holds
the keys it is about to write and names them.
"""

from __future__ import annotations

from core.store.sql import Binds, Query


def area_owners(level: str, source_id: str) -> Query:
    """Codes of a level held by sources other than ``source_id``, with their source."""
    b = Binds()
    return b.query(
        f"SELECT code, source_id FROM area WHERE level = {b(level)} AND source_id <> {b(source_id)}"
    )


def link_owners(child_level: str, parent_level: str, source_id: str) -> Query:
    """Links from ``child_level`` to ``parent_level`` held by other sources, with their source."""
    b = Binds()
    return b.query(
        f"SELECT child_code, source_id FROM area_link WHERE child_level = {b(child_level)} "
        f"AND parent_level = {b(parent_level)} AND source_id <> {b(source_id)}"
    )


def links_between(child_level: str, parent_level: str) -> Query:
    """Loaded links from one level to another: child code and parent code."""
    b = Binds()
    return b.query(
        "SELECT child_code, parent_code FROM area_link "
        f"WHERE child_level = {b(child_level)} AND parent_level = {b(parent_level)}"
    )


def areas(level: str, source_id: str | None = None, geometry: bool = False) -> Query:
    """Areas of a level (optionally of one source) by code: code, name, lon, lat and, with
    ``geometry``, their EPSG:4326 outline as WKB (``wkb``)."""
    b = Binds()
    cols = "code, name, lon, lat" + (", ST_AsBinary(geom) AS wkb" if geometry else "")
    where = f"level = {b(level)}" + (f" AND source_id = {b(source_id)}" if source_id else "")
    return b.query(f"SELECT {cols} FROM area WHERE {where} ORDER BY code")


def classification_owner(classification_id: str, source_id: str) -> Query:
    """The source holding a classification, when it is not ``source_id``."""
    b = Binds()
    return b.query(
        "SELECT source_id FROM classification "
        f"WHERE classification_id = {b(classification_id)} AND source_id <> {b(source_id)}"
    )


def census_variable_owners(source_id: str) -> Query:
    """Census variables loaded by sources other than ``source_id``, with their source."""
    b = Binds()
    return b.query(f"SELECT variable, source_id FROM census_variable WHERE source_id <> {b(source_id)}")


def eurostat_dataset_owners(dataset: str, source_id: str) -> Query:
    """Sources other than ``source_id`` that loaded a Eurostat dataset."""
    b = Binds()
    return b.query(
        "SELECT DISTINCT source_id FROM eurostat_value "
        f"WHERE dataset = {b(dataset)} AND source_id <> {b(source_id)}"
    )


def service_owners(source_id: str) -> Query:
    """Services (LGSL codes) loaded by sources other than ``source_id``, with their source."""
    b = Binds()
    return b.query(f"SELECT lgsl, source_id FROM service WHERE source_id <> {b(source_id)}")


def source_rows(source_id: str, tables: tuple[str, ...]) -> Query:
    """Rows each of ``tables`` (names from the loaders' own list) holds for one source: table, rows."""
    b = Binds()
    sid = b(source_id)
    parts = [f"SELECT '{t}' AS tbl, COUNT(*) AS n FROM {t} WHERE source_id = {sid}::text" for t in tables]
    return b.query("\nUNION ALL\n".join(parts))


def areas_of_others(level: str, source_id: str) -> Query:
    """Areas of a level held by other sources: code, source, vintage and EPSG:4326 outline (WKB)."""
    b = Binds()
    return b.query(
        "SELECT code, source_id, vintage, ST_AsBinary(geom) AS wkb FROM area "
        f"WHERE level = {b(level)} AND source_id <> {b(source_id)} ORDER BY code"
    )


def link_children_of_others(child_level: str, parent_level: str, source_id: str) -> Query:
    """Child codes already linked from ``child_level`` to ``parent_level`` by other sources."""
    b = Binds()
    return b.query(
        f"SELECT DISTINCT child_code FROM area_link WHERE child_level = {b(child_level)} "
        f"AND parent_level = {b(parent_level)} AND source_id <> {b(source_id)}"
    )


def corrections_key(source_id: str) -> str:
    """The ``meta`` key under which a source's load records the typos it corrected."""
    return f"corrections:{source_id}"


def forget_corrections(source_id: str) -> Query:
    b = Binds()
    return b.query(f"DELETE FROM meta WHERE key = {b(corrections_key(source_id))}")


def record_corrections(source_id: str, corrections_json: str) -> Query:
    """Record what a load corrected (a JSON list) beside it."""
    b = Binds()
    return b.query(
        f"INSERT INTO meta (key, value) VALUES ({b(corrections_key(source_id))}, {b(corrections_json)})"
    )
