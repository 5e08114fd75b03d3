"""Nothing a client sends hurts the server: wildcards, NUL bytes, huge numbers, repeated
parameters, forged hosts and HEAD, on both backends over the generated store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from core.store.sql import Query
from tests.conftest import settings_variant
from tests.synthetic import TRAFFORD


@pytest.fixture(scope="module")
def client(synthetic_client: TestClient) -> TestClient:
    return synthetic_client


def _problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


# --- search: a client's % and _ are plain characters --------------------------------------


@pytest.mark.parametrize("text", ["%", "_", "%_", "a%", "_a"])
def test_area_search_takes_wildcards_literally(client: TestClient, text: str) -> None:
    body = client.get("/api/areas", params={"q": text}).json()
    assert body["total"] == 0 and body["items"] == []


def test_area_search_still_finds_by_prefix_and_substring(client: TestClient) -> None:
    code = TRAFFORD[0]
    by_code = client.get("/api/areas", params={"q": code[:5].lower()}).json()
    assert code in {i["code"] for i in by_code["items"]}
    name = client.get(f"/api/areas/{code}").json()["name"]
    inner = name[1:-1]
    by_name = client.get("/api/areas", params={"q": inner}).json()
    assert code in {i["code"] for i in by_name["items"]}


def test_pathological_pattern_answers_at_once(client: TestClient) -> None:
    """50 ``%_`` groups: exponential as a LIKE pattern on DuckDB, instant as plain text."""
    started = time.monotonic()
    for path in ("/api/areas", "/api/services"):
        response = client.get(path, params={"q": "%_" * 49 + "x"})
        assert response.status_code == 200
    assert time.monotonic() - started < 5


def test_service_search_takes_wildcards_literally(client: TestClient) -> None:
    assert client.get("/api/services", params={"q": "%"}).json() == []
    assert client.get("/api/services", params={"q": "_"}).json() == []


def test_parent_wildcards_match_nothing(client: TestClient) -> None:
    for parent in ("%", "U_", "_"):
        assert client.get("/api/areas", params={"parent": parent}).json()["total"] == 0
        rows = client.get("/api/data", params={"level": "nuts3", "parent": parent}).json()
        assert rows["total"] == 0


# --- bad input answers 4xx, never 500 ------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/areas", "/api/services", "/api/data"])
@pytest.mark.parametrize("name", ["q", "parent"])
def test_nul_bytes_are_refused(client: TestClient, path: str, name: str) -> None:
    params = {name: "ab\x00c", "level": "ward"}
    _problem(client.get(path, params=params), 400, "NUL")


def test_huge_offsets_are_refused(client: TestClient) -> None:
    for offset in (2**63, 2**63 - 1, 2**64 + 5):
        response = client.get("/api/data", params={"level": "ward", "offset": offset})
        _problem(response, 422, "offset")


@pytest.mark.parametrize(
    "path",
    [
        "/static/" + "a" * 5000,
        "/static/a%00b.js",
        "/vendor/leaflet/dist/" + "b" * 300 + ".js",
        "/static/" + "c/" * 200,
    ],
)
def test_odd_file_names_are_not_errors(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (400, 404, 414), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_over_long_targets_are_refused(client: TestClient) -> None:
    _problem(client.get("/api/areas", params={"q": "a" * 9000}), 414, "8192")


# --- bounded work per request --------------------------------------------------------------


def test_many_service_parameters_are_refused_naming_the_limit(client: TestClient) -> None:
    lgsls = [s["lgsl"] for s in client.get("/api/services", params={"modelled": True}).json()]
    response = client.get("/api/data", params={"level": "ward", "service": [lgsls[0]] * 101})
    _problem(response, 400, "101 service parameters", "maximum 100")
    # 5,000 of them do not even fit in a request target
    _problem(client.get("/api/data", params={"level": "ward", "service": [lgsls[0]] * 5000}), 414, "8192")
    repeated = client.get("/api/data", params={"level": "ward", "service": [lgsls[0]] * 50})
    assert repeated.status_code == 200
    assert [s["lgsl"] for s in repeated.json()["services"]] == [lgsls[0]]


class _Recording:
    """Wraps a real store's statements to record their text."""

    def __init__(self, store: Any) -> None:
        self.texts: list[str] = []
        self.backend = store.backend
        self.inner = store._fetch
        store._fetch = self

    async def __call__(self, query: Query) -> list[dict[str, Any]]:
        self.texts.append(query.text_for(self.backend))
        return await self.inner(query)


