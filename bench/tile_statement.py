"""The PostGIS tile statement alone, with and without the edge rows' stored pieces.

    python bench/tile_statement.py --db postgresql://.../insight_national_...   # a kept national store

Over the tile lists ``bench/tiles.py`` drives (z10 and z14: up to 400 distinct tiles each
holding a random output area) and three dense z10 tiles, runs the ``oa`` layer's serving
statement as the server does (``core.store.tiles_postgis.serving_tile``) and the same statement
with every edge row clipped again by ``ST_AsMVTGeom`` (``pieces=False``), alternately, on one
connection, and prints the fastest of ``--runs`` for each. Fails if the two ever differ by a
byte. The statement alone, without HTTP, gzip or the pool: what a change to it is worth.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DENSE_Z10 = ("10/511/340", "10/512/340", "10/505/331")  # London and its neighbours


async def fastest(conn, statement, runs: int) -> tuple[float, bytes, int]:
    """The fastest of ``runs`` executions (seconds), with the tile and its feature count."""
    best, row = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        row = await conn.fetchrow(statement.sql, *statement.params)
        best = min(best, time.perf_counter() - t0)
    return best, bytes(row["tile"] or b""), int(row["features"])


async def measure(db: str, tiles: list[str], runs: int, show: bool) -> tuple[float, float]:
    """Sum of the fastest timings without and with pieces over ``tiles``; each tile checked equal."""
    import asyncpg

    from core.store.tile_source import TileQuery
    from core.store.tiles_postgis import serving_tile

    conn = await asyncpg.connect(db)
    total = {False: 0.0, True: 0.0}
    try:
        for path in tiles:
            z, x, y = (int(v) for v in path.split("/"))
            query = TileQuery(
                layer="oa",
                level="oa",
                z=z,
                x=x,
                y=y,
                classifications=("oac2021",),
                tier="supergroup",
                serving_band=z,
            )
            drawn = {}
            for pieces in (False, True):
                drawn[pieces] = await fastest(
                    conn, serving_tile(query, query.max_features + 1, pieces=pieces), runs
                )
                total[pieces] += drawn[pieces][0]
            if drawn[False][1] != drawn[True][1]:
                raise SystemExit(f"tile {path} differs with pieces: a defect")
            if show:
                print(
                    f"| z{path} | {drawn[True][2]:,} | {drawn[False][0] * 1000:.1f} ms | {drawn[True][0] * 1000:.1f} ms |"
                )
    finally:
        await conn.close()
    return total[False], total[True]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="a national PostGIS store (bench/national.py --keep)")
    ap.add_argument("--runs", type=int, default=5, help="runs per statement; the fastest is kept")
    ap.add_argument("--seed", type=int, default=42, help="the tile lists' seed, as bench/tiles.py")
    a = ap.parse_args()
    from tiles import tile_lists

    print("| tiles | features | without pieces | with pieces |\n|---|---|---|---|")
    asyncio.run(measure(a.db, list(DENSE_Z10), a.runs * 3, show=True))
    for z, tiles in sorted(tile_lists(a.db, a.seed).items()):
        if z < 10:
            continue
        without, with_ = asyncio.run(measure(a.db, tiles, a.runs, show=False))
        change = (with_ - without) / without * 100
        print(
            f"| the {len(tiles)} z{z} tiles, summed | | {without * 1000:,.0f} ms | {with_ * 1000:,.0f} ms ({change:+.0f} %) |"
        )
    print("every tile the same bytes with and without pieces")


if __name__ == "__main__":
    main()
