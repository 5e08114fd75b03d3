"""A real server process whose area search runs a statement that never ends on its own.

``python -m tests.slow_server PORT KIND`` serves the store named by ``INSIGHT_*`` (as
``insight serve`` does, through :func:`app.serve.serve_app`); every area search first runs the
``KIND`` statement of :data:`SLOW` on the real store. The shutdown tests send it SIGTERM
mid-statement.
"""

from __future__ import annotations

import sys
from typing import Any

from app.main import create_app
from app.serve import serve_app
from core.settings import Settings
from core.store import Reader, open_reader
from core.store.sql import Query

SLOW = {
    # interruptible: DuckDB checks for an interrupt between chunks of the join
    "join": {
        "duckdb": "SELECT count(*) FROM range(100000000) a, range(100000000) b",
        "postgis": "SELECT pg_sleep(600)",
    },
    # not interruptible on DuckDB: one LIKE evaluation, exponential in its %_ groups
    "like": {
        "duckdb": "SELECT repeat('a', 200) LIKE repeat('%_', 25) || 'b'",
        "postgis": "SELECT pg_sleep(600)",
    },
}
MARKER = "starts_with(lower(a.code)"  # the area search's statement


def slow_factory(kind: str):
    async def factory(settings: Settings) -> Reader:
        store = await open_reader(settings)
        inner = store._fetch  # type: ignore[attr-defined]
        slow = Query(SLOW[kind][store.backend], ())

        async def fetch(query: Query) -> list[dict[str, Any]]:
            if MARKER in query.text_for(store.backend):
                await inner(slow)
            return await inner(query)

        store._fetch = fetch  # type: ignore[attr-defined,method-assign]
        return store

    return factory


def main() -> None:
    port, kind = int(sys.argv[1]), sys.argv[2]
    settings = Settings()
    serve_app(create_app(settings, slow_factory(kind)), settings, "127.0.0.1", port)


if __name__ == "__main__":
    main()
