"""The national load and build: every level of England and Wales loaded, linked, modelled and
the tile serving table written, timed step by step, with peak memory.

The demo sources are loaded first (the current Greater Manchester and Trafford boundaries win
over the national 2011/2013 set), then the four national levels, the hierarchy by location and
``insight build all``. DuckDB loads into a new temporary file; PostGIS into a new database created
from an admin URL (``--pg-url`` or ``INSIGHT_TEST_PG_URL``) and dropped afterwards. Usage::

    INSIGHT_DATA_DIR=/path/to/data python bench/national.py --backend duckdb [--district E06000001 ...]

``--district`` limits the national levels to some districts (a quick check of the script).
The ``tile_area`` step is also timed on its own after the build, in a transaction of its own:
a large gap between the two would point at planner statistics again.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from boundaries.catalogue import get_source
from boundaries.demo import NATIONAL_LEVELS, load_demo_sources
from boundaries.loaders.hierarchy import link_hierarchy
from boundaries.loaders.national import expand_paths, load_national_level
from core.settings import Settings
from core.store import open_writer
from core.store.scratch import create_database, drop_database
from derive.pipeline import build_all
from derive.serving import write_tile_areas

NATIONAL = NATIONAL_LEVELS


def peak_mb() -> float:
    """Peak resident memory of this process and of its finished children (parsing workers), MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def timed(label: str, step: Callable[[], object], rows: dict[str, float]) -> object:
    start = time.perf_counter()
    out = step()
    rows[label] = time.perf_counter() - start
    print(
        f"{label:34s} {rows[label]:8.1f} s   peak {peak_mb():8.0f} MB   {out if out is not None else ''}",
        flush=True,
    )
    return out


def bench(
    backend: str, url: str, data_dir: Path, districts: tuple[str, ...], workers: int | None
) -> dict[str, float]:
    rows: dict[str, float] = {}
    settings = Settings(database_url=url, data_dir=data_dir)
    with open_writer(settings) as writer:
        timed("demo sources", lambda: load_demo_sources(writer, data_dir), rows)
        national = 0.0
        for level, source_id in NATIONAL:
            source = get_source(source_id)
            paths = expand_paths([str(p) for p in source.paths(data_dir)])
            timed(
                f"national {level}",
                lambda s=source, p=paths, lv=level: load_national_level(
                    writer, p, s, level=lv, districts=districts, workers=workers
                ),
                rows,
            )
            national += rows[f"national {level}"]
        timed(
            "hierarchy by location",
            lambda: link_hierarchy(writer, get_source("ew-hierarchy-spatial")).linked,
            rows,
        )
        timed("build all (incl. tile_area)", lambda: build_all(writer, settings).seconds, rows)

        def tiles_alone() -> int:
            with writer.transaction() as tx:
                return write_tile_areas(tx)

        timed("tile_area alone (own transaction)", tiles_alone, rows)
    total = national + rows["hierarchy by location"] + rows["build all (incl. tile_area)"]
    print(
        f"{backend}: national load + link + build {total:.1f} s, peak memory {peak_mb():.0f} MB", flush=True
    )
    similar_areas(settings)
    return rows


def similar_areas(settings: Settings, queries: int = 40) -> None:
    """``/api/areas/{ward}/similar`` over every ward of England and Wales, through the app."""
    import random
    import statistics

    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings)) as client:
        codes: list[str] = []
        while True:
            page = client.get("/api/data", params={"level": "ward", "limit": 1000, "offset": len(codes)})
            rows = page.json()["rows"]
            codes += [r["code"] for r in rows]
            if len(rows) < 1000:
                break
        codes = [c for c in codes if c[:1] in ("E", "W")]
        if not codes:
            return
        rng = random.Random(3)
        start = time.perf_counter()
        first = client.get(f"/api/areas/{rng.choice(codes)}/similar", params={"k": 10})
        first_ms = (time.perf_counter() - start) * 1000
        assert first.status_code == 200, first.text
        times = []
        for code in rng.sample(codes, min(queries, len(codes))):
            start = time.perf_counter()
            answer = client.get(f"/api/areas/{code}/similar", params={"k": 10})
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, answer.text
        times.sort()
        p95 = times[max(0, math.ceil(0.95 * len(times)) - 1)]
        print(
            f"similar areas over {len(codes):,} wards: first {first_ms:.0f} ms (loads the matrix), "
            f"then p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms ({len(times)} queries)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("INSIGHT_TEST_PG_URL"), help="PostGIS admin URL")
    parser.add_argument("--data-dir", default=os.environ.get("INSIGHT_DATA_DIR", "../shared/data"))
    parser.add_argument("--backend", choices=["duckdb", "postgis"], default="duckdb")
    parser.add_argument("--district", action="append", default=[], help="only this district (repeatable)")
    parser.add_argument(
        "--workers", type=int, default=None, help="parsing processes (default: per core, max 4)"
    )
    parser.add_argument(
        "--keep",
        metavar="PATH",
        help="keep the national store: the DuckDB file moved to PATH; on PostGIS the database "
        "is kept and its URL printed (PATH unused)",
    )
    args = parser.parse_args()
    os.environ.setdefault("INSIGHT_PROGRESS", "0")
    data_dir = Path(args.data_dir).resolve()
    districts = tuple(args.district)
    if args.backend == "duckdb":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "national.duckdb"
            bench("duckdb", f"duckdb:///{path}", data_dir, districts, args.workers)
            if args.keep:
                shutil.move(path, args.keep)
                print(f"kept: duckdb:///{Path(args.keep).resolve()}")
        return
    if not args.pg_url:
        parser.error("PostGIS needs --pg-url or INSIGHT_TEST_PG_URL (an admin URL)")
    name, url = create_database(args.pg_url, "insight_national")
    try:
        bench("postgis", url, data_dir, districts, args.workers)
    finally:
        if args.keep:
            print(f"kept: {url}")
        else:
            drop_database(args.pg_url, name)


if __name__ == "__main__":
    main()
