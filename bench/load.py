"""Load time of each demo source on both backends.

DuckDB loads into a new temporary file; PostGIS into a new database created from an admin URL
(``--pg-url`` or ``INSIGHT_TEST_PG_URL``) and dropped afterwards. Usage::

    INSIGHT_DATA_DIR=/path/to/data python bench/load.py [--pg-url postgresql://...] [--backend duckdb]

Then each of the largest sources is loaded again over itself (``reload``: the rows it replaces
are deleted and written again in one transaction). Wall time and the process's CPU time are
printed; on a busy machine compare CPU seconds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from boundaries.demo import demo_steps, load_demo_sources
from core.settings import Settings
from core.store import open_writer
from core.store.scratch import create_database, drop_database

RELOADED = ("oac2021", "census2021-oa")


def bench(backend: str, url: str, data_dir: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    cpu = [time.process_time()]

    def report(source_id: str, rows: int, seconds: float) -> None:
        times[source_id] = seconds
        used, cpu[0] = time.process_time() - cpu[0], time.process_time()
        print(
            f"{backend:8s} {source_id:32s} {rows:>10,} rows {seconds:7.2f} s {rows / max(seconds, 1e-9):>12,.0f} rows/s"
            f" {used:7.2f} s CPU"
        )

    start = time.perf_counter()
    with open_writer(Settings(database_url=url, data_dir=data_dir)) as writer:
        load_demo_sources(writer, data_dir, report)
        total = time.perf_counter() - start
        print(f"{backend:8s} {'total (incl. schema)':32s} {'':>10} {'':4s} {total:7.2f} s")
        for source_id, load in demo_steps(data_dir):
            if source_id in RELOADED:
                cpu[0] = time.process_time()
                began = time.perf_counter()
                rows = load(writer)
                report(f"reload {source_id}", rows, time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("INSIGHT_TEST_PG_URL"), help="PostGIS admin URL")
    parser.add_argument("--data-dir", default=os.environ.get("INSIGHT_DATA_DIR", "../shared/data"))
    parser.add_argument("--backend", choices=["duckdb", "postgis", "both"], default="both")
    args = parser.parse_args()
    os.environ.setdefault("INSIGHT_PROGRESS", "0")
    data_dir = Path(args.data_dir).resolve()
    if args.backend in ("duckdb", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            bench("duckdb", f"duckdb:///{Path(tmp) / 'bench.duckdb'}", data_dir)
    if args.backend in ("postgis", "both"):
        if not args.pg_url:
            parser.error("PostGIS needs --pg-url or INSIGHT_TEST_PG_URL (an admin URL)")
        name, url = create_database(args.pg_url, "insight_bench")
        try:
            bench("postgis", url, data_dir)
        finally:
            drop_database(args.pg_url, name)


if __name__ == "__main__":
    main()
