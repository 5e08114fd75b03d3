"""The embedded store's workspace: a read-write DuckDB file beside the read-only national one.

The server never writes the national file (loads and builds do, from the CLI); what it writes
from HTTP goes to the workspace, attached to the reader's connection as ``workspace`` so one
statement can join national tables with ``workspace.<table>``. DuckDB locks a read-write file
to one process, so a single server process owns the workspace.

Its tables are the workspace tables of :mod:`core.store.schema` (councils, tokens, audit,
uploads and their aggregates, council-scope data versions), the same that PostGIS keeps in its
``workspace`` schema.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from core.errors import StoreError
from core.store.schema import WORKSPACE, duckdb_workspace_ddl

ALIAS = WORKSPACE


def default_path(national: Path) -> Path:
    """``<stem>.workspace.duckdb`` in the national file's folder (as ``Settings.workspace_file``)."""
    return national.with_name(f"{national.stem}.workspace.duckdb")


def attach(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Attach (creating if new) the workspace read-write and give it its tables.

    Must run before the connection disables external access and locks its configuration.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    literal = str(path).replace("'", "''")
    try:
        con.execute(f"ATTACH IF NOT EXISTS '{literal}' AS {ALIAS} (READ_WRITE)")
        for statement in duckdb_workspace_ddl():
            con.execute(statement)
    except duckdb.Error as exc:
        raise StoreError(
            f"cannot open the workspace {path}: {exc} (one server process owns it; "
            "INSIGHT_WORKSPACE_PATH moves it)"
        ) from exc
