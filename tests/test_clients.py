"""Real clients on the real demo store: what a GIS user summing a column gets.

Trafford's 21 wards read through GDAL's OAPIF driver (pyogrio) and pandas over the CSV export
must add up to the Census 2021 households of Trafford's 738 output areas.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pandas as pd
import pyogrio
import pytest

from core.settings import Settings
from tests.live_server import process_server

TRAFFORD = "E08000009"


def census_households(data_dir: Path) -> float:
    """Census 2021 households (TS041) of Trafford's output areas, from the source files."""
    ts041 = pd.read_parquet(data_dir / "uk-census2021-oa" / "ts041.parquet")
    oas = pyogrio.read_dataframe(
        data_dir / "uk-gm-trafford-boundaries" / "oa_2021_trafford_oa_generalised.geojson",
        read_geometry=False,
    )
    return float(ts041[ts041["OA"].isin(oas["area_code"])]["ts0410001"].sum())


@pytest.mark.gdal
def test_trafford_wards_sum_to_the_census_total_in_every_client(
    demo_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    total = census_households(data_dir)
    assert total == 96_271
    with process_server(demo_settings, tmp_path / "access.log") as base:
        wards = pyogrio.read_dataframe(f"OAPIF:{base}/ogc", layer="ward", read_geometry=False)
        csv = httpx.get(f"{base}/api/export/ward.csv?parent={TRAFFORD}", timeout=60).text
        data = httpx.get(f"{base}/api/data?level=ward&parent={TRAFFORD}&format=csv", timeout=60).text
    trafford = wards[wards["parent_code"] == TRAFFORD]
    assert len(trafford) == 21
    assert trafford["households"].sum() == pytest.approx(total)
    assert (trafford["leading_class_households"] < trafford["households"]).all()
    assert pd.read_csv(io.StringIO(csv))["households"].sum() == pytest.approx(total)
    assert pd.read_csv(io.StringIO(data))["households"].sum() == pytest.approx(total)


RENAMED_NUTS3 = ["UKN0A", "UKN0B", "UKN0C", "UKN0D", "UKN0E", "UKN0F", "UKN0G", "UKK24", "UKK25"]


def test_every_uk_nuts3_region_is_classified(demo_settings: Settings) -> None:
    """Regions whose Eurostat series carry NUTS 2016 codes are classified from them."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(demo_settings)) as client:
        rows = client.get("/api/data?level=nuts3&parent=UK&limit=1000").json()["rows"]
        unclassified = [r["code"] for r in rows if r["predominant_code"] is None]
        assert len(rows) == 179 and unclassified == []
        for code in RENAMED_NUTS3:
            area = client.get(f"/api/areas/{code}").json()
            assert area["households_basis"] == "population" and area["households"] > 0, code
