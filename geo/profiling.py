"""Customer profiling: how a council's customers compare with its base households.

``Index_t = 100 (c_t / C) / (b_t / B)``; ``Penetration_t = 100 c_t / b_t``;
``z = (p_c - p_b) / sqrt(p_b (1 - p_b) / C)``. An index alone hides sample size, so every
index is reported with its z (|z| > 2 is the usual threshold).
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


def profile_table(customers: pd.Series, base: pd.Series) -> pd.DataFrame:
    """Customers, base, index, penetration and z per class, aligned on the class code.

    Classes missing from one side count as 0 there.
    """
    frame = pd.concat({"customers": customers, "base": base}, axis=1).fillna(0.0)
    c, b = frame["customers"].to_numpy(float), frame["base"].to_numpy(float)
    frame["index"] = profile_index(c, b)
    frame["penetration"] = penetration(c, b)
    frame["z"] = z_score(c, b)
    return frame
