"""Scoped data versions: one for the national data, one per council workspace.

Caches and ETags key on the version of the scope they read, so a council's writes never drop
what was cached of the national data. Scopes are written ``"national"`` and
``"council:<id>"`` (``<id>``: letters, digits, ``_`` or ``-``, at most 64).

The national version lives in the store's ``meta`` table under ``data_version`` and changes
only with loads and builds (``Transaction.bump_data_version``). A council's version is kept
under ``data_version:council:<id>`` in ``workspace.workspace_meta`` (on the embedded store the
national file is read-only to the server; the workspace is its own file).
"""

from __future__ import annotations

import re
import uuid

import pandas as pd

from core.store.sql import Binds, Query

NATIONAL = "national"
NATIONAL_KEY = "data_version"
EMPTY = "empty"
_COUNCIL = re.compile(r"^council:([A-Za-z0-9_\-]{1,64})$")


def council_scope(council_id: str) -> str:
    """The scope name of a council's data (``council:<id>``), checked."""
    scope = f"council:{council_id}"
    version_key(scope)
    return scope


def is_national(scope: str) -> bool:
    return scope == NATIONAL


def version_key(scope: str) -> str:
    """The key a scope's version is stored under; ``ValueError`` for a malformed scope."""
    if scope == NATIONAL:
        return NATIONAL_KEY
    if not _COUNCIL.match(scope):
        raise ValueError(f"unknown data version scope {scope!r}: use 'national' or 'council:<id>'")
    return f"{NATIONAL_KEY}:{scope}"


def new_version() -> str:
    """A fresh version value: UTC time to the microsecond (readable, ordered) and a random
    suffix, so two bumps within one microsecond still differ."""
    return f"{pd.Timestamp.now(tz='UTC').strftime('%Y%m%d%H%M%S%f')}-{uuid.uuid4().hex[:8]}"


def read_version(scope: str) -> Query:
    """The statement that reads a scope's version (one row, one ``value``, or no row)."""
    b = Binds()
    key = b(version_key(scope))
    if is_national(scope):
        return b.query(f"SELECT value FROM meta WHERE key = {key}")
    return b.query(f"SELECT value FROM workspace.workspace_meta WHERE key = {key}")


def write_council_version(scope: str, value: str) -> Query:
    """The statement that sets a council scope's version (an upsert: concurrent bumps of one
    scope serialise on its key instead of failing)."""
    if is_national(scope):
        raise ValueError("the national data version changes only with loads and builds")
    b = Binds()
    key, val = b(version_key(scope)), b(value)
    upsert = f"VALUES ({key}, {val}) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    return b.query(f"INSERT INTO workspace.workspace_meta (key, value) {upsert}")


def write_national_version(value: str) -> list[Query]:
    """The statements that set the national version (delete then insert: the embedded store's
    ``meta`` table has no key to upsert on)."""
    b = Binds()
    delete = b.query(f"DELETE FROM meta WHERE key = {b(NATIONAL_KEY)}")
    b = Binds()
    insert = b.query(f"INSERT INTO meta (key, value) VALUES ({b(NATIONAL_KEY)}, {b(value)})")
    return [delete, insert]
