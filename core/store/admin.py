"""Store administration for the command line: schema upgrades and ``meta`` values.

These pick the backend from the settings like :func:`core.store.open_writer`, so callers above
the store never import a backend.
"""

from __future__ import annotations

from core.errors import StoreError
from core.settings import Settings
from core.store import schema


def schema_version() -> str:
    """The schema version this code needs: the newest migration's revision."""
    return schema.head_revision()


def upgrade_schema(settings: Settings, revision: str = "head") -> None:
    """Bring a PostGIS store's schema to ``revision`` with the migrations.

    The embedded store needs none: its file is created at the current version, and a file of
    another version is refused (and rebuilt by ``insight demo``).
    """
    if settings.backend != "postgis":
        raise StoreError("the embedded store needs no migration: its schema is created on first load")
    from core.store.postgis_backend import upgrade_schema as upgrade

    upgrade(settings.database_url, revision)


def read_meta(settings: Settings, keys: list[str]) -> dict[str, str | None]:
    """Values of ``meta`` keys in the configured store without opening it for writing.

    Raises
    ------
    StoreError
        The store is missing or cannot be read.
    """
    if settings.backend == "duckdb":
        from core.store.duckdb_backend import read_meta as read_duckdb

        return read_duckdb(settings.duckdb_path, keys)
    from core.store.postgis_backend import read_meta as read_postgis

    return read_postgis(settings.database_url, keys)
