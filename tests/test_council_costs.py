"""Unit costs (published defaults, a council's own, audited) and the channel-shift scenario:
the GUIDE's £8,040 through the API, a class-targeted case worked by hand, CSV and access."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo.channels import class_channel_index
from tests.test_council_profiles import LGSL, TRAFFORD, bearer, client, world_store  # noqa: F401

TEL, WEB = 2.83, 0.15


def test_published_defaults_with_source_and_year(client: TestClient, world_store) -> None:  # noqa: F811
    _, sc, tokens = world_store
    doc = client.get(f"/api/councils/{sc.trafford}/costs", headers=bearer(tokens["token"])).json()
    costs = {c["channel"]: c for c in doc["costs"]}
    assert (costs["face-to-face"]["cost_gbp"], costs["telephone"]["cost_gbp"], costs["web"]["cost_gbp"]) == (
        8.62,
        2.83,
        0.15,
    )
    assert "Socitm" in costs["web"]["source"] and costs["web"]["year"] == 2012
    assert costs["web"]["scope"] == "published default"
    assert costs["post"]["cost_gbp"] is None and costs["post"]["scope"] == "none"
    csv = client.get(f"/api/councils/{sc.trafford}/costs?format=csv", headers=bearer(tokens["token"]))
    frame = pd.read_csv(io.StringIO(csv.text))
    assert frame.set_index("channel").loc["telephone", "cost_gbp"] == 2.83


def test_a_councils_own_costs_win_and_are_audited(client: TestClient, world_store) -> None:  # noqa: F811
    _, sc, tokens = world_store
    path, auth = f"/api/councils/{sc.manchester}/costs", bearer(tokens["other"])
    service, another = [s["lgsl"] for s in client.get("/api/services").json()[:2]]
    body = {
        "costs": [
            {"channel": "web", "cost_gbp": 0.2, "source": "our finance team, 2025"},
            {"service": service, "channel": "telephone", "cost_gbp": 3.0, "source": "contact centre study"},
        ]
    }
    assert client.put(path, json=body, headers=auth).status_code == 200
    mine = {c["channel"]: c for c in client.get(f"{path}?service={service}", headers=auth).json()["costs"]}
    assert (mine["telephone"]["cost_gbp"], mine["telephone"]["scope"]) == (3.0, "council: this service")
    assert (mine["web"]["cost_gbp"], mine["web"]["scope"]) == (0.2, "council: every service")
    assert mine["web"]["source"] == "our finance team, 2025"
    other = {c["channel"]: c for c in client.get(f"{path}?service={another}", headers=auth).json()["costs"]}
    assert (other["telephone"]["cost_gbp"], other["telephone"]["scope"]) == (2.83, "published default")
    audit = client.get(f"/api/councils/{sc.manchester}/audit", headers=auth).json()["records"]
    assert sum(r["action"] == "cost.set" for r in audit) >= 2
    # another council's costs are not touched, nor readable
    theirs = {
        c["channel"]: c
        for c in client.get(f"/api/councils/{sc.trafford}/costs", headers=bearer(tokens["token"])).json()[
            "costs"
        ]
    }
    assert theirs["web"]["cost_gbp"] == 0.15
    assert client.put(f"/api/councils/{sc.trafford}/costs", json=body, headers=auth).status_code == 403
    # removed: the default applies again; removing twice is a 404
    gone = client.delete(f"{path}?channel=web", headers=auth)
    assert gone.status_code == 200
    assert {c["channel"]: c for c in gone.json()["costs"]}["web"]["cost_gbp"] == 0.15
    assert client.delete(f"{path}?channel=web", headers=auth).status_code == 404


@pytest.mark.parametrize(
    ("cost", "words"),
    [
        ({"channel": "pigeon", "cost_gbp": 1, "source": "x"}, "costs[0].channel"),
        ({"channel": "web", "cost_gbp": -1, "source": "x"}, "cost_gbp"),
        ({"channel": "web", "cost_gbp": "inf", "source": "x"}, "cost_gbp"),
        ({"service": 999_999, "channel": "web", "cost_gbp": 1, "source": "x"}, "costs[0].service"),
        ({"channel": "web", "cost_gbp": 1}, "source"),
    ],
)
def test_bad_costs_are_refused_and_change_nothing(client: TestClient, world_store, cost, words) -> None:  # noqa: F811
    _, sc, tokens = world_store
    path, auth = f"/api/councils/{sc.manchester}/costs", bearer(tokens["other"])
    before = client.get(path, headers=auth).json()
    answer = client.put(path, json={"costs": [cost]}, headers=auth)
    assert answer.status_code == 422, answer.text
    assert words in answer.text
    assert client.get(path, headers=auth).json() == before


def test_the_guides_example_through_the_api(client: TestClient, world_store) -> None:  # noqa: F811
    """10,000 calls, 30 % to web: 3,000 × (£2.83 − £0.15) = £8,040 a year."""
    _, sc, tokens = world_store
    move = {"service": LGSL, "from_channel": "telephone", "to_channel": "web", "share": 0.3, "volume": 10_000}
    doc = client.post(
        f"/api/councils/{sc.trafford}/scenarios/channel-shift",
        json={"moves": [move]},
        headers=bearer(tokens["token"]),
    ).json()
    assert doc.get("total_saving_gbp") == 8040.0, doc
    line = doc["moves"][0]
    assert line["moved"] == 3000.0 and line["saving_gbp"] == 8040.0
    assert line["arithmetic"] == "10,000 contacts × 30% = 3,000 moved × (£2.83 − £0.15) = £8,040.00"
    assert line["cost_from"]["year"] == 2012 and "Socitm" in line["cost_from"]["source"]
    # two moves at once add up
    second = move | {"from_channel": "face-to-face", "share": 0.1, "volume": 1_000}
    both = client.post(
        f"/api/councils/{sc.trafford}/scenarios/channel-shift",
        json={"moves": [move, second]},
        headers=bearer(tokens["token"]),
    ).json()
    assert both["total_saving_gbp"] == pytest.approx(8040.0 + 100 * (8.62 - 0.15))


def test_scenario_volumes_from_the_records_and_by_class(client: TestClient, world_store) -> None:  # noqa: F811
    """Every record is of January 2025; the LSOA's 20 telephone contacts are apportioned to classes."""
    from app.council_data import CouncilRef, customer_counts_by_channel, districts_area

    _, sc, tokens = world_store
    path, auth = f"/api/councils/{sc.trafford}/scenarios/channel-shift", bearer(tokens["token"])
    move = {"service": LGSL, "from_channel": "telephone", "to_channel": "web", "share": 0.5}
    doc = client.post(path, json={"moves": [move], "end": "2025-01-31"}, headers=auth).json()
    line = doc["moves"][0]
    assert line["volume"] == sc.lsoa_contacts and line["period"] == ["2024-02-01", "2025-01-31"]
    assert doc["total_saving_gbp"] == pytest.approx(round(20 * 0.5 * (TEL - WEB), 2))
    assert doc["synthetic"] is True

    council = CouncilRef(sc.trafford, sc.trafford.title(), (TRAFFORD,))
    store = client.app.state.store  # type: ignore[attr-defined]

    async def counts() -> pd.DataFrame:
        return await customer_counts_by_channel(
            store, council, LGSL, "oac2021", "supergroup", districts_area(council)
        )

    table = client.portal.call(counts)  # type: ignore[union-attr]
    _, index = class_channel_index(table)
    threshold = float(index["web"].dropna().median())
    chosen = [c for c in table.index if index.loc[c, "web"] >= threshold]
    # a class with 1 to 5 telephone contacts is left out, neither shown nor counted
    kept = [c for c in chosen if not 0 < table.loc[c, "telephone"] < 6]
    volume = float(table.loc[kept, "telephone"].sum())
    answer = client.post(
        path, json={"moves": [move | {"min_index": threshold}], "end": "2025-01-31"}, headers=auth
    )
    if 0 < volume < 6:
        assert answer.status_code == 422 and "suppressed" in answer.json()["detail"]
    else:
        line = answer.json()["moves"][0]
        assert {c["code"] for c in line["classes"]} == set(kept)
        assert sum(c["contacts"] for c in line["classes"]) == pytest.approx(line["volume"], abs=0.1)
        assert line["volume"] == pytest.approx(volume, abs=0.05)
        assert line["saving_gbp"] == pytest.approx(volume * 0.5 * (TEL - WEB), abs=0.01)
    nobody = client.post(
        path, json={"moves": [move | {"min_index": 10_000}], "end": "2025-01-31"}, headers=auth
    )
    assert nobody.json()["moves"][0]["volume"] == 0 and nobody.json()["total_saving_gbp"] == 0


def test_scenario_csv_errors_and_access(client: TestClient, world_store) -> None:  # noqa: F811
    _, sc, tokens = world_store
    path, auth = f"/api/councils/{sc.trafford}/scenarios/channel-shift", bearer(tokens["token"])
    move = {"service": LGSL, "from_channel": "telephone", "to_channel": "web", "share": 0.3, "volume": 10_000}
    csv = client.post(f"{path}?format=csv", json={"moves": [move]}, headers=auth)
    frame = pd.read_csv(io.StringIO(csv.text))
    assert frame.loc[0, "saving_gbp"] == 8040.0 and "Socitm" in frame.loc[0, "cost_from_source"]
    assert client.post(path, json={"moves": [move | {"share": 30}]}, headers=auth).status_code == 422
    assert client.post(path, json={"moves": [move | {"to_channel": "post"}]}, headers=auth).status_code == 422
    assert (
        "no unit cost"
        in client.post(path, json={"moves": [move | {"to_channel": "post"}]}, headers=auth).text
    )
    assert client.post(path, json={"moves": [move]}).status_code == 401
    assert client.post(path, json={"moves": [move]}, headers=bearer(tokens["other"])).status_code == 403
