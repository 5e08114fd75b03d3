"""The embedded store under concurrent requests: every answer is the route's own, none a 5xx.

With several DuckDB threads per statement, concurrent statements with a window (the data
view's and the area search's ``COUNT(*) OVER ()``) made duckdb 1.5.5 fail an internal
assertion and invalidate the database, so every later request answered 503.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from core.settings import Settings

PATHS = [
    "/api/data?level=ward&parent=NOWHERE&limit=1000&offset=0",
    "/api/data?level=ward&parent=E08000009&limit=1000&offset=0",
    "/api/data?level=ward&parent=NOWHERE&service=999999&limit=1000&offset=0",
    "/api/data?level=nuts3&limit=1000&offset=0",
    "/api/areas?q=tra&limit=50",
    "/api/levels",
]


@pytest.mark.parametrize("demo_settings", ["duckdb"], indirect=True)
def test_concurrent_requests_never_break_the_embedded_store(demo_settings: Settings, tmp_path: Path) -> None:
    settings = demo_settings.model_copy(update={"workspace_path": tmp_path / "concurrency.workspace.duckdb"})
    app = create_app(settings)

    async def run() -> list[httpx.Response]:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
        ):
            answers = await asyncio.gather(*[client.get(p) for p in PATHS * 50])
            answers.append(await client.get("/api/levels"))  # and the store still answers afterwards
            return answers

    answers = asyncio.run(run())
    assert {r.status_code for r in answers} <= {200, 404}, {
        r.status_code: r.text[:200] for r in answers if r.status_code >= 500
    }
    assert answers[-1].status_code == 200