@pytest.fixture(scope="module")
def capped(synthetic_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app with an export cap of 5 areas and trusted hosts, over a copy of the store."""
    settings = settings_variant(
        synthetic_settings,
        tmp_path_factory.mktemp("capped"),
        max_export_features=5,
        trusted_hosts=["testserver", "maps.example.org"],
        public_base_url="https://maps.example.org/insight",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_refused_export_builds_no_geometry(capped: TestClient) -> None:
    recording = _Recording(capped.app.state.store)  # type: ignore[attr-defined]
    response = capped.get("/api/export/ward.geojson")
    _problem(response, 400, "11 areas", "5")
    assert recording.texts and not any("ST_AsGeoJSON" in t for t in recording.texts)


def test_an_export_within_the_cap_has_its_outlines(capped: TestClient) -> None:
    response = capped.get("/api/export/lad.geojson")
    assert response.status_code == 200
    features = response.json()["features"]
    assert len(features) == 3 and all(f["geometry"]["type"] for f in features)


def test_ogc_pages_have_geometry_for_their_rows_only(capped: TestClient) -> None:
    page = capped.get("/ogc/collections/oa/items", params={"limit": 3, "offset": 2}).json()
    whole = capped.get("/ogc/collections/oa/items", params={"limit": 1000}).json()
    assert [f["id"] for f in page["features"]] == [f["id"] for f in whole["features"][2:5]]
    assert [f["geometry"] for f in page["features"]] == [f["geometry"] for f in whole["features"][2:5]]
    assert page["numberMatched"] == whole["numberMatched"] == len(whole["features"])


def test_csv_data_view_is_refused_rather_than_cut(capped: TestClient) -> None:
    response = capped.get("/api/data", params={"level": "ward", "format": "csv"})
    _problem(response, 413, "11 rows", "5")
    paged = capped.get("/api/data", params={"level": "ward", "format": "csv", "limit": 5})
    assert paged.status_code == 200 and paged.headers["content-type"].startswith("text/csv")
    whole = capped.get("/api/data", params={"level": "lad", "format": "csv"})
    assert whole.status_code == 200


# --- hosts and links ------------------------------------------------------------------------


def test_foreign_hosts_are_refused(capped: TestClient) -> None:
    _problem(capped.get("/api/levels", headers={"Host": "evil.example"}), 400, "Host")
    assert capped.get("/api/levels", headers={"Host": "maps.example.org:8443"}).status_code == 200


def test_links_use_the_public_base_url(capped: TestClient) -> None:
    tilejson = capped.get("/tiles/auto.json", headers={"Host": "maps.example.org"})
    assert tilejson.status_code == 200, tilejson.text
    assert all(t.startswith("https://maps.example.org/insight/tiles/") for t in tilejson.json()["tiles"])
    landing = capped.get("/ogc", headers={"Host": "maps.example.org"}).json()
    assert all(link["href"].startswith("https://maps.example.org/insight/") for link in landing["links"])


def test_without_a_public_url_links_follow_the_request(client: TestClient) -> None:
    landing = client.get("/ogc").json()
    assert landing["links"][0]["href"].startswith("http://testserver/ogc")


# --- HEAD -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/api/levels", "/api/areas?q=a", "/api/services", "/ogc", "/ogc/collections", "/tiles/auto.json",
     "/openapi.json", "/api/data?level=lad"],
)  # fmt: skip
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


def test_head_of_a_missing_area_is_404(client: TestClient) -> None:
    assert client.head("/api/areas/E99999999").status_code == 404
