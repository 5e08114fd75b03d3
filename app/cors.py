"""Cross-origin reads: public read-only routes open to browser maps on any site, council routes never.

Tiles, TileJSON, OGC API and the public JSON/CSV carry no personal data and take no
credentials, so by default they answer ``Access-Control-Allow-Origin: *`` (never with
``Allow-Credentials``); ``INSIGHT_CORS_ORIGINS`` narrows them to a list of origins (echoed back
with ``Vary: Origin``) or, empty, switches cross-origin reads off. Council routes
(``/api/councils/...``) get no CORS headers at all, whatever the setting: a browser on another
site can then never read them. ``Access-Control-Expose-Headers`` lets scripts read the cache
and tile headers (``ETag``, ``X-Tile-*``) and the CSV metadata headers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRIVATE_PREFIXES = ("/api/councils",)
METHODS = "GET, HEAD, OPTIONS"
EXPOSED = (
    "ETag",
    "Cache-Control",
    "Content-Disposition",
    "Link",
    "Retry-After",
    "X-Request-ID",
    "X-Tile-Level",
    "X-Tile-Features",
    "X-Tile-Capped",
    "X-Total-Count",
    "X-Insight-Attribution",
    "X-Insight-Classification",
    "X-Insight-Counted",
    "X-Insight-Modelled",
)
MAX_AGE_S = 600


def is_private(path: str) -> bool:
    """Routes that must never be readable from another site."""
    return any(path == p or path.startswith(p + "/") for p in PRIVATE_PREFIXES)


class PublicCORSMiddleware:
    """CORS for the public read-only routes (see the module docstring)."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.any = "*" in origins
        self.origins = frozenset(origins)

    def _allowed(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for a request from ``origin`` (None: refused)."""
        if self.any:
            return "*"
        return origin if origin in self.origins else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_private(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        allowed = self._allowed(origin) if origin else None
        if origin is None or allowed is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(headers, allowed, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = allowed
                out["Access-Control-Expose-Headers"] = ", ".join(EXPOSED)
                if not self.any:
                    out.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, headers: Headers, allowed: str, send: Send) -> None:
        method = headers["access-control-request-method"].upper()
        ok = method in ("GET", "HEAD")
        out = [
            (b"access-control-allow-origin", allowed.encode("latin-1")),
            (b"access-control-allow-methods", METHODS.encode()),
            (b"access-control-max-age", str(MAX_AGE_S).encode()),
            (b"content-length", b"0"),
        ]
        requested = headers.get("access-control-request-headers")
        if requested:  # read-only and without credentials: any request header may be sent
            out.append((b"access-control-allow-headers", requested.encode("latin-1")))
        if not self.any:
            out.append((b"vary", b"Origin"))
        await send({"type": "http.response.start", "status": 204 if ok else 405, "headers": out})
        await send({"type": "http.response.body", "body": b""})
