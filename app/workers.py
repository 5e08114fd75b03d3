"""Several server processes on one port, each with its own ``SO_REUSEPORT`` socket.

``uvicorn --workers`` binds one socket in the parent and hands it to the children; that socket
is made without ``IPPROTO_TCP``, so asyncio does not set ``TCP_NODELAY`` on the connections it
accepts and keep-alive answers wait ~40 ms for delayed ACKs. Here each worker binds its own
socket (``SO_REUSEPORT``: the kernel spreads connections across them) with the protocol named,
so every connection gets ``TCP_NODELAY``. The parent only supervises: it restarts a worker that
dies and forwards SIGTERM/SIGINT, so shutdown takes as long as the slowest worker's.

Several workers need PostGIS; caches stay coherent across them through the scoped data
versions every worker reads from the store.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import socket
import time
from typing import Any

from core.settings import Settings

log = logging.getLogger("insight")
RESTART_PAUSE_S = 1.0  # a worker that dies at once is not restarted in a tight loop


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket that other processes may bind too (``SO_REUSEPORT``).

    The protocol is named (``IPPROTO_TCP``) so the sockets it accepts carry it too, and
    asyncio switches Nagle off (``TCP_NODELAY``) on each of them.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def serve_worker(
    settings_json: str,
    host: str,
    port: int,
    config: dict[str, Any],
    supervisor: int,
    bound: Any = None,
    go: Any = None,
) -> None:
    """One server process: its own app, store pool and socket.

    With ``bound`` and ``go`` (multiprocessing events; see :mod:`app.handoff`), the socket is
    bound first and ``bound`` set; the store is opened only once ``go`` is set, so a process
    taking over the port can queue connections while its predecessor still holds the store.
    """
    if os.getppid() != supervisor:  # the supervisor died while this worker was starting
        return
    import uvicorn

    from app.main import create_app

    settings = Settings.model_validate_json(settings_json)
    sock = reuse_port_socket(host, port)
    if bound is not None and go is not None:
        bound.set()
        while not go.wait(1.0):
            if os.getppid() != supervisor:
                return
    from app.serve import exit_if_statements_linger

    server = uvicorn.Server(uvicorn.Config(create_app(settings), **config))
    _stop_when_orphaned(server, supervisor)
    server.run(sockets=[sock])
    exit_if_statements_linger()


def _stop_when_orphaned(server: Any, supervisor: int) -> None:
    """Stop this worker if its supervisor dies (killed with SIGKILL, it cannot stop us itself).

    The supervisor's pid comes from the supervisor itself: a worker still importing when the
    supervisor dies would otherwise take its new parent (init) for the supervisor.
    """
    import threading

    def watch() -> None:
        while not server.should_exit:
            if os.getppid() != supervisor:
                log.warning("the supervising process is gone: stopping worker %d", os.getpid())
                server.should_exit = True
                return
            time.sleep(1.0)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def run_workers(settings: Settings, host: str, port: int, workers: int, config: dict[str, Any]) -> None:
    """Run ``workers`` server processes until SIGTERM/SIGINT; restart any that dies."""
    context = mp.get_context("spawn")
    payload = settings.model_dump_json()
    stopping = False

    def start() -> mp.process.BaseProcess:
        process = context.Process(
            target=serve_worker, args=(payload, host, port, config, os.getpid()), daemon=False
        )
        process.start()
        return process

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.pid is not None and process.is_alive():
                process.terminate()

    processes = [start() for _ in range(workers)]
    log.info("serving on http://%s:%d with %d worker processes", host, port, workers)
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping:
            for i, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    log.warning(
                        "worker %d (pid %s) exited with %s: restarting", i, process.pid, process.exitcode
                    )
                    time.sleep(RESTART_PAUSE_S)
                    processes[i] = start()
            time.sleep(0.2)
    finally:
        for process in processes:
            process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
