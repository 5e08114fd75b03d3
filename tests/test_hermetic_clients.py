"""What clients read: one meaning per count, CSV every tool opens, unknown parents, CORS, tile ids.

Each client is a real one where it installs: pandas and pyogrio (GDAL) read the CSV,
LibreOffice headless converts it (skipped, saying so, when ``soffice`` is missing), and
mapbox-vector-tile decodes the tiles.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import mapbox_vector_tile
import morecantile
import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from core.store.tile_fields import feature_id
from tests.conftest import settings_variant
from tests.synthetic import LEEDS, TRAFFORD, World, expect

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def client(synthetic_client: TestClient) -> TestClient:
    return synthetic_client


def _trafford_households(world: World) -> float:
    oas = world.oas
    return float(oas[oas["lad"] == TRAFFORD[0]]["households"].sum())


# --- one meaning per count ---------------------------------------------------------------


def test_ogc_households_sum_to_the_district_total(client: TestClient, synthetic: World) -> None:
    doc = client.get("/ogc/collections/ward/items?limit=100").json()
    trafford = [f["properties"] for f in doc["features"] if f["properties"]["parent_code"] == TRAFFORD[0]]
    assert len(trafford) == len(synthetic.districts[TRAFFORD[0]].wards)
    assert sum(p["households"] for p in trafford) == pytest.approx(_trafford_households(synthetic))
    for p in trafford:
        counts = expect.mix(synthetic, "ward", p["code"], "supergroup")
        assert p["households"] == pytest.approx(sum(counts.values()))
        assert p["leading_class_households"] == pytest.approx(max(counts.values()))
        assert p["share"] == pytest.approx(p["leading_class_households"] / p["households"])


def test_every_output_names_the_count_the_same_way(client: TestClient, synthetic: World) -> None:
    code = synthetic.districts[TRAFFORD[0]].wards[0].code
    ogc = client.get(f"/ogc/collections/ward/items/{code}").json()["properties"]
    export = client.get(f"/api/export/ward.geojson?parent={TRAFFORD[0]}").json()
    exported = next(f["properties"] for f in export["features"] if f["id"] == code)
    area = client.get(f"/api/areas/{code}").json()
    data = client.get(f"/api/data?level=ward&parent={TRAFFORD[0]}").json()
    row = next(r for r in data["rows"] if r["code"] == code)
    csv = pd.read_csv(io.StringIO(client.get(f"/api/export/ward.csv?parent={TRAFFORD[0]}").text))
    from_csv = float(csv.set_index("code").loc[code, "households"])
    assert ogc["households"] == exported["households"] == area["households"] == row["households"] == from_csv
    assert data["counted"] == "households" and export["counted"] == "households"


def test_nuts_regions_count_population(client: TestClient, synthetic: World) -> None:
    doc = client.get("/ogc/collections/nuts3/items?limit=100").json()
    props = next(f["properties"] for f in doc["features"] if f["id"] == "UKD34")
    assert "households" not in props and props["population"] == pytest.approx(
        expect.population(synthetic, "UKD34")
    )
    assert props["leading_class_population"] == props["population"]  # a NUTS3 region is its own class
    assert client.get("/ogc/collections/nuts3/items?properties=population,code").status_code == 200
    header = client.get("/api/export/nuts3.csv").text.splitlines()[0].split(",")
    assert "population" in header and "households" not in header
    data = pd.read_csv(io.StringIO(client.get("/api/data?level=nuts3&format=csv").text))
    assert "population" in data.columns and "households" not in data.columns


def test_tilejson_fields_say_what_is_counted(client: TestClient) -> None:
    ward = client.get("/tiles/ward.json").json()["vector_layers"][0]
    nuts = client.get("/tiles/nuts3.json").json()["vector_layers"][0]
    auto = client.get("/tiles/auto.json").json()["vector_layers"][0]
    assert {"households", "leading_class_households"} <= set(ward["fields"]) and "population" not in ward[
        "fields"
    ]
    assert {"population", "leading_class_population"} <= set(nuts["fields"]) and "households" not in nuts[
        "fields"
    ]
    assert {"households", "population"} <= set(auto["fields"])
    assert "all households in the area" in ward["description"] and "residents" in nuts["description"]
    assert "leading_class_households" in client.get("/ogc/collections/ward").json()["description"]
    assert "population: residents" in client.get("/ogc/collections/nuts3").json()["description"]


# --- unknown parents ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/data?level=ward&parent={p}",
        "/api/areas?level=ward&parent={p}",
        "/api/export/ward.csv?parent={p}",
    ],
)
def test_an_unknown_parent_is_a_404_with_a_message(client: TestClient, path: str) -> None:
    response = client.get(path.format(p="Trafford"))
    assert response.status_code == 404
    assert "no area with code 'Trafford'" in response.json()["detail"]
    known = client.get(path.format(p=TRAFFORD[0]))
    assert known.status_code == 200


def test_a_nuts_prefix_is_a_known_parent(client: TestClient) -> None:
    assert client.get("/api/data?level=nuts3&parent=UKD").status_code == 200
    assert client.get("/api/export/nuts3.csv?parent=ZZ").status_code == 404


# --- CSV every tool reads ----------------------------------------------------------------


def _data_csv(client: TestClient, **extra: str) -> tuple[str, object]:
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    response = client.get(f"/api/data?level=ward&parent={TRAFFORD[0]}&service=279&format=csv&{query}")
    assert response.status_code == 200
    return response.text, response


def test_data_csv_is_header_and_rows_with_a_sidecar(client: TestClient, synthetic: World) -> None:
    text, response = _data_csv(client)
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns[:4]) == ["code", "name", "level", "households"]
    assert len(frame) == len(synthetic.districts[TRAFFORD[0]].wards)
    assert frame["households"].sum() == pytest.approx(_trafford_households(synthetic))
    link = response.links["describedby"]  # type: ignore[attr-defined]
    assert link["type"] == "application/json" and "format=meta" in link["url"]
    meta = client.get(link["url"]).json()
    assert [c["name"] for c in meta["columns"]] == list(frame.columns)
    service = meta["services"][0]
    assert service["lgsl"] == 279 and len(service["band_edges"]) == 3 and service["expected_units"]
    assert meta["attribution"] and meta["sources"] and meta["classification_id"] == "oac2021"
    assert any(s["vintage"] for s in meta["sources"])
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["x-insight-counted"] == "households" and "oac2021" in headers["x-insight-classification"]
    assert not text.startswith("\ufeff")
    assert _data_csv(client, bom="true")[0].startswith("\ufeffcode,")


def test_export_csv_has_a_meta_json_sidecar(client: TestClient) -> None:
    response = client.get(f"/api/export/ward.csv?parent={LEEDS[0]}&service=279")
    meta_url = response.links["describedby"]["url"]
    assert "/api/export/ward.meta.json?" in meta_url and f"parent={LEEDS[0]}" in meta_url
    meta = client.get(meta_url).json()
    assert meta["service"]["band_edges"]["thresholds"] and meta["counted"] == "households"
    assert [c["name"] for c in meta["columns"]] == response.text.splitlines()[0].split(",")
    assert client.get("/api/export/ward.meta.json?parent=nowhere").status_code == 404


def test_gdal_reads_the_csv_header_as_columns(client: TestClient, tmp_path: Path, synthetic: World) -> None:
    path = tmp_path / "wards.csv"
    path.write_text(_data_csv(client)[0], encoding="utf-8")
    frame = pyogrio.read_dataframe(path, read_geometry=False)
    assert list(frame.columns[:4]) == ["code", "name", "level", "households"]
    assert sorted(frame["code"]) == sorted(w.code for w in synthetic.districts[TRAFFORD[0]].wards)
    export = tmp_path / "export.csv"
    export.write_text(client.get(f"/api/export/ward.csv?parent={TRAFFORD[0]}").text, encoding="utf-8")
    points = pyogrio.read_dataframe(export, X_POSSIBLE_NAMES="lon", Y_POSSIBLE_NAMES="lat")
    assert len(points) == len(frame) and points.geometry.geom_type.eq("Point").all()


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
)
def test_libreoffice_opens_the_csv_with_the_header_first(client: TestClient, tmp_path: Path) -> None:
    """Converted headless as a user opening it would: the header is row 1 and names decode as UTF-8."""
    text = client.get("/api/export/nuts3.csv").text
    assert any(ord(ch) > 127 for ch in text)  # accented region names put the encoding to the test
    source = tmp_path / "nuts3.csv"
    source.write_text(text, encoding="utf-8")
    subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--infilter=CSV:44,34,76",  # comma, double quote, UTF-8
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sheet = pd.read_excel(tmp_path / "out" / "nuts3.xlsx", engine="openpyxl")
    expected = pd.read_csv(io.StringIO(text))
    assert list(sheet.columns) == list(expected.columns)
    assert sheet["name"].tolist() == expected["name"].tolist()


# --- CORS ---------------------------------------------------------------------------------

ORIGIN = "https://maps.example.org"


def test_public_routes_answer_any_origin_without_credentials(client: TestClient) -> None:
    for path in ("/tiles/ward/12/2015/1319.mvt", "/tiles/ward.json", "/ogc/collections", "/api/levels"):
        response = client.get(path, headers={"Origin": ORIGIN})
        assert response.headers["access-control-allow-origin"] == "*", path
        assert "access-control-allow-credentials" not in response.headers
        exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
        assert {"etag", "x-tile-level", "x-tile-features", "x-tile-capped"} <= exposed
    preflight = client.options(
        "/tiles/ward/12/2015/1319.mvt",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "if-none-match"


def test_council_routes_never_answer_cors(client: TestClient) -> None:
    for method in ("GET", "OPTIONS"):
        response = client.request(
            method,
            "/api/councils/leeds/uploads",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in response.headers


def test_cors_origins_setting_narrows_the_origins(synthetic_settings: Settings, tmp_path: Path) -> None:
    settings = settings_variant(synthetic_settings, tmp_path, cors_origins=[ORIGIN])
    with TestClient(create_app(settings)) as narrow:
        allowed = narrow.get("/api/levels", headers={"Origin": ORIGIN})
        assert (
            allowed.headers["access-control-allow-origin"] == ORIGIN and "Origin" in allowed.headers["vary"]
        )
        other = narrow.get("/api/levels", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers


# --- tiles: ids, names, every listed field -------------------------------------------------


def _decode(client: TestClient, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, path
    (layer,) = mapbox_vector_tile.decode(response.content).values()
    return layer["features"]


def test_tile_features_carry_stable_ids_and_every_listed_field(client: TestClient, synthetic: World) -> None:
    fields = set(client.get("/tiles/oa.json").json()["vector_layers"][0]["fields"])
    oa = synthetic.oas[synthetic.oas["lad"] == TRAFFORD[0]].iloc[0]["code"]
    lon, lat = client.get(f"/api/areas/{oa}").json()["lon"], client.get(f"/api/areas/{oa}").json()["lat"]
    tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, 14)
    features = _decode(client, f"/tiles/oa/14/{tile.x}/{tile.y}.mvt")
    assert features
    for f in features:
        props = f["properties"]
        assert f["id"] == feature_id(props["code"])
        assert props["name"]  # output areas have no names: the code stands in
        if "class_code" in props:
            assert fields <= set(props), fields - set(props)
    again = _decode(client, f"/tiles/oa/14/{tile.x}/{tile.y}.mvt?tier=group")
    assert {f["id"] for f in again} == {f["id"] for f in features}


def test_feature_ids_are_unique_and_fit_in_31_bits() -> None:
    codes = [
        "E00000001",
        "E05000001",
        "W00000001",
        "S00000001",
        "N00000001",
        "UKD34",
        "UK",
        "FRL04",
        "E0500001X",
    ]
    ids = [feature_id(c) for c in codes]
    assert len(set(ids)) == len(ids) and all(0 <= i < 2**31 for i in ids)
    assert feature_id("E05000001") == 105_000_001 and feature_id("UKD34") == int("UKD34", 36)


def test_tilejson_of_nuts_centres_on_mainland_europe(client: TestClient) -> None:
    doc = client.get("/tiles/nuts3.json").json()
    west, south, east, north = doc["bounds"]
    assert west >= -25 and south >= 34 and east <= 45 and north <= 71.5
    lon, lat, _ = doc["center"]
    assert -10 < lon < 30 and 40 < lat < 65
    ward = client.get("/tiles/ward.json").json()
    assert ward["bounds"][0] > -8.7 and ward["bounds"][2] < 2 and ward["bounds"][1] > 49


# --- OGC API for GIS clients: paging declared, queryables, CQL2 filters ---------------------


def test_openapi_declares_the_limit_parameter_and_its_version(client: TestClient, synthetic_settings) -> None:
    doc = client.get("/openapi.json").json()
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert limit["maximum"] == synthetic_settings.max_page_size
    assert limit["default"] == synthetic_settings.default_page_size
    items = doc["paths"]["/ogc/collections/{collection}/items"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/limit"} in items
    landing = client.get("/ogc").json()
    desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    assert desc["type"].endswith(f"version={doc['openapi'][:3]}") and doc["openapi"].startswith("3.1")
    ogc = client.get(desc["href"]).json()  # the OGC API's own document, paths relative to /ogc
    assert ogc["servers"][0]["url"].endswith("/ogc") and ogc["openapi"] == doc["openapi"]
    get = ogc["paths"]["/collections/{collectionId}/items"]["get"]
    names = {p.get("name") for p in get["parameters"]} | {p.get("$ref") for p in get["parameters"]}
    assert {"collectionId", "class_code", "parent_code", "mixed", "#/components/parameters/limit"} <= names
    assert ogc["components"]["parameters"]["limit"]["schema"]["maximum"] == limit["maximum"]


def test_queryables_list_class_parent_and_mixed(client: TestClient) -> None:
    response = client.get("/ogc/collections/ward/queryables")
    assert response.headers["content-type"] == "application/schema+json"
    props = response.json()["properties"]
    assert set(props) == {"class_code", "parent_code", "mixed"} and props["mixed"]["type"] == "boolean"
    links = client.get("/ogc/collections/ward").json()["links"]
    assert any(link["rel"].endswith("/queryables") for link in links)
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conforms


def test_cql2_text_filters_the_items(client: TestClient, synthetic: World) -> None:
    everything = client.get("/ogc/collections/ward/items?limit=100").json()["features"]
    leading = everything[0]["properties"]["class_code"]

    def codes(cql: str) -> list[str]:
        response = client.get(
            "/ogc/collections/ward/items", params={"filter": cql, "filter-lang": "cql2-text"}
        )
        assert response.status_code == 200, response.text
        doc = response.json()
        assert doc["numberMatched"] == doc["numberReturned"]
        return [f["id"] for f in doc["features"]]

    props = {f["id"]: f["properties"] for f in everything}
    assert codes(f"class_code = '{leading}'") == [c for c, p in props.items() if p["class_code"] == leading]
    trafford = f"parent_code = '{TRAFFORD[0]}' AND mixed = false"
    assert codes(trafford) == [
        c for c, p in props.items() if p["parent_code"] == TRAFFORD[0] and not p["mixed"]
    ]
    assert codes(f"NOT (class_code <> '{leading}') OR mixed IS NULL") == codes(f"class_code IN ('{leading}')")
    for bad, status in (("name = 'x'", 400), ("class_code = ", 400), ("mixed = 'yes'", 400)):
        assert client.get("/ogc/collections/ward/items", params={"filter": bad}).status_code == status, bad
    assert (
        client.get("/ogc/collections/ward/items?filter=mixed=true&filter-lang=cql2-json").status_code == 400
    )


@pytest.mark.gdal
def test_gdal_pages_by_the_declared_limit_and_owslib_filters(
    synthetic_settings: Settings, tmp_path: Path, synthetic: World
) -> None:
    from owslib.ogcapi.features import Features

    from tests.live_server import process_server

    log = tmp_path / "access.log"
    with process_server(synthetic_settings, log) as base:
        wards = pyogrio.read_dataframe(f"OAPIF:{base}/ogc", layer="ward", read_geometry=False)
        leading = str(wards["class_code"].iloc[0])
        some_gdal = pyogrio.read_dataframe(
            f"OAPIF:{base}/ogc", layer="ward", where=f"class_code = '{leading}'", read_geometry=False
        )
        ogc = Features(f"{base}/ogc")
        queryables = ogc.collection_queryables("ward")
        some = ogc.collection_items(
            "ward", filter=f"class_code = '{leading}'", **{"filter-lang": "cql2-text"}
        )
    requests = [line for line in log.read_text().splitlines() if "/collections/ward/items" in line]
    pages = [r for r in requests if "limit=20 " not in r and "filter=" not in r]  # GDAL first reads 20
    assert pages and all(f"limit={synthetic_settings.max_page_size}" in r for r in pages), requests
    # GDAL sends the attribute filter to the server as a queryable query parameter
    assert any(f"class_code={leading}" in r for r in requests), log.read_text()
    assert sorted(some_gdal["code"]) == sorted(wards.loc[wards["class_code"] == leading, "code"])
    by_hand = sum(sum(expect.mix(synthetic, "ward", code, "supergroup").values()) for code in wards["code"])
    assert wards["households"].sum() == pytest.approx(by_hand)
    assert set(queryables["properties"]) == {"class_code", "parent_code", "mixed"}
    assert sorted(f["id"] for f in some["features"]) == sorted(
        wards.loc[wards["class_code"] == leading, "code"]
    )
    assert some["numberMatched"] == len(some["features"])
