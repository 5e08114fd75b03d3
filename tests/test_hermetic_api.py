"""The JSON API over a store built from generated sources: answers worked out by hand."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from tests.conftest import BACKENDS
from tests.synthetic import LEEDS, MANCHESTER, TRAFFORD, World, expect

ALTRINCHAM = "E05900001"  # the first generated ward of Trafford


@pytest.fixture(scope="module")
def client(synthetic_client: TestClient) -> TestClient:
    return synthetic_client


def _codes(world: World, level: str) -> list[str]:
    return [a.code for a in world.areas(level)]


def test_levels_count_the_generated_areas(client: TestClient, synthetic: World) -> None:
    counts = {row["level"]: row["areas"] for row in client.get("/api/levels").json()}
    regions = [r.level for r in synthetic.regions]
    expected = {f"nuts{n}": regions.count(n) for n in range(4)}
    expected |= {lv: len(_codes(synthetic, lv)) for lv in ("lad", "ward", "lsoa")}
    expected["oa"] = int((synthetic.oas["boundary"]).sum())  # Trafford's and Leeds's
    assert counts == expected
    assert expected == {
        "nuts0": 4, "nuts1": 5, "nuts2": 5, "nuts3": 21, "lad": 3, "ward": 11, "lsoa": 32, "oa": 88
    }  # fmt: skip


def _check_area(client: TestClient, world: World, level: str, code: str, margin: float) -> None:
    body = client.get(f"/api/areas/{code}").json()
    assert body["classification"]["id"] == "oac2021" and body["households_basis"] == "households"
    for tier in ("supergroup", "group", "subgroup"):
        expected = expect.mix(world, level, code, tier)
        assert expected, (code, tier)
        got = {c["code"]: c["households"] for c in body["mix"][tier]}
        assert got == pytest.approx(expected), (code, tier)
        pred = expect.predominant(expected, margin)
        shown = body["predominant"][tier]
        assert shown["code"] == pred["code"], (code, tier)
        assert shown["share"] == pytest.approx(pred["share"])
        assert shown["margin"] == pytest.approx(pred["margin"])
        assert shown["mixed"] == pred["mixed"]
    assert body["households"] == pytest.approx(sum(expect.mix(world, level, code, "supergroup").values()))


@pytest.mark.parametrize("district", [TRAFFORD[0], MANCHESTER[0], LEEDS[0]])
def test_every_ward_sums_its_output_areas(client, synthetic, synthetic_settings, district) -> None:
    """Trafford by OA position, Manchester through LSOAs, Leeds by 2011 OA position."""
    wards = [w.code for w in synthetic.districts[district].wards]
    listed = client.get("/api/areas", params={"level": "ward", "parent": district}).json()
    assert sorted(i["code"] for i in listed["items"]) == sorted(wards) and listed["total"] == len(wards)
    for ward in wards:
        _check_area(client, synthetic, "ward", ward, synthetic_settings.mixed_margin)


def test_districts_sum_their_output_areas(client, synthetic, synthetic_settings) -> None:
    for code in (TRAFFORD[0], MANCHESTER[0], LEEDS[0]):
        _check_area(client, synthetic, "lad", code, synthetic_settings.mixed_margin)
    # a Leeds output area without a boundary is not placed in the district
    unplaced = synthetic.oas[(synthetic.oas["lad"] == LEEDS[0]) & ~synthetic.oas["boundary"]]
    assert len(unplaced) == 1
    leeds = client.get(f"/api/areas/{LEEDS[0]}").json()
    assert leeds["households"] < synthetic.oas[synthetic.oas["lad"] == LEEDS[0]]["households"].sum()


def test_an_output_area_is_its_own_class_under_its_generated_parents(client, synthetic) -> None:
    oas = synthetic.oas.set_index("code")
    trafford = synthetic.districts[TRAFFORD[0]].oas[5]
    leeds = synthetic.districts[LEEDS[0]].oas[2]
    for oa, chain in (
        (trafford, [("lad", trafford.lad), ("ward", trafford.ward), ("lsoa", trafford.lsoa)]),
        (leeds, [("lad", leeds.lad), ("ward", leeds.ward)]),  # 2011 output areas: no LSOA loaded
    ):
        body = client.get(f"/api/areas/{oa.code}").json()
        assert [(p["level"], p["code"]) for p in body["parents"]] == chain
        assert body["households"] == oas.loc[oa.code, "households"]
        assert body["predominant"]["subgroup"]["code"] == oas.loc[oa.code, "subgroup"]
        assert body["predominant"]["supergroup"]["share"] == 1.0
    lsoa = synthetic.districts[TRAFFORD[0]].lsoas[0]
    parents = client.get(f"/api/areas/{lsoa.code}").json()["parents"]
    ward = next(
        w for w in synthetic.districts[TRAFFORD[0]].wards if w.geometry.contains(lsoa.geometry.centroid)
    )
    assert [(p["level"], p["code"]) for p in parents] == [("lad", TRAFFORD[0]), ("ward", ward.code)]


def test_nuts3_region_counts_its_population(client, synthetic) -> None:
    body = client.get("/api/areas/UKD34").json()
    assert body["classification"]["id"] == "eunuts3" and body["households_basis"] == "population"
    assert body["households"] == pytest.approx(expect.population(synthetic, "UKD34"))  # 2019: UK stops
    assert [p["code"] for p in body["parents"]] == ["UK", "UKD", "UKD3"]
    nuts2 = client.get("/api/areas/UKD3").json()
    members = [r.code for r in synthetic.regions if r.level == 3 and r.code.startswith("UKD3")]
    assert nuts2["households"] == pytest.approx(sum(expect.population(synthetic, c) for c in members))


def test_demand_is_class_mix_times_propensity(client) -> None:
    area = client.get(f"/api/areas/{TRAFFORD[0]}").json()
    service = client.get("/api/services/279").json()
    demand = client.get(f"/api/areas/{TRAFFORD[0]}/demand").json()
    assert demand["modelled"] is True and demand["classification_id"] == "oac2021"
    model = next(m for m in service["models"] if m["classification_id"] == "oac2021")
    index = {p["class_code"]: p["index"] for p in model["propensity"] if p["tier"] == "subgroup"}
    assert len(set(index.values())) > 1  # the generated drivers differ between classes
    by_hand = sum(c["households"] * index[c["code"]] / 100.0 for c in area["mix"]["subgroup"])
    row = next(s for s in demand["services"] if s["lgsl"] == 279)
    assert row["expected"] == pytest.approx(by_hand)
    assert row["band"] == ("high" if row["index"] >= 110 else "low" if row["index"] <= 90 else "medium")


def test_catalogue_of_classifications_and_services(client, synthetic) -> None:
    from derive.services import SERVICES

    listed = {c["id"] for c in client.get("/api/classifications").json()}
    assert listed == {"oac2021", "oac2011-leeds", "eunuts3"}
    oac = client.get("/api/classifications/oac2021").json()
    classes = synthetic.oac_classes()
    for tier in ("supergroup", "group", "subgroup"):
        got = sorted(c["code"] for c in oac["classes"] if c["tier"] == tier)
        assert got == sorted(classes.loc[classes["tier"] == tier, "code"])
    names = {c["code"]: c["name"] for c in oac["classes"]}
    assert names["1"] == "Settled suburbs" and names["1a"] == "Leafy suburbs"  # trailing spaces gone
    assert all(c["colour"] for c in oac["classes"])
    europe = client.get("/api/classifications/eunuts3").json()
    assert "within-cluster sum of squares" in europe["method"]
    modelled = client.get("/api/services?modelled=true").json()
    assert {s["lgsl"] for s in modelled} == {s.lgsl for s in SERVICES}
    everything = client.get("/api/services").json()
    assert len(everything) == len(SERVICES) + 3
    assert 279 in {s["lgsl"] for s in client.get("/api/services?q=blue").json()}


def test_data_view_lists_each_ward_with_its_demand(client, synthetic) -> None:
    wards = synthetic.districts[TRAFFORD[0]].wards
    body = client.get(f"/api/data?level=ward&parent={TRAFFORD[0]}&service=279&service=13").json()
    assert body["total"] == len(wards) == len(body["rows"]) and body["modelled"]
    assert {s["lgsl"] for s in body["services"]} == {279, 13}
    for row in body["rows"]:
        assert row["households"] == pytest.approx(
            sum(expect.mix(synthetic, "ward", row["code"], "group").values())
        )
        assert row["s279_band"] == (
            "high" if row["s279_index"] >= 110 else "low" if row["s279_index"] <= 90 else "medium"
        )
    csv = client.get(f"/api/data?level=ward&parent={TRAFFORD[0]}&service=279&format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("code,name,level,households,") and len(lines) == 1 + len(wards)
    meta = client.get(csv.links["describedby"]["url"]).json()
    assert [c["name"] for c in meta["columns"]] == lines[0].split(",")
    assert meta["services"][0]["band_edges"] and meta["counted"] == "households" and "rows" not in meta


def test_similar_wards_rank_by_similarity(client) -> None:
    body = client.get(f"/api/areas/{ALTRINCHAM}/similar?k=5").json()
    sims = [i["similarity"] for i in body["items"]]
    assert len(sims) == 5 and sims == sorted(sims, reverse=True) and all(0 <= s <= 100 for s in sims)
    assert ALTRINCHAM not in {i["code"] for i in body["items"]}
    assert body["basis"] == "class_shares"
    nuts = client.get("/api/areas/UKD34/similar?k=3").json()
    assert nuts["basis"] == "variables" and len(nuts["items"]) == 3


def test_search_by_name(client) -> None:
    found = client.get("/api/areas", params={"q": "altrincham"}).json()
    assert [i["code"] for i in found["items"]] == [ALTRINCHAM]


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
        (f"/api/areas/{TRAFFORD[0]}/similar?k=0", 422),
        (f"/api/areas/{TRAFFORD[0]}/similar?k=9999", 400),
        (f"/api/areas/{TRAFFORD[0]}/similar?metric=manhattan", 422),
        ("/api/data", 422),
        ("/api/data?level=ward&service=1", 404),
        ("/api/data?level=ward&format=xml", 422),
        ("/api/data?level=ward&scheme=magic", 422),
        ("/api/areas/bad%20code", 422),
    ],
)
def test_bad_requests_are_4xx_with_a_message(client, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


PATHS = [
    "/api/levels",
    f"/api/areas?level=ward&parent={TRAFFORD[0]}",
    f"/api/areas/{TRAFFORD[0]}",
    f"/api/areas/{ALTRINCHAM}",
    f"/api/areas/{LEEDS[0]}",
    "/api/areas/UKD34",
    f"/api/areas/{TRAFFORD[0]}/demand",
    "/api/areas/UKD34/demand",
    f"/api/areas/{ALTRINCHAM}/similar?k=5",
    "/api/classifications/oac2021",
    "/api/classifications/eunuts3",
    "/api/services/279",
    f"/api/data?level=ward&parent={TRAFFORD[0]}",
    "/api/data?level=nuts3&scheme=quantiles",
]
_ANSWERS: dict[str, dict] = {}


def _normalise(value):
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


@pytest.mark.skipif(len(BACKENDS) < 2, reason="compares both backends")
def test_backends_give_the_same_answers(client, synthetic_settings: Settings) -> None:
    """Each backend records its answers; whichever runs second compares them."""
    answers = {p: json.dumps(_normalise(client.get(p).json()), sort_keys=True) for p in PATHS}
    _ANSWERS[synthetic_settings.backend] = answers
    for other in (b for b in _ANSWERS if b != synthetic_settings.backend):
        for path in PATHS:
            assert answers[path] == _ANSWERS[other][path], path
