"""Councils, their districts, API tokens and the audit trail (the workspace's access tables).

Every statement names ``workspace.<table>``: PostGIS's ``workspace`` schema or the embedded
store's attached workspace file. Times are the database's ``now()``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from core.store.sql import Binds, Query


@dataclass(frozen=True)
class CouncilRow:
    council_id: str
    name: str
    created_at: dt.datetime


@dataclass(frozen=True)
class DistrictRow:
    council_id: str
    district_code: str
    name: str | None  # from the national areas, where loaded


@dataclass(frozen=True)
class TokenRow:
    token_id: str
    council_id: str
    secret_hash: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class AuditRow:
    audit_id: str
    council_id: str
    occurred_at: dt.datetime
    actor: str
    action: str
    detail: str
    row_count: int | None


def create_council(council_id: str, name: str) -> Query:
    b = Binds()
    return b.query(
        f"INSERT INTO workspace.council (council_id, name, created_at) VALUES ({b(council_id)}, {b(name)}, now())"
    )


def add_district(council_id: str, district_code: str) -> Query:
    b = Binds()
    return b.query(
        "INSERT INTO workspace.council_district (council_id, district_code) "
        f"VALUES ({b(council_id)}, {b(district_code)})"
    )


def council(council_id: str) -> Query:
    """One council by id (``CouncilRow``)."""
    b = Binds()
    return b.query(
        f"SELECT council_id, name, created_at FROM workspace.council WHERE council_id = {b(council_id)}"
    )


def council_by_name(name: str) -> Query:
    b = Binds()
    return b.query(f"SELECT council_id, name, created_at FROM workspace.council WHERE name = {b(name)}")


def councils() -> Query:
    """Every council (``CouncilRow``), by id."""
    return Query("SELECT council_id, name, created_at FROM workspace.council ORDER BY council_id")


def districts(council_id: str) -> Query:
    """A council's districts (``DistrictRow``) with their names where the areas are loaded."""
    b = Binds()
    return b.query(
        "SELECT d.council_id, d.district_code, a.name FROM workspace.council_district d "
        "LEFT JOIN area a ON a.level = 'lad' AND a.code = d.district_code "
        f"WHERE d.council_id = {b(council_id)} ORDER BY d.district_code"
    )


def add_token(council_id: str, token_id: str, secret_hash: str) -> Query:
    b = Binds()
    return b.query(
        "INSERT INTO workspace.council_token (token_id, council_id, secret_hash, created_at) "
        f"VALUES ({b(token_id)}, {b(council_id)}, {b(secret_hash)}, now())"
    )


def token(token_id: str) -> Query:
    """One token (``TokenRow``), revoked or not."""
    b = Binds()
    return b.query(
        "SELECT token_id, council_id, secret_hash, created_at, revoked_at FROM workspace.council_token "
        f"WHERE token_id = {b(token_id)}"
    )


def revoke_tokens(council_id: str) -> Query:
    """Revoke every live token of a council; returns the revoked ids (``token_id``)."""
    b = Binds()
    return b.query(
        f"UPDATE workspace.council_token SET revoked_at = now() WHERE council_id = {b(council_id)} "
        "AND revoked_at IS NULL RETURNING token_id"
    )


def write_audit(council_id: str, actor: str, action: str, detail: str, row_count: int | None = None) -> Query:
    """Append one audit record (the API has no route that changes or deletes one)."""
    b = Binds()
    return b.query(
        "INSERT INTO workspace.audit (audit_id, council_id, occurred_at, actor, action, detail, row_count) "
        f"VALUES ({b(uuid.uuid4().hex)}, {b(council_id)}, now(), {b(actor)}, {b(action)}, "
        f"{b(detail)}, {b(row_count)})"
    )


def audit(council_id: str, limit: int, offset: int = 0) -> Query:
    """A council's audit records (``AuditRow``), newest first."""
    b = Binds()
    return b.query(
        "SELECT audit_id, council_id, occurred_at, actor, action, detail, row_count FROM workspace.audit "
        f"WHERE council_id = {b(council_id)} ORDER BY occurred_at DESC, audit_id LIMIT {b(limit)} OFFSET {b(offset)}"
    )


def audit_count(council_id: str) -> Query:
    b = Binds()
    return b.query(f"SELECT count(*) AS n FROM workspace.audit WHERE council_id = {b(council_id)}")


def districts_known(codes: list[str]) -> Query:
    """Which of ``codes`` are loaded local authority districts (``code``, ``name``)."""
    b = Binds()
    placeholders = ", ".join(b(c) for c in codes)
    return b.query(f"SELECT code, name FROM area WHERE level = 'lad' AND code IN ({placeholders})")
