"""``insight serve --workers N``: one ``SO_REUSEPORT`` socket per process, ``TCP_NODELAY`` on
every connection, a dead worker restarted, SIGTERM stopping them all."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.workers import reuse_port_socket
from core.settings import Settings
from tests.live_server import free_port


def _nodelay_of_accepted(sock: socket.socket) -> int:
    """TCP_NODELAY of a connection asyncio accepts on ``sock``."""

    async def main() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def connected(transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

        class Probe(asyncio.Protocol):
            connection_made = staticmethod(connected)

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        port = sock.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(seen, 5)
        writer.close()
        server.close()
        return value

    return asyncio.run(main())


def test_worker_sockets_give_every_connection_tcp_nodelay() -> None:
    assert _nodelay_of_accepted(reuse_port_socket("127.0.0.1", 0)) != 0
    # the socket uvicorn --workers shares is made without the protocol: Nagle stays on
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    plain.listen()
    assert _nodelay_of_accepted(plain) == 0


def test_two_workers_bind_the_same_port() -> None:
    port = free_port()
    first, second = reuse_port_socket("127.0.0.1", port), reuse_port_socket("127.0.0.1", port)
    assert first.getsockname()[1] == second.getsockname()[1] == port
    first.close()
    second.close()


def _children(pid: int) -> list[int]:
    """The worker processes of a server (not multiprocessing's resource tracker)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    workers = []
    for child in (int(p) for p in out.split()):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            workers.append(child)
    return workers


@pytest.mark.skipif(sys.platform != "linux", reason="process tree read with pgrep")
def test_workers_serve_restart_and_stop_on_sigterm(synthetic_settings: Settings, tmp_path: Path) -> None:
    if synthetic_settings.backend != "postgis":
        pytest.skip("several workers need PostGIS")
    port = free_port()
    env = os.environ | {
        "INSIGHT_DATABASE_URL": synthetic_settings.database_url,
        "INSIGHT_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from cli.main import main; main()",
            "serve",
            "--workers",
            "2",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(_children(server.pid)) < 2 or not _ready(base):
            assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.3)
        workers = _children(server.pid)
        assert len(workers) == 2
        answers = [httpx.get(f"{base}/api/levels", timeout=10).status_code for _ in range(40)]
        assert answers == [200] * 40

        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not (
            len(_children(server.pid)) == 2 and workers[0] not in _children(server.pid) and _ready(base)
        ):
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.3)

        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
        assert time.monotonic() - started < 10
        assert not _children(server.pid)
    finally:
        if server.poll() is None:
            server.kill()  # its workers notice and stop (next test)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [w for w in workers if _alive(w)], "workers outlived their supervisor"


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie left for a reaper that never comes does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/levels", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="process tree read with pgrep")
def test_workers_stop_when_their_supervisor_is_killed(synthetic_settings: Settings, tmp_path: Path) -> None:
    if synthetic_settings.backend != "postgis":
        pytest.skip("several workers need PostGIS")
    port = free_port()
    env = os.environ | {
        "INSIGHT_DATABASE_URL": synthetic_settings.database_url,
        "INSIGHT_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-c", "from cli.main import main; main()", "serve", "--workers", "2"]
    server = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(server.pid)) < 2 or not _ready(f"http://127.0.0.1:{port}"):
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.3)
        server.kill()
        server.wait(timeout=10)
        deadline = time.monotonic() + 30  # each worker looks for its supervisor every second
        while [w for w in workers if _alive(w)] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [w for w in workers if _alive(w)], "workers outlived their supervisor"
    finally:
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
