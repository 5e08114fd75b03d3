"""The compact derived tables read back through the store's views as the long forms they stand for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from derive.derived import compositions, demand_tables
from derive.pipeline import write_demand, write_derived
from geo.composition import aggregate, base_composition, tier_lookup
from geo.predominant import predominant

FINEST = ["1a1", "1a2", "1b1", "2a1", "2b1", "2b2"]


def _example():
    rng = np.random.default_rng(11)
    classes = pd.DataFrame(
        [("1", "supergroup", None), ("2", "supergroup", None)]
        + [(g, "group", g[0]) for g in ["1a", "1b", "2a", "2b"]]
        + [(c, "subgroup", c[:2]) for c in FINEST],
        columns=["code", "tier", "parent_code"],
    )
    lookup = tier_lookup(classes, ["supergroup", "group", "subgroup"])
    codes = [f"o{i:03d}" for i in range(120)]
    area_class = pd.DataFrame({"area_code": codes, "class_code": rng.choice(FINEST, len(codes))})
    households = pd.Series(rng.integers(0, 40, len(codes)).astype(float), index=codes)
    parent = pd.Series([f"W{i // 9:02d}" for i in range(len(codes))], index=codes)
    return area_class, households, lookup, parent


def test_views_spread_the_compact_tables_into_the_long_forms(writer) -> None:
    area_class, households, lookup, parent = _example()
    derived = compositions(area_class, households, lookup, "oa", {"ward": parent}, {}, 0.1)
    propensity = pd.DataFrame({7: [50.0, 80.0, 100.0, 120.0, 150.0, 200.0], 9: [100.0] * 6}, index=FINEST)
    tables = demand_tables(derived, "subgroup", propensity, {}, 110.0, 90.0)
    with writer.transaction() as tx:
        write_derived(tx, "c", derived)
        write_demand(tx, "c", tables)
    comp = writer.read_frame("SELECT level, code, tier, class_code, households FROM composition")
    pred = writer.read_frame("SELECT * FROM predominant WHERE level = 'ward'")
    base_pred = writer.read_frame("SELECT * FROM predominant WHERE level = 'oa'")
    demand = writer.read_frame("SELECT * FROM demand WHERE level = 'ward' ORDER BY code, lgsl")

    base = base_composition(area_class, households, lookup)
    wards = aggregate(base, parent)
    key = ["level", "code", "tier", "class_code"]
    expect = pd.concat([base.assign(level="oa"), wards.assign(level="ward")])
    pd.testing.assert_frame_equal(
        comp.sort_values(key).reset_index(drop=True)[expect.columns],
        expect.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    slow = predominant(wards, mixed_margin=0.1)
    cols = ["code", "tier", "class_code", "households", "share", "margin", "mixed"]
    # ``households`` is every household of the area, the leading class's is ``class_households``
    totals = wards[wards["tier"] == "supergroup"].groupby("code")["households"].sum()
    assert np.allclose(pred["households"], pred["code"].map(totals))
    pred = pred.drop(columns="households").rename(columns={"class_households": "households"})
    pd.testing.assert_frame_equal(
        pred.sort_values(["code", "tier"]).reset_index(drop=True)[cols],
        slow.sort_values(["code", "tier"]).reset_index(drop=True)[cols],
        check_dtype=False,
    )
    # a base area leads with its one class: share and margin 1, never mixed, no runner-up
    assert len(base_pred) == 3 * int((households > 0).sum())
    assert set(base_pred["share"]) == {1.0} and set(base_pred["margin"]) == {1.0}
    assert not base_pred["mixed"].any() and base_pred["runner_up_code"].isna().all()

    # demand = households per class × propensity / 100; index against all base areas
    mix = wards.pivot_table(index="code", columns="class_code", values="households", aggfunc="sum")
    mix = mix.loc[:, [c for c in mix.columns if c in FINEST]].reindex(columns=FINEST).fillna(0.0)
    by_class = base[base["tier"] == "subgroup"].groupby("class_code")["households"].sum().reindex(FINEST)
    for lgsl in (7, 9):
        rate = propensity[lgsl] / 100.0
        expected = mix @ rate
        ref = float(by_class @ rate) / float(by_class.sum())
        index = 100.0 * (expected / mix.sum(axis=1)) / ref
        got = demand[demand["lgsl"] == lgsl].set_index("code")
        assert np.allclose(got["expected"], expected.reindex(got.index))
        assert np.allclose(got["demand_index"], index.reindex(got.index))
        bands = np.where(index >= 110, "high", np.where(index <= 90, "low", "medium"))
        assert got["band"].tolist() == pd.Series(bands, index=index.index).reindex(got.index).tolist()
    assert (demand[demand["lgsl"] == 9]["demand_index"].round(9) == 100.0).all()
