"""The JSON API over the demo store: hand-checked numbers, both backends alike, clean errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from core.store import open_writer

TRAFFORD = "E08000009"


@contextmanager
def client_for(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def _ward_by_hand(settings: Settings) -> tuple[str, dict[str, dict[str, float]]]:
    """A Trafford ward's households per supergroup and group, summed from its OA rows."""
    with open_writer(settings) as w:
        ward = w.read_frame(
            "SELECT code FROM area WHERE level = 'ward' AND parent_code = $1 ORDER BY code LIMIT 1",
            [TRAFFORD],
        )["code"].iloc[0]
        oas = w.read_frame(
            "SELECT l.child_code AS oa, v.value AS households, ac.class_code FROM area_link l "
            "JOIN census_value v ON v.area_code = l.child_code AND v.variable = 'ts0410001' "
            "JOIN area_class ac ON ac.area_code = l.child_code AND ac.classification_id = 'oac2021' "
            "WHERE l.child_level = 'oa' AND l.parent_level = 'ward' AND l.parent_code = $1",
            [ward],
        )
        classes = w.read_frame(
            "SELECT code, parent_code FROM profile_class WHERE classification_id = 'oac2021'"
        )
    parent = dict(zip(classes["code"], classes["parent_code"], strict=True))
    oas["group"] = oas["class_code"].map(parent)
    oas["supergroup"] = oas["group"].map(parent)
    assert len(oas) > 10
    return ward, {t: oas.groupby(t)["households"].sum().to_dict() for t in ("supergroup", "group")}


def test_trafford_ward_composition_by_hand(demo_settings: Settings) -> None:
    ward, expected = _ward_by_hand(demo_settings)
    with client_for(demo_settings) as client:
        body = client.get(f"/api/areas/{ward}").json()
    assert body["households_basis"] == "households"
    for tier in ("supergroup", "group"):
        got = {c["code"]: c["households"] for c in body["mix"][tier]}
        assert got == pytest.approx(expected[tier])
        total = sum(expected[tier].values())
        ranked = sorted(expected[tier].items(), key=lambda kv: (-kv[1], kv[0]))
        pred = body["predominant"][tier]
        assert pred["code"] == ranked[0][0]
        assert pred["share"] == pytest.approx(ranked[0][1] / total)
        runner = ranked[1][1] if len(ranked) > 1 else 0.0
        assert pred["margin"] == pytest.approx((ranked[0][1] - runner) / total)
        assert pred["mixed"] == (pred["margin"] < demo_settings.mixed_margin)
    assert body["households"] == pytest.approx(sum(expected["supergroup"].values()))


def test_demand_equals_class_mix_times_propensity(demo_settings: Settings) -> None:
    with client_for(demo_settings) as client:
        area = client.get(f"/api/areas/{TRAFFORD}").json()
        service = client.get("/api/services/279").json()
        demand = client.get(f"/api/areas/{TRAFFORD}/demand").json()
    assert demand["modelled"] is True
    model = next(m for m in service["models"] if m["classification_id"] == "oac2021")
    assert model["modelled"] and model["drivers"] and model["rationale"]
    index = {p["class_code"]: p["index"] for p in model["propensity"] if p["tier"] == "subgroup"}
    assert all(p["source"] == "modelled" for p in model["propensity"])
    mix = area["mix"]["subgroup"]
    by_hand = sum(c["households"] * index[c["code"]] / 100.0 for c in mix)
    row = next(s for s in demand["services"] if s["lgsl"] == 279)
    assert row["expected"] == pytest.approx(by_hand)
    assert row["band"] == ("high" if row["index"] >= 110 else "low" if row["index"] <= 90 else "medium")


