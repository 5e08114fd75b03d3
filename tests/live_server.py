"""A real uvicorn server on a free port, in a background thread, for the browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from app.main import create_app
from app.serve import server_config
from core.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(settings: Settings, timeout_s: float = 30.0, limits: bool = False) -> Iterator[str]:
    """Serve ``create_app(settings)`` until the block ends; yields the base URL.

    ``limits`` runs uvicorn as ``insight serve`` does (:func:`app.serve.server_config`:
    header size, keep-alive, concurrency, trusted proxies).

    On the embedded store the server gets a workspace file of its own: a workspace belongs to
    one server, and the test process may have another app open on the same store.
    """
    port = free_port()
    if settings.backend == "duckdb" and settings.workspace_path is None:
        own = settings.duckdb_path.with_name(f"{settings.duckdb_path.stem}.live-{port}.workspace.duckdb")
        settings = settings.model_copy(update={"workspace_path": own})
    options = server_config(settings) if limits else {}
    options["log_level"] = "warning"
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, lifespan="on", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{base}/api/levels", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"the server did not start on {base}")
        time.sleep(0.1)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def process_server(settings: Settings, log: Path, timeout_s: float = 30.0) -> Iterator[str]:
    """Serve the app from ``settings`` in a uvicorn process of its own (GDAL holds the GIL while
    it reads, so it cannot talk to a server thread of the test process); its access log goes
    to ``log``. Yields the base URL."""
    port = free_port()
    env = dict(os.environ, INSIGHT_DATABASE_URL=settings.database_url)
    if settings.backend == "duckdb":  # a workspace belongs to one server; this process has its own
        env["INSIGHT_WORKSPACE_PATH"] = str(settings.duckdb_path.with_name(f"proc-{port}.workspace.duckdb"))
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.asgi:app", "--port", str(port), "--log-level", "info"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if httpx.get(f"{base}/api/levels", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the server did not start on {base}: see {log}")
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=20)
