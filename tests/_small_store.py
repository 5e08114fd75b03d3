"""A small real store made by the tests themselves: the real schema and a few areas.

Enough for routes that query the store on every request (levels, an area by code) without
the data folder.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd

from core.settings import Settings
from core.store import open_writer
from core.store.scratch import create_database

AREAS = {"E06000001": "Hartlepool", "E06000002": "Middlesbrough", "E06000003": "Redcar and Cleveland"}


def small_store_url(backend: str, directory: Path, pg_admin_url: str | None) -> str:
    if backend == "duckdb":
        return f"duckdb:///{directory / f'national-{uuid.uuid4().hex[:8]}.duckdb'}"
    assert pg_admin_url, "the PostGIS backend needs INSIGHT_TEST_PG_URL"
    return create_database(pg_admin_url, "insight_test")[1]


def make_small_store(url: str, directory: Path, **settings: object) -> Settings:
    """Create the store at ``url`` with its schema (migrations on PostGIS) and three LADs."""
    config = Settings(database_url=url, data_dir=directory, **settings)  # type: ignore[arg-type]
    source = pd.DataFrame({"source_id": ["test"], "kind": ["boundaries"], "title": ["Test areas"]})
    areas = pd.DataFrame(
        {
            "level": "lad",
            "code": list(AREAS),
            "name": list(AREAS.values()),
            "country": "E",
            "source_id": "test",
        }
    )
    with open_writer(config) as writer, writer.transaction() as tx:
        tx.insert_frame("source", source)
        tx.insert_frame("area", areas)
        tx.bump_data_version()
    return config
