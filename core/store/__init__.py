"""Store access: pick the backend from the database URL."""

from __future__ import annotations

from core.settings import Settings
from core.store.base import Reader, StoreError, Transaction, Writer

__all__ = ["Reader", "StoreError", "Transaction", "Writer", "open_reader", "open_writer"]


def open_writer(settings: Settings) -> Writer:
    """A read-write store for loads and builds (creates or upgrades the schema)."""
    if settings.backend == "duckdb":
        from core.store.duckdb_backend import DuckWriter

        return DuckWriter(settings.duckdb_path)
    from core.store.postgis_backend import PgWriter

    return PgWriter(settings.database_url)


async def open_reader(settings: Settings) -> Reader:
    """A read-only store for serving."""
    if settings.backend == "duckdb":
        from core.store.duckdb_backend import DuckReader

        return DuckReader(settings.duckdb_path)
    from core.store.postgis_backend import PgReader

    return await PgReader.open(
        settings.database_url,
        settings.pool_min_size,
        settings.pool_max_size,
        settings.statement_timeout_ms,
    )
