"""Bulk inserts (binary COPY on PostGIS, Arrow scans on DuckDB) store exactly what was given."""

from __future__ import annotations

import numpy as np
import pandas as pd


def test_bulk_insert_round_trip(writer) -> None:
    frame = pd.DataFrame(
        {
            "classification_id": "c",
            "level": ["oa", "oa", "lsoa", "ward"],
            "code": ["E00000001", "É00000002 ünïcode", "L1", "W1"],
            "tier": "group",
            "class_code": ["1a", "1b", None, "2a"],
            "runner_up_code": pd.Series([None, "1a", None, "2b"], dtype=object),
            "households": [1.0, 0.1 + 0.2, 1e-300, 123456789.125],
            "class_households": [1.0, 0.1, 1e-301, 30864197.28125],
            "share": [1.0, 0.5, np.nan, 0.25],
            "margin": [1.0, 0.0, 0.5, 1 / 3],
            "mixed": [False, True, False, True],
        }
    ).dropna(subset=["class_code"])
    frame["share"] = frame["share"].fillna(0.75)
    with writer.transaction() as tx:
        assert tx.insert_frame("predominant_area", frame) == 3
        back = tx.fetch_frame("SELECT * FROM predominant_area ORDER BY level, code")
    expect = frame.sort_values(["level", "code"]).reset_index(drop=True)
    for col in expect.columns:
        got, want = back[col].tolist(), expect[col].tolist()
        want = [None if isinstance(v, float) and np.isnan(v) else v for v in want]
        got = [None if isinstance(v, float) and np.isnan(v) else v for v in got]
        assert got == want, col


def test_bulk_insert_integers_arrays_and_nulls(writer) -> None:
    demand = pd.DataFrame(
        {
            "classification_id": "c",
            "level": "lsoa",
            "code": ["L1", "L2", "L3"],
            "households": [10.0, 20.0, 30.0],
            "expected": [np.array([9.5, 0.1 + 0.2]), [22.0, 1e-300], np.array([33.0, 123456789.125])],
        }
    )
    services = pd.DataFrame(
        {
            "classification_id": "c",
            "lgsl": np.array([279, 2_000_000], dtype=np.int64),
            "position": [1, 2],
            "reference": [1.0, 0.5],
            "band_low": 90.0,
            "band_high": 110.0,
        }
    )
    models = pd.DataFrame(
        {"lgsl": [13, 279], "classification_id": "c", "drivers": "[]", "rate": [np.nan, 2.5]}
    )
    with writer.transaction() as tx:
        tx.insert_frame("demand_area", demand)
        tx.insert_frame("demand_service", services)
        tx.insert_frame("service_model", models)
        arrays = tx.fetch_frame("SELECT code, expected FROM demand_area ORDER BY code")
        got = tx.fetch_frame(
            "SELECT code, lgsl, expected, demand_index, band FROM demand ORDER BY code, lgsl"
        )
        rates = tx.fetch_frame("SELECT lgsl, rate FROM service_model ORDER BY lgsl")
    assert [list(map(float, e)) for e in arrays["expected"]] == [
        [9.5, 0.1 + 0.2],
        [22.0, 1e-300],
        [33.0, 123456789.125],
    ]
    assert got["lgsl"].tolist() == [279, 2_000_000] * 3
    assert got["expected"].tolist() == [9.5, 0.1 + 0.2, 22.0, 1e-300, 33.0, 123456789.125]
    # index = 100 (E/H) / reference, band by the thresholds: 95 medium, 6 low, 110 high, ...
    assert got["demand_index"].tolist() == [
        100.0 * (e / h) / r
        for e, h, r in zip(got["expected"], [10.0, 10.0, 20.0, 20.0, 30.0, 30.0], [1.0, 0.5] * 3, strict=True)
    ]
    assert got["band"].tolist() == ["medium", "low", "high", "low", "high", "high"]
    assert pd.isna(rates["rate"].iloc[0]) and rates["rate"].iloc[1] == 2.5
