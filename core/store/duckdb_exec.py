"""Running embedded-store statements off the event loop: bounded in time, errors translated.

DuckDB has no statement timeout, so each statement is watched from the event loop: once it
has run ``timeout_s`` the watchdog calls ``interrupt()`` on its cursor (again every
``REPEAT_S`` until the statement returns, so an interrupt that lands just before the statement
starts is not lost) and the caller gets :class:`~core.errors.StoreTimeout`. A caller that is
cancelled (its client disconnected, the server is stopping) interrupts its statement at once.
DuckDB's own exceptions never leave this module.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import duckdb

from core.errors import StoreError, StoreQueryError, StoreTimeout, StoreUnavailable

T = TypeVar("T")
REPEAT_S = 0.05

# Errors of the database itself rather than of the statement: worth a retry later.
_UNAVAILABLE: tuple[type[Exception], ...] = (
    duckdb.ConnectionException,
    duckdb.IOException,
    duckdb.OutOfMemoryException,
    duckdb.FatalException,
)


def translate(exc: duckdb.Error, timed_out: bool, timeout_s: float) -> StoreError:
    """The domain error for a DuckDB exception."""
    if isinstance(exc, duckdb.InterruptException) or timed_out:
        return StoreTimeout(f"statement cancelled after {timeout_s * 1000:.0f} ms")
    if isinstance(exc, _UNAVAILABLE):
        return StoreUnavailable(f"embedded store unavailable: {exc}")
    return StoreQueryError(f"embedded store refused a statement: {exc}")


class Cursor:
    """One DuckDB cursor, used by one statement at a time, that the watchdog can interrupt."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self.cur = cur
        self._lock = threading.Lock()
        self._running = False
        self._expired = False

    def run(self, work: Callable[[duckdb.DuckDBPyConnection], T], timeout_s: float) -> T:
        """Run ``work(cursor)`` in this (worker) thread; DuckDB errors become domain errors."""
        with self._lock:
            if self._expired:  # waited for a thread past the whole budget
                raise StoreTimeout(f"statement not started within {timeout_s * 1000:.0f} ms")
            self._running = True
        try:
            return work(self.cur)
        except duckdb.Error as exc:
            raise translate(exc, self._expired, timeout_s) from exc
        finally:
            with self._lock:
                self._running = False

    def expire(self) -> bool:
        """Interrupt the running statement; ``True`` while one may still be running."""
        with self._lock:
            self._expired = True
            if self._running:
                self.cur.interrupt()
            return self._running

    def reset(self) -> None:
        with self._lock:
            self._expired = False

    def close(self) -> None:
        self.cur.close()


async def run_bounded(cursor: Cursor, work: Callable[[duckdb.DuckDBPyConnection], T], timeout_s: float) -> T:
    """Run ``work`` on ``cursor`` in a worker thread, interrupted after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    handle: list[asyncio.TimerHandle] = []

    def expire() -> None:
        if cursor.expire():
            handle[0] = loop.call_later(REPEAT_S, expire)

    handle.append(loop.call_later(timeout_s, expire))
    task = asyncio.ensure_future(anyio.to_thread.run_sync(lambda: cursor.run(work, timeout_s)))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        # The caller went away (client disconnect, shutdown): stop the statement now rather
        # than let it run on to the timeout, then wait for its thread to hand the cursor back.
        handle[0].cancel()
        while not task.done():
            cursor.expire()
            await asyncio.wait({task}, timeout=REPEAT_S)
        if not task.cancelled():
            task.exception()  # retrieved: the caller is cancelled, not failed
        raise
    finally:
        handle[0].cancel()
        cursor.reset()


def rows(sql: str, params: list[Any]) -> Callable[[duckdb.DuckDBPyConnection], list[dict[str, Any]]]:
    """Work that runs one statement and returns its rows as dicts (none for a command)."""

    def work(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        result = cur.execute(sql, params)
        if result.description is None:
            return []
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    return work
