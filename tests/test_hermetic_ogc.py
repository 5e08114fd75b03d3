"""OGC API – Features over the generated store: collections, paging, bbox, properties, errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.levels import LEVEL_NAMES
from core.settings import Settings
from tests.conftest import settings_variant
from tests.synthetic import TRAFFORD, World, expect

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"


@pytest.fixture(scope="module")
def client(synthetic_client: TestClient) -> TestClient:
    return synthetic_client


def test_landing_page_and_conformance(client) -> None:
    doc = client.get("/ogc").json()
    rels = {link["rel"]: link for link in doc["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    for rel in ("conformance", "data", "service-desc"):
        assert client.get(rels[rel]["href"]).status_code == 200
    assert client.get("/ogc/conformance").json()["conformsTo"][:2] == [CORE, GEOJSON]


def test_collections_are_every_loaded_level(client, synthetic: World) -> None:
    doc = client.get("/ogc/collections").json()
    assert [c["id"] for c in doc["collections"]] == list(LEVEL_NAMES)  # the generated data fills all
    ward = client.get("/ogc/collections/ward").json()
    (bbox,) = ward["extent"]["spatial"]["bbox"]
    import shapely

    assert bbox == pytest.approx(
        list(shapely.union_all([w.geometry for w in synthetic.areas("ward")]).bounds), abs=1e-4
    )
    assert "Open Government Licence" in ward["attribution"]
    nuts = next(c for c in doc["collections"] if c["id"] == "nuts3")
    assert "© EuroGeographics for the administrative boundaries" in nuts["attribution"]


def test_items_are_paged_in_code_order(client, synthetic: World) -> None:
    wards = sorted(w.code for w in synthetic.areas("ward"))
    first = client.get("/ogc/collections/ward/items?limit=4")
    assert first.headers["content-type"] == "application/geo+json"
    doc = first.json()
    assert doc["numberMatched"] == len(wards) == 11 and doc["numberReturned"] == 4
    seen, pages = [f["id"] for f in doc["features"]], 1
    while (nxt := next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)) is not None:
        doc = client.get(nxt).json()
        seen += [f["id"] for f in doc["features"]]
        pages += 1
    assert seen == wards and pages == 3
    assert doc["numberReturned"] == 3 and any(link["rel"] == "prev" for link in doc["links"])


def test_item_properties_are_the_generated_ones(client, synthetic: World, synthetic_settings) -> None:
    ward = synthetic.districts[TRAFFORD[0]].wards[0]
    feature = client.get(f"/ogc/collections/ward/items/{ward.code}").json()
    assert feature["type"] == "Feature" and feature["id"] == ward.code
    props = feature["properties"]
    pred = expect.predominant(
        expect.mix(synthetic, "ward", ward.code, "supergroup"), synthetic_settings.mixed_margin
    )
    assert props["name"] == ward.name and props["parent_code"] == TRAFFORD[0]
    assert props["class_code"] == pred["code"] and props["mixed"] == pred["mixed"]
    assert feature["geometry"]["type"] == "MultiPolygon"
    from shapely.geometry import shape

    assert shape(feature["geometry"]).symmetric_difference(ward.geometry).area < 1e-4 * ward.geometry.area


def test_bbox_and_property_selection(client, synthetic: World) -> None:
    ward = synthetic.districts[TRAFFORD[0]].wards[0]
    p = ward.geometry.representative_point()
    box = f"{p.x - 0.001},{p.y - 0.001},{p.x + 0.001},{p.y + 0.001}"
    doc = client.get(f"/ogc/collections/ward/items?bbox={box}&properties=code,name").json()
    assert [f["properties"] for f in doc["features"]] == [{"code": ward.code, "name": ward.name}]
    assert doc["numberMatched"] == 1
    far = client.get("/ogc/collections/ward/items?bbox=10,10,11,11").json()
    assert far["numberMatched"] == 0 and far["features"] == []


def test_limit_beyond_the_maximum_is_cut_to_it(
    synthetic_settings: Settings, synthetic: World, tmp_path
) -> None:
    small = settings_variant(synthetic_settings, tmp_path, max_page_size=20, default_page_size=10)
    with TestClient(create_app(small)) as client:
        doc = client.get("/ogc/collections/oa/items?limit=5000&properties=code").json()
        default = client.get("/ogc/collections/oa/items?properties=code").json()
    assert doc["numberReturned"] == 20 and doc["numberMatched"] == int(synthetic.oas["boundary"].sum())
    assert "limit=20" in next(link["href"] for link in doc["links"] if link["rel"] == "next")
    assert default["numberReturned"] == 10


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ogc/collections/nope", 404),
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
def test_bad_requests_are_4xx_with_a_message(client, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
