"""Modelled channel suitability: class indices recomputed by hand from the Census drivers, area
mixes that add up, tiles that carry the values (both backends), the area and model APIs."""

from __future__ import annotations

import io

import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from core.store.queries import build as qb
from core.tiling import lonlat_to_tile
from derive.services import CENSUS_DRIVERS
from geo.channel_need import ASSISTED_DRIVERS, BASELINE_MIX


def rows(client: TestClient, query) -> pd.DataFrame:
    """Rows read through the app's own store (an embedded store is open once per process)."""
    store = client.app.state.store  # type: ignore[attr-defined]
    return pd.DataFrame(client.portal.call(store.fetch, query))  # type: ignore[union-attr]


def by_hand(client: TestClient) -> pd.Series:
    """Each supergroup's index: for each driver, 100 × the households-weighted mean of the
    output areas' shares in the class / the same over every classified output area; then the
    weighted mean of the drivers' indices with the model's weights."""
    needed = {"ts0410001"}
    for d in ASSISTED_DRIVERS:
        needed |= {*CENSUS_DRIVERS[d.variable].numerator, *CENSUS_DRIVERS[d.variable].denominator}
    census = rows(client, qb.census_pivot(sorted(needed))).set_index("area_code").astype(float)
    classes = rows(client, qb.area_classes("oac2021")).set_index("area_code")["class_code"]
    h = census["ts0410001"].dropna()
    classes = classes[classes.index.isin(h.index)]
    h = h.reindex(classes.index)
    supergroup = classes.str[:1]
    total, weights = pd.Series(0.0, index=sorted(supergroup.unique())), 0.0
    for d in ASSISTED_DRIVERS:
        spec = CENSUS_DRIVERS[d.variable]
        num = census[list(spec.numerator)].sum(axis=1, min_count=1)
        den = census[list(spec.denominator)].sum(axis=1, min_count=1)
        v = (num / den.where(den > 0)).reindex(classes.index)
        ok = v.notna() & h.notna()
        overall = float((h[ok] * v[ok]).sum() / h[ok].sum())
        per = pd.DataFrame({"hv": h[ok] * v[ok], "h": h[ok], "c": supergroup[ok]}).groupby("c").sum()
        total = total.add(d.weight * 100 * (per["hv"] / per["h"]) / overall, fill_value=0.0)
        weights += d.weight
    return total / weights


def test_class_indices_recomputed_by_hand(synthetic_client: TestClient) -> None:
    model = synthetic_client.get("/api/channels/model").json()
    assert model["modelled"] is True
    assert [d["variable"] for d in model["drivers"]] == [d.variable for d in ASSISTED_DRIVERS]
    assert all(d["rationale"] and d["weight"] > 0 and d["table"].startswith("TS") for d in model["drivers"])
    assert model["baseline_mix"]["shares"] == BASELINE_MIX and "assumption" in model["baseline_mix"]["source"]
    served = {c["code"]: c["assisted_index"] for c in model["classes"]["oac2021"]["supergroup"]}
    expected = by_hand(synthetic_client)
    assert set(served) == set(expected.index)
    for code, value in expected.items():
        assert served[code] == pytest.approx(value, abs=0.06), code


