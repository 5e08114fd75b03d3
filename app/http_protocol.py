"""uvicorn's httptools protocol with a bound on each request's head.

httptools (llhttp) parses requests faster than h11, but uvicorn sets no limit on how much of a
request line and headers it holds while the head is incomplete: a client trickling an endless
header would grow the process without bound. :class:`BoundedHttpToolsProtocol` counts the bytes
received while a request's head is still incomplete and answers 431 (then closes) once they pass
the bound ``insight serve`` gives uvicorn for h11 (``h11_max_incomplete_event_size``, from
``INSIGHT_MAX_HEADER_BYTES``), so both protocol implementations share one limit. A head that
arrives whole in one read is measured by the request guard instead (:mod:`app.guard`).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TOO_LARGE = b"request headers too large"
DEFAULT_HEAD_BYTES = 16 * 1024  # h11's own bound, when none is configured


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that refuses a request head larger than the configured bound.

    The count covers the reads taken wholly inside an incomplete head: a read that ends one
    request and begins the next is not counted, so the bound holds to within one read.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_bytes = 0  # received since the current head began, while it is incomplete
        self._in_head = True  # waiting for (or inside) a request line and headers
        self._head_began_in_read = False  # this read ended a request: its bytes are not all head
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_began_in_read:
            self._head_began_in_read = False
            return
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        limit = self.config.h11_max_incomplete_event_size or DEFAULT_HEAD_BYTES
        if self._head_bytes > limit:
            self.logger.warning("request headers over %d bytes: refused", limit)
            self._send_431()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_began_in_read = True

    def _send_431(self) -> None:
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(TOO_LARGE)).encode("ascii") + b"\r\n"
            b"connection: close\r\n\r\n" + TOO_LARGE
        )
        self.transport.close()