def test_catalogue(demo_settings: Settings) -> None:
    with client_for(demo_settings) as client:
        listed = {c["id"]: c for c in client.get("/api/classifications").json()}
        assert {"oac2021", "eunuts3"} <= set(listed)
        oac = client.get("/api/classifications/oac2021").json()
        europe = client.get("/api/classifications/eunuts3").json()
        modelled = client.get("/api/services?modelled=true").json()
        everything = client.get("/api/services").json()
        search = client.get("/api/services?q=blue").json()
    upper = [c for c in oac["classes"] if c["tier"] in ("supergroup", "group")]
    assert len([c for c in upper if c["tier"] == "supergroup"]) == 8
    assert len([c for c in upper if c["tier"] == "group"]) == 21
    assert all(c["colour"] and c["description"] for c in upper)
    assert len({c["colour"] for c in oac["classes"] if c["tier"] == "supergroup"}) == 8
    assert "Census 2021" in upper[0]["description"]
    assert "within-cluster sum of squares" in europe["method"]
    assert all(c["name"] and c["description"] for c in europe["classes"])
    assert len(modelled) >= 15 and all(s["modelled"] for s in modelled)
    assert sum("europe" in s["families"] for s in modelled) >= 5
    assert len(everything) > 1000
    assert isinstance(search, list)


def test_data_view_json_and_csv(demo_settings: Settings) -> None:
    with client_for(demo_settings) as client:
        body = client.get(f"/api/data?level=ward&parent={TRAFFORD}&service=279&service=13").json()
        quant = client.get(f"/api/data?level=ward&parent={TRAFFORD}&service=279&scheme=quantiles").json()
        csv = client.get(f"/api/data?level=ward&parent={TRAFFORD}&service=279&format=csv")
        nuts = client.get("/api/data?level=nuts3&parent=UKD&service=13").json()
    assert body["total"] == 21 and len(body["rows"]) == 21 and body["modelled"]
    assert {s["lgsl"] for s in body["services"]} == {279, 13}
    assert body["services"][0]["band_edges"][:2] == [90.0, 110.0]
    edges = quant["services"][0]["band_edges"]
    assert len(edges) == 3
    for row in quant["rows"]:
        expected = (
            "low" if row["s279_index"] <= edges[0] else "medium" if row["s279_index"] <= edges[1] else "high"
        )
        assert row["s279_band"] == expected
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("code,name,level,households") and len(lines) == 1 + 21
    assert 'rel="describedby"' in csv.headers["link"]
    assert nuts["classification_id"] == "eunuts3" and nuts["rows"]


def test_similar_areas(demo_settings: Settings) -> None:
    with client_for(demo_settings) as client:
        wards = client.get("/api/areas/E05015239/similar?k=5").json()
        cosine = client.get(f"/api/areas/{TRAFFORD}/similar?k=3&metric=cosine").json()
        nuts = client.get("/api/areas/UKD33/similar?k=5").json()
    sims = [i["similarity"] for i in wards["items"]]
    assert len(sims) == 5 and sims == sorted(sims, reverse=True) and all(0 <= s <= 100 for s in sims)
    assert "E05015239" not in {i["code"] for i in wards["items"]}
    assert cosine["metric"] == "cosine" and len(cosine["items"]) == 3
    assert len({i["country"] for i in nuts["items"]} | {"UK"}) >= 1 and len(nuts["items"]) == 5


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/areas/XX99999", 404),
        ("/api/areas/XX99999/demand", 404),
        ("/api/areas/XX99999/similar", 404),
        ("/api/classifications/nope", 404),
        ("/api/services/999999", 404),
        ("/api/services/abc", 422),
        ("/api/areas?level=county", 422),
        ("/api/areas?limit=0", 422),
        ("/api/areas?limit=1000000", 400),
        (f"/api/areas/{TRAFFORD}/similar?k=0", 422),
        (f"/api/areas/{TRAFFORD}/similar?k=9999", 400),
        (f"/api/areas/{TRAFFORD}/similar?metric=manhattan", 422),
        ("/api/data", 422),
        ("/api/data?level=ward&service=1", 404),
        ("/api/data?level=ward&format=xml", 422),
        ("/api/data?level=ward&scheme=magic", 422),
        ("/api/areas/bad%20code", 422),
    ],
)
def test_errors(demo_settings: Settings, path: str, status: int) -> None:
    with client_for(demo_settings) as client:
        r = client.get(path)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