def test_area_mixes_add_up_and_follow_the_index(synthetic_client: TestClient) -> None:
    need = rows(synthetic_client, "SELECT * FROM channel_need")
    assert set(need["level"]) >= {"oa", "lsoa", "ward", "lad"}
    shares = need[["web_share", "telephone_share", "face_to_face_share"]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    assisted = need["telephone_share"] + need["face_to_face_share"]
    assert np.allclose(assisted, np.clip(0.45 * need["assisted_index"] / 100, 0, 0.95))
    ward = need[need["level"] == "ward"].iloc[0]
    doc = synthetic_client.get(f"/api/areas/{ward['code']}?level=ward").json()
    assert doc["channels"]["assisted_index"] == pytest.approx(ward["assisted_index"])
    assert (
        doc["channels"]["web"] == pytest.approx(ward["web_share"]) and "Modelled" in doc["channels"]["note"]
    )


def test_tiles_carry_channel_suitability(synthetic_client: TestClient) -> None:
    need = rows(
        synthetic_client, "SELECT code, assisted_index, web_share FROM channel_need WHERE level = 'ward'"
    )
    centre = rows(
        synthetic_client,
        "SELECT AVG((minx + maxx) / 2) AS lon, AVG((miny + maxy) / 2) AS lat FROM area WHERE level = 'ward'",
    )
    by_code = need.set_index("code")
    lon, lat = float(centre["lon"].iloc[0]), float(centre["lat"].iloc[0])
    found = 0
    for z in (10, 11, 12):
        x, y = lonlat_to_tile(lon, lat, z)
        answer = synthetic_client.get(f"/tiles/ward/{z}/{x}/{y}.mvt?channel=assisted")
        if answer.status_code == 204:
            continue
        for f in next(iter(mapbox_vector_tile.decode(answer.content).values()))["features"]:
            p = f["properties"]
            if p["code"] in by_code.index:
                assert p["assisted_index"] == pytest.approx(by_code.loc[p["code"], "assisted_index"])
                assert p["web_share"] == pytest.approx(by_code.loc[p["code"], "web_share"])
                found += 1
    assert found
    plain = synthetic_client.get(f"/tiles/ward/{z}/{x}/{y}.mvt")
    if plain.status_code == 200:
        props = next(iter(mapbox_vector_tile.decode(plain.content).values()))["features"][0]["properties"]
        assert "assisted_index" not in props
    tilejson = synthetic_client.get("/tiles/ward.json?channel=web").json()
    assert tilejson["tiles"][0].endswith("?channel=web")
    assert {"assisted_index", "web_share"} <= set(tilejson["vector_layers"][0]["fields"])
    assert "Channel suitability is modelled" in tilejson["attribution"]
    assert synthetic_client.get(f"/tiles/ward/{z}/{x}/{y}.mvt?channel=pigeon").status_code == 422


def test_data_rows_and_csv_carry_channel_suitability(synthetic_client: TestClient) -> None:
    need = rows(
        synthetic_client, "SELECT code, assisted_index, web_share FROM channel_need WHERE level = 'ward'"
    )
    doc = synthetic_client.get("/api/data?level=ward&channels=true&limit=50").json()
    assert doc["channels"] is True
    by_code = need.set_index("code")
    checked = 0
    for r in doc["rows"]:
        if r["code"] in by_code.index:
            assert r["assisted_index"] == pytest.approx(by_code.loc[r["code"], "assisted_index"])
            checked += 1
    assert checked
    assert "assisted_index" not in synthetic_client.get("/api/data?level=ward&limit=5").json()["rows"][0]
    csv = synthetic_client.get("/api/data?level=ward&channels=true&format=csv&limit=50")
    frame = pd.read_csv(io.StringIO(csv.text))
    assert {"assisted_index", "web_share", "telephone_share", "face_to_face_share"} <= set(frame.columns)
    meta = synthetic_client.get("/api/data?level=ward&channels=true&format=meta").json()
    described = {c["name"]: c for c in meta["columns"]}
    assert "modelled" in described["assisted_index"]["description"]


def test_uk_nuts3_regions_from_their_districts_europe_not_available(
    backend: str, synthetic, tmp_path, request: pytest.FixtureRequest
) -> None:
    """Once districts are placed in NUTS3 regions and the model rebuilt, a UK region's index is
    its districts' indices weighted by their classified households (the model is linear in
    households); regions outside the UK have none, in the area JSON, the data rows and tiles.
    A store of its own (the shared one stays unlinked)."""
    from app.main import create_app
    from boundaries.catalogue import get_source
    from boundaries.loaders.hierarchy import link_hierarchy
    from cli.demo import build_demo
    from core.settings import Settings
    from core.store import open_writer
    from derive.pipeline import build_all
    from tests.conftest import SYNTHETIC_EUROPE_STARTS, new_store_url

    admin = request.getfixturevalue("pg_admin_url") if backend == "postgis" else None
    url = new_store_url(backend, tmp_path, admin)
    settings = Settings(database_url=url, data_dir=synthetic.root, europe_starts=SYNTHETIC_EUROPE_STARTS)
    build_demo(settings)
    with open_writer(settings) as writer:
        assert link_hierarchy(writer, get_source("ew-hierarchy-spatial")).linked["lad→nuts3"] > 0
        report = build_all(writer, settings)
    assert any("channel need for" in line for line in report.steps)
    with TestClient(create_app(settings)) as client:
        _check_nuts3(client)


def _check_nuts3(client: TestClient) -> None:
    need = rows(client, "SELECT level, code, assisted_index, web_share FROM channel_need")
    cid = rows(client, "SELECT DISTINCT classification_id FROM channel_need")["classification_id"]
    assert len(cid) == 1
    lad = need[need["level"] == "lad"].set_index("code")["assisted_index"]
    households = rows(
        client,
        "SELECT code, SUM(households) AS households FROM composition WHERE level = 'lad' "
        f"AND tier = 'supergroup' AND classification_id = '{cid.iloc[0]}' GROUP BY code",
    ).set_index("code")["households"]
    links = rows(
        client,
        "SELECT child_code, parent_code FROM area_link WHERE child_level = 'lad' AND parent_level = 'nuts3'",
    )
    links = links[links["child_code"].isin(lad.index)]
    regions = need[need["level"] == "nuts3"].set_index("code")
    assert len(regions) and set(regions.index) == set(links["parent_code"])
    assert all(c.startswith("UK") for c in regions.index)
    for region, part in links.groupby("parent_code"):
        h = households.reindex(part["child_code"]).astype(float)
        expected = float((h * lad.reindex(part["child_code"])).sum() / h.sum())
        assert regions.loc[region, "assisted_index"] == pytest.approx(expected), region
    region = str(regions.index[0])
    doc = client.get(f"/api/areas/{region}?level=nuts3").json()
    assert doc["channels"]["assisted_index"] == pytest.approx(regions.loc[region, "assisted_index"])
    assert "Modelled" in doc["channels"]["note"]
    areas = rows(client, "SELECT code, minx, miny, maxx, maxy FROM area WHERE level = 'nuts3'").set_index(
        "code"
    )
    outside = str(next(c for c in areas.index if not c.startswith("UK")))
    assert client.get(f"/api/areas/{outside}?level=nuts3").json()["channels"] is None
    data = client.get("/api/data?level=nuts3&channels=true&limit=500").json()["rows"]
    served = {r["code"]: r.get("assisted_index") for r in data}
    assert served[region] == pytest.approx(regions.loc[region, "assisted_index"])
    assert served[outside] is None
    box = areas.loc[region]
    lon, lat = float(box["minx"] + box["maxx"]) / 2, float(box["miny"] + box["maxy"]) / 2
    seen: dict[str, object] = {}
    for z in (5, 6, 7, 8):
        x, y = lonlat_to_tile(lon, lat, z)
        answer = client.get(f"/tiles/nuts3/{z}/{x}/{y}.mvt?channel=web")
        if answer.status_code == 200:
            for f in next(iter(mapbox_vector_tile.decode(answer.content).values()))["features"]:
                seen[f["properties"]["code"]] = f["properties"].get("web_share")
    assert seen.get(region) == pytest.approx(regions.loc[region, "web_share"])
    assert all(v is None for c, v in seen.items() if not str(c).startswith("UK"))
