"""Run the server with uvicorn."""

from __future__ import annotations

import uvicorn

from app.main import create_app
from core.settings import Settings


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Serve ``create_app(settings)``; several workers need a multi-process-safe store."""
    if workers > 1 and settings.backend == "duckdb":
        raise SystemExit("several workers need PostGIS: the embedded store has one reader")
    if workers > 1:
        uvicorn.run("app.asgi:app", host=host, port=port, workers=workers, log_level=settings.log_level)
    else:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level)
