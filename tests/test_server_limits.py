"""``insight serve``'s uvicorn limits on a live server: oversized headers refused, idle
keep-alive connections closed, X-Forwarded-* ignored unless the proxy is trusted."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from app.http_protocol import BoundedHttpToolsProtocol
from app.serve import server_config
from core.settings import Settings
from tests.live_server import live_server


def test_server_config_carries_the_settings() -> None:
    settings = Settings(
        database_url="duckdb:///x.duckdb", max_header_bytes=4096, keep_alive_s=3, max_connections=50
    )
    config = server_config(settings)
    assert config["http"] is BoundedHttpToolsProtocol and config["h11_max_incomplete_event_size"] == 4096
    assert config["timeout_keep_alive"] == 3 and config["limit_concurrency"] == 50
    assert config["proxy_headers"] is False  # no proxy trusted, not even a local one
    trusting = server_config(settings.model_copy(update={"forwarded_allow_ips": "10.0.0.1, 10.0.0.2"}))
    assert trusting["proxy_headers"] is True and trusting["forwarded_allow_ips"] == ["10.0.0.1", "10.0.0.2"]


def _raw(base: str, request: bytes, wait_s: float = 5.0) -> tuple[bytes, socket.socket]:
    url = urlparse(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=wait_s)
    sock.sendall(request)
    return _read_until(sock, b"\r\n\r\n"), sock


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    """What ``sock`` gives until ``marker`` has arrived (less if the server closed it first)."""
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _refuses(base: str, headers: dict[str, str]) -> None:
    try:
        status = httpx.get(f"{base}/api/levels", headers=headers, timeout=10).status_code
    except httpx.HTTPError:  # uvicorn may close the connection on it instead
        return
    assert status in (400, 431), status


def test_limits_on_a_live_server(synthetic_settings: Settings, tmp_path: Path) -> None:
    settings = synthetic_settings.model_copy(update={"max_header_bytes": 8192, "keep_alive_s": 1})
    with live_server(settings, limits=True) as base:
        # big headers are refused before any route sees them; the server goes on answering
        for size in (10_000, 65_536, 1_000_000):
            _refuses(base, {"X-Padding": "a" * size})
        assert httpx.get(f"{base}/api/levels", timeout=10).status_code == 200

        # an idle keep-alive connection is closed after INSIGHT_KEEP_ALIVE_S
        head, sock = _raw(base, b"GET /api/levels HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        time.sleep(2.5)
        sock.settimeout(3)
        try:
            while sock.recv(65536):  # the rest of the body, then the close
                pass
            closed = True
        except TimeoutError:
            closed = False
        sock.close()
        assert closed

        # X-Forwarded-Proto from an untrusted peer (here: localhost) changes nothing
        landing = httpx.get(f"{base}/ogc", headers={"X-Forwarded-Proto": "https"}, timeout=10).json()
        assert landing["links"][0]["href"].startswith("http://127.0.0.1")

    trusting = settings.model_copy(update={"forwarded_allow_ips": "127.0.0.1"})
    with live_server(trusting, limits=True) as base:
        landing = httpx.get(f"{base}/ogc", headers={"X-Forwarded-Proto": "https"}, timeout=10).json()
        assert landing["links"][0]["href"].startswith("https://127.0.0.1")


def _status_of(sock: socket.socket) -> bytes:
    """The status line of the next answer on ``sock`` (empty if the server closed it first)."""
    return _read_until(sock, b"\r\n").split(b"\r\n", 1)[0]


def test_a_trickled_head_is_bounded(synthetic_settings: Settings) -> None:
    """A head arriving in many reads is refused with 431 once past the bound; a request whose
    small head comes with a large body in the same read is not; a keep-alive connection's
    heads are each measured on their own."""
    settings = synthetic_settings.model_copy(update={"max_header_bytes": 4096})
    with live_server(settings, limits=True) as base:
        url = urlparse(base)
        # the head trickles in 512-byte reads: refused after about 4 KB, the connection closed
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(b"GET /api/levels HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            refused = b""
            for i in range(64):
                try:
                    sock.sendall(b"X-Pad-%d: " % i + b"a" * 500 + b"\r\n")
                except OSError:  # closed by the server
                    break
                time.sleep(0.01)
            sock.settimeout(5)
            refused = _status_of(sock)
        assert refused == b"HTTP/1.1 431 Request Header Fields Too Large"

        # a small head and a 100 KB body in one read: the body is not head
        body = b"x" * 100_000
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(
                b"POST /api/levels HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body)
                + body
            )
            assert _status_of(sock) == b"HTTP/1.1 405 Method Not Allowed"

        # three requests on one connection, 3 KB of headers each: each head is under the bound
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            for _ in range(3):
                sock.sendall(
                    b"GET /api/levels HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 3000 + b"\r\n\r\n"
                )
                head = b""
                while b"\r\n\r\n" not in head:
                    head += sock.recv(1)
                assert head.startswith(b"HTTP/1.1 200"), head
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                while length:
                    length -= len(sock.recv(min(length, 65536)))
        assert httpx.get(f"{base}/api/levels", timeout=10).status_code == 200
