"""A council's own unit costs per contact (``workspace.unit_cost``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.store.sql import Binds, Query


@dataclass(frozen=True)
class UnitCostRow:
    service_code: int  # -1: every service
    channel: str
    cost_gbp: float
    source: str
    set_at: dt.datetime


def council_costs(council_id: str) -> Query:
    """Every unit cost a council has set (``UnitCostRow``)."""
    b = Binds()
    return b.query(
        "SELECT service_code, channel, cost_gbp, source, set_at FROM workspace.unit_cost "
        f"WHERE council_id = {b(council_id)} ORDER BY service_code, channel"
    )


def delete_cost(council_id: str, service_code: int, channel: str) -> Query:
    """One of a council's unit costs (returns the row deleted, if any)."""
    b = Binds()
    return b.query(
        f"DELETE FROM workspace.unit_cost WHERE council_id = {b(council_id)} "
        f"AND service_code = {b(service_code)} AND channel = {b(channel)} RETURNING cost_gbp"
    )


def insert_cost(council_id: str, service_code: int, channel: str, cost_gbp: float, source: str) -> Query:
    """A council's unit cost (after :func:`delete_cost` of the same key, in one unit of work)."""
    b = Binds()
    return b.query(
        "INSERT INTO workspace.unit_cost (council_id, service_code, channel, cost_gbp, source, set_at) "
        f"VALUES ({b(council_id)}, {b(service_code)}, {b(channel)}, {b(cost_gbp)}, {b(source)}, now())"
    )


def service_known(council_id: str, lgsl: int) -> Query:
    """One row if ``lgsl`` is a loaded service or one of the council's records names it."""
    b = Binds()
    code = b(lgsl)
    return b.query(
        f"SELECT 1 AS found FROM service WHERE lgsl = {code} UNION ALL "
        f"SELECT 1 FROM workspace.service_count WHERE council_id = {b(council_id)} AND service_code = {code} "
        "LIMIT 1"
    )
