"""Take-up against what an area's make-up predicts, and the funnel plot that reads it safely.

Expected uses by indirect standardisation: ``E[a] = Σ_t b[a,t] (C / B) I_t / 100``, where
``b[a,t]`` are area a's households of class t, ``C / B`` the overall rate (customers per base
household) and ``I_t`` the class's index. With the council's own profile index
(``I_t = 100 (c_t/C)/(b_t/B)``) this is ``Σ_t b[a,t] c_t / b_t``: each class's own rate, so the
expected counts over the base add up to the observed total, and ``100 O / E`` says where an
area's take-up differs from what its households' classes predict.

Funnel plot (Spiegelhalter 2005): x = E, y = ``100 O / E``, control limits at 95 % and 99.8 %.
For large E the normal limits ``100 (1 ± z / √E)``; for small E exact Poisson limits
(the interpolated Poisson quantile of E), which stay above 0 and are not symmetric.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from geo._checks import non_negative

LEVELS = (0.95, 0.998)
EXACT_BELOW = 100.0  # expected count under which the limits are exact Poisson


def class_rates(customers, base) -> np.ndarray:
    """Customers per base household of each class, ``c_t / b_t`` (0 where the base is 0)."""
    c = non_negative(customers, "customers")
    b = non_negative(base, "base")
    if c.shape != b.shape:
        raise ValueError(f"customers {c.shape} and base {b.shape} differ in shape")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, c / b, 0.0)


def expected_counts(households, customers_total: float, base_total: float, index) -> np.ndarray:
    """Expected uses per area by indirect standardisation.

    Parameters
    ----------
    households : array-like, areas × classes
        ``b[a,t]``: households of each class in each area.
    customers_total, base_total : float
        ``C`` and ``B`` of the base the rates come from.
    index : array-like, classes
        ``I_t`` (100 = average); NaN (no base households) counts as 0.

    Returns
    -------
    numpy.ndarray
        ``E[a] = Σ_t b[a,t] (C / B) I_t / 100``.
    """
    h = non_negative(households, "households")
    if h.ndim != 2:
        raise ValueError("households must be areas × classes")
    idx = np.nan_to_num(np.asarray(index, dtype=float), nan=0.0)
    idx = non_negative(idx, "index")
    if h.shape[1] != idx.shape[0]:
        raise ValueError(f"households has {h.shape[1]} classes, index {idx.shape[0]}")
    if base_total <= 0:
        raise ValueError("base_total must be positive")
    return h @ (float(customers_total) / float(base_total) * idx / 100.0)


def two_sided_z(level: float) -> float:
    """Normal quantile of a two-sided level (1.96 for 0.95, 3.09 for 0.998)."""
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    return float(stats.norm.ppf(0.5 + level / 2))


def _poisson_limit(expected: np.ndarray, p: float) -> np.ndarray:
    """The interpolated p-quantile of Poisson(E): ``r - (F(r) - p) / (F(r) - F(r - 1))``."""
    r = stats.poisson.ppf(p, expected)
    f_r = stats.poisson.cdf(r, expected)
    f_prev = stats.poisson.cdf(r - 1, expected)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(f_r > f_prev, (f_r - p) / (f_r - f_prev), 0.0)
    return np.maximum(r - alpha, 0.0)


def funnel_limits(expected, level: float, exact_below: float = EXACT_BELOW) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits of ``100 O / E`` at each expected count.

    Parameters
    ----------
    expected : array-like
        Expected counts E (positive).
    level : float
        Two-sided level, e.g. 0.95 or 0.998.
    exact_below : float, default 100
        Under this E the limits are exact (interpolated) Poisson quantiles; from it on the
        normal limits ``100 (1 ± z / √E)``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits on the index scale (100 = as expected); NaN where E is 0.
    """
    e = non_negative(expected, "expected")
    z = two_sided_z(level)
    tail = (1 - level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(e > 0, 100.0 * (1 - z / np.sqrt(e)), np.nan)
        hi = np.where(e > 0, 100.0 * (1 + z / np.sqrt(e)), np.nan)
        small = (e > 0) & (e < exact_below)
        if np.any(small):
            es = e[small]
            lo[small] = 100.0 * _poisson_limit(es, tail) / es
            hi[small] = 100.0 * _poisson_limit(es, 1 - tail) / es
    return np.maximum(lo, 0.0), hi


def funnel_position(index, expected, levels=LEVELS) -> list[str | None]:
    """Where each point falls: ``"within"``, or ``"above 95 %"``/``"below 99.8 %"`` etc.

    The widest limit crossed is named; None where the index or E is missing.
    """
    idx = np.asarray(index, dtype=float)
    e = np.asarray(expected, dtype=float)
    out: list[str | None] = [
        None if not (np.isfinite(i) and x > 0) else "within" for i, x in zip(idx, e, strict=True)
    ]
    for level in sorted(levels):
        lo, hi = funnel_limits(np.where(e > 0, e, 0.0), level)
        label = f"{level * 100:g} %"
        for k, (i, low, high) in enumerate(zip(idx, lo, hi, strict=True)):
            if out[k] is None:
                continue
            if i > high:
                out[k] = f"above {label}"
            elif i < low:
                out[k] = f"below {label}"
    return out


def funnel_curve(expected_max: float, levels=LEVELS, points: int = 60) -> dict[str, np.ndarray]:
    """Control-limit curves for drawing: E from 1 (or less) to ``expected_max`` on a log grid.

    Returns
    -------
    dict
        ``expected`` and, per level, ``lower_<level>`` and ``upper_<level>`` (level as in
        ``"95"``, ``"99.8"``).
    """
    top = max(float(expected_max), 2.0)
    start = min(1.0, top / 10)
    grid = np.geomspace(start, top, points)
    out: dict[str, np.ndarray] = {"expected": grid}
    for level in levels:
        lo, hi = funnel_limits(grid, level)
        out[f"lower_{level * 100:g}"] = lo
        out[f"upper_{level * 100:g}"] = hi
    return out
