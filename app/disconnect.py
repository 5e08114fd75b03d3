"""Cancel a request's work when its client goes away.

Starlette runs an endpoint to the end even when nobody waits for the answer any more, so a
slow query would keep its database statement (and a worker thread) busy after the client
has given up. This middleware watches the connection alongside the request; when the client
disconnects before the response is complete it cancels the request, which cancels the
statement in flight (asyncpg sends PostgreSQL a cancel request; the embedded store
interrupts its DuckDB cursor, :mod:`core.store.duckdb_exec`).

The request runs in an anyio cancel scope and is cancelled through it, never by cancelling
its task directly: the stores shield the steps that must not be cut in half (``BEGIN``,
``COMMIT``, ``ROLLBACK`` of a unit of work) with anyio's shielded scopes, which hold against
a cancel scope but not against ``Task.cancel()``.

Watching costs a task per request, and most answers (a cached tile takes a tenth of a
millisecond) are sent long before a client could give up: a task and a task group for every
request were more than half of a cached tile's Python time. So watching starts only once a
request has run for :data:`WATCH_AFTER_S`.
"""

from __future__ import annotations

import asyncio
from collections import deque

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WATCH_AFTER_S = 0.05
DISCONNECT: Message = {"type": "http.disconnect"}


class CancelOnDisconnect:
    """ASGI middleware: the request's task is cancelled when its client disconnects early.

    Parameters
    ----------
    app
        The wrapped application.
    watch_after_s
        How long a request runs before its connection is watched.
    """

    def __init__(self, app: ASGIApp, watch_after_s: float = WATCH_AFTER_S) -> None:
        self.app = app
        self.watch_after_s = watch_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watch = _Watch(receive)
        timer = asyncio.get_running_loop().call_later(self.watch_after_s, watch.start)

        async def send_tracking(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                watch.complete = True
            await send(message)

        # A cancel from outside (the server shutting down) passes through; ours ends here:
        # the client went away before the answer was complete, there is nobody to answer.
        with watch.scope:
            try:
                await self.app(scope, watch.receive, send_tracking)
            finally:
                timer.cancel()
                watch.stop()


class _Watch:
    """One request's connection: read for the app until watching starts, then by a watcher
    task that hands the app its messages (one reader at a time, every message once)."""

    def __init__(self, receive: Receive) -> None:
        self.scope = anyio.CancelScope()  # the request runs in it; cancelled when the client leaves
        self._receive = receive
        self.complete = False  # the whole answer has been sent
        self._wanted = False  # watching is due (it waits while the app itself reads)
        self._app_reading = False
        self._watcher: asyncio.Task[None] | None = None
        self._inbox: deque[Message] = deque()
        self._arrived = asyncio.Event()
        self._ended = False  # the watcher has passed on the disconnect and stopped

    async def receive(self) -> Message:
        """The app's ``receive``: the connection itself until watching starts, then the
        watcher's messages (a disconnect once there are no more)."""
        if self._watcher is None:
            self._app_reading = True
            try:
                return await self._receive()
            finally:
                self._app_reading = False
                if self._wanted:
                    self.start()
        while not self._inbox:
            if self._ended:
                return DISCONNECT
            self._arrived.clear()
            await self._arrived.wait()
        return self._inbox.popleft()

    def start(self) -> None:
        """Start watching (called by the timer), or as soon as the app stops reading."""
        self._wanted = True
        if self._watcher is None and not self._app_reading and not self.complete:
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    def stop(self) -> None:
        self._wanted = False
        if self._watcher is not None:
            self._watcher.cancel()

    async def _watch(self) -> None:
        while True:
            message = await self._receive()
            self._inbox.append(message)
            self._arrived.set()
            if message["type"] == "http.disconnect":
                self._ended = True
                if not self.complete:
                    self.scope.cancel()
                return
