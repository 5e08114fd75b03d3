"""Run the server with uvicorn."""

from __future__ import annotations

import uvicorn

from app.main import create_app
from core.settings import Settings


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Serve ``create_app(settings)``.

    Several workers need PostGIS: the embedded store is served by a single process, which
    holds the read-write lock on its workspace file (the national file is opened read-only)
    and runs units of work one at a time behind its writer lock.
    """
    if workers > 1 and settings.backend == "duckdb":
        raise SystemExit(
            "several workers need PostGIS: the embedded store is served by one process, "
            "which owns its workspace file"
        )
    if workers > 1:
        from app.workers import run_workers

        run_workers(settings, host, port, workers, {"log_level": settings.log_level})
    else:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level)
