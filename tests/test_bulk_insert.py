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
            "share": [1.0, 0.5, np.nan, 0.25],
            "margin": [1.0, 0.0, 0.5, 1 / 3],
            "mixed": [False, True, False, True],
        }
    ).dropna(subset=["class_code"])
    frame["share"] = frame["share"].fillna(0.75)
    with writer.transaction() as tx:
        assert tx.insert_frame("predominant", frame) == 3
        back = tx.fetch_frame("SELECT * FROM predominant ORDER BY level, code")
    expect = frame.sort_values(["level", "code"]).reset_index(drop=True)
    for col in expect.columns:
        got, want = back[col].tolist(), expect[col].tolist()
        want = [None if isinstance(v, float) and np.isnan(v) else v for v in want]
        got = [None if isinstance(v, float) and np.isnan(v) else v for v in got]
        assert got == want, col


def test_bulk_insert_integers_categories_and_nulls(writer) -> None:
    demand = pd.DataFrame(
        {
            "classification_id": "c",
            "lgsl": np.array([13, 279, 2_000_000], dtype=np.int64),
            "level": "lsoa",
            "code": ["L1", "L2", "L3"],
            "households": [10.0, 20.0, 30.0],
            "expected": [1.5, 2.5, 3.5],
            "demand_index": [95.0, 110.0, 80.0],
            "band": pd.Categorical(["medium", "high", "low"], categories=["low", "medium", "high"]),
        }
    )
    edges = pd.DataFrame(
        {
            "classification_id": "c",
            "lgsl": [13],
            "level": ["lsoa"],
            "scheme": ["thresholds"],
            "edges": ["[90]"],
        }
    )
    models = pd.DataFrame(
        {"lgsl": [13, 279], "classification_id": "c", "drivers": "[]", "rate": [np.nan, 2.5]}
    )
    with writer.transaction() as tx:
        tx.insert_frame("demand_area", demand)
        tx.insert_frame("band_edges", edges)
        tx.insert_frame("service_model", models)
        got = tx.fetch_frame("SELECT lgsl, band, expected FROM demand_area ORDER BY lgsl")
        rates = tx.fetch_frame("SELECT lgsl, rate FROM service_model ORDER BY lgsl")
    assert got["lgsl"].tolist() == [13, 279, 2_000_000]
    assert got["band"].tolist() == ["medium", "high", "low"]
    assert got["expected"].tolist() == [1.5, 2.5, 3.5]
    assert pd.isna(rates["rate"].iloc[0]) and rates["rate"].iloc[1] == 2.5
