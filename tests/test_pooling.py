"""Councils' records pooled into observed propensities that replace the modelled ones in the
public demand model, UK and (transferred by class) Europe; thresholds met exactly, and not one
record below; suppression. Pure statistics first, then the store of both backends."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import math
import uuid

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.main import create_app
from cli.main import cli
from cli.pool import run_pool
from core.settings import Settings
from core.store import open_reader, open_writer
from core.store.queries import pooling as qp
from core.store.queries import profiles as q
from derive import pooling as derive_pooling
from geo import pooling
from records import access
from tests.conftest import SYNTHETIC_EUROPE_STARTS, new_store_url

TRAFFORD, MANCHESTER, LEEDS = "E08000009", "E08000003", "E08000035"
POOLED = 280  # concessionary bus passes: modelled for the UK and for Europe
SPARSE = 279  # Blue Badges: two councils only, stays modelled
UK = "oac2021"
EUROPE = "eunuts3"
TIERS = {"supergroup": 1, "group": 2, "subgroup": 3}


# --- pure statistics ------------------------------------------------------------------------
def test_pool_sums_counts_not_indices() -> None:
    # council x: A 20/500, B 4/800; council y: A 10/500, B 6/200. Pooled A 30/1000, B 10/1000,
    # overall 40/2000: A = 100 × 0.03 / 0.02 = 150, B = 50. Averaging the councils' own
    # indices would give A = (100 × (20/24)/(500/1300) + 100 × (10/16)/(500/700)) / 2 = 152.1.
    frame = pd.DataFrame(
        {
            "council": ["x", "x", "y", "y"],
            "class_code": ["A", "B", "A", "B"],
            "customers": [20.0, 4.0, 10.0, 6.0],
            "households": [500.0, 800.0, 500.0, 200.0],
        }
    )
    out = pooling.pool(frame)
    assert out.loc["A", "index"] == pytest.approx(150.0)
    assert out.loc["B", "index"] == pytest.approx(50.0)
    assert list(out["councils"]) == [2, 2]
    assert out.loc["A", "index_low"] < 150 < out.loc["A", "index_high"]
    assert not out["suppressed"].any()


def test_pool_suppresses_small_counts_and_the_next_smallest() -> None:
    frame = pd.DataFrame(
        {
            "council": ["x"] * 4,
            "class_code": ["A", "B", "C", "D"],
            "customers": [3.0, 40.0, 9.0, 0.0],
            "households": [100.0, 400.0, 300.0, 200.0],
        }
    )
    out = pooling.pool(frame)
    # A (3) is primary; C (9) the next smallest non-zero class; D has 0 customers (shown, index 0)
    assert list(out["suppressed"]) == [True, False, True, False]
    assert math.isnan(out.loc["A", "index"]) and math.isnan(out.loc["C", "index"])
    assert out.loc["D", "index"] == 0.0
    used = pooling.replace_modelled(pd.Series({"A": 80.0, "B": 90.0, "C": 110.0, "D": 120.0}), out)
    assert list(used["source"]) == ["modelled", "observed", "modelled", "observed"]
    assert used.loc["A", "used"] == 80.0 and used.loc["D", "used"] == 0.0


def test_a_class_of_one_council_keeps_its_modelled_value() -> None:
    # class C is only in council y's districts: its pooled count would be y's own
    frame = pd.DataFrame(
        {
            "council": ["x", "x", "y", "y", "y"],
            "class_code": ["A", "B", "A", "B", "C"],
            "customers": [20.0, 30.0, 25.0, 15.0, 40.0],
            "households": [500.0, 800.0, 500.0, 200.0, 300.0],
        }
    )
    out = pooling.pool(frame, min_councils=2)
    assert list(out["councils"]) == [2, 2, 1]
    assert list(out["few_councils"]) == [False, False, True]
    assert math.isnan(out.loc["C", "index"])
    # A: 45/1000 against 130/2300 overall
    assert out.loc["A", "index"] == pytest.approx(100 * (45 / 1000) / (130 / 2300))


@pytest.mark.parametrize(
    ("councils", "records", "expected"),
    [(3, 1000, True), (3, 999, False), (2, 1000, False), (10, 50_000, True)],
)
def test_thresholds(councils: int, records: int, expected: bool) -> None:
    assert pooling.eligible(councils, records, 3, 1000) is expected


def test_europe_transfer_by_class_hand_made() -> None:
    # UK regions: UKA1 (class g1) 60/1000, UKA2 (g1) 40/1000, UKB1 (g2) 20/2000; overall
    # 120/4000 = 0.03. g1: 100/2000 = 0.05 → 166.67; g2: 0.01 → 33.33. g3 only on the
    # continent: no UK region, a warning, no index.
    uk = pd.DataFrame(
        {"customers": [60.0, 40.0, 20.0], "households": [1000.0, 1000.0, 2000.0]},
        index=["UKA1", "UKA2", "UKB1"],
    )
    classes = pd.Series({"UKA1": "g1", "UKA2": "g1", "UKB1": "g2", "FR10": "g1", "DE11": "g3", "ES30": "g2"})
    out = pooling.transfer_by_class(uk, classes)
    assert list(out.index) == ["g1", "g2", "g3"]
    assert out.loc["g1", "index"] == pytest.approx(100 * 0.05 / 0.03)
    assert out.loc["g2", "index"] == pytest.approx(100 * 0.01 / 0.03)
    assert list(out["uk_regions"]) == [2, 1, 0]
    assert math.isnan(out.loc["g3", "index"])
    assert "no UK region" in out.loc["g3", "warning"]
    assert pd.isna(out.loc["g1", "warning"])
    # a UK region with 1 to 5 customers in its class keeps the modelled value, with a warning
    small = pooling.transfer_by_class(uk.assign(customers=[60.0, 40.0, 4.0]), classes)
    assert math.isnan(small.loc["g2", "index"]) and "too few" in small.loc["g2", "warning"]


# --- the store, both backends -----------------------------------------------------------------
class Councils:
    """Three councils covering the generated Trafford (whose output areas all have boundaries
    and classes), each with its own records of ``POOLED`` in every output area (6 + (i + k)
    mod 7 contacts for council k; subgroup 3a1: 3 contacts in one area of the first council,
    none elsewhere), and ``SPARSE`` from two of them. Each council's base is its district's
    households, so the pooled base of a class is three times Trafford's."""

    def __init__(self, world) -> None:
        oas = world.oas[world.oas["lad"] == TRAFFORD].sort_values("code").reset_index(drop=True)
        self.oas = oas
        self.ids = [f"pool{k}-{uuid.uuid4().hex[:6]}" for k in range(3)]
        self.contacts = {}
        seen_3a1 = False
        for k, cid in enumerate(self.ids):
            counts = []
            for i, row in oas.iterrows():
                n = 6 + (int(i) + k) % 7
                if row["subgroup"] == "3a1":
                    n, seen_3a1 = (0, True) if seen_3a1 else (3, True)
                counts.append(n)
            self.contacts[cid] = pd.Series(counts, index=oas["code"].to_numpy())
        self.total = int(sum(c.sum() for c in self.contacts.values()))
        self.modelled: dict[tuple[int, str, str], float] = {}
        self.lines: list[str] = []

    def rows(self, upload: str, cid: str) -> list[q.ServiceCountInsert]:
        month = dt.date(2025, 3, 1)
        out = [
            q.ServiceCountInsert(upload, cid, "oa", code, POOLED, "web", month, -1, int(n))
            for code, n in self.contacts[cid].items()
            if n > 0
        ]
        if cid != self.ids[-1]:
            out += [
                q.ServiceCountInsert(upload, cid, "oa", code, SPARSE, "telephone", month, -1, 50)
                for code in self.contacts[cid].index
            ]
        return out

    def by_class(self, tier: str) -> pd.DataFrame:
        cls = self.oas["subgroup"].str[: TIERS[tier]].to_numpy()
        customers = sum(c.to_numpy() for c in self.contacts.values())
        return pd.DataFrame(
            {
                "customers": pd.Series(customers, dtype=float).groupby(cls).sum(),
                "households": 3 * self.oas["households"].astype(float).groupby(cls).sum(),
            }
        )


