"""A small real store for the tile, OGC and export tests: real boundaries, hand-set classes.

Trafford wards and OAs, Leeds wards (British National Grid, declared on read) and the UK's
NUTS3 regions, loaded through the project's geometry path (``boundaries.geometry.area_rows``).
Predominant classes and demand are set by rule so tests can work the expected values out.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from boundaries.geometry import area_rows
from boundaries.readers import read_boundaries
from core.settings import Settings
from core.store import open_writer
from derive.serving import write_tile_areas
from tests.conftest import BACKENDS

LEEDS = "E08000035"  # Leeds local authority, parent of its wards
COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
LGSL = 1


def class_of(code: str) -> str:
    """The supergroup set for an area (1..8), stable across runs."""
    return str(zlib.crc32(code.encode()) % 8 + 1)


def _sources(data_dir: Path) -> list[tuple[str, str, pd.DataFrame]]:
    gm = data_dir / "uk-gm-trafford-boundaries"
    trafford_wards = read_boundaries(
        gm / "ward_2023_trafford_ward_generalised.geojson", code_col="area_code", name_col="area_name"
    )
    trafford_wards["parent_code"] = "E08000009"
    trafford_oas = read_boundaries(gm / "oa_2021_trafford_oa_generalised.geojson", code_col="area_code")
    trafford_oas["name"] = trafford_oas["code"]
    trafford_oas["parent_code"] = "E08000009"
    leeds = read_boundaries(
        data_dir / "uk-leeds-oac2011" / "ward_boundaries.geojson",
        code_col="wd17cd",
        name_col="wd17nm",
        crs="EPSG:27700",
    )
    leeds["parent_code"] = LEEDS
    nuts3 = read_boundaries(
        data_dir / "gisco-nuts" / "2021-20M" / "NUTS_RG_20M_2021_4326_LEVL_3.geojson",
        code_col="NUTS_ID",
        name_col="NAME_LATN",
    )
    nuts3 = nuts3[nuts3["code"].str.startswith(("UK", "IE", "FR"))].copy()
    nuts3["parent_code"] = nuts3["code"].str[:4]
    return [
        ("ward", "test-trafford-wards", trafford_wards),
        ("oa", "test-trafford-oas", trafford_oas),
        ("ward", "test-leeds-wards", leeds),
        ("nuts3", "test-nuts3", nuts3),
    ]


def build_tile_store(settings: Settings) -> None:
    """Load the areas and a hand-set model into the store ``settings`` points at."""
    frames = []
    for level, source_id, frame in _sources(settings.data_dir):
        rows = area_rows(frame, level)
        rows["source_id"] = source_id
        rows["country"] = "UK" if level != "nuts3" else frame["code"].str[:2].to_numpy()
        frames.append(rows)
    areas = pd.concat(frames, ignore_index=True)

    classes = pd.DataFrame(
        [
            {
                "classification_id": cid,
                "code": str(i),
                "tier": "supergroup",
                "name": f"Class {i} ({cid})",
                "colour": COLOURS[i - 1],
                "sort": i,
            }
            for cid in ("oac2021", "eunuts3")
            for i in range(1, 9)
        ]
    )
    classifications = pd.DataFrame(
        [
            {
                "classification_id": "oac2021",
                "name": "OAC 2021",
                "base_level": "oa",
                "tiers": "supergroup",
                "attribution": "ONS",
                "source_id": "test",
            },
            {
                "classification_id": "eunuts3",
                "name": "Europe",
                "base_level": "nuts3",
                "tiers": "supergroup",
                "attribution": "Eurostat",
                "source_id": "test",
            },
        ]
    )
    pred = areas[["level", "code"]].copy()
    pred["classification_id"] = ["eunuts3" if lv == "nuts3" else "oac2021" for lv in pred["level"]]
    pred["tier"] = "supergroup"
    pred["class_code"] = pred["code"].map(class_of)
    pred["households"] = pred["code"].map(lambda c: float(100 + zlib.crc32(c.encode()) % 900))
    pred["share"] = 0.5
    pred["class_households"] = pred["households"] * pred["share"]
    pred["margin"] = pred["code"].map(lambda c: (zlib.crc32(c.encode()) % 10) / 100)
    pred["mixed"] = pred["margin"] < 0.05
    # Demand index = class × 20: the ``demand`` view works it out as 100 (E/H) / reference, which
    # with integer E = H × index and reference 100 is exact.
    demand = pred[["classification_id", "level", "code", "households"]].copy()
    demand["expected"] = [
        [h * int(c) * 20.0] for h, c in zip(pred["households"], pred["class_code"], strict=True)
    ]
    demand_service = pd.DataFrame(
        {
            "classification_id": ["oac2021", "eunuts3"],
            "lgsl": LGSL,
            "position": 1,
            "reference": 100.0,
            "band_low": 90.0,
            "band_high": 110.0,
        }
    )
    service = pd.DataFrame([{"lgsl": LGSL, "label": "Test service", "source_id": "test"}])
    models = pd.DataFrame(
        [{"lgsl": LGSL, "classification_id": cid, "drivers": "[]"} for cid in ("oac2021", "eunuts3")]
    )
    edges = pd.DataFrame(
        [
            {
                "classification_id": "oac2021",
                "lgsl": LGSL,
                "level": "ward",
                "scheme": "thresholds",
                "edges": "[90, 110]",
            }
        ]
    )
    with open_writer(settings) as writer, writer.transaction() as tx:
        tx.insert_frame("area", areas)
        tx.insert_frame("classification", classifications)
        tx.insert_frame("profile_class", classes)
        tx.insert_frame("predominant_area", pred)
        tx.insert_frame("demand_area", demand)
        tx.insert_frame("demand_service", demand_service)
        tx.insert_frame("service", service)
        tx.insert_frame("service_model", models)
        tx.insert_frame("band_edges", edges)
        tx.bump_data_version()
        write_tile_areas(tx)  # as ``insight build`` does: tiles come from the serving table


_BUILT: dict[str, Settings] = {}


def tile_store(backend: str, directory: Path, pg_admin_url: str | None, data_dir: Path) -> Settings:
    """The small store of one backend, built once per test session."""
    if backend not in _BUILT:
        from tests.conftest import new_store_url

        settings = Settings(database_url=new_store_url(backend, directory, pg_admin_url), data_dir=data_dir)
        build_tile_store(settings)
        _BUILT[backend] = settings
    return _BUILT[backend]


# Fixtures shared by the tile, OGC and export tests (imported by those modules).
@pytest.fixture(scope="module", params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path_factory, data_dir) -> Settings:
    admin = request.getfixturevalue("pg_admin_url") if request.param == "postgis" else None
    return tile_store(request.param, tmp_path_factory.mktemp(f"tiles-{request.param}"), admin, data_dir)


@pytest.fixture(scope="module")
def areas(settings: Settings) -> dict[str, dict]:
    """Every area of the store, read before a server opens it (DuckDB allows one mode per file)."""
    from core.store import open_writer

    with open_writer(settings) as w:
        frame = w.read_frame("SELECT level, code, name, parent_code, lon, lat FROM area")
    return {r["code"]: r for r in frame.to_dict("records")}


@pytest.fixture(scope="module")
def client(settings: Settings, areas: dict) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c
