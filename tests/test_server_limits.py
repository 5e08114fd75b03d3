"""``insight serve``'s uvicorn limits on a live server: oversized headers refused, idle
keep-alive connections closed, X-Forwarded-* ignored unless the proxy is trusted."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from app.serve import server_config
from core.settings import Settings
from tests.live_server import live_server


def test_server_config_carries_the_settings() -> None:
    settings = Settings(
        database_url="duckdb:///x.duckdb", max_header_bytes=4096, keep_alive_s=3, max_connections=50
    )
    config = server_config(settings)
    assert config["http"] == "h11" and config["h11_max_incomplete_event_size"] == 4096
    assert config["timeout_keep_alive"] == 3 and config["limit_concurrency"] == 50
    assert config["proxy_headers"] is False  # no proxy trusted, not even a local one
    trusting = server_config(settings.model_copy(update={"forwarded_allow_ips": "10.0.0.1, 10.0.0.2"}))
    assert trusting["proxy_headers"] is True and trusting["forwarded_allow_ips"] == ["10.0.0.1", "10.0.0.2"]


def _raw(base: str, request: bytes, wait_s: float = 5.0) -> tuple[bytes, socket.socket]:
    url = urlparse(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=wait_s)
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data, sock


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
