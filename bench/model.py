"""Model benchmark: a full rebuild over 239,023 output areas, and similar-areas queries.

Synthetic inputs at national scale (the real OAC 2021 code of every UK output area when the
data directory has it, else random codes; household counts drawn from 40–250), five OAs per
LSOA, 25 per ward, 700 per district. For each backend it times:

* compute — compositions (3 tiers × 4 levels), predominant classes, and demand with bands and
  band edges (3 schemes) for every modelled service at every level, in ``geo/`` (what
  ``insight build`` runs once it has read its inputs; the parent lookups are made beforehand);
* write — storing those tables in the backend in one transaction, as ``insight build`` does
  (``derive.pipeline.write_derived`` / ``write_demand``). What follows from an area's one
  class is not stored: an output area is one row (its class and households), an area above it
  one row with households per class and one with its demand for every service, and the
  ``composition``, ``predominant`` and ``demand`` views spread them out on read;
* similar — ``/api/areas/{code}/similar`` over the 239,023 OA share vectors (first query
  builds the cached matrix; later ones are the steady state).

Usage: ``python bench/model.py [--backends duckdb,postgis] [--pg-url URL]``
(``INSIGHT_TEST_PG_URL`` is the default PostGIS admin URL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.settings import Settings
from core.store import open_reader, open_writer
from core.store.scratch import create_database, drop_database
from derive.derived import compositions, demand_tables
from derive.pipeline import write_demand, write_derived
from derive.services import SERVICES
from geo.composition import tier_lookup

N_OA = 239_023


def synthetic(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    oac = data_dir / "uk-oac2021" / "UK_OAC_Final.parquet"
    rng = np.random.default_rng(2021)
    if oac.exists():
        frame = pd.read_parquet(oac)
        col = next(c for c in frame.columns if frame[c].astype(str).str.fullmatch(r"\d[a-z]\d").mean() > 0.9)
        codes = frame[col].astype(str).str.strip().to_numpy()[:N_OA]
    else:
        codes = np.array([f"{s}{g}{t}" for s in "12345678" for g in "abc" for t in "12"])[
            rng.integers(0, 48, N_OA)
        ]
    subgroups = sorted(set(codes))
    groups = sorted({c[:2] for c in subgroups})
    classes = pd.DataFrame(
        [(c, "supergroup", None) for c in sorted({g[0] for g in groups})]
        + [(g, "group", g[0]) for g in groups]
        + [(s, "subgroup", s[:2]) for s in subgroups],
        columns=["code", "tier", "parent_code"],
    )
    area_codes = np.array([f"E{i:08d}" for i in range(len(codes))])
    area_class = pd.DataFrame({"area_code": area_codes, "class_code": codes})
    households = pd.Series(rng.integers(40, 251, len(codes)).astype(float), index=area_codes)
    return area_class, classes, households


def parents(codes: np.ndarray) -> dict[str, pd.Series]:
    i = np.arange(len(codes))
    return {
        "lsoa": pd.Series([f"L{x:07d}" for x in i // 5], index=codes),
        "ward": pd.Series([f"W{x:07d}" for x in i // 25], index=codes),
        "lad": pd.Series([f"D{x:07d}" for x in i // 700], index=codes),
    }


def compute(area_class, classes, households, par):
    tiers = ["supergroup", "group", "subgroup"]
    lookup = tier_lookup(classes, tiers)
    derived = compositions(area_class, households, lookup, "oa", par, {}, 0.05)
    rng = np.random.default_rng(1)
    subgroups = list(lookup.index)
    matrix = pd.DataFrame(
        {s.lgsl: rng.uniform(50, 200, len(subgroups)) for s in SERVICES}, index=pd.Index(subgroups)
    )
    return derived, demand_tables(derived, "subgroup", matrix, {}, 110.0, 90.0)


def store_settings(backend: str, tmp: Path, pg_url: str | None) -> Settings:
    if backend == "duckdb":
        return Settings(database_url=f"duckdb:///{tmp / 'bench.duckdb'}")
    assert pg_url, "PostGIS needs --pg-url or INSIGHT_TEST_PG_URL"
    return Settings(database_url=create_database(pg_url, "insight_bench")[1])


def drop(settings: Settings, pg_url: str | None) -> None:
    if settings.backend == "postgis" and pg_url:
        drop_database(pg_url, settings.database_url.rsplit("/", 1)[1])


def write(settings: Settings, derived, demand, area_class) -> float:
    cid = "bench"
    areas = pd.DataFrame(
        {"level": "oa", "code": area_class["area_code"], "name": area_class["area_code"], "source_id": cid}
    )
    with open_writer(settings) as w:
        with w.transaction() as tx:
            tx.insert_frame("area", areas)
            tx.insert_frame(
                "classification",
                pd.DataFrame(
                    [
                        {
                            "classification_id": cid,
                            "name": cid,
                            "base_level": "oa",
                            "tiers": "supergroup,group,subgroup",
                            "source_id": cid,
                        }
                    ]
                ),
            )
            tx.bump_data_version()
        start = time.perf_counter()
        with w.transaction() as tx:
            write_derived(tx, cid, derived)
            write_demand(tx, cid, demand)
        return time.perf_counter() - start


async def similar(settings: Settings, codes: list[str]) -> tuple[float, list[float]]:
    from app.catalogue import LevelClassification
    from app.similar import similar_areas
    from core.store.queries.areas import AreaRow

    store = await open_reader(settings, writable=False)
    try:
        tiers = ("supergroup", "group", "subgroup")
        chosen = LevelClassification("bench", "bench", "oa", tiers, None, True)

        def area(code: str) -> AreaRow:  # the route looks it up first; not timed here
            return AreaRow(code, None, "oa", None, None, None, None, None, None, None, None, None)

        t0 = time.perf_counter()
        await similar_areas(store, area(codes[0]), chosen, 10, "hellinger")
        cold = time.perf_counter() - t0
        warm = []
        for code in codes[1:]:
            t0 = time.perf_counter()
            out = await similar_areas(store, area(code), chosen, 10, "hellinger")
            warm.append(time.perf_counter() - t0)
            assert len(out["items"]) == 10
        return cold, warm
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="duckdb,postgis")
    parser.add_argument("--pg-url", default=os.environ.get("INSIGHT_TEST_PG_URL"))
    parser.add_argument("--data-dir", default=os.environ.get("INSIGHT_DATA_DIR", "data"))
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args()

    area_class, classes, households = synthetic(Path(args.data_dir))
    par = parents(area_class["area_code"].to_numpy())
    t0, c0 = time.perf_counter(), time.process_time()
    derived, demand = compute(area_class, classes, households, par)
    t_compute, c_compute = time.perf_counter() - t0, time.process_time() - c0
    served = len(derived.composition())
    print(
        f"compute: {len(area_class):,} OAs → {len(derived.base):,} OA rows, {len(derived.areas):,} areas "
        f"above them, {len(derived.predominant):,} predominant rows, demand for {demand.rows:,} "
        f"area-services above OAs + {len(demand.per_class):,} per OA class ({len(SERVICES)} services, "
        f"4 levels) in {t_compute:.2f} s ({c_compute:.2f} s CPU); the views show {served:,} composition rows"
    )
    rng = np.random.default_rng(3)
    sample = list(
        area_class["area_code"].to_numpy()[rng.choice(len(area_class), args.queries + 1, replace=False)]
    )
    for backend in [b for b in args.backends.split(",") if b]:
        if backend == "postgis" and not args.pg_url:
            print("postgis: skipped (no --pg-url / INSIGHT_TEST_PG_URL)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            settings = store_settings(backend, Path(tmp), args.pg_url)
            try:
                t_write = write(settings, derived, demand, area_class)
                cold, warm = asyncio.run(similar(settings, sample))
            finally:
                drop(settings, args.pg_url)
        print(
            f"{backend}: rebuild = compute {t_compute:.2f} s + write {t_write:.2f} s = {t_compute + t_write:.2f} s; "
            f"similar areas over {len(area_class):,} OAs: first {1000 * cold:.0f} ms (loads the matrix), then "
            f"p50 {1000 * statistics.median(warm):.1f} ms, p95 {1000 * statistics.quantiles(warm, n=20)[-1]:.1f} ms, "
            f"max {1000 * max(warm):.1f} ms"
        )


if __name__ == "__main__":
    main()
