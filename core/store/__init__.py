"""Store access: pick the backend from the database URL."""

from __future__ import annotations

from core.errors import StoreError, StoreQueryError, StoreTimeout, StoreUnavailable
from core.settings import Settings
from core.store.base import Reader, Transaction, Writer
from core.store.unit_of_work import UnitOfWork
from core.store.versions import NATIONAL, council_scope

__all__ = [
    "NATIONAL",
    "Reader",
    "StoreError",
    "StoreQueryError",
    "StoreTimeout",
    "StoreUnavailable",
    "Transaction",
    "UnitOfWork",
    "Writer",
    "council_scope",
    "open_reader",
    "open_writer",
]


def open_writer(settings: Settings) -> Writer:
    """A read-write store for loads and builds (creates or upgrades the schema)."""
    if settings.backend == "duckdb":
        from core.store.duckdb_backend import DuckWriter

        return DuckWriter(settings.duckdb_path)
    from core.store.postgis_backend import PgWriter

    return PgWriter(settings.database_url)


async def open_reader(settings: Settings, *, writable: bool = True) -> Reader:
    """The server's store: reads, and units of work unless ``writable`` is false.

    On the embedded store the national file is opened read-only and the workspace file
    (``settings.workspace_file``) read-write beside it; that file is locked by this process,
    so tools that only read next to a running server pass ``writable=False``.
    """
    if settings.backend == "duckdb":
        from core.store.duckdb_backend import DuckReader

        return DuckReader(
            settings.duckdb_path,
            workspace=settings.workspace_file,
            statement_timeout_ms=settings.statement_timeout_ms,
            writable=writable,
            acquire_timeout_s=settings.pool_acquire_timeout_s,
        )
    from core.store.postgis_backend import PgReader

    return await PgReader.open(
        settings.database_url,
        settings.pool_min_size,
        settings.pool_max_size,
        settings.statement_timeout_ms,
        acquire_timeout_s=settings.pool_acquire_timeout_s,
        writable=writable,
    )
