"""Serve a store while a better one is built, then hand the port over without refusing anyone.

``insight demo`` serves the regional demo store at once and builds England and Wales in the
background. When the new file is in place, a second server process binds its own
``SO_REUSEPORT`` socket on the same port (the kernel then queues new connections on it too),
the first process is stopped gracefully (it releases the embedded store's workspace lock), and
only then does the second open the store and start answering the connections queued for it.
Connections are never refused; a few wait a second or two.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from app.workers import RESTART_PAUSE_S, serve_worker
from core.settings import Settings

log = logging.getLogger("insight")
BIND_TIMEOUT_S = 30.0


def serve_with_handoff(
    settings: Settings,
    host: str,
    port: int,
    config: dict[str, Any],
    prepare: Callable[[], bool],
) -> None:
    """Serve until SIGTERM/SIGINT; when ``prepare()`` (run in a thread) returns ``True``, the
    store behind ``settings`` has been replaced: hand the port to a fresh server process.

    ``prepare`` returning ``False`` or raising leaves the first server serving what it has.
    """
    context = mp.get_context("spawn")
    payload = settings.model_dump_json()
    stopping = threading.Event()
    ready = threading.Event()

    def start(bound: Any = None, go: Any = None) -> mp.process.BaseProcess:
        process = context.Process(
            target=serve_worker, args=(payload, host, port, config, os.getpid(), bound, go), daemon=False
        )
        process.start()
        return process

    def build() -> None:
        try:
            if prepare():
                ready.set()
        except Exception:  # the server keeps serving what it has; the error is the builder's
            log.exception("the background build failed; still serving the earlier store")

    def stop(signum: int, _frame: Any) -> None:
        stopping.set()
        if current.pid is not None and current.is_alive():
            current.terminate()

    current = start()
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    threading.Thread(target=build, name="background-build", daemon=True).start()
    try:
        while not stopping.is_set():
            if ready.is_set():
                ready.clear()
                current = _hand_over(current, start, context)
            elif not current.is_alive() and not stopping.is_set():
                log.warning("server process %s exited with %s: restarting", current.pid, current.exitcode)
                time.sleep(RESTART_PAUSE_S)
                current = start()
            time.sleep(0.2)
    finally:
        current.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _hand_over(old: mp.process.BaseProcess, start: Callable[..., Any], context: Any) -> Any:
    """Start the new process, let it bind, stop the old one, then let the new one open the store."""
    bound, go = context.Event(), context.Event()
    new = start(bound, go)
    if not bound.wait(BIND_TIMEOUT_S):
        log.error("the new server process did not bind its socket; keeping the old one")
        new.terminate()
        new.join()
        return old
    old.terminate()  # graceful: running requests finish, the workspace lock is released
    old.join()
    go.set()
    log.info("serving the new store from process %s", new.pid)
    return new
