"""The deployment files: the proxy configuration run for real in front of a live server, and
the compose file's wiring.

nginx is installed by the test command (Debian ``nginx-light``); without it the proxy test
skips with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from core.settings import Settings
from tests.live_server import free_port, live_server

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@pytest.fixture
def proxy(synthetic_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """deploy/nginx.conf in front of a live server: yields the proxy's base URL."""
    if NGINX is None:
        pytest.skip("nginx is not installed (the test command installs nginx-light)")
    port = free_port()
    with live_server(synthetic_settings) as upstream:
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        conf = conf.replace("server app:8000;", f"server {upstream.removeprefix('http://')};")
        conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};")
        conf = conf.replace("/tmp/nginx", str(tmp_path / "nginx"))
        path = tmp_path / "nginx.conf"
        path.write_text(conf)
        check = subprocess.run(
            [NGINX, "-t", "-c", str(path), "-p", str(tmp_path)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr
        # as root, nginx's workers would drop to "nobody", who cannot enter pytest's directories
        directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
        process = subprocess.Popen(
            [NGINX, "-c", str(path), "-p", str(tmp_path), "-g", directives],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    httpx.get(f"{base}/api/levels", timeout=2)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None, "nginx did not start"
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_the_proxy_passes_requests_and_caches_public_tiles(proxy: str) -> None:
    levels = httpx.get(f"{proxy}/api/levels", timeout=10)
    assert levels.status_code == 200 and levels.json()
    assert "nginx" not in levels.headers.get("server", "").lower() or "/" not in levels.headers["server"]
    tile = f"{proxy}/tiles/lad/8/126/82.mvt"
    first, second = httpx.get(tile, timeout=10), httpx.get(tile, timeout=10)
    assert first.status_code in (200, 204), first.text
    assert first.headers["x-cache"] == "MISS" and second.headers["x-cache"] == "HIT"
    assert second.content == first.content
    council = httpx.get(f"{proxy}/api/councils/nobody", timeout=10)
    assert council.status_code == 401 and "x-cache" not in council.headers


def test_the_proxy_refuses_huge_headers_and_bodies(proxy: str) -> None:
    huge = httpx.get(f"{proxy}/api/levels", headers={"X-Padding": "a" * 40_000}, timeout=10)
    assert huge.status_code in (400, 431, 494)
    host, port = proxy.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:  # announces 200 MiB, sends 1 KiB
        conn.sendall(
            b"POST /api/councils/x/uploads HTTP/1.1\r\nHost: localhost\r\n"
            + f"Content-Length: {200 * 1024 * 1024}\r\n\r\n".encode()
            + b"x" * 1024
        )
        status_line = conn.recv(200).split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), status_line


def test_the_compose_file_wires_the_app_behind_the_proxy() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "app", "proxy"}
    app = services["app"]
    assert "--workers" in app["command"]
    assert app["environment"]["INSIGHT_DATABASE_URL"].startswith("postgresql://insight:")
    assert "ports" not in app, "only the proxy is published"
    assert services["proxy"]["ports"] == ["8080:8080"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"server app:8000;", nginx) and "listen 8080;" in nginx
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("core", "geo", "boundaries", "derive", "records", "app", "cli", "migrations", "frontend"):
        assert f"COPY {package} ./{package}" in dockerfile, f"the image lacks {package}/"
