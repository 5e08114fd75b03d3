"""Vector tiles of the generated store: the generated areas, in place, with their classes."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from app.main import create_app
from core.settings import Settings
from core.tiling import lonlat_to_tile
from tests.conftest import BACKENDS, settings_variant
from tests.synthetic import LEEDS, MANCHESTER, TRAFFORD, World, expect

GM_POINT = (-2.40, 53.40)  # inside generated Trafford
LEEDS_POINT = (-1.65, 53.77)


@pytest.fixture(scope="module")
def client(synthetic_client: TestClient) -> TestClient:
    return synthetic_client


def decode(content: bytes) -> dict:
    return mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})


def get_tile(client: TestClient, path: str, **headers: str):
    return client.get(path, headers={"accept-encoding": "identity", **headers})


def tile_point(lon: float, lat: float, z: int, x: int, y: int) -> shapely.Point:
    """A lon/lat point in the tile's 0..4096 grid (y down)."""
    n = 1 << z
    fx = (lon + 180) / 360 * n
    fy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return shapely.Point((fx - x) * 4096, (fy - y) * 4096)


def test_one_tile_holds_every_greater_manchester_ward_in_place(
    client, synthetic: World, synthetic_settings
) -> None:
    gm = [w for d in (TRAFFORD[0], MANCHESTER[0]) for w in synthetic.districts[d].wards]
    minx, miny, maxx, maxy = shapely.union_all([w.geometry for w in gm]).bounds
    z = 10
    x, y = lonlat_to_tile(minx, maxy, z)
    assert lonlat_to_tile(maxx, miny, z) == (x, y), "the generated wards fit one z10 tile"
    response = get_tile(client, f"/tiles/ward/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    features = decode(response.content)["ward"]["features"]
    assert int(response.headers["x-tile-features"]) == len(features)
    assert {f["properties"]["code"] for f in features} == {w.code for w in gm}  # and nothing from Leeds
    for f in features:
        props = f["properties"]
        pred = expect.predominant(
            expect.mix(synthetic, "ward", props["code"], "supergroup"), synthetic_settings.mixed_margin
        )
        assert props["level"] == "ward"
        assert props["class_code"] == pred["code"]
        assert props["share"] == pytest.approx(pred["share"]) and props["mixed"] == pred["mixed"]
        assert props["colour"].startswith("#") and props["class_name"]
        assert "demand_index" not in props
        ward = next(w for w in gm if w.code == props["code"])
        inner = ward.geometry.representative_point()
        assert shape(f["geometry"]).buffer(2).contains(tile_point(inner.x, inner.y, z, x, y)), props["code"]


def test_leeds_tile_holds_the_leeds_wards(client, synthetic: World) -> None:
    x, y = lonlat_to_tile(*LEEDS_POINT, 10)
    features = decode(get_tile(client, f"/tiles/ward/10/{x}/{y}.mvt").content)["ward"]["features"]
    codes = [f["properties"]["code"] for f in features]
    assert sorted(codes) == sorted(w.code for w in synthetic.districts[LEEDS[0]].wards)
    assert all(f["properties"]["class_code"] for f in features)


def test_service_tiles_carry_the_data_view_demand(client) -> None:
    x, y = lonlat_to_tile(*GM_POINT, 10)
    features = decode(get_tile(client, f"/tiles/ward/10/{x}/{y}.mvt?service=279").content)["ward"]["features"]
    rows = client.get("/api/data", params={"level": "ward", "service": 279}).json()["rows"]
    index = {r["code"]: r["s279_index"] for r in rows}
    assert features
    for f in features:
        props = f["properties"]
        assert props["demand_index"] == pytest.approx(index[props["code"]])
        i = props["demand_index"]
        assert props["band"] == ("high" if i >= 110 else "low" if i <= 90 else "medium")


@pytest.mark.parametrize(
    ("z", "level"), [(3, "nuts1"), (4, "nuts2"), (6, "nuts3"), (8, "lad"), (11, "ward"), (14, "oa")]
)
def test_auto_layer_picks_the_level_by_zoom(client, z: int, level: str) -> None:
    x, y = lonlat_to_tile(*GM_POINT, z)
    response = get_tile(client, f"/tiles/auto/{z}/{x}/{y}.mvt")
    assert response.status_code == 200 and response.headers["x-tile-level"] == level
    features = decode(response.content)["auto"]["features"]
    assert features and {f["properties"]["level"] for f in features} == {level}


def test_nuts_tiles_use_the_europe_classification(client) -> None:
    x, y = lonlat_to_tile(*GM_POINT, 6)
    features = decode(get_tile(client, f"/tiles/nuts3/6/{x}/{y}.mvt").content)["nuts3"]["features"]
    codes = {f["properties"]["code"] for f in features}
    assert {"UKD33", "UKD34"} <= codes
    europe = {c["code"]: c["name"] for c in client.get("/api/classifications/eunuts3").json()["classes"]}
    assert all(europe[f["properties"]["class_code"]] == f["properties"]["class_name"] for f in features)


def test_etag_304_gzip_and_empty_tiles(client) -> None:
    x, y = lonlat_to_tile(*GM_POINT, 12)
    path = f"/tiles/ward/12/{x}/{y}.mvt"
    plain = get_tile(client, path)
    assert plain.status_code == 200 and plain.headers["cache-control"] == "public, max-age=3600"
    etag = plain.headers["etag"]
    assert etag.startswith('"') and "content-encoding" not in plain.headers
    raw = client.stream("GET", path, headers={"accept-encoding": "gzip"})
    with raw as stream:
        assert gzip.decompress(b"".join(stream.iter_raw())) == plain.content
    again = get_tile(client, path, **{"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert get_tile(client, path + "?service=279").headers["etag"] != etag
    ocean = lonlat_to_tile(-30.0, 45.0, 8)
    empty = get_tile(client, f"/tiles/ward/8/{ocean[0]}/{ocean[1]}.mvt")
    assert empty.status_code == 204 and empty.content == b"" and empty.headers["x-tile-features"] == "0"


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/tiles/nope/1/1/1.mvt", 404, "unknown tile layer"),
        ("/tiles/ward/2/4/0.mvt", 404, "outside the grid"),
        ("/tiles/ward/2/0/7.mvt", 404, "outside the grid"),
        ("/tiles/ward/17/0/0.mvt", 400, "maximum zoom"),
        ("/tiles/ward/99999999999/0/0.mvt", 422, ""),
        ("/tiles/ward/a/0/0.mvt", 422, ""),
        ("/tiles/ward/1/-1/0.mvt", 422, ""),
        ("/tiles/ward/1/0/0.mvt?service=999", 404, "no modelled demand"),
        ("/tiles/ward/1/0/0.mvt?service=abc", 422, ""),
        ("/tiles/ward/1/0/0.mvt?classification=eunuts3", 404, "classification"),
        ("/tiles/ward/1/0/0.mvt?classification=nope", 404, "classification"),
        ("/tiles/ward/1/0/0.mvt?tier=nope", 400, "unknown tier"),
        ("/tiles/nope.json", 404, "unknown tile layer"),
        ("/tiles/ward.json?service=999", 404, "no modelled demand"),
        ("/tiles/nope/legend.json", 404, "unknown tile layer"),
    ],
)
def test_bad_tile_requests_are_a_clear_4xx(client, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert message in response.text


SAME_EITHER_WAY = [
    "/tiles/ward/{z}/{x}/{y}.mvt",
    "/tiles/ward/{z}/{x}/{y}.mvt?service=279",
    "/tiles/ward/{z}/{x}/{y}.mvt?service=279&tier=supergroup&ignored=1",
    "/tiles/ward/{z}/{x}/{y}.mvt?channel=assisted",
    "/tiles/auto/{z}/{x}/{y}.mvt?tier=",
    "/tiles/ward/{z}/{x}/{y}.mvt?service=999",
    "/tiles/ward/{z}/{x}/{y}.mvt?tier=nope",
    "/tiles/ward/{z}/{x}/{y}.mvt?classification=nope",
    "/tiles/nope/{z}/{x}/{y}.mvt",
    "/tiles/ward/17/0/0.mvt",
    "/tiles/ward/2/4/0.mvt",
    "/tiles/ward/8/0/0.mvt",
]


@pytest.mark.parametrize("template", SAME_EITHER_WAY)
def test_the_tile_route_answers_alike_with_and_without_fastapis_parameter_parsing(
    client, template: str, monkeypatch
) -> None:
    """Plain tile parameters skip FastAPI's parsing (``TileRoute``); dependency overrides send
    every request through it. Both ways give the same answer, errors included."""
    from app.deps import get_settings_dep
    from app.routers import tiles

    read: list[dict | None] = []
    plain = tiles.plain_tile_parameters
    monkeypatch.setattr(
        tiles, "plain_tile_parameters", lambda request: read.append(plain(request)) or read[-1]
    )
    x, y = lonlat_to_tile(*GM_POINT, 10)
    path = template.format(z=10, x=x, y=y)
    answers = []
    for overridden in (False, True):
        if overridden:
            client.app.dependency_overrides[get_settings_dep] = get_settings_dep
        try:
            answers.append(get_tile(client, path))
        finally:
            client.app.dependency_overrides.clear()
    direct, general = answers
    assert read and read[0] is not None, "the first request took the direct path"
    assert direct.status_code == general.status_code
    skip = {"x-request-id", "date", "content-length"}
    assert {k: v for k, v in direct.headers.items() if k not in skip} == {
        k: v for k, v in general.headers.items() if k not in skip
    }
    if direct.status_code < 400:
        assert direct.content == general.content
    else:  # problem details, each with its own request id
        assert direct.text.replace(direct.headers["x-request-id"], "") == general.text.replace(
            general.headers["x-request-id"], ""
        )


@pytest.mark.parametrize(
    ("path", "query", "plain"),
    [
        ({"layer": "ward", "z": "10", "x": "503", "y": "331"}, b"", True),
        ({"layer": "ward", "z": "010", "x": "0", "y": "0"}, b"service=279&tier=x&channel=web", True),
        ({"layer": "ward", "z": "31", "x": "0", "y": "0"}, b"", False),
        ({"layer": "ward", "z": "-1", "x": "0", "y": "0"}, b"", False),
        ({"layer": "ward", "z": "1e3", "x": "0", "y": "0"}, b"", False),
        ({"layer": "ward", "z": "\u0661", "x": "0", "y": "0"}, b"", False),  # an Arabic-Indic one
        ({"layer": "w" * 17, "z": "1", "x": "0", "y": "0"}, b"", False),
        ({"layer": "ward", "z": "1", "x": "0", "y": "0"}, b"service=abc", False),
        ({"layer": "ward", "z": "1", "x": "0", "y": "0"}, b"service=", False),
        ({"layer": "ward", "z": "1", "x": "0", "y": "0"}, b"service=1000001", False),
        ({"layer": "ward", "z": "1", "x": "0", "y": "0"}, b"tier=" + b"t" * 33, False),
        ({"layer": "ward", "z": "1", "x": "0", "y": "0"}, b"classification=%C3%A9", False),
        ({"layer": "ward", "z": "1", "x": "0", "y": "0"}, b"channel=fax", False),
    ],
)
def test_plain_tile_parameters_are_only_the_plainly_valid(path: dict, query: bytes, plain: bool) -> None:
    from starlette.requests import Request

    from app.routers.tiles import plain_tile_parameters

    found = plain_tile_parameters(Request({"type": "http", "path_params": path, "query_string": query}))
    assert (found is not None) == plain
    if plain and query:
        assert found == {
            "layer": "ward",
            "z": 10,
            "x": 0,
            "y": 0,
            "service": 279,
            "tier": "x",
            "channel": "web",
        }


def test_tilejson_bounds_are_the_generated_wards(client, synthetic: World) -> None:
    doc = client.get("/tiles/ward.json?service=279").json()
    assert doc["tilejson"] == "3.0.0"
    wards = shapely.union_all([w.geometry for w in synthetic.areas("ward")])
    assert doc["bounds"] == pytest.approx(list(wards.bounds), abs=1e-4)
    (layer,) = doc["vector_layers"]
    assert layer["id"] == "ward" and layer["fields"]["demand_index"] == "Number"
    assert "Open Government Licence" in doc["attribution"] and "modelled" in doc["attribution"]
    assert "EuroGeographics" in client.get("/tiles/nuts3.json").json()["attribution"]


def test_legend_lists_the_generated_classes(client, synthetic: World) -> None:
    legend = client.get("/tiles/ward/legend.json?service=279").json()
    assert legend["classification_id"] == "oac2021" and legend["tier"] == "supergroup"
    classes = synthetic.oac_classes()
    assert legend["classifications"] == ["oac2021", "oac2011-leeds"]  # Leeds wards keep their own
    oac = [c["code"] for c in legend["classes"] if c["classification_id"] == "oac2021"]
    assert oac == list(classes.loc[classes["tier"] == "supergroup", "code"])
    assert legend["service"]["modelled"] is True


def test_feature_cap_is_reported_not_silent(synthetic_settings: Settings, tmp_path) -> None:
    capped = settings_variant(synthetic_settings, tmp_path, max_features_per_tile=3)
    with TestClient(create_app(capped)) as client:
        x, y = lonlat_to_tile(*GM_POINT, 10)
        response = get_tile(client, f"/tiles/ward/10/{x}/{y}.mvt")
    assert response.headers["x-tile-capped"].startswith("true")
    assert response.headers["x-tile-features"] == "3"
    assert len(decode(response.content)["ward"]["features"]) == 3


_ANSWERS: dict[str, list] = {}


@pytest.mark.skipif(len(BACKENDS) < 2, reason="compares both backends")
def test_both_backends_draw_the_same_features(client, synthetic_settings: Settings) -> None:
    out = []
    for layer, z, point in (
        ("auto", 6, GM_POINT),
        ("ward", 10, GM_POINT),
        ("oa", 14, GM_POINT),
        ("ward", 10, LEEDS_POINT),
    ):
        x, y = lonlat_to_tile(*point, z)
        features = decode(get_tile(client, f"/tiles/{layer}/{z}/{x}/{y}.mvt?service=279").content)[layer][
            "features"
        ]
        out.append(sorted(tuple(sorted(f["properties"].items())) for f in features))
    assert all(out)
    _ANSWERS[synthetic_settings.backend] = out
    for other in (b for b in _ANSWERS if b != synthetic_settings.backend):
        assert _ANSWERS[other] == out
