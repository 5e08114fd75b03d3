"""A 1,000,000-row council upload end to end through the HTTP API, with the server's memory.

Builds a store from the generated test world (or uses ``--store``), loads a synthetic postcode
lookup, creates a council, writes a synthetic record file (``insight demo-records``), starts
``insight serve`` in a child process and sends the file as the raw request body. Prints the
time from the first byte sent to the answer, and the server's resident memory before the
upload and at its peak during it (sampled from /proc every 20 ms). Usage::

    python bench/upload.py [--rows 1000000] [--backend duckdb|postgis|both] [--pg-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pandas as pd

from boundaries.catalogue import Source
from boundaries.loaders.postcodes import load_postcodes
from boundaries.postcodes_demo import synthetic_directory
from core.settings import Settings
from core.store import open_reader, open_writer
from core.store.queries import postcodes as pq
from core.store.scratch import create_database, drop_database
from records import access
from records.synthetic import council_records, write_csv

DISTRICTS = ["E08000009", "E08000003"]  # Trafford and Manchester in the generated world


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(settings: Settings, tmp: Path, rows: int) -> tuple[str, str, Path]:
    """Postcodes loaded, a council created and a record file written: (council, token, file)."""

    async def areas() -> pd.DataFrame:
        store = await open_reader(settings, writable=False)
        try:
            return pd.DataFrame(await store.fetch(pq.output_areas(DISTRICTS)))
        finally:
            await store.close()

    lookup = tmp / "postcodes.csv"
    synthetic_directory(asyncio.run(areas())).to_csv(lookup, index=False)
    with open_writer(settings) as writer:
        load_postcodes(
            writer, lookup, Source("synthetic-postcodes", "Synthetic postcodes", "postcodes", "", ())
        )

    async def council() -> tuple[str, str, Path]:
        store = await open_reader(settings)
        try:
            made, token = await access.create_council(store, f"Bench {time.time_ns()}", DISTRICTS)
            table = await council_records(store, made, rows, seed=1, end=dt.date.today())
        finally:
            await store.close()
        path = tmp / "records.csv"
        write_csv(table, path)
        return made.council_id, token, path

    return asyncio.run(council())


def serve_and_upload(settings: Settings, council: str, token: str, path: Path) -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "INSIGHT_DATABASE_URL": settings.database_url, "INSIGHT_LOG_LEVEL": "warning"}
    env["INSIGHT_STATEMENT_TIMEOUT_MS"] = "120000"
    server = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "serve", "--port", str(port)],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/levels", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit("the server did not start within 60 s")
        time.sleep(1.0)
        before = rss_kb(server.pid)
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_kb(server.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        def body():  # type: ignore[no-untyped-def]
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    yield chunk

        start = time.perf_counter()
        answer = httpx.post(
            f"{base}/api/councils/{council}/uploads",
            content=body(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
            params={"name": path.name},
            timeout=300,
        )
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        peak[0] = max(peak[0], rss_kb(server.pid))
        if answer.status_code != 201:
            raise SystemExit(f"upload answered {answer.status_code}: {answer.text[:500]}")
        result = answer.json()
        start = time.perf_counter()  # and deleting it again: every aggregate cell of the upload
        gone = httpx.delete(
            f"{base}/api/councils/{council}/uploads/{result['upload_id']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        )
        delete_seconds = time.perf_counter() - start
        if gone.status_code != 204:
            raise SystemExit(f"deleting the upload answered {gone.status_code}: {gone.text[:500]}")
        return {
            "delete_seconds": delete_seconds,
            "seconds": seconds,
            "rows": result["rows_read"],
            "matched": result["rows_matched"],
            "cells": result["cells"],
            "rss_before_mb": before / 1024,
            "rss_peak_mb": peak[0] / 1024,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(backend: str, args: argparse.Namespace, tmp: Path, data_dir: Path) -> None:
    """Build the store of one backend, upload, print the figures."""
    from cli.demo import build_demo

    pg_name = None
    if backend == "duckdb":
        url = f"duckdb:///{tmp / f'bench-{time.time_ns()}.duckdb'}"
    else:
        pg_name, url = create_database(args.pg_url, "insight_bench")
    try:
        settings = Settings(database_url=url, data_dir=data_dir, europe_starts=20)
        t0 = time.perf_counter()
        build_demo(settings)
        print(f"{backend}: store built in {time.perf_counter() - t0:.1f} s")
        council, token, path = prepare(settings, tmp, args.rows)
        size = path.stat().st_size
        print(f"{backend}: record file {args.rows:,} rows, {size / 1e6:.1f} MB (synthetic)")
        figures = serve_and_upload(settings, council, token, path)
    finally:
        if pg_name:
            drop_database(args.pg_url, pg_name)
    print(
        f"{backend}: upload end to end {figures['seconds']:.2f} s ({figures['rows'] / figures['seconds']:,.0f} "
        f"rows/s, {size / 1e6 / figures['seconds']:.1f} MB/s); {figures['matched']:,.0f} of "
        f"{figures['rows']:,.0f} rows matched; {figures['cells']:,.0f} aggregate cells stored"
    )
    print(
        f"{backend}: deleting the upload (its {figures['cells']:,.0f} cells) {figures['delete_seconds']:.2f} s"
    )
    growth = figures["rss_peak_mb"] - figures["rss_before_mb"]
    print(
        f"{backend}: server RSS {figures['rss_before_mb']:.0f} MB before, {figures['rss_peak_mb']:.0f} MB at "
        f"peak: growth {growth:.0f} MB"
    )
    ok = figures["seconds"] <= 15 and growth <= 300
    print(f"{backend}: targets (<= 15 s, <= 300 MB growth) {'met' if ok else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["duckdb", "postgis", "both"], default="duckdb")
    parser.add_argument("--pg-url", default=os.environ.get("INSIGHT_TEST_PG_URL"), help="PostGIS admin URL")
    args = parser.parse_args()
    if args.backend != "duckdb" and not args.pg_url:
        parser.error("PostGIS needs --pg-url or INSIGHT_TEST_PG_URL (an admin URL)")
    os.environ.setdefault("INSIGHT_PROGRESS", "0")
    from tests.synthetic import generate

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        world = generate(tmp / "data")
        for backend in ("duckdb", "postgis") if args.backend == "both" else (args.backend,):
            run(backend, args, tmp, world.root)


if __name__ == "__main__":
    main()
