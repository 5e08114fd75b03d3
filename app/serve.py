"""Run the server with uvicorn, with the limits a public server needs."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI

from app.http_protocol import BoundedHttpToolsProtocol
from app.main import create_app
from core.settings import Settings


def server_config(settings: Settings) -> dict[str, Any]:
    """uvicorn settings that bound what one client can hold (see README: Limits and safety).

    Requests are parsed by httptools, bounded like h11 would be: a request line and headers
    over ``INSIGHT_MAX_HEADER_BYTES`` are refused with 431 however they arrive
    (:mod:`app.http_protocol`, reading uvicorn's ``h11_max_incomplete_event_size``);
    X-Forwarded-* are honoured only from the addresses in ``INSIGHT_FORWARDED_ALLOW_IPS``
    (none by default, not even a local peer).
    """
    trusted = [ip.strip() for ip in settings.forwarded_allow_ips.split(",") if ip.strip()]
    return {
        "http": BoundedHttpToolsProtocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.keep_alive_s,
        "limit_concurrency": settings.max_connections,
        "timeout_graceful_shutdown": settings.graceful_shutdown_s,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "log_level": settings.log_level,
    }


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

        run_workers(settings, host, port, workers, server_config(settings))
    else:
        serve_app(create_app(settings), settings, host, port)


def serve_app(app: FastAPI, settings: Settings, host: str, port: int) -> None:
    """Serve ``app`` in this process until SIGTERM or SIGINT, then exit promptly.

    uvicorn lets running requests finish for ``INSIGHT_GRACEFUL_SHUTDOWN_S``, then cancels
    them, which interrupts their statements. A statement that ignores its interrupt (DuckDB
    checks for one between chunks of rows, not inside one long expression) would keep its
    worker thread, and so the process, alive: the process then ends without waiting for it.
    """
    uvicorn.run(app, host=host, port=port, **server_config(settings))
    exit_if_statements_linger()


def exit_if_statements_linger() -> None:
    """After the server stopped: end the process now if statement threads are still running."""
    stuck = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if stuck:
        logging.getLogger("insight").warning(
            "stopping with %d statement(s) still running: %s", len(stuck), ", ".join(t.name for t in stuck)
        )
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
