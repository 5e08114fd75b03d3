"""A council's channels: mix and index per class recomputed by hand, the seasons, channel
migration (a hand-worked z-test), suppression, CSV read back with pandas, and access."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo.channels import migration_test, seasonal_table
from tests.test_council_profiles import LGSL, bearer, client, world_store  # noqa: F401


def test_channel_mix_and_index_recomputed_by_hand(client: TestClient, world_store) -> None:  # noqa: F811
    """Web contacts are the output-area records, telephone the LSOA's 20 apportioned by households."""
    _, sc, tokens = world_store
    doc = client.get(
        f"/api/councils/{sc.trafford}/channels?service={LGSL}", headers=bearer(tokens["token"])
    ).json()
    assert [c["channel"] for c in doc["channels"]] == ["telephone", "web"]
    oas = sc.trafford_oas.assign(cls=sc.trafford_oas["subgroup"].str[:1])
    web = oas.assign(n=oas["code"].map(sc.oa_counts)).groupby("cls")["n"].sum().astype(float)
    telephone = sc.customers(1) - web.reindex(sc.customers(1).index).fillna(0.0)
    total_web, total_tel = web.sum(), telephone.sum()
    overall_tel = total_tel / (total_web + total_tel)
    overall = {"telephone": overall_tel, "web": 1 - overall_tel}
    shown = 0
    for cls in doc["classes"]:
        cells = {c["channel"]: c for c in cls["channels"]}
        counts = {
            "telephone": float(telephone.get(cls["code"], 0.0)),
            "web": float(web.get(cls["code"], 0.0)),
        }
        if any(0 < v < 6 for v in counts.values()):  # a count of 1 to 5 in the class's row: suppressed
            assert cells["telephone"]["suppressed"] or cells["web"]["suppressed"]
        n = sum(counts.values())
        for channel, cell in cells.items():
            if cell["suppressed"]:
                assert cell["contacts"] is None and cell["index"] is None
                continue
            share = counts[channel] / n
            assert cell["contacts"] == pytest.approx(counts[channel], abs=0.05)
            assert cell["share"] == pytest.approx(share, abs=1e-4)
            assert cell["index"] == pytest.approx(100 * share / overall[channel], abs=0.05)
            p = overall[channel]
            assert cell["z"] == pytest.approx((share - p) / (p * (1 - p) / n) ** 0.5, abs=0.01)
            assert cell["index_low"] <= cell["index"] <= cell["index_high"]
            shown += 1
    assert shown >= 2
    assert doc["source"]["synthetic"] is True


def test_channel_csv_reads_in_pandas_and_says_suppressed(client: TestClient, world_store) -> None:  # noqa: F811
    _, sc, tokens = world_store
    answer = client.get(
        f"/api/councils/{sc.trafford}/channels?service={LGSL}&format=csv", headers=bearer(tokens["token"])
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(answer.text))
    assert list(frame.columns[:3]) == ["council_id", "service_lgsl", "service_label"]
    assert set(frame["channel"]) == {"telephone", "web"}
    hidden = frame[frame["suppressed"]]
    assert (hidden["contacts"] == "suppressed").all()
    assert "0" not in set(hidden["contacts"].astype(str))


def test_seasons_of_one_month(client: TestClient, world_store) -> None:  # noqa: F811
    """Every record is of January 2025: January is the only month covered, index 100."""
    _, sc, tokens = world_store
    doc = client.get(f"/api/councils/{sc.trafford}/seasons", headers=bearer(tokens["token"])).json()
    assert doc["first_month"] == doc["last_month"] == "2025-01"
    january, february = doc["months"][0], doc["months"][1]
    assert january["months_covered"] == 1 and january["index"] == 100.0
    assert february["months_covered"] == 0 and february["index"] is None
    csv = client.get(f"/api/councils/{sc.trafford}/seasons?format=csv", headers=bearer(tokens["token"]))
    assert pd.read_csv(io.StringIO(csv.text))["month"].tolist() == list(range(1, 13))


