"""GeoJSON and CSV export of the generated areas, with attribution; limits answered 4xx."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from tests.conftest import settings_variant
from tests.synthetic import LEEDS, TRAFFORD, World, expect


@pytest.fixture(scope="module")
def client(synthetic_client: TestClient) -> TestClient:
    return synthetic_client


def test_geojson_export_of_a_district(client, synthetic: World, synthetic_settings) -> None:
    response = client.get(f"/api/export/ward.geojson?parent={TRAFFORD[0]}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert 'filename="ward-areas.geojson"' in response.headers["content-disposition"]
    doc = response.json()
    assert "Open Government Licence" in doc["attribution"]
    assert sorted(f["id"] for f in doc["features"]) == sorted(
        w.code for w in synthetic.districts[TRAFFORD[0]].wards
    )
    for feature in doc["features"]:
        props = feature["properties"]
        counts = expect.mix(synthetic, "ward", props["code"], "supergroup")
        assert props["class_code"] == expect.predominant(counts, synthetic_settings.mixed_margin)["code"]
        assert "demand_index" not in props and feature["geometry"]["type"] == "MultiPolygon"


def test_csv_export_with_a_service_labels_modelled_demand(client, synthetic: World) -> None:
    response = client.get(f"/api/export/ward.csv?parent={LEEDS[0]}&service=279")
    text = response.text
    assert text.startswith("code,name,level,") and not any(x.startswith("#") for x in text.splitlines())
    assert "Open Government Licence" in response.headers["x-insight-attribution"]
    assert "modelled" in response.headers["x-insight-modelled"]
    sidecar = response.links["describedby"]["url"]
    meta = client.get(sidecar).json()
    assert any("Open Government Licence" in n for n in meta["notes"]) and meta["service"]["modelled"]
    assert [c["name"] for c in meta["columns"]] == text.splitlines()[0].split(",")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["code"] for r in rows) == sorted(w.code for w in synthetic.districts[LEEDS[0]].wards)
    minx, miny, maxx, maxy = synthetic.districts[LEEDS[0]].lad.geometry.bounds
    for row in rows:
        index = float(row["demand_index"])
        assert row["band"] == ("high" if index >= 110 else "low" if index <= 90 else "medium")
        assert minx < float(row["lon"]) < maxx and miny < float(row["lat"]) < maxy


def test_bbox_export_of_nuts_carries_the_gisco_attribution(client, synthetic: World) -> None:
    region = next(r for r in synthetic.regions if r.code == "UKE42")
    minx, miny, maxx, maxy = region.geometry.bounds
    doc = client.get(
        f"/api/export/nuts3.geojson?bbox={minx + 0.01},{miny + 0.01},{maxx - 0.01},{maxy - 0.01}"
    ).json()
    assert [f["id"] for f in doc["features"]] == ["UKE42"]
    assert doc["attribution"].startswith("© EuroGeographics for the administrative boundaries")


def test_export_beyond_the_maximum_is_refused(synthetic_settings: Settings, tmp_path) -> None:
    small = settings_variant(synthetic_settings, tmp_path, max_export_features=10)
    with TestClient(create_app(small)) as client:
        response = client.get("/api/export/ward.csv")
        fits = client.get(f"/api/export/ward.csv?parent={TRAFFORD[0]}")
    assert response.status_code == 400
    assert "11 areas match" in response.json()["detail"] and "bbox or parent" in response.json()["detail"]
    assert fits.status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/export/ward.xml", 422),
        ("/api/export/nope.csv", 404),
        ("/api/export/ward.csv?bbox=1,2", 400),
        ("/api/export/ward.csv?service=999", 404),
        ("/api/export/ward.csv?classification=nope", 404),
        ("/api/export/ward.csv?tier=nope", 400),
    ],
)
def test_bad_export_requests_are_4xx(client, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
