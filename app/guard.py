"""The request guard: what no route should ever see, refused before routing, and ``HEAD``.

* a NUL byte anywhere in the path or the query (PostgreSQL text cannot hold one, and file
  names cannot either): 400;
* a path or query string longer than :data:`MAX_TARGET` characters: 414;
* a ``Host`` outside ``INSIGHT_TRUSTED_HOSTS`` (when set): 400, so a forged ``Host`` never
  reaches the links the server writes;
* ``HEAD`` on any route: answered as ``GET`` without the body (same status and headers).

Answers are problem details like every other error (:mod:`app.errors`).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem

MAX_TARGET = 8192  # characters of path, and of query string, a request may carry


class RequestGuard:
    """ASGI middleware refusing malformed request targets and answering ``HEAD`` as ``GET``.

    Parameters
    ----------
    app
        The wrapped application.
    trusted_hosts
        Host names (without port) the server answers for; empty trusts any ``Host``.
    """

    def __init__(self, app: ASGIApp, trusted_hosts: list[str] | None = None) -> None:
        self.app = app
        self.trusted_hosts = {h.lower() for h in trusted_hosts or []}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is not None:
            status, detail = refusal
            await problem(Request(scope), status, detail)(scope, receive, send)
            return
        if scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """``(status, detail)`` for a request no route may see, else ``None``."""
        path: str = scope.get("path", "")
        query: bytes = scope.get("query_string", b"")
        if len(path) > MAX_TARGET or len(query) > MAX_TARGET:
            return 414, f"the request path and query may each hold at most {MAX_TARGET} characters"
        if "\x00" in path or b"\x00" in query or b"\x00" in unquote_to_bytes(query):
            return 400, "the request contains a NUL byte"
        if self.trusted_hosts:
            host = Headers(scope=scope).get("host", "").rsplit(":", 1)[0].strip("[]").lower()
            if host not in self.trusted_hosts:
                return 400, "the Host header names a host this server does not answer for"
        return None
