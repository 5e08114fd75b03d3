"""Customer profiling: how a council's customers compare with its base households.

``Index_t = 100 (c_t / C) / (b_t / B)``; ``Penetration_t = 100 c_t / b_t``;
``z = (p_c - p_b) / sqrt(p_b (1 - p_b) / C)``. An index alone hides sample size, so every
index is reported with its z (|z| > 2 is the usual threshold) and a 95 % interval: the Wilson
interval of the customer share ``p_t`` with ``n = C``, divided by the base share ``q_t`` (the
census base is treated as fixed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo._checks import non_negative


def _pair(customers, base) -> tuple[np.ndarray, np.ndarray]:
    c = non_negative(customers, "customers")
    b = non_negative(base, "base")
    if c.shape != b.shape:
        raise ValueError(f"customers {c.shape} and base {b.shape} differ in shape")
    return c, b


def profile_index(customers, base, customers_total=None, base_total=None) -> np.ndarray:
    """Profile index per class, 100 = like the base.

    Parameters
    ----------
    customers, base : array-like
        Customers ``c_t`` and base households ``b_t`` per class.
    customers_total, base_total : float, optional
        ``C`` and ``B``; default the sums of ``customers`` and ``base`` (give them when only
        one class is passed, as in the Byker check).

    Returns
    -------
    numpy.ndarray
        ``100 (c_t / C) / (b_t / B)``; NaN where the base is 0.
    """
    c, b = _pair(customers, base)
    big_c = float(c.sum() if customers_total is None else customers_total)
    big_b = float(b.sum() if base_total is None else base_total)
    if big_c <= 0 or big_b <= 0:
        raise ValueError("customer and base totals must be positive")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, 100.0 * (c / big_c) / (b / big_b), np.nan)


def penetration(customers, base) -> np.ndarray:
    """Customers per 100 base households of the class (NaN where the base is 0)."""
    c, b = _pair(customers, base)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, 100.0 * c / b, np.nan)


def z_score(customers, base, customers_total=None, base_total=None) -> np.ndarray:
    """Normal-approximation z of the customer share against the base share per class."""
    c, b = _pair(customers, base)
    big_c = float(c.sum() if customers_total is None else customers_total)
    big_b = float(b.sum() if base_total is None else base_total)
    if big_c <= 0 or big_b <= 0:
        raise ValueError("customer and base totals must be positive")
    p_c, p_b = c / big_c, b / big_b
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(p_b * (1.0 - p_b) / big_c)
        return np.where(se > 0, (p_c - p_b) / se, np.nan)


def takeup_index(observed, expected) -> np.ndarray:
    """Observed over expected uses per area, ``100 O / E`` (NaN where nothing is expected)."""
    o, e = _pair(observed, expected)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(e > 0, 100.0 * o / e, np.nan)


Z95 = 1.959963984540054  # two-sided 95 %
SIGNIFICANT_Z = 2.0


def wilson_interval(successes, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion.

    Parameters
    ----------
    successes : array-like
        Counts ``x`` (0 <= x <= n).
    n : float or array-like
        Trials; must be positive.
    z : float, default 1.96
        Standard normal quantile of the interval (1.96 for 95 %).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds of ``x / n``: ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``.
        Unlike the normal interval it stays inside [0, 1] and is not empty at ``x = 0``.
    """
    x = non_negative(successes, "successes")
    size = np.broadcast_to(non_negative(n, "n"), x.shape).astype(float)
    if np.any(size <= 0):
        raise ValueError("n must be positive")
    if np.any(x > size):
        raise ValueError("successes must not exceed n")
    p = x / size
    z2 = z * z
    centre = p + z2 / (2 * size)
    spread = z * np.sqrt(p * (1 - p) / size + z2 / (4 * size * size))
    denom = 1 + z2 / size
    return np.clip((centre - spread) / denom, 0.0, 1.0), np.clip((centre + spread) / denom, 0.0, 1.0)