async def _fill(settings: Settings, councils: Councils) -> None:
    store = await open_reader(settings)
    try:
        for cid in councils.ids:
            await access.create_council(store, f"Council {cid}", [TRAFFORD], cid)
            upload = f"u-{uuid.uuid4().hex[:8]}"
            async with store.unit_of_work() as uow:
                await uow.execute(
                    q.insert_upload(
                        upload_id=upload,
                        council_id=cid,
                        content_hash=upload,
                        source_name="records.csv",
                        synthetic=True,
                        rows=100,
                    )
                )
                for statement in q.insert_service_counts(councils.rows(upload, cid)):
                    await uow.execute(statement)
    finally:
        await store.close()


async def _read(settings: Settings, query) -> pd.DataFrame:
    store = await open_reader(settings)
    try:
        return pd.DataFrame(await store.fetch(query))
    finally:
        await store.close()


@pytest.fixture(scope="module", params=["duckdb", "postgis"])
def pooled_store(request, synthetic, tmp_path_factory):
    """A store of its own (generated sources, built), three councils' records, pooled (the
    modelled propensities read before pooling are kept on ``councils.modelled``)."""
    from cli.demo import build_demo

    backend = request.param
    admin = request.getfixturevalue("pg_admin_url") if backend == "postgis" else None
    url = new_store_url(backend, tmp_path_factory.mktemp(f"pool-{backend}"), admin)
    settings = Settings(database_url=url, data_dir=synthetic.root, europe_starts=SYNTHETIC_EUROPE_STARTS)
    build_demo(settings)
    # the district → NUTS3 links the transfer to Europe needs, by location (as on a real store)
    env = {"INSIGHT_DATABASE_URL": url, "INSIGHT_DATA_DIR": str(synthetic.root)}
    linked = CliRunner().invoke(cli, ["load", "hierarchy"], env=env)
    assert linked.exit_code == 0, linked.output
    councils = Councils(synthetic)
    asyncio.run(_fill(settings, councils))
    assert asyncio.run(_read(settings, qp.stored(UK))).empty
    councils.modelled = _propensities(settings)  # before pooling
    councils.lines = run_pool(settings.model_copy(update={"pooling_min_records": councils.total}))
    return settings, councils


