"""The model's formulas checked against hand-worked numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import classify, demand, profiling, propensity, similarity
from geo.composition import aggregate, base_composition, tier_lookup
from geo.describe import Indicator, describe, name_from_centre
from geo.predominant import predominant


def test_byker_index_and_penetration() -> None:
    # Byker ward customers against Newcastle households, one supergroup (GUIDE worked check)
    index = profiling.profile_index([4227], [29603], customers_total=5996, base_total=119048)
    assert round(float(index[0]), 1) == 283.5
    assert round(float(index[0])) == 284
    assert round(float(profiling.penetration([4227], [29603])[0]), 2) == 14.28


CLASSES = pd.DataFrame(
    {
        "code": ["1", "2", "1a", "1b", "2a"],
        "tier": ["supergroup", "supergroup", "group", "group", "group"],
        "parent_code": [None, None, "1", "1", "2"],
    }
)


def test_composition_and_predominant_by_hand() -> None:
    lookup = tier_lookup(CLASSES, ["supergroup", "group"])
    area_class = pd.DataFrame({"area_code": ["o1", "o2", "o3", "o4"], "class_code": ["1a", "1b", "2a", "2a"]})
    households = pd.Series({"o1": 100.0, "o2": 150.0, "o3": 120.0, "o4": 90.0})
    base = base_composition(area_class, households, lookup)
    ward = aggregate(base, pd.Series({"o1": "W", "o2": "W", "o3": "W", "o4": "W"}))
    sg = ward[ward["tier"] == "supergroup"].set_index("class_code")["households"]
    assert sg.to_dict() == {"1": 250.0, "2": 210.0}
    pred = predominant(ward, mixed_margin=0.1).set_index("tier")
    # supergroup 1 leads 250/460 against 210/460: margin 40/460 = 0.087 < 0.1, so mixed
    assert pred.loc["supergroup", "class_code"] == "1"
    assert pred.loc["supergroup", "share"] == pytest.approx(250 / 460)
    assert pred.loc["supergroup", "margin"] == pytest.approx(40 / 460)
    assert bool(pred.loc["supergroup", "mixed"])
    # at group level 2a (210) beats 1b (150): the leading group is not inside the leading supergroup
    assert pred.loc["group", "class_code"] == "2a"
    assert pred.loc["group", "runner_up_code"] == "1b"
    assert not bool(pred.loc["group", "mixed"])


def test_demand_is_the_matrix_product() -> None:
    h = np.array([[10.0, 0.0, 5.0], [2.0, 8.0, 0.0]])
    index = np.array([[120.0, 80.0], [50.0, 100.0], [200.0, 100.0]])
    e = demand.expected(h, demand.rates(index, 2.0))
    assert np.allclose(e, h @ (2.0 * index / 100.0))
    # reference: the two areas together score 100
    hh = h.sum(axis=1)
    idx = demand.demand_index(e[:, 0], hh, e[:, 0].sum(), hh.sum())
    assert np.average(idx, weights=hh) == pytest.approx(100.0)


def test_bands_and_edges() -> None:
    values = np.array([80.0, 90.0, 95.0, 109.9, 110.0, 130.0])
    edges = demand.band_edges(values, "thresholds", 110, 90)
    assert edges == [90.0, 110.0, 130.0]
    assert list(demand.assign_bands(values, edges, "thresholds")) == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]
    q = demand.band_edges(values, "quantiles")
    assert len(q) == 3 and q[-1] == 130.0
    nb = demand.band_edges(np.array([1.0, 1.1, 1.2, 5.0, 5.1, 9.0, 9.2]), "natural_breaks")
    assert nb == [1.2, 5.1, 9.2]


def test_hellinger_identity_symmetry_bounds() -> None:
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(6), size=20)
    q = rng.dirichlet(np.ones(6), size=20)
    assert np.allclose(similarity.hellinger(p, p), 0.0)
    assert np.allclose(similarity.hellinger(p, q), similarity.hellinger(q, p))
    d = similarity.hellinger(p, q)
    assert np.all((d >= 0) & (d <= 1))
    disjoint = similarity.hellinger(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    assert float(disjoint) == pytest.approx(1.0)
    # the fast expanded form used for queries agrees with the definition
    assert np.allclose(similarity.distances(q, p[0]), similarity.hellinger(q, p[0]))
    near = similarity.nearest(np.vstack([p[0], p[0], q[0]]), ["a", "b", "c"], 0, k=2)
    assert near[0]["code"] == "b" and near[0]["similarity"] == pytest.approx(100.0)


def test_propensity_hand_worked() -> None:
    # households 100 and 300, driver shares 0.1 and 0.3: overall mean 0.25 → A 40, B 120
    values = pd.Series({"a1": 0.1, "b1": 0.3})
    weights = pd.Series({"a1": 100.0, "b1": 300.0})
    classes = pd.Series({"a1": "A", "b1": "B"})
    index = propensity.propensity({"x": values}, {"x": 1.0}, weights, classes)
    assert index.to_dict() == pytest.approx({"A": 40.0, "B": 120.0})
    # household-weighted indices average 100
    assert (index * pd.Series({"A": 100.0, "B": 300.0})).sum() / 400 == pytest.approx(100.0)
    two = propensity.propensity(
        {"x": values, "y": pd.Series({"a1": 0.5, "b1": 0.5})}, {"x": 3, "y": 1}, weights, classes
    )
    assert two["A"] == pytest.approx(0.75 * 40 + 0.25 * 100)


def _toy_regions(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {"a": rng.random(n) * 30, "b": rng.random(n) * 20, "c": rng.lognormal(4, 1, n)},
        index=[f"R{i:03d}" for i in range(n)],
    )


def test_oac_method_is_reproducible_and_hierarchical() -> None:
    prepared = classify.prepare(_toy_regions())
    assert prepared.min().min() == 0.0 and prepared.max().max() == 1.0
    one = classify.build_hierarchy(prepared, 4, 3, starts=20, seed=11)
    two = classify.build_hierarchy(prepared, 4, 3, starts=20, seed=11)
    assert one.group.equals(two.group) and one.wcss == two.wcss
    assert all(g.startswith(s) for s, g in zip(one.supergroup, one.group, strict=True))
    assert one.wcss["groups"] < one.wcss["supergroups"]


def test_elbow_and_imputation() -> None:
    assert classify.elbow({2: 100.0, 3: 50.0, 4: 45.0, 5: 42.0}) == 3
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0, 10.0]}, index=["AT1", "AT2", "AT3", "BE1"])
    filled, n = classify.impute_by_group(frame, pd.Series(frame.index.str[:2], index=frame.index))
    assert n == 1 and filled.loc["AT2", "x"] == 2.0


def test_descriptions_name_the_distinctive_indicators() -> None:
    inds = [Indicator("rent", "more rent", "fewer rent"), Indicator("cars", "more cars", "fewer cars")]
    text = describe(
        pd.Series({"rent": 0.4, "cars": 0.5}),
        pd.Series({"rent": 0.2, "cars": 0.51}),
        inds,
        "10 households.",
        "the average",
    )
    assert "more rent (40% against 20%)" in text and "cars" not in text
    name = name_from_centre(
        {"d": 3.0, "o": 0.0},
        {"d": 0.0, "o": 0.0},
        {"d": 1.0, "o": 1.0},
        {"d": ("dense", "sparse"), "o": ("older", "younger")},
    )
    assert name == "Dense"


def test_quantile_edges_match_mapclassify() -> None:
    import mapclassify

    values = np.random.default_rng(5).normal(100, 15, 500)
    assert demand.band_edges(values, "quantiles") == pytest.approx(
        list(mapclassify.Quantiles(values, k=3).bins)
    )


def test_matrix_compositions_equal_the_long_form() -> None:
    """The sparse rebuild gives the same compositions and predominant classes as the long form."""
    from derive.derived import compositions
    from geo.composition import aggregate, base_composition

    rng = np.random.default_rng(7)
    finest = ["1a1", "1a2", "1b1", "2a1", "2b1", "2b2"]
    classes = pd.DataFrame(
        [("1", "supergroup", None), ("2", "supergroup", None)]
        + [(g, "group", g[0]) for g in ["1a", "1b", "2a", "2b"]]
        + [(c, "subgroup", c[:2]) for c in finest],
        columns=["code", "tier", "parent_code"],
    )
    lookup = tier_lookup(classes, ["supergroup", "group", "subgroup"])
    codes = [f"o{i:03d}" for i in range(200)]
    area_class = pd.DataFrame({"area_code": codes, "class_code": rng.choice(finest, 200)})
    households = pd.Series(rng.integers(0, 50, 200).astype(float), index=codes)
    parent = pd.Series([f"W{i // 7:02d}" for i in range(200)], index=codes)
    fast = compositions(area_class, households, lookup, "oa", {"ward": parent}, {}, 0.1)
    base = base_composition(area_class, households, lookup)
    slow = pd.concat([base.assign(level="oa"), aggregate(base, parent).assign(level="ward")])
    key = ["level", "code", "tier", "class_code"]
    got = fast.composition().sort_values(key).reset_index(drop=True)[slow.columns]
    pd.testing.assert_frame_equal(got, slow.sort_values(key).reset_index(drop=True), check_dtype=False)
    ward = fast.predominant[fast.predominant["level"] == "ward"].drop(columns=["level", "households"])
    ward = ward.rename(columns={"class_households": "households"})  # the leading class's, as geo names it
    expect = predominant(aggregate(base, parent), mixed_margin=0.1)
    key = ["code", "tier"]
    got = ward.sort_values(key).reset_index(drop=True)[expect.columns]
    pd.testing.assert_frame_equal(
        got.fillna({"runner_up_code": ""}),
        expect.sort_values(key).reset_index(drop=True).fillna({"runner_up_code": ""}),
        check_dtype=False,
    )