def index_interval(
    customers, base, customers_total=None, base_total=None, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of the profile index per class.

    Parameters
    ----------
    customers, base : array-like
        ``c_t`` and ``b_t`` per class.
    customers_total, base_total : float, optional
        ``C`` and ``B`` (default the sums).
    z : float, default 1.96
        Normal quantile (95 %).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``100 p_lo / q_t`` and ``100 p_hi / q_t`` with ``[p_lo, p_hi]`` the Wilson interval of
        ``c_t / C`` and ``q_t = b_t / B``; NaN where the base is 0.
    """
    c, b = _pair(customers, base)
    big_c = float(c.sum() if customers_total is None else customers_total)
    big_b = float(b.sum() if base_total is None else base_total)
    if big_c <= 0 or big_b <= 0:
        raise ValueError("customer and base totals must be positive")
    lo, hi = wilson_interval(c, big_c, z)
    q = b / big_b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, 100.0 * lo / q, np.nan), np.where(b > 0, 100.0 * hi / q, np.nan)


def significant(z, threshold: float = SIGNIFICANT_Z) -> np.ndarray:
    """``|z| > threshold`` per class (False where z is NaN)."""
    arr = np.asarray(z, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(np.nan_to_num(arr, nan=0.0)) > threshold


def wording(index: float | None) -> str | None:
    """Plain-language reading of an index.

    Parameters
    ----------
    index : float or None
        A profile or take-up index (100 = like the base).

    Returns
    -------
    str or None
        ``"3.1× more likely"`` from 200 up, ``"25 % above average"`` between 100 and 200,
        ``"46 % below average"`` under 100, ``"about average"`` when the difference rounds to
        0 %, ``"none"`` at 0; None when there is no index (no base, or suppressed).
    """
    if index is None or not np.isfinite(index):
        return None
    if index <= 0:
        return "none"
    if index >= 199.5:
        return f"{index / 100:.1f}× more likely"
    diff = round(index - 100)
    if diff == 0:
        return "about average"
    if diff > 0:
        return f"{diff} % above average"
    return f"{-diff} % below average"


PROFILE_COLUMNS = [
    "customers",
    "base",
    "customer_share",
    "base_share",
    "index",
    "index_low",
    "index_high",
    "penetration",
    "z",
    "significant",
]


def profile_table(
    customers: pd.Series, base: pd.Series, customers_total=None, base_total=None
) -> pd.DataFrame:
    """Every profile statistic per class, aligned on the class code.

    Parameters
    ----------
    customers, base : pandas.Series
        ``c_t`` and ``b_t`` indexed by class code; a class missing from one side counts as 0.
    customers_total, base_total : float, optional
        ``C`` and ``B`` (default the sums).

    Returns
    -------
    pandas.DataFrame
        :data:`PROFILE_COLUMNS` (shares as fractions, index and its 95 % interval, penetration
        per 100 households, z and the |z| > 2 flag) plus ``wording``.
    """
    frame = pd.concat({"customers": customers, "base": base}, axis=1).fillna(0.0)
    c, b = frame["customers"].to_numpy(float), frame["base"].to_numpy(float)
    big_c = float(c.sum() if customers_total is None else customers_total)
    big_b = float(b.sum() if base_total is None else base_total)
    frame["customer_share"] = c / big_c if big_c > 0 else np.nan
    frame["base_share"] = b / big_b if big_b > 0 else np.nan
    if big_c > 0 and big_b > 0:
        frame["index"] = profile_index(c, b, big_c, big_b)
        frame["index_low"], frame["index_high"] = index_interval(c, b, big_c, big_b)
        frame["z"] = z_score(c, b, big_c, big_b)
    else:
        frame["index"] = frame["index_low"] = frame["index_high"] = frame["z"] = np.nan
    frame["penetration"] = penetration(c, b)
    frame["significant"] = significant(frame["z"].to_numpy(float))
    frame["wording"] = [wording(v) for v in frame["index"].to_numpy(float)]
    return frame[[*PROFILE_COLUMNS, "wording"]]