def test_thresholds_met_exactly_and_not_one_record_below(pooled_store) -> None:
    settings, councils = pooled_store
    exact = settings.model_copy(update={"pooling_min_records": councils.total})
    report = asyncio.run(derive_pooling.gather(exact))
    assert report.used == [POOLED], report.lines  # SPARSE has two councils only
    assert set(report.frame["lgsl"]) == {POOLED}
    assert set(report.frame["classification_id"]) == {UK, EUROPE}
    below = settings.model_copy(update={"pooling_min_records": councils.total + 1})
    report = asyncio.run(derive_pooling.gather(below))
    assert report.used == [] and report.frame.empty
    four = settings.model_copy(update={"pooling_min_councils": 4})
    assert asyncio.run(derive_pooling.gather(four)).used == []


def test_pooled_propensities_replace_the_modelled_ones(pooled_store) -> None:
    settings, councils = pooled_store
    modelled, lines = councils.modelled, councils.lines
    assert any(f"LGSL {POOLED}: 3 councils" in line and "pooled" in line for line in lines)
    doc = _service(settings, POOLED)
    uk = next(m for m in doc["models"] if m["classification_id"] == UK)
    ev = uk["evidence"]
    assert ev["used"] and ev["source"] == "observed" and ev["councils"] == 3
    assert ev["sample_size"] == councils.total and ev["synthetic"] and "synthetic" in ev["note"]
    assert ev["as_of"] == dt.date.today().isoformat()
    used = {(p["tier"], p["class_code"]): p for p in uk["propensity"]}
    evidence = {(c["tier"], c["class_code"]): c for c in ev["classes"]}
    for tier in TIERS:
        hand = councils.by_class(tier)
        big_c, big_b = hand["customers"].sum(), hand["households"].sum()
        small = hand[(hand["customers"] > 0) & (hand["customers"] < 6)].index
        shown = hand.drop(small)
        if len(small) == 1:  # the next smallest class is suppressed with it
            shown = shown.drop(shown[shown["customers"] > 0]["customers"].idxmin())
        for code, row in hand.iterrows():
            key = (tier, code)
            p, e = used[key], evidence[key]
            assert e["households"] == pytest.approx(row["households"], abs=0.05)
            assert e["modelled_index"] == pytest.approx(modelled[(POOLED, tier, code)], abs=0.01)
            if code in shown.index:
                index = 100 * (row["customers"] / big_c) / (row["households"] / big_b)
                assert p["source"] == "observed" and p["sample_size"] == councils.total
                assert p["index"] == pytest.approx(index, rel=1e-9)
                assert e["observed_index"] == pytest.approx(index, abs=0.01)
                assert e["customers"] == pytest.approx(row["customers"], abs=0.05)
                assert e["used"] == "observed"
            else:  # suppressed: modelled kept, count not shown
                assert p["source"] == "modelled"
                assert p["index"] == pytest.approx(modelled[(POOLED, tier, code)], rel=1e-9)
                assert e["suppressed"] and e["customers"] is None and e["observed_index"] is None
    assert ("subgroup", "3a1") in evidence and evidence[("subgroup", "3a1")]["suppressed"]
    # the service below the thresholds stays modelled, without evidence
    sparse = next(m for m in _service(settings, SPARSE)["models"] if m["classification_id"] == UK)
    assert sparse["evidence"] is None and {p["source"] for p in sparse["propensity"]} == {"modelled"}
    # the demand model follows: a base class's demand index is its propensity over the reference
    demand = asyncio.run(_read(settings, qp.class_demand(UK, POOLED)))
    finest = {c: used[("subgroup", c)]["index"] for c in demand["class_code"]}
    ratio = demand["demand_index"] / demand["class_code"].map(finest)
    assert np.allclose(ratio, ratio.iloc[0], rtol=1e-9)


