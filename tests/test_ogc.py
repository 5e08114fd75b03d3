"""OGC API – Features on both backends: documents, paging, bbox, properties, GDAL as the client."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pyogrio
import pytest
from fastapi.testclient import TestClient

from core.settings import Settings

pytest_plugins = ["tests._tile_store"]  # the small store and its client, per backend

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"


def test_landing_page_links_the_required_documents(client: TestClient) -> None:
    doc = client.get("/ogc").json()
    rels = {link["rel"]: link for link in doc["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    for rel in ("conformance", "data", "service-desc"):
        assert client.get(rels[rel]["href"]).status_code == 200


def test_conformance_declares_core_and_geojson(client: TestClient) -> None:
    assert client.get("/ogc/conformance").json()["conformsTo"][:2] == [CORE, GEOJSON]


def test_collections_are_the_loaded_levels(client: TestClient) -> None:
    doc = client.get("/ogc/collections").json()
    ids = [c["id"] for c in doc["collections"]]
    assert ids == ["nuts3", "ward", "oa"]
    ward = client.get("/ogc/collections/ward").json()
    assert ward["itemType"] == "feature"
    (bbox,) = ward["extent"]["spatial"]["bbox"]
    assert -2.6 < bbox[0] < -2.2 and 53.9 < bbox[3] < 54.0
    assert any(link["rel"] == "items" for link in ward["links"])
    nuts = next(c for c in doc["collections"] if c["id"] == "nuts3")
    assert "© EuroGeographics for the administrative boundaries" in nuts["attribution"]
    assert "Open Government Licence" in ward["attribution"]


def test_items_are_paged_with_next_links(client: TestClient) -> None:
    first = client.get("/ogc/collections/ward/items?limit=20")
    assert first.headers["content-type"] == "application/geo+json"
    doc = first.json()
    assert doc["type"] == "FeatureCollection"
    assert doc["numberMatched"] == 54 and doc["numberReturned"] == 20  # 21 Trafford + 33 Leeds wards
    seen = [f["id"] for f in doc["features"]]
    while (nxt := next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)) is not None:
        doc = client.get(nxt).json()
        seen += [f["id"] for f in doc["features"]]
    assert len(seen) == len(set(seen)) == 54
    assert seen == sorted(seen)
    assert doc["numberReturned"] == 14 and any(link["rel"] == "prev" for link in doc["links"])


def test_item_properties_and_geometry(client: TestClient) -> None:
    from tests._tile_store import class_of

    feature = client.get("/ogc/collections/ward/items/E05015239").json()  # Altrincham
    assert feature["type"] == "Feature" and feature["id"] == "E05015239"
    props = feature["properties"]
    assert props["name"] == "Altrincham" and props["parent_code"] == "E08000009"
    assert props["class_code"] == class_of("E05015239") and isinstance(props["mixed"], bool)
    assert feature["geometry"]["type"] == "MultiPolygon"
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert -2.45 < lon < -2.3 and 53.35 < lat < 53.42


def test_bbox_and_property_selection(client: TestClient) -> None:
    doc = client.get("/ogc/collections/ward/items?bbox=-2.36,53.38,-2.34,53.39&properties=code,name").json()
    names = {f["properties"]["name"] for f in doc["features"]}
    assert "Altrincham" in names and doc["numberMatched"] < 10
    assert all(set(f["properties"]) == {"code", "name"} for f in doc["features"])
    far = client.get("/ogc/collections/ward/items?bbox=10,10,11,11").json()
    assert far["numberMatched"] == 0 and far["features"] == []


def test_limit_beyond_the_maximum_is_cut_to_it(client: TestClient, settings: Settings) -> None:
    state = client.app.state
    app_settings = state.settings
    state.settings = settings.model_copy(update={"max_page_size": 100, "default_page_size": 50})
    try:
        doc = client.get("/ogc/collections/oa/items?limit=5000&properties=code").json()
        default = client.get("/ogc/collections/oa/items?properties=code").json()
    finally:
        state.settings = app_settings
    assert doc["numberReturned"] == 100 and doc["numberMatched"] == 738  # Trafford's OAs
    assert "limit=100" in next(link["href"] for link in doc["links"] if link["rel"] == "next")
    assert default["numberReturned"] == 50


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ogc/collections/nope", 404),
        ("/ogc/collections/lad", 404),
        ("/ogc/collections/nope/items", 404),
        ("/ogc/collections/ward/items/E99999999", 404),
        ("/ogc/collections/ward/items?bbox=1,2,3", 400),
        ("/ogc/collections/ward/items?bbox=3,2,1,4", 400),
        ("/ogc/collections/ward/items?bbox=a,b,c,d", 400),
        ("/ogc/collections/ward/items?bbox=nan,0,1,1", 400),
        ("/ogc/collections/ward/items?bbox=-200,0,1,1", 400),
        ("/ogc/collections/ward/items?bbox-crs=EPSG:27700&bbox=1,1,2,2", 400),
        ("/ogc/collections/ward/items?limit=0", 422),
        ("/ogc/collections/ward/items?offset=-1", 422),
        ("/ogc/collections/ward/items?properties=code,secret", 400),
        ("/ogc/collections/ward/items?classification=eunuts3", 404),
    ],
)
def test_bad_requests_are_4xx(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert "detail" in response.json()


@pytest.fixture(scope="module")
def live_url(settings: Settings) -> Iterator[str]:
    """A real uvicorn server in its own process (GDAL holds the GIL while it reads)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, INSIGHT_DATABASE_URL=settings.database_url, INSIGHT_LOG_LEVEL="warning")
    if settings.backend == "duckdb":  # a workspace belongs to one server; this process has its own
        env["INSIGHT_WORKSPACE_PATH"] = str(settings.duckdb_path.with_name(f"gdal-{port}.workspace.duckdb"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.asgi:app", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}/ogc"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.gdal
def test_gdal_lists_and_reads_the_collections(live_url: str) -> None:
    layers = {name: kind for name, kind in pyogrio.list_layers(f"OAPIF:{live_url}")}
    assert layers == {"nuts3": "MultiPolygon", "ward": "MultiPolygon", "oa": "MultiPolygon"}
    wards = pyogrio.read_dataframe(f"OAPIF:{live_url}", layer="ward")
    assert len(wards) == 54 and wards.crs.to_epsg() == 4326
    assert {"code", "name", "class_code", "share", "mixed"} <= set(wards.columns)
    altrincham = wards[wards["code"] == "E05015239"].iloc[0]
    assert altrincham["name"] == "Altrincham"
    assert altrincham.geometry.contains(altrincham.geometry.representative_point())
    minx, miny, maxx, maxy = altrincham.geometry.bounds
    assert -2.5 < minx < maxx < -2.3 and 53.35 < miny < maxy < 53.42
    near = pyogrio.read_dataframe(f"OAPIF:{live_url}", layer="ward", bbox=(-2.36, 53.38, -2.34, 53.39))
    assert "Altrincham" in set(near["name"]) and len(near) < 10


# --- the catalogue: one, built at start-up, injected; one rule for classifications ------------


def test_catalogue_is_built_at_start_up_and_injected_without_a_tile_cache(
    client: TestClient, areas: dict
) -> None:
    from app.catalogue import CatalogueHolder
    from app.deps import get_catalogue

    app = client.app
    holder = app.state.catalogue
    assert isinstance(holder, CatalogueHolder) and holder.latest is not None  # read when the app started
    assert {"nuts3", "ward", "oa"} <= set(holder.latest.levels)
    if hasattr(app.state, "tile_service"):
        del app.state.tile_service
    ward = next(code for code, a in areas.items() if a["level"] == "ward")
    for path in (
        "/ogc/collections",
        "/ogc/collections/ward",
        "/ogc/collections/ward/items?limit=2",
        f"/ogc/collections/ward/items/{ward}",
        "/api/export/ward.csv",
        "/api/export/ward.geojson?service=1",
    ):
        assert client.get(path).status_code == 200, path
    assert not hasattr(app.state, "tile_service")  # no tile service, so no tile cache, was made

    # the routes read the injected catalogue, not the store's
    only_wards = dataclasses.replace(holder.latest, levels={"ward": holder.latest.levels["ward"]})
    app.dependency_overrides[get_catalogue] = lambda: only_wards
    try:
        assert [c["id"] for c in client.get("/ogc/collections").json()["collections"]] == ["ward"]
        refused = client.get("/api/export/oa.csv")
        assert refused.status_code == 404 and "no areas of level" in refused.text
    finally:
        del app.dependency_overrides[get_catalogue]


def _catalogue() -> Any:
    from app.catalogue import Catalogue, LevelClassification, LevelExtent

    both = (
        LevelClassification("oac2021", "OAC 2021", "oa", ("supergroup", "group"), "ONS", True),
        LevelClassification("leeds", "Leeds OAC 2011", "oa", ("supergroup",), None, False),
    )
    return Catalogue(
        "v1",
        levels={"ward": LevelExtent("ward", 2, None), "lad": LevelExtent("lad", 1, None)},
        classifications={"ward": both},
        services={"oac2021": {1: "Libraries"}},
    )


def test_the_one_rule_for_classification_and_tier() -> None:
    from app.catalogue import ClassificationChoice
    from core.errors import BadRequest, NotFound

    cat = _catalogue()
    assert cat.choose("ward") == ClassificationChoice(("oac2021", "leeds"), "supergroup")
    assert cat.choose("ward", "leeds") == ClassificationChoice(("leeds",), "supergroup")
    assert cat.choose("ward", tier="group") == ClassificationChoice(("oac2021", "leeds"), "group")
    assert cat.choose("lad") == ClassificationChoice()
    with pytest.raises(NotFound, match="classification 'eunuts3'"):
        cat.choose("ward", "eunuts3")
    with pytest.raises(BadRequest, match="unknown tier 'group'"):
        cat.choose("ward", "leeds", "group")
    with pytest.raises(BadRequest, match="no tier applies"):
        cat.choose("lad", tier="group")
    # layers spanning levels: names that do not apply here fall back to the level's default
    assert cat.choose("ward", "eunuts3", "division", fallback=True) == cat.choose("ward")
    assert cat.choose("lad", "oac2021", "group", fallback=True) == ClassificationChoice()
    assert cat.modelled(cat.choose("ward").classifications) == {1: "Libraries"}
