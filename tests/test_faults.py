"""PostgreSQL stopped under load: every answer is a 503 problem, and the server recovers alone.

A real uvicorn server on a throwaway PostGIS cluster of its own (port
``INSIGHT_TEST_FAULT_PG_PORT``, default 55460, loopback only), a bounded loop of concurrent
requests that each query the store, and the cluster stopped (``pg_ctl stop -m fast``) and
started again in the middle of it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from core.store.scratch import create_database
from tests._small_store import make_small_store
from tests.live_server import live_server

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "pg-throwaway.sh"
PORT = int(os.environ.get("INSIGHT_TEST_FAULT_PG_PORT", "55460"))
WORKERS = 6
MAX_REQUESTS = 4000  # across all workers: the loop is bounded in count as well as in time
OUTAGE_S = 2.0
RECOVERY_S = 10.0


@dataclass(frozen=True)
class Answer:
    started: float
    status: int
    content_type: str
    body: object
    retry_after: str | None


@dataclass(frozen=True)
class Cluster:
    directory: Path
    url: str

    def _pg_ctl(self, *args: str) -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.directory), *args]
        if os.geteuid() == 0:  # initdb and pg_ctl refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        options = f"-p {PORT} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-l", str(self.directory / "server.log"), "-w", "-o", options, "start")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL 15 binaries not found in {PG_BIN}")
    directory = Path(f"/tmp/insight-fault-{PORT}")
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", str(directory), str(PORT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if started.returncode != 0:
        pytest.fail(f"cannot start a throwaway cluster on port {PORT}: {started.stderr}")
    try:
        yield Cluster(directory, started.stdout.strip())
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(directory)], capture_output=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


def _ask(client: httpx.Client, url: str) -> Answer:
    started = time.monotonic()
    r = client.get(url)
    try:
        body: object = r.json()
    except ValueError:
        body = r.text
    return Answer(
        started, r.status_code, r.headers.get("content-type", ""), body, r.headers.get("retry-after")
    )


def test_stopping_postgres_under_load_gives_503_problems_and_recovers(
    cluster: Cluster, tmp_path: Path
) -> None:
    url = create_database(cluster.url, "insight_fault")[1]
    settings = make_small_store(url, tmp_path, pool_acquire_timeout_s=2.0, retry_after_s=1, pool_max_size=4)
    answers: list[Answer] = []
    lock, done = threading.Lock(), threading.Event()

    with live_server(settings) as base:
        target = f"{base}/api/levels"

        def load() -> None:
            with httpx.Client(timeout=15) as client:
                while not done.is_set():
                    answer = _ask(client, target)
                    with lock:
                        answers.append(answer)
                        if len(answers) >= MAX_REQUESTS:
                            done.set()
                    time.sleep(0.005)

        with ThreadPoolExecutor(WORKERS) as pool:
            for _ in range(WORKERS):
                pool.submit(load)
            try:
                time.sleep(1.0)
                stopping = time.monotonic()
                cluster.stop()
                time.sleep(OUTAGE_S)
                cluster.start()
                restarted = time.monotonic()
                recovered = None
                while recovered is None and time.monotonic() < restarted + RECOVERY_S and not done.is_set():
                    time.sleep(0.1)
                    with lock:
                        recovered = next(
                            (a.started for a in answers if a.started >= restarted and a.status == 200), None
                        )
            finally:
                done.set()
        with httpx.Client(timeout=15) as client:
            settled = [_ask(client, target) for _ in range(20)]

    assert len(answers) < MAX_REQUESTS, "the loop ran out of requests before the server recovered"
    statuses = {a.status for a in answers}
    assert statuses <= {200, 503}, f"unexpected statuses {statuses - {200, 503}}"
    failed = [a for a in answers if a.status == 503]
    during = [a for a in failed if a.started >= stopping]
    assert during, "no request saw the outage"
    for a in failed:
        assert a.content_type == "application/problem+json", a
        assert isinstance(a.body, dict) and a.body["status"] == 503 and a.body["detail"], a
        assert a.retry_after == "1", a
    ok = [a for a in answers if a.status == 200]
    assert all(isinstance(a.body, list) and len(a.body) == 8 for a in ok)
    assert recovered is not None, f"no 200 within {RECOVERY_S} s of the restart"
    assert [a.status for a in settled] == [200] * 20


def test_cached_tiles_are_served_while_postgres_is_down(cluster: Cluster, tmp_path: Path) -> None:
    """stale-if-error: a tile drawn before the outage is served during it, marked stale and not
    to be cached downstream; a tile never drawn answers 503; all is normal after the restart."""
    url = create_database(cluster.url, "insight_fault")[1]
    settings = make_small_store(
        url, tmp_path, pool_acquire_timeout_s=2.0, retry_after_s=1, tile_version_ttl_s=0.1
    )
    cached, uncached = "/tiles/lad/0/0/0.mvt", "/tiles/lad/1/1/0.mvt"
    with live_server(settings) as base, httpx.Client(base_url=base, timeout=15) as client:
        before = client.get(cached)
        assert before.status_code in (200, 204) and "x-tile-stale" not in before.headers
        cluster.stop()
        try:
            time.sleep(0.3)  # past the version check interval: the next request asks the store
            during = client.get(cached)
            assert during.status_code == before.status_code, during.text
            assert during.content == before.content and during.headers["etag"] == before.headers["etag"]
            assert during.headers["x-tile-stale"].startswith("true")
            assert during.headers["cache-control"] == "no-cache"
            missing = client.get(uncached)
            assert missing.status_code == 503
            assert missing.headers["content-type"] == "application/problem+json"
        finally:
            cluster.start()
        deadline = time.monotonic() + RECOVERY_S
        while (after := client.get(cached)).status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert after.status_code == before.status_code and "x-tile-stale" not in after.headers
        assert client.get(uncached).status_code in (200, 204)
