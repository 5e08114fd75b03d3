"""Profile, take-up, funnel and disclosure statistics checked against hand-worked numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo import disclosure, profiling, takeup


def test_byker_worked_example() -> None:
    # Byker ward customers against Newcastle households, one supergroup (GUIDE §1)
    c, b, big_c, big_b = 4227, 29603, 5996, 119048
    index = profiling.profile_index([c], [b], big_c, big_b)[0]
    assert round(index, 1) == 283.5 and round(index) == 284
    assert round(float(profiling.penetration([c], [b])[0]), 2) == 14.28
    # z by hand: p_c = 0.704970, p_b = 0.248664, se = sqrt(p_b (1 - p_b) / C) = 0.0055820
    p_c, p_b = c / big_c, b / big_b
    assert profiling.z_score([c], [b], big_c, big_b)[0] == pytest.approx(
        (p_c - p_b) / math.sqrt(p_b * (1 - p_b) / big_c)
    )
    assert profiling.z_score([c], [b], big_c, big_b)[0] == pytest.approx(81.75, abs=0.01)
    lo, hi = profiling.index_interval([c], [b], big_c, big_b)
    # Wilson 95 % of 4227/5996 by hand: centre 0.705290, half-width 0.011548, / 1.000641
    # -> [0.693298, 0.716379]; divided by q = 0.248664
    assert lo[0] == pytest.approx(100 * 0.693298 / p_b, abs=0.01)
    assert hi[0] == pytest.approx(100 * 0.716379 / p_b, abs=0.01)
    assert lo[0] < index < hi[0]
    assert profiling.wording(index) == "2.8× more likely"


def test_wilson_interval_known_values() -> None:
    lo, hi = profiling.wilson_interval([0, 5, 10], 10)
    # textbook values: 0/10 -> [0, 0.2775], 5/10 -> [0.2366, 0.7634], 10/10 -> [0.7225, 1]
    assert lo == pytest.approx([0.0, 0.2366, 0.7225], abs=1e-4)
    assert hi == pytest.approx([0.2775, 0.7634, 1.0], abs=1e-4)
    with pytest.raises(ValueError, match="exceed"):
        profiling.wilson_interval([11], 10)


def test_wording() -> None:
    assert profiling.wording(310) == "3.1× more likely"
    assert profiling.wording(54) == "46 % below average"
    assert profiling.wording(125.4) == "25 % above average"
    assert profiling.wording(100.3) == "about average"
    assert profiling.wording(0) == "none"
    assert profiling.wording(float("nan")) is None
    assert profiling.wording(None) is None


def test_profile_table_by_hand() -> None:
    customers = pd.Series({"1": 30.0, "2": 10.0})
    base = pd.Series({"1": 100.0, "2": 300.0, "3": 0.0})
    t = profiling.profile_table(customers, base)
    # C = 40, B = 400: index 1 = 100 (30/40)/(100/400) = 300; index 2 = 100 (10/40)/(300/400) = 33.3
    assert t.loc["1", "index"] == pytest.approx(300.0)
    assert t.loc["2", "index"] == pytest.approx(100 / 3)
    assert t.loc["1", "penetration"] == pytest.approx(30.0)
    assert t.loc["1", "wording"] == "3.0× more likely"
    assert t.loc["2", "wording"] == "67 % below average"
    assert bool(t.loc["1", "significant"]) and bool(t.loc["2", "significant"])
    assert np.isnan(t.loc["3", "index"]) and pd.isna(t.loc["3", "wording"])
    assert t.loc["1", "index_low"] < 300 < t.loc["1", "index_high"]


def test_expected_counts_with_own_rates_add_up() -> None:
    # two classes; the base: class a 100 households, class b 300; customers 30 and 10
    h = np.array([[60.0, 100.0], [40.0, 200.0]])  # two areas
    idx = profiling.profile_index([30, 10], [100, 300])
    e = takeup.expected_counts(h, 40, 400, idx)
    # own rates 0.3 and 1/30: area 1 = 60*0.3 + 100/30 = 21.333, area 2 = 12 + 6.667 = 18.667
    assert e == pytest.approx([18 + 100 / 30, 12 + 200 / 30])
    assert e.sum() == pytest.approx(40)
    assert takeup.class_rates([30, 10], [100, 300]) == pytest.approx([0.3, 1 / 30])


def test_funnel_limits() -> None:
    # normal limits for large E: 100 (1 ± 1.96/√400) = 90.2 .. 109.8
    lo, hi = takeup.funnel_limits([400.0], 0.95)
    assert lo[0] == pytest.approx(100 * (1 - 1.959964 / 20), abs=1e-3)
    assert hi[0] == pytest.approx(100 * (1 + 1.959964 / 20), abs=1e-3)
    lo, hi = takeup.funnel_limits([400.0], 0.998)
    assert hi[0] == pytest.approx(100 * (1 + 3.090232 / 20), abs=1e-3)
    # exact Poisson for E = 1: F(2) = 0.91970, F(3) = 0.98101; upper 97.5 % quantile
    # 3 - (0.98101 - 0.975) / (0.98101 - 0.91970) = 2.902 -> index 290.2
    lo, hi = takeup.funnel_limits([1.0], 0.95)
    assert hi[0] == pytest.approx(290.2, abs=0.1)
    assert lo[0] >= 0  # the normal limit would be 100 (1 - 1.96) < 0
    assert takeup.two_sided_z(0.998) == pytest.approx(3.0902, abs=1e-4)


def test_funnel_position() -> None:
    pos = takeup.funnel_position([100.0, 115.0, 200.0, 50.0, float("nan")], [400, 400, 400, 400, 1])
    # limits at E = 400: 95 % 90.2..109.8, 99.8 % 84.5..115.5
    assert pos == ["within", "above 95 %", "above 99.8 %", "below 99.8 %", None]
    curve = takeup.funnel_curve(500)
    assert set(curve) == {"expected", "lower_95", "upper_95", "lower_99.8", "upper_99.8"}
    assert np.all(curve["upper_99.8"] >= curve["upper_95"])


def test_primary_and_secondary_suppression() -> None:
    # total 20 shown; cells 3, 10, 7: 3 suppressed, so the next smallest (7) goes too
    values = [20, 3, 10, 7]
    mask = disclosure.suppress_table(values, [(0, [1, 2, 3])])
    assert mask.tolist() == [False, True, False, True]
    # 0 is shown, 1..5 suppressed
    assert disclosure.primary_mask([0, 1, 5, 6]).tolist() == [False, True, True, False]
    # no shown total: no secondary suppression
    assert disclosure.secondary_mask(values, [False, True, False, False], []).tolist() == [
        False,
        True,
        False,
        False,
    ]


def test_secondary_suppression_through_a_hierarchy() -> None:
    # grand total 0; supergroups A (1), B (2); groups a1, a2 under A, b1, b2 under B
    codes = ["A", "B", "a1", "a2", "b1", "b2"]
    parents = [None, None, "A", "A", "B", "B"]
    values = [60, 30, 30, 4, 26, 15, 15]
    cons = disclosure.hierarchy_constraints(codes, parents)
    assert (0, [1, 2]) in cons and (1, [3, 4]) in cons and (2, [5, 6]) in cons
    mask = disclosure.suppress_table(values, cons)
    # a1 = 4 is suppressed; A = 30 is shown, so a2 (26) goes; nothing else needs to
    assert mask.tolist() == [False, False, False, True, True, False, False]
    # a chain: a suppression made for one sum leaves another with one suppressed entry
    values = [40, 20, 20, 3, 17, 10, 10]
    cons = [(0, [1, 2]), (1, [3, 4]), (2, [5, 6]), (None, [4, 6])]
    mask = disclosure.suppress_table(values, cons)
    assert mask[3] and mask[4] and mask[6] and mask[5]


def test_locked_entries_are_never_chosen() -> None:
    # LSOA 12 = OA 3 + OA 9 + records named at the LSOA (0, known): OA 3 is suppressed and the
    # next smallest is the other OA, never the known part
    values = [12, 3, 9, 0]
    mask = disclosure.secondary_mask(
        values, [False, True, False, False], [(0, [1, 2, 3])], locked=[False, False, False, True]
    )
    assert mask.tolist() == [False, True, True, False]
