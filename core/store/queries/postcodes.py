"""The national postcode lookup, read for matching."""

from __future__ import annotations

from core.store.sql import Binds, Query


def output_areas(districts: list[str] | None = None) -> Query:
    """Output areas linked to districts (all, or those listed): ``oa_code``, ``lad_code`` and
    their households (the most any classification records; NULL where none)."""
    b = Binds()
    where = ""
    if districts:
        where = f" AND l.parent_code IN ({', '.join(b(d) for d in districts)})"
    return b.query(
        "SELECT l.child_code AS oa_code, l.parent_code AS lad_code, MAX(c.households) AS households "
        "FROM area_link l LEFT JOIN base_composition c ON c.level = 'oa' AND c.code = l.child_code "
        f"WHERE l.child_level = 'oa' AND l.parent_level = 'lad'{where} "
        "GROUP BY l.child_code, l.parent_code ORDER BY l.parent_code, l.child_code"
    )


def districts_with_postcodes() -> Query:
    """Districts (``code``, ``name``) holding at least one postcode of the lookup, by code."""
    return Binds().query(
        "SELECT a.code, a.name FROM area a WHERE a.level = 'lad' AND EXISTS ("
        "SELECT 1 FROM postcode p JOIN area_link l ON l.child_level = 'oa' AND l.child_code = p.oa_code "
        "AND l.parent_level = 'lad' WHERE l.parent_code = a.code) ORDER BY a.code"
    )


def count_postcodes() -> Query:
    """How many postcodes the lookup holds."""
    return Query("SELECT COUNT(*) AS n FROM postcode")
