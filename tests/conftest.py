"""Fixtures: real stores on both backends, the real data directory, the demo store.

The PostGIS backend needs ``INSIGHT_TEST_PG_URL`` (an admin URL of a PostGIS server; the
test command starts a throwaway cluster and sets it). ``INSIGHT_TEST_BACKENDS=duckdb``
runs the DuckDB half alone, on purpose only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from core.store.scratch import create_database

BACKENDS = [b for b in os.environ.get("INSIGHT_TEST_BACKENDS", "duckdb,postgis").split(",") if b]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ.get("INSIGHT_DATA_DIR", "../shared/data")).resolve()
    if not (path / "gisco-nuts").is_dir():
        pytest.fail(f"INSIGHT_DATA_DIR={path} holds no source data (see README: Data)")
    return path


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("INSIGHT_TEST_PG_URL")
    if not url:
        pytest.fail("INSIGHT_TEST_PG_URL is not set: run the suite with scripts/test.sh")
    return url


def new_store_url(backend: str, directory: Path, pg_admin_url: str | None) -> str:
    """An empty store: a new DuckDB file, or a new PostGIS database."""
    if backend == "duckdb":
        return f"duckdb:///{directory / f'store-{uuid.uuid4().hex[:8]}.duckdb'}"
    assert pg_admin_url
    return create_database(pg_admin_url, "insight_test")[1]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store_settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest, data_dir: Path) -> Settings:
    """Settings pointing at a new, empty store of the test's backend."""
    admin = request.getfixturevalue("pg_admin_url") if backend == "postgis" else None
    return Settings(database_url=new_store_url(backend, tmp_path, admin), data_dir=data_dir)


@pytest.fixture
def writer(store_settings: Settings) -> Iterator:
    from core.store import open_writer

    with open_writer(store_settings) as w:
        yield w


_DEMO: dict[str, Settings] = {}


def _demo_store(
    backend: str, request: pytest.FixtureRequest, factory: pytest.TempPathFactory, data_dir: Path
) -> Settings:
    """Build (once per session) a store with every demo source loaded and the model built."""
    if backend not in _DEMO:
        from cli.demo import build_demo

        admin = request.getfixturevalue("pg_admin_url") if backend == "postgis" else None
        url = new_store_url(backend, factory.mktemp(f"demo-{backend}"), admin)
        settings = Settings(database_url=url, data_dir=data_dir)
        build_demo(settings)
        _DEMO[backend] = settings
    return _DEMO[backend]


@pytest.fixture(scope="session", params=BACKENDS)
def demo_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> Settings:
    """The demo store of each backend in turn."""
    return _demo_store(request.param, request, tmp_path_factory, data_dir)


@pytest.fixture(scope="session")
def demo_stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> dict[str, Settings]:
    """The demo stores of all backends at once, to compare their answers."""
    return {b: _demo_store(b, request, tmp_path_factory, data_dir) for b in BACKENDS}
