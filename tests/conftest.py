"""Fixtures: real stores on both backends, generated and real data, the demo stores.

Three rings of tests share these fixtures:

* hermetic tests run on data the tests generate (``tests/synthetic``), loaded and built
  through the real code paths into real stores (``synthetic_settings``); they need no data
  folder;
* integration tests read the real data folder (``INSIGHT_DATA_DIR``) through the
  ``data_dir`` fixture, which skips them, naming the folder, when it holds no source data;
* browser tests run on the real demo store (so they skip without the data folder too).

The PostGIS backend needs ``INSIGHT_TEST_PG_URL`` (an admin URL of a PostGIS server; the
test command starts a throwaway cluster and sets it); without it the PostGIS half of every
test is skipped with that reason. ``INSIGHT_TEST_BACKENDS=duckdb`` runs the DuckDB half
alone, on purpose only.
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


def real_data_dir() -> Path:
    """The data folder the integration tests read (``INSIGHT_DATA_DIR``)."""
    return Path(os.environ.get("INSIGHT_DATA_DIR", "../shared/data")).resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder; every test that reads real data depends on this (and skips without it)."""
    path = real_data_dir()
    if not (path / "gisco-nuts").is_dir():
        pytest.skip(
            f"needs the real data folder: INSIGHT_DATA_DIR={path} holds no source data (see README: Data)"
        )
    return path


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("INSIGHT_TEST_PG_URL")
    if not url:
        pytest.skip(
            "PostGIS backend: INSIGHT_TEST_PG_URL is not set (scripts/test.sh starts a throwaway cluster)"
        )
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
def store_settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings pointing at a new, empty store of the test's backend.

    Its ``data_dir`` is the real data folder's path whether or not it exists: tests that read
    real files ask for the ``data_dir`` fixture as well, which skips without them.
    """
    admin = request.getfixturevalue("pg_admin_url") if backend == "postgis" else None
    return Settings(database_url=new_store_url(backend, tmp_path, admin), data_dir=real_data_dir())


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


# --- the hermetic ring: generated sources, loaded and built through the real code paths -----


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory):
    """The generated world (``tests.synthetic``), written once per session as a data directory.

    Returns the :class:`tests.synthetic.World`; its files are under ``synthetic.root``.
    """
    from tests.synthetic import generate

    return generate(tmp_path_factory.mktemp("synthetic-data"))


_SYNTHETIC: dict[str, Settings] = {}
SYNTHETIC_EUROPE_STARTS = 20  # k-means starts: enough for 21 regions, and quick


@pytest.fixture(scope="session", params=BACKENDS)
def synthetic_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, synthetic
) -> Settings:
    """A store of each backend with every generated source loaded and the model built by
    ``cli.demo.build_demo`` (once per backend per session)."""
    backend = request.param
    if backend not in _SYNTHETIC:
        from cli.demo import build_demo

        admin = request.getfixturevalue("pg_admin_url") if backend == "postgis" else None
        url = new_store_url(backend, tmp_path_factory.mktemp(f"synthetic-{backend}"), admin)
        settings = Settings(database_url=url, data_dir=synthetic.root, europe_starts=SYNTHETIC_EUROPE_STARTS)
        build_demo(settings)
        _SYNTHETIC[backend] = settings
    return _SYNTHETIC[backend]


@pytest.fixture(scope="module")
def synthetic_client(synthetic_settings: Settings) -> Iterator:
    """The app over the generated store of each backend (one per test module)."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(synthetic_settings)) as client:
        yield client


def settings_variant(settings: Settings, directory: Path, **changes: object) -> Settings:
    """The same store under other settings, for a second app beside one already serving it.

    One process opens an embedded store read-only once (its configuration is then locked), so
    a DuckDB store is copied to ``directory`` first; a PostGIS store is shared.
    """
    if settings.backend == "duckdb":
        import shutil

        copy = directory / f"copy-{uuid.uuid4().hex[:8]}.duckdb"
        shutil.copyfile(settings.duckdb_path, copy)
        changes["database_url"] = f"duckdb:///{copy}"
    return settings.model_copy(update=changes)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its ring: ``integration`` if it reads the real data folder,
    ``hermetic`` otherwise (browser tests carry their own marker)."""
    for item in items:
        if item.get_closest_marker("browser"):
            continue
        needs_data = "data_dir" in getattr(item, "fixturenames", ())
        item.add_marker(pytest.mark.integration if needs_data else pytest.mark.hermetic)
