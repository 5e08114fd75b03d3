"""What `insight build` reads: areas, classifications, class assignments, lookups, census,
Eurostat, services.

Column lists for the census pivot come from the build's own driver catalogue, never from input.
"""

from __future__ import annotations

from core.store.sql import Binds, Query


def area_keys() -> Query:
    """Level and code of every area."""
    return Query("SELECT level, code FROM area")


def classifications() -> Query:
    return Query(
        "SELECT classification_id, name, base_level, tiers, description, method, attribution, source_id "
        "FROM classification ORDER BY classification_id"
    )


def classes(classification_id: str) -> Query:
    """The classes of a classification at every tier, in their display order."""
    b = Binds()
    return b.query(
        "SELECT code, tier, parent_code, name, colour, description, sort "
        f"FROM profile_class WHERE classification_id = {b(classification_id)} ORDER BY sort, code"
    )


def area_classes(classification_id: str) -> Query:
    """Each base area's (finest) class in a classification, by code: the model's sums then run
    in the same order on every backend, however the rows are stored."""
    b = Binds()
    return b.query(
        f"SELECT area_code, class_code FROM area_class WHERE classification_id = {b(classification_id)} "
        "ORDER BY area_code"
    )


def links() -> Query:
    return Query("SELECT child_level, child_code, parent_level, parent_code FROM area_link")


def service_codes() -> Query:
    """The LGSL codes of the loaded services."""
    return Query("SELECT lgsl FROM service")


def census_pivot(variables: list[str]) -> Query:
    """One row per output area, one column per census variable (values summed)."""
    for v in variables:
        if not v.isalnum():
            raise ValueError(f"bad census variable name {v!r}")
    b = Binds()
    cols = ",\n  ".join(f"SUM(CASE WHEN variable = {b(v)} THEN value END) AS {v}" for v in variables)
    inlist = ", ".join(b(v) for v in variables)
    return b.query(
        f"SELECT area_code,\n  {cols}\nFROM census_value WHERE variable IN ({inlist}) GROUP BY area_code"
    )


def eurostat(dataset: str) -> Query:
    """A Eurostat dataset's values for NUTS3 regions (five-character codes)."""
    b = Binds()
    return b.query(
        f"SELECT geo, year, dims, value FROM eurostat_value WHERE dataset = {b(dataset)} AND length(geo) = 5"
    )
