# ruff: noqa: F811  (the fixtures imported from test_browser are parameters here)
"""The map reading its public tiles from a PMTiles archive on a static host (``INSIGHT_PMTILES_URL``).

The archive is made by ``insight export pmtiles`` from the demo store and served by a plain
static file server on another port (HTTP Range, CORS), as a CDN would serve it. The map must
draw the same areas with the same colours as from the server, asking the server for no tile
the archive holds, and still ask the server for what the archive does not hold.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from typer.testing import CliRunner

from cli.main import cli
from core.settings import Settings
from tests.live_server import free_port, live_server
from tests.test_browser import Page, browser, demo_duckdb, fills  # noqa: F401

pytestmark = pytest.mark.browser

MAX_ZOOM = 7
VIEW = "#z=6&lat=53.5&lon=-2.3"  # NUTS regions around Greater Manchester


class StaticHost:
    """A static file server with Range and CORS, standing in for a CDN."""

    def __init__(self, folder: Path) -> None:
        self.requests: list[str] = []
        host = self

        async def record(scope, receive, send):  # type: ignore[no-untyped-def]
            if scope["type"] == "http":
                host.requests.append(scope["path"])
            await files(scope, receive, send)

        files = StaticFiles(directory=folder)
        app = Starlette(
            routes=[Mount("/maps", app=record)],
            middleware=[
                Middleware(
                    CORSMiddleware,
                    allow_origins=["*"],
                    allow_headers=["range", "if-match"],
                    expose_headers=["content-range", "etag", "content-length"],
                )
            ],
        )
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> StaticHost:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the static host did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _copy(settings: Settings, folder: Path) -> Settings:
    """A copy of the demo store: one process cannot open one DuckDB file with two settings."""
    copy = folder / settings.duckdb_path.name
    shutil.copyfile(settings.duckdb_path, copy)
    return settings.model_copy(update={"database_url": f"duckdb:///{copy}", "workspace_path": None})


@pytest.fixture(scope="module")
def archive_host(tmp_path_factory: pytest.TempPathFactory, demo_duckdb: Settings) -> Iterator[StaticHost]:
    folder = tmp_path_factory.mktemp("cdn")
    settings = _copy(demo_duckdb, tmp_path_factory.mktemp("export"))
    runner = CliRunner(env={"INSIGHT_DATABASE_URL": settings.database_url, "INSIGHT_PROGRESS": "0"})
    result = runner.invoke(
        cli, ["export", "pmtiles", str(folder / "auto.pmtiles"), "--max-zoom", str(MAX_ZOOM)]
    )
    assert result.exit_code == 0, result.output
    with StaticHost(folder) as host:
        yield host


@pytest.fixture(scope="module")
def archive_url(
    tmp_path_factory: pytest.TempPathFactory, demo_duckdb: Settings, archive_host: StaticHost
) -> Iterator[str]:
    settings = _copy(demo_duckdb, tmp_path_factory.mktemp("archive-server"))
    with live_server(
        settings.model_copy(update={"pmtiles_url": f"{archive_host.url}/maps/auto.pmtiles"})
    ) as url:
        yield url


@pytest.fixture(scope="module")
def plain_url(tmp_path_factory: pytest.TempPathFactory, demo_duckdb: Settings) -> Iterator[str]:
    with live_server(_copy(demo_duckdb, tmp_path_factory.mktemp("plain-server"))) as url:
        yield url


def _drawn(browser, base: str, view: str) -> tuple[set[str], int, list[str]]:
    """The fills and number of features the map draws at ``view``, and its tile requests."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    p = Page(context.new_page(), base)
    tiles: list[str] = []
    p.page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
    try:
        p.open(view)
        count = p.features(minimum=5)
        drawn = fills(p)
    finally:
        context.close()
    assert not p.errors, "errors in the browser:\n" + "\n".join(p.errors)
    return drawn, count, [t for t in tiles if t.endswith(".mvt") or ".mvt?" in t]


def test_config_names_the_archive(archive_url: str, archive_host: StaticHost) -> None:
    page_config = httpx.get(f"{archive_url}/config.json").json()
    assert page_config["pmtiles_url"] == f"{archive_host.url}/maps/auto.pmtiles"
    assert httpx.get(f"{archive_url}/vendor/pmtiles/dist/pmtiles.js").status_code == 200


def test_map_draws_the_archive_tiles_as_the_server_draws_its_own(
    browser, archive_url: str, plain_url: str, archive_host: StaticHost
) -> None:
    before = len(archive_host.requests)
    from_archive, n_archive, server_tiles = _drawn(browser, archive_url, VIEW)
    assert len(archive_host.requests) > before, "the map never read the archive"
    assert server_tiles == [], f"tiles the archive holds were asked of the server: {server_tiles[:3]}"
    from_server, n_server, plain_tiles = _drawn(browser, plain_url, VIEW)
    assert plain_tiles, "the plain server's map asks for its tiles"
    assert n_archive == n_server and from_archive == from_server


def test_tiles_the_archive_does_not_hold_come_from_the_server(
    browser, archive_url: str, archive_host: StaticHost
) -> None:
    # deeper than the archive goes: output areas of Trafford from the server
    _, count, server_tiles = _drawn(browser, archive_url, "#z=14&lat=53.387&lon=-2.349")
    assert count > 0 and server_tiles, "zooms beyond the archive are drawn from the server"
    assert all("/tiles/auto/14/" in t for t in server_tiles)