PATHS = [
    "/api/levels",
    f"/api/areas?level=ward&parent={TRAFFORD}",
    "/api/areas?q=manchester",
    f"/api/areas/{TRAFFORD}",
    "/api/areas/E05015239",
    "/api/areas/UKD33",
    f"/api/areas/{TRAFFORD}/demand",
    "/api/areas/UKD33/demand",
    "/api/areas/E05015239/similar?k=5",
    "/api/classifications",
    "/api/classifications/oac2021",
    "/api/classifications/eunuts3",
    "/api/services?modelled=true",
    "/api/services/279",
    "/api/services/13",
    f"/api/data?level=ward&parent={TRAFFORD}",
    "/api/data?level=nuts2&scheme=natural_breaks",
]


def _normalise(value):
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def test_backends_agree(demo_stores: dict[str, Settings]) -> None:
    if len(demo_stores) < 2:
        pytest.skip("one backend only")
    answers: dict[str, dict[str, object]] = {}
    for backend, settings in demo_stores.items():
        with client_for(settings) as client:
            answers[backend] = {p: _normalise(client.get(p).json()) for p in PATHS}
    first, *rest = answers.values()
    for other in rest:
        for path in PATHS:
            assert json.dumps(first[path], sort_keys=True) == json.dumps(other[path], sort_keys=True), path


def test_composition_rows_cover_every_level(demo_settings: Settings) -> None:
    with open_writer(demo_settings) as w:
        levels = w.read_frame(
            "SELECT classification_id, level, COUNT(DISTINCT code) AS n FROM composition GROUP BY 1, 2"
        )
    got = {(r.classification_id, r.level): r.n for r in levels.itertuples()}
    for level in ("oa", "lsoa", "ward", "lad"):
        assert got.get(("oac2021", level), 0) > 0, level
    for level in ("nuts0", "nuts1", "nuts2", "nuts3"):
        assert got.get(("eunuts3", level), 0) > 0, level


def test_nuts3_similarity_compares_input_variables(demo_settings: Settings) -> None:
    """NUTS3 regions hold one class each: they are compared on the standardised inputs."""
    with client_for(demo_settings) as client:
        nuts = client.get("/api/areas/UKD33/similar?k=5").json()
        wards = client.get("/api/areas/E05015239/similar?k=5").json()
    assert nuts["basis"] == "variables" and nuts["metric"] == "euclidean"
    assert "standardised input variables" in nuts["basis_note"]
    sims = [i["similarity"] for i in nuts["items"]]
    assert sims == sorted(sims, reverse=True) and all(0 <= s < 100 for s in sims)
    assert len(set(sims)) > 1  # no longer 100 % for every region of the same class
    assert wards["basis"] == "class_shares"


def test_output_area_demand_is_its_class_demand(demo_settings: Settings) -> None:
    """Base-area demand (the view): households × class rate, the class's index and band."""
    with open_writer(demo_settings) as w:
        rows = w.read_frame(
            "SELECT d.households, d.expected, d.demand_index, d.band, c.rate, c.demand_index AS ci, c.band AS cb "
            "FROM demand d JOIN area_class ac ON ac.classification_id = d.classification_id "
            "AND ac.area_code = d.code JOIN class_demand c ON c.classification_id = d.classification_id "
            "AND c.lgsl = d.lgsl AND c.class_code = ac.class_code "
            "WHERE d.classification_id = 'oac2021' AND d.level = 'oa' AND d.lgsl = 279 ORDER BY d.code LIMIT 50"
        )
    assert len(rows) > 0
    assert np.allclose(rows["expected"], rows["households"] * rows["rate"])
    assert (rows["demand_index"] == rows["ci"]).all() and (rows["band"] == rows["cb"]).all()
