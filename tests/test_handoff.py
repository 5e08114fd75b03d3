"""The demo's hand-over: a server serving one store file while a new one is built, then a new
server process taking the port over without refusing a connection; and the build's progress."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from tests.conftest import settings_variant
from tests.live_server import free_port

NEW_NAME = "Handed Over"

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from app.handoff import serve_with_handoff
    from app.serve import server_config
    from core.settings import Settings

    settings = Settings()
    port, replacement = int(sys.argv[1]), Path(sys.argv[2])

    def prepare():
        time.sleep(3)  # the first server answers meanwhile
        os.replace(replacement, settings.duckdb_path)
        return True

    serve_with_handoff(settings, "127.0.0.1", port, server_config(settings), prepare)
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT hand-over")
@pytest.mark.parametrize("synthetic_settings", ["duckdb"], indirect=True)
def test_the_port_is_handed_to_a_server_on_the_new_store(
    synthetic_settings: Settings, tmp_path: Path
) -> None:
    settings = settings_variant(synthetic_settings, tmp_path)
    code = (
        duckdb.connect(str(settings.duckdb_path), read_only=True)
        .execute("SELECT code FROM area WHERE level = 'lad' ORDER BY code LIMIT 1")
        .fetchone()[0]
    )
    replacement = tmp_path / "new.duckdb"
    replacement.write_bytes(settings.duckdb_path.read_bytes())
    with duckdb.connect(str(replacement)) as con:
        con.execute("UPDATE area SET name = ? WHERE level = 'lad' AND code = ?", [NEW_NAME, code])

    port = free_port()
    env = os.environ | {"INSIGHT_DATABASE_URL": settings.database_url, "INSIGHT_LOG_LEVEL": "warning"}
    log = tmp_path / "server.log"
    server = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(port), str(replacement)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    url = f"http://127.0.0.1:{port}/api/areas/{code}"
    names: list[str] = []
    failures: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while True:  # the first server is up
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)

        def ask() -> None:  # keep asking through the hand-over: every answer a 200
            with httpx.Client(timeout=30) as client:
                while NEW_NAME not in names and time.monotonic() < deadline:
                    try:
                        answer = client.get(url)
                        if answer.status_code != 200:
                            failures.append(f"{answer.status_code}: {answer.text[:200]}")
                        else:
                            names.append(answer.json()["name"])
                    except httpx.HTTPError as exc:
                        failures.append(repr(exc))
                    time.sleep(0.05)

        askers = [threading.Thread(target=ask) for _ in range(3)]
        for t in askers:
            t.start()
        for t in askers:
            t.join()
        assert failures == [], (failures[:5], log.read_text()[-2000:])
        assert names[0] != NEW_NAME and names[-1] == NEW_NAME, log.read_text()[-2000:]

        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
        assert time.monotonic() - started < 12
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.parametrize("synthetic_settings", ["duckdb"], indirect=True)
def test_build_progress_is_read_from_the_progress_file(synthetic_settings: Settings, tmp_path: Path) -> None:
    settings = settings_variant(synthetic_settings, tmp_path)
    path = settings.build_progress_file
    assert path is not None and path.parent == settings.duckdb_path.parent
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/build-progress").json()["state"] == "none"
        doc = {"state": "building", "what": "England and Wales", "step": "ons-oa-2011-ew", "done": 4, "of": 9}
        path.write_text(json.dumps(doc | {"started": 1.0, "updated": 2.0}))
        got = client.get("/api/build-progress").json()
        assert {k: got[k] for k in doc} == doc
        path.write_text("{not json")
        assert client.get("/api/build-progress").json()["state"] == "none"