def test_europe_takes_the_uk_evidence_by_class(pooled_store) -> None:
    # every council covers Trafford (UKD34): its Europe class holds the UK evidence (index 100,
    # one UK region, 3 × Trafford's households); every other class keeps its modelled value
    settings, councils = pooled_store
    doc = _service(settings, POOLED)
    eu = next(m for m in doc["models"] if m["classification_id"] == EUROPE)
    ev = eu["evidence"]
    assert ev is not None and ev["source"] == "observed in the UK, transferred by class"
    classes = asyncio.run(_read(settings, qp.region_classes(EUROPE)))
    used = {(p["tier"], p["class_code"]): p for p in eu["propensity"]}
    households = 3 * float(councils.oas["households"].sum())
    for tier, part in classes.groupby("tier"):
        mine = part.set_index("area_code")["class_code"]["UKD34"]
        rows = [c for c in ev["classes"] if c["tier"] == tier]
        assert {c["class_code"] for c in rows} == set(part["class_code"])
        for c in rows:
            p = used[(tier, c["class_code"])]
            if c["class_code"] == mine:
                assert c["observed_index"] == pytest.approx(100.0) and c["councils"] == 1
                assert c["customers"] == councils.total and c["households"] == pytest.approx(households)
                assert p["source"] == "observed in the UK, transferred by class" and p[
                    "index"
                ] == pytest.approx(100.0)
                assert c["warning"] is None
            else:
                assert c["councils"] == 0 and "no UK region" in c["warning"]
                assert c["observed_index"] is None
                assert p["source"] == "modelled" and p["index"] == pytest.approx(
                    c["modelled_index"], abs=0.01
                )


def test_the_answer_names_no_council(pooled_store) -> None:
    settings, councils = pooled_store
    text = str(_service(settings, POOLED))
    for cid in councils.ids:
        assert cid not in text


