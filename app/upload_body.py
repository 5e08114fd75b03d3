"""Receiving an upload: the request body streamed to a temporary file, hashed on the way.

The body is either the file itself (``text/csv``, the XLSX media type or
``application/octet-stream``) or ``multipart/form-data`` with the file in a part named
``file``. Nothing is held in memory beyond one chunk; past ``max_bytes`` the transfer stops
with :class:`~core.errors.PayloadTooLarge` (413) naming the limit. The caller deletes the file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from core.errors import BadRequest, PayloadTooLarge

FILE_PART = "file"
MULTIPART_SLACK = 64 * 1024  # part headers and boundaries around the file


@dataclass
class Received:
    path: Path
    size: int
    content_hash: str
    filename: str | None


class _Sink:
    """Writes the file's bytes, counting and hashing them; refuses past the limit."""

    def __init__(self, fh: IO[bytes], max_bytes: int) -> None:
        self.fh = fh
        self.max_bytes = max_bytes
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise too_large(self.max_bytes)
        self.digest.update(data)
        self.fh.write(data)


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the upload is larger than {max_bytes:,} bytes, the limit (INSIGHT_UPLOAD_MAX_BYTES)"
    )


async def receive(
    stream: AsyncIterator[bytes], content_type: str | None, content_length: str | None, max_bytes: int
) -> Received:
    """Stream a request body into a new temporary file (deleted by the caller).

    Raises
    ------
    PayloadTooLarge
        A declared or received size beyond ``max_bytes``.
    BadRequest
        A multipart body without a ``file`` part, or one that cannot be parsed.
    """
    if content_length and content_length.isdigit() and int(content_length) > max_bytes + MULTIPART_SLACK:
        raise too_large(max_bytes)
    kind, params = parse_options_header(content_type or "application/octet-stream")
    fd, name = tempfile.mkstemp(prefix="insight-upload-", suffix=".part")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            sink = _Sink(fh, max_bytes)
            if kind == b"multipart/form-data":
                filename = await _multipart(stream, params.get(b"boundary"), sink)
            else:
                filename = None
                async for chunk in stream:
                    sink.write(chunk)
        return Received(path, sink.size, sink.digest.hexdigest(), filename)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


class _Parts:
    """Callbacks of the multipart parser: the part named ``file`` goes to the sink."""

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink
        self.headers: dict[bytes, bytes] = {}
        self.field = b""
        self.value = b""
        self.in_file = False
        self.found = False
        self.filename: str | None = None

    def on_part_begin(self) -> None:
        self.headers = {}
        self.in_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.field.lower()] = self.value
        self.field, self.value = b"", b""

    def on_headers_finished(self) -> None:
        _, disposition = parse_options_header(self.headers.get(b"content-disposition", b""))
        if disposition.get(b"name") == FILE_PART.encode() and not self.found:
            self.in_file = self.found = True
            raw = disposition.get(b"filename")
            self.filename = raw.decode("utf-8", "replace") if raw else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.sink.write(data[start:end])


async def _multipart(stream: AsyncIterator[bytes], boundary: bytes | None, sink: _Sink) -> str | None:
    if not boundary:
        raise BadRequest("multipart/form-data without a boundary")
    parts = _Parts(sink)
    names = (
        "on_part_begin",
        "on_header_field",
        "on_header_value",
        "on_header_end",
        "on_headers_finished",
        "on_part_data",
    )
    parser = MultipartParser(boundary, {n: getattr(parts, n) for n in names})  # type: ignore[arg-type]
    total = 0
    try:
        async for chunk in stream:
            total += len(chunk)
            if total > sink.max_bytes + MULTIPART_SLACK:  # other parts count against the limit too
                raise too_large(sink.max_bytes)
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequest(f"the multipart body cannot be parsed: {exc}") from None
    if not parts.found:
        raise BadRequest(f"the multipart body has no part named {FILE_PART!r} holding the file")
    return parts.filename
