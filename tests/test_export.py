"""GeoJSON and CSV export of a level, by bbox or parent, with attribution; limits answered 4xx."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from tests._tile_store import LGSL, class_of

pytest_plugins = ["tests._tile_store"]  # the small store and its client, per backend


def test_geojson_export_of_a_parent(client: TestClient) -> None:
    response = client.get("/api/export/ward.geojson?parent=E08000009")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert 'filename="ward-areas.geojson"' in response.headers["content-disposition"]
    doc = response.json()
    assert "Open Government Licence" in doc["attribution"]
    codes = [f["id"] for f in doc["features"]]
    assert len(codes) == 21 and all(c.startswith("E0501") for c in codes)  # Trafford's 21 wards
    props = doc["features"][0]["properties"]
    assert props["class_code"] == class_of(props["code"])
    assert "demand_index" not in props
    assert doc["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_csv_export_with_service_labels_modelled_demand(client: TestClient) -> None:
    response = client.get(f"/api/export/ward.csv?parent=E08000035&service={LGSL}")
    text = response.text
    assert "Open Government Licence" in response.headers["x-insight-attribution"]
    assert "modelled" in response.headers["x-insight-modelled"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 33  # Leeds wards
    for row in rows:
        index = int(row["class_code"]) * 20.0
        assert float(row["demand_index"]) == index
        assert row["band"] == ("high" if index >= 110 else "low" if index <= 90 else "medium")
        assert -1.9 < float(row["lon"]) < -1.2 and 53.6 < float(row["lat"]) < 54.0


def test_bbox_export_of_nuts_carries_the_gisco_attribution(client: TestClient) -> None:
    doc = client.get("/api/export/nuts3.geojson?bbox=-3,53,-2,54").json()
    codes = {f["id"] for f in doc["features"]}
    assert "UKD33" in codes or "UKD34" in codes  # Manchester / Greater Manchester South
    assert all(c.startswith("UK") for c in codes)
    assert doc["attribution"].startswith("© EuroGeographics for the administrative boundaries")


def test_export_beyond_the_maximum_is_refused(client: TestClient, settings: Settings) -> None:
    state = client.app.state
    app_settings = state.settings
    state.settings = settings.model_copy(update={"max_export_features": 10})
    try:
        response = client.get("/api/export/ward.csv")
    finally:
        state.settings = app_settings
    assert response.status_code == 400
    assert "54 areas match" in response.json()["detail"] and "bbox or parent" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/export/ward.xml", 422),
        ("/api/export/nope.csv", 404),
        ("/api/export/lad.csv", 404),
        ("/api/export/ward.csv?bbox=1,2", 400),
        ("/api/export/ward.csv?service=999", 404),
        ("/api/export/ward.csv?classification=nope", 404),
        ("/api/export/ward.csv?tier=nope", 400),
    ],
)
def test_bad_export_requests_are_4xx(client: TestClient, path: str, status: int) -> None:
    assert client.get(path).status_code == status
