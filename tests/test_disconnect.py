"""The disconnect watcher (``app.disconnect``) on plain ASGI calls: a client that goes away
cancels a slow request, every body message reaches the app once and in order, quick answers
are never watched."""

from __future__ import annotations

import asyncio

import anyio
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.disconnect import CancelOnDisconnect

SCOPE: Scope = {"type": "http", "method": "POST", "path": "/", "headers": []}


class Client:
    """The server side of one connection: body chunks, then a disconnect when ``leave`` is set."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.messages: list[Message] = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]
        self.leave = asyncio.Event()
        self.reads = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        self.reads += 1
        if self.messages:
            await asyncio.sleep(0.02)  # a slow upload: chunks arrive while watching starts
            return self.messages.pop(0)
        await self.leave.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)


async def answer(send: Send, body: bytes = b"ok") -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def run_until_the_client_leaves(app: ASGIApp) -> tuple[asyncio.Task[None], Client]:
    """Run ``app`` watched from 10 ms on; its client leaves after 100 ms; wait for the end."""
    client = Client([b""])
    call = asyncio.create_task(
        CancelOnDisconnect(app, watch_after_s=0.01)(SCOPE, client.receive, client.send)
    )
    await asyncio.sleep(0.1)
    client.leave.set()
    await asyncio.wait_for(call, 5)
    return call, client


def test_a_slow_request_is_cancelled_when_its_client_leaves() -> None:
    async def run() -> None:
        stages: list[str] = []

        async def slow(scope: Scope, receive: Receive, send: Send) -> None:
            stages.append("started")
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                stages.append("cancelled")
                raise
            await answer(send)

        call, client = await run_until_the_client_leaves(slow)  # returns normally: nobody to answer
        assert stages == ["started", "cancelled"] and client.sent == []
        assert call.cancelling() == 0

    asyncio.run(run())


def test_a_shielded_step_runs_to_its_end_when_the_client_leaves() -> None:
    """The stores shield BEGIN/COMMIT/ROLLBACK with anyio: leaving must not cut one in half."""

    async def run() -> None:
        stages: list[str] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            with anyio.CancelScope(shield=True):
                stages.append("begin")
                await asyncio.sleep(0.3)  # the client leaves meanwhile
                stages.append("begun")
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                stages.append("cancelled after")
                raise

        await run_until_the_client_leaves(app)
        assert stages == ["begin", "begun", "cancelled after"]

    asyncio.run(run())


def test_the_server_cancelling_a_request_is_not_swallowed() -> None:
    async def run() -> None:
        async def slow(scope: Scope, receive: Receive, send: Send) -> None:
            await asyncio.sleep(30)

        client = Client([b""])
        call = asyncio.create_task(CancelOnDisconnect(slow, 0.01)(SCOPE, client.receive, client.send))
        await asyncio.sleep(0.05)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    asyncio.run(run())


def test_the_app_reads_every_body_chunk_once_in_order_while_watching_starts() -> None:
    async def run() -> None:
        chunks = [b"a" * 10, b"b" * 10, b"c" * 10, b"d" * 10, b""]
        got: list[bytes] = []

        async def reader(scope: Scope, receive: Receive, send: Send) -> None:
            while True:
                message = await receive()
                got.append(message["body"])
                if not message.get("more_body"):
                    break
            await asyncio.sleep(0.1)  # watched by now
            await answer(send, b"".join(got))

        client = Client(chunks)
        await CancelOnDisconnect(reader, watch_after_s=0.03)(SCOPE, client.receive, client.send)
        assert got == chunks
        assert client.sent[-1]["body"] == b"".join(chunks)
        assert client.reads == len(chunks) + 1  # and then the watcher waited for a disconnect

    asyncio.run(run())


def test_after_a_disconnect_the_app_reads_disconnects() -> None:
    async def run() -> None:
        seen: list[str] = []

        async def app_(scope: Scope, receive: Receive, send: Send) -> None:
            await asyncio.sleep(0.05)
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                with anyio.CancelScope(shield=True):  # a clean-up step that reads on
                    seen.append((await receive())["type"])
                    seen.append((await receive())["type"])
                raise

        client = Client([])
        call = asyncio.create_task(CancelOnDisconnect(app_, 0.01)(SCOPE, client.receive, client.send))
        await asyncio.sleep(0.1)
        client.leave.set()
        await asyncio.wait_for(call, 5)
        assert seen == ["http.disconnect", "http.disconnect"]

    asyncio.run(run())


def test_a_quick_answer_is_never_watched_and_a_late_disconnect_cancels_nothing() -> None:
    async def run() -> None:
        async def quick(scope: Scope, receive: Receive, send: Send) -> None:
            await answer(send)

        client = Client([b""])
        client.messages.clear()
        await CancelOnDisconnect(quick, watch_after_s=0.05)(SCOPE, client.receive, client.send)
        await asyncio.sleep(0.1)
        assert client.reads == 0 and client.sent[-1]["body"] == b"ok"

        async def answered_then_lingers(scope: Scope, receive: Receive, send: Send) -> None:
            await answer(send)
            await asyncio.sleep(0.1)  # the client leaves meanwhile: the answer was complete

        client = Client([])
        client.leave.set()
        await CancelOnDisconnect(answered_then_lingers, 0.01)(SCOPE, client.receive, client.send)
        assert client.sent[-1]["body"] == b"ok"

    asyncio.run(run())