def test_seasonal_index_on_a_known_series() -> None:
    """Two years of January = 150 and 90, every other month 100: the annual mean is
    (150 + 90 + 22 × 100) / 24 = 101.67; January's mean 120 → index 118.0."""
    months = pd.period_range("2024-01", "2025-12", freq="M")
    counts = [150.0 if m.month == 1 and m.year == 2024 else 90.0 if m.month == 1 else 100.0 for m in months]
    table = seasonal_table(pd.Series(counts, index=[m.to_timestamp().date() for m in months]))
    annual = (150 + 90 + 22 * 100) / 24
    assert table.loc[0, "month_mean"] == 120.0 and table.loc[0, "months_covered"] == 2
    assert table.loc[0, "index"] == pytest.approx(100 * 120 / annual)
    assert table.loc[5, "index"] == pytest.approx(100 * 100 / annual)


def test_migration_z_by_hand() -> None:
    """Telephone 600 of 1,000 contacts, then 500 of 1,000: p1 = .6, p2 = .5, pooled .55;
    se = √(.55 × .45 × (1/1000 + 1/1000)) = .022249; z = −.1 / .022249 = −4.495: beyond noise.
    Then 60 of 100 and 55 of 100: z = −.05 / √(.575 × .425 × .02) = −0.715: noise."""
    t = migration_test({"telephone": 600, "web": 400}, {"telephone": 500, "web": 500}).set_index("channel")
    assert t.loc["telephone", "change_points"] == pytest.approx(-10.0)
    assert t.loc["telephone", "z"] == pytest.approx(-0.1 / (0.55 * 0.45 * 0.002) ** 0.5)
    assert bool(t.loc["telephone", "significant"]) is True
    small = migration_test({"telephone": 60, "web": 40}, {"telephone": 55, "web": 45}).set_index("channel")
    assert small.loc["telephone", "z"] == pytest.approx(-0.05 / (0.575 * 0.425 * 0.02) ** 0.5)
    assert bool(small.loc["telephone", "significant"]) is False


def test_migration_route_periods_and_errors(client: TestClient, world_store) -> None:  # noqa: F811
    _, sc, tokens = world_store
    path = f"/api/councils/{sc.trafford}/channels/migration"
    both = "from1=2024-01-01&to1=2024-12-31&from2=2025-01-01&to2=2025-12-31"
    doc = client.get(f"{path}?{both}", headers=bearer(tokens["token"])).json()
    assert doc["periods"] == [
        {"from": "2024-01-01", "to": "2024-12-31"},
        {"from": "2025-01-01", "to": "2025-12-31"},
    ]
    assert doc["contacts"][0] in (0, 0.0) and doc["overall"] == []  # nothing in 2024: nothing to test
    assert all(c["tested"] is False for c in doc["classes"])
    backwards = client.get(
        f"{path}?from1=2025-01-01&to1=2024-01-01&from2=2025-01-01&to2=2025-12-31",
        headers=bearer(tokens["token"]),
    )
    assert backwards.status_code == 400 and "period 1" in backwards.json()["detail"]
    assert client.get(f"{path}?{both}").status_code == 401
    assert client.get(f"{path}?{both}", headers=bearer(tokens["other"])).status_code == 403
    assert client.get(f"{path}?from1=x&to1=2024-01-01&from2=2025-01-01&to2=2025-12-31").status_code in (
        401,
        422,
    )


@pytest.mark.parametrize("route", ["channels", "seasons"])
def test_channel_routes_need_the_councils_token(client: TestClient, world_store, route: str) -> None:  # noqa: F811
    _, sc, tokens = world_store
    assert client.get(f"/api/councils/{sc.trafford}/{route}").status_code == 401
    assert (
        client.get(f"/api/councils/{sc.trafford}/{route}", headers=bearer(tokens["other"])).status_code == 403
    )