def test_propensities_json_and_csv_show_both(pooled_store) -> None:
    settings, councils = pooled_store
    with TestClient(create_app(settings)) as client:
        doc = client.get(f"/api/services/{POOLED}/propensities").json()
        answer = client.get(f"/api/services/{POOLED}/propensities?format=csv")
        meta = client.get(f"/api/services/{POOLED}/propensities?format=meta").json()
    assert doc["synthetic"] and "synthetic" in doc["note"]
    assert set(doc["sources"]) == {"modelled", "observed", "observed in the UK, transferred by class"}
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "format=meta" in answer.headers["link"] and meta["columns"][0] == "classification_id"
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == meta["columns"]
    by = {(r["classification_id"], r["class_code"]): r for r in rows}
    hidden = by[(UK, "3a1")]
    assert hidden["source"] == "modelled" and hidden["customers"] == "" and hidden["observed_index"] == ""
    shown = [r for r in rows if r["classification_id"] == UK and r["source"] == "observed"]
    assert shown and all(
        float(r["index"]) == pytest.approx(float(r["observed_index"]), abs=0.01) for r in shown
    )
    assert all(r["modelled_index"] != "" for r in rows)
    text = answer.text + str(doc)
    for cid in councils.ids:
        assert cid not in text


def test_the_map_legend_says_observed_where_evidence_is_used(pooled_store) -> None:
    settings, _ = pooled_store
    with TestClient(create_app(settings)) as client:
        used = client.get(f"/tiles/ward/legend.json?z=11&service={POOLED}").json()["service"]
        kept = client.get(f"/tiles/ward/legend.json?z=11&service={SPARSE}").json()["service"]
    assert (used["source"], used["modelled"]) == ("observed", False) and "observed" in used["note"]
    assert (kept["source"], kept["modelled"]) == ("modelled", True)


def test_councils_channel_mix_replaces_the_modelled_one(pooled_store) -> None:
    """The pooled contacts per class and channel give each class's assisted share; its index is
    that over the pooled share, replacing the modelled index for the classes covered."""
    from geo.channel_need import observed_index

    settings, _ = pooled_store
    with open_writer(settings) as w:
        pooled = w.read_frame(
            "SELECT class_code, channel, contacts, councils, records FROM pooled_channel WHERE classification_id = 'oac2021'"
        )
        classes = w.read_frame(
            "SELECT class_code, assisted_index, source FROM channel_need_class WHERE tier = 'subgroup'"
        ).set_index("class_code")
        areas = w.read_frame("SELECT source FROM channel_need")
    assert not pooled.empty and int(pooled["councils"].max()) >= 3
    counts = pooled.pivot_table(index="class_code", columns="channel", values="contacts", aggfunc="sum")
    expected, _ = observed_index(counts)
    for code, value in expected.items():
        assert classes.loc[code, "source"] == "observed"
        assert classes.loc[code, "assisted_index"] == pytest.approx(value)
    assert (classes.loc[~classes.index.isin(expected.index), "source"] == "modelled").all()
    assert set(areas["source"]) == {"observed"}
    # no class resting on a count of 1 to 5
    assert not ((pooled["contacts"] > 0) & (pooled["contacts"] < 6)).any()
    with TestClient(create_app(settings)) as client:
        model = client.get("/api/channels/model").json()
    assert model["evidence"]["used"] is True and model["modelled"] is False


def _service(settings: Settings, lgsl: int) -> dict:
    with TestClient(create_app(settings)) as client:
        answer = client.get(f"/api/services/{lgsl}")
        assert answer.status_code == 200, answer.text
        return answer.json()


def _propensities(settings: Settings) -> dict[tuple[int, str, str], float]:
    doc = _service(settings, POOLED)
    uk = next(m for m in doc["models"] if m["classification_id"] == UK)
    return {(POOLED, p["tier"], p["class_code"]): p["index"] for p in uk["propensity"]}


def test_insight_pool_one_record_short_goes_back_to_modelled(pooled_store) -> None:
    # the command line end to end (last in this module: it undoes the pooling above)
    settings, councils = pooled_store
    env = {
        "INSIGHT_DATABASE_URL": settings.database_url,
        "INSIGHT_POOLING_MIN_RECORDS": str(councils.total + 1),
    }
    result = CliRunner().invoke(cli, ["pool"], env=env)
    assert result.exit_code == 0, result.output
    assert f"LGSL {POOLED}: 3 councils, {councils.total:,} records — below the thresholds" in result.output
    assert asyncio.run(_read(settings, qp.stored(UK))).empty
    doc = _service(settings, POOLED)
    for m in doc["models"]:
        assert m["evidence"] is None
        assert {p["source"] for p in m["propensity"]} == {"modelled"}
