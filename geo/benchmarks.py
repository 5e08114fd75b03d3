"""A council against the other councils that uploaded the same service, without naming them.

A council's value is placed among the others' by its percentile (the share of the others
below it, ties counting half) beside their median and interquartile range; take-up is compared
as observed over expected demand, so big and small councils compare fairly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from geo._checks import non_negative


@dataclass(frozen=True)
class Placing:
    """Where one value stands among the others' values."""

    value: float
    percentile: float  # 0–100: the share of the others below it, ties counting half
    median: float
    q1: float
    q3: float
    others: int


def place(value: float, others: Sequence[float]) -> Placing:
    """The percentile of ``value`` among ``others``, and the others' median and quartiles.

    Quartiles are numpy's linear interpolation between order statistics.

    Examples
    --------
    >>> p = place(120.0, [80.0, 100.0, 110.0, 130.0])
    >>> p.percentile, p.median, p.q1, p.q3
    (75.0, 105.0, 95.0, 115.0)
    """
    v = np.asarray(others, dtype=float)
    if v.size == 0 or not np.all(np.isfinite(v)) or not np.isfinite(value):
        raise ValueError("a finite value and at least one finite other value are needed")
    below, tied = float((v < value).sum()), float((v == value).sum())
    q1, median, q3 = np.percentile(v, [25, 50, 75])
    return Placing(
        value, 100.0 * (below + tied / 2) / v.size, float(median), float(q1), float(q3), int(v.size)
    )


def takeup_indices(observed: Mapping[str, float], expected: Mapping[str, float]) -> dict[str, float]:
    """Each council's take-up against expectation, ``100 × (O_c / E_c) / (Σ O / Σ E)``: 100 is
    the take-up of all the contributing councils together.

    Examples
    --------
    >>> takeup_indices({"a": 50.0, "b": 150.0}, {"a": 100.0, "b": 100.0})
    {'a': 50.0, 'b': 150.0}
    """
    keys = [k for k in observed if k in expected and expected[k] > 0]
    o = non_negative([observed[k] for k in keys], "observed")
    e = non_negative([expected[k] for k in keys], "expected")
    if not keys or o.sum() <= 0:
        raise ValueError("no council with observed contacts and expected demand")
    pooled = o.sum() / e.sum()
    return {k: float(100.0 * (oi / ei) / pooled) for k, oi, ei in zip(keys, o, e, strict=True)}
