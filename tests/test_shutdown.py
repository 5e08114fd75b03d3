"""Every statement is bounded in time, a client that goes away cancels its statement, and the
server stops within 10 s of SIGTERM whatever is running: real server processes, both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import psycopg
import pytest

from core.errors import StoreTimeout
from core.settings import Settings
from core.store import open_reader
from core.store.sql import Query
from tests.live_server import free_port
from tests.slow_server import SLOW

ROOT = Path(__file__).resolve().parents[1]
SLOW_SEARCH = "/api/areas?q=x"


async def test_a_runaway_statement_stops_at_the_timeout(synthetic_settings: Settings, tmp_path: Path) -> None:
    settings = synthetic_settings.model_copy(
        update={"statement_timeout_ms": 300, "workspace_path": tmp_path / "ws.duckdb"}
    )
    store = await open_reader(settings, writable=False)
    try:
        started = time.monotonic()
        with pytest.raises(StoreTimeout):
            await store.fetch(Query(SLOW["join"][store.backend]))
        assert time.monotonic() - started < 2.0
        assert await store.fetchval(Query("SELECT 1")) == 1  # the store still answers
    finally:
        await store.close()


@contextmanager
def slow_server(settings: Settings, directory: Path, kind: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """``tests.slow_server`` on a free port over the store of ``settings``."""
    port = free_port()
    env = {
        **os.environ,
        "INSIGHT_DATABASE_URL": settings.database_url,
        "INSIGHT_WORKSPACE_PATH": str(directory / f"live-{port}.workspace.duckdb"),
        "INSIGHT_STATEMENT_TIMEOUT_MS": "600000",
        "INSIGHT_GRACEFUL_SHUTDOWN_S": "2",
        "INSIGHT_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen([sys.executable, "-m", "tests.slow_server", str(port), kind], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/levels", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _in_background(url: str) -> threading.Thread:
    def call() -> None:
        with suppress(httpx.HTTPError):
            httpx.get(url, timeout=60)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sleeping_statements(url: str) -> int:
    with psycopg.connect(url) as con:
        row = con.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(600)%'"
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_client_that_disconnects_cancels_its_statement(
    synthetic_settings: Settings, tmp_path: Path
) -> None:
    with slow_server(synthetic_settings, tmp_path, "join") as (proc, base):
        with pytest.raises(httpx.TimeoutException):
            httpx.get(base + SLOW_SEARCH, timeout=1.5)  # the statement runs; the client gives up
        time.sleep(1.0)
        if synthetic_settings.backend == "postgis":
            assert _sleeping_statements(synthetic_settings.database_url) == 0
        else:  # the join keeps a core busy while it runs
            before = _cpu_s(proc.pid)
            time.sleep(1.0)
            assert _cpu_s(proc.pid) - before < 0.3
        assert httpx.get(f"{base}/api/levels", timeout=5).status_code == 200


@pytest.mark.parametrize("kind", ["join", "like"])
def test_sigterm_stops_the_server_within_10_s(
    synthetic_settings: Settings, tmp_path: Path, kind: str
) -> None:
    if kind == "like" and synthetic_settings.backend == "postgis":
        pytest.skip("an uninterruptible statement is a DuckDB case; PostgreSQL cancels any statement")
    with slow_server(synthetic_settings, tmp_path, kind) as (proc, base):
        caller = _in_background(base + SLOW_SEARCH)
        time.sleep(1.5)
        assert caller.is_alive()  # the statement is running
        if synthetic_settings.backend == "postgis":
            assert _sleeping_statements(synthetic_settings.database_url) == 1
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("the server was still running 10 s after SIGTERM")
        assert time.monotonic() - started < 10
    if synthetic_settings.backend == "postgis":
        time.sleep(0.5)
        assert _sleeping_statements(synthetic_settings.database_url) == 0
