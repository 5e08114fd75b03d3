"""Throwaway PostGIS databases, for the test suite and the benchmarks.

Each run gets a database of its own on a server given by an admin URL, so runs never see each
other's data and a failed run leaves nothing behind once dropped.
"""

from __future__ import annotations

import uuid

import psycopg

from core.store.schema import database_ddl


def create_database(admin_url: str, prefix: str = "insight_scratch") -> tuple[str, str]:
    """Create a new database with PostGIS on the server of ``admin_url``.

    Returns
    -------
    (name, url)
        The database's name and a URL to it with the admin URL's credentials.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(database_ddl(name)[0])
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(database_ddl(name)[2])
    return name, url


def drop_database(admin_url: str, name: str) -> None:
    """Drop a database made by :func:`create_database`, closing its connections first."""
    if not name.isidentifier():
        raise ValueError(f"not a database name: {name!r}")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(database_ddl(name)[1])
