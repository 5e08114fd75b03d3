"""Modelled propensity indices: how much more (or less) a class uses a service, from drivers.

No open data gives service use by profile class, so each modelled service names driver
variables that plausibly drive its demand (the social-rented share for housing services, poor
health and disability for adult social care...). For one driver

``I[s,t] = 100 × (household-weighted mean of the driver over areas of class t) / (overall mean)``

and a service with several drivers takes the weighted mean of their indices. 100 is the
average class; the overall mean is over every base area, so household-weighted indices
average to exactly 100.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo._checks import non_negative


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Share ``numerator / denominator`` per area; NaN where the denominator is 0 or missing."""
    den = denominator.astype(float)
    return (numerator.astype(float) / den.where(den > 0)).astype(float)


def _aligned(**series: pd.Series) -> pd.DataFrame:
    """Columns side by side on their common index (cheap when the indexes are already equal)."""
    first = next(iter(series.values())).index
    if all(s.index is first or s.index.equals(first) for s in series.values()):
        return pd.DataFrame({k: s.to_numpy() for k, s in series.items()}, index=first)
    return pd.concat(series, axis=1, join="inner")


def class_means(values: pd.Series, weights: pd.Series, classes: pd.Series) -> pd.Series:
    """Weighted mean of ``values`` per class.

    Parameters
    ----------
    values : Series
        Driver value per area (areas without a value are left out).
    weights : Series
        Weight per area (households, or population for NUTS regions).
    classes : Series
        Class code per area.

    Returns
    -------
    Series
        Weighted mean per class code.
    """
    frame = _aligned(v=values, w=weights, c=classes).dropna()
    if frame.empty:
        raise ValueError("no area has a value, a weight and a class")
    w = non_negative(frame["w"].to_numpy(), "weights")
    frame = frame.assign(wv=w * frame["v"].to_numpy(float), w=w)
    sums = frame.groupby("c")[["wv", "w"]].sum()
    return (sums["wv"] / sums["w"].where(sums["w"] > 0)).rename("mean")


def overall_mean(values: pd.Series, weights: pd.Series) -> float:
    """Weighted mean of ``values`` over every area that has both."""
    frame = _aligned(v=values, w=weights).dropna()
    w = non_negative(frame["w"].to_numpy(), "weights")
    if w.sum() <= 0:
        raise ValueError("weights sum to zero")
    return float(np.sum(w * frame["v"].to_numpy(float)) / w.sum())


def driver_index(values: pd.Series, weights: pd.Series, classes: pd.Series) -> pd.Series:
    """``100 × class mean / overall mean`` of one driver."""
    ref = overall_mean(values, weights)
    if ref <= 0:
        raise ValueError(f"driver {values.name!r} has a non-positive overall mean")
    return 100.0 * class_means(values, weights, classes) / ref


def driver_indices(drivers: pd.DataFrame, weights: pd.Series, classes: pd.Series) -> pd.DataFrame:
    """Class × driver table of single-driver indices (drivers as columns of one frame)."""
    return pd.DataFrame(
        {name: driver_index(drivers[name].rename(name), weights, classes) for name in drivers}
    )


def combine(indices: pd.DataFrame, driver_weights: Mapping[str, float]) -> pd.Series:
    """Weighted mean of single-driver indices (columns of ``indices``)."""
    names = list(driver_weights)
    w = np.array([float(driver_weights[n]) for n in names])
    if not names or w.sum() <= 0:
        raise ValueError("driver weights must sum to a positive number")
    values = indices[names].to_numpy(float) @ (w / w.sum())
    return pd.Series(values, index=indices.index, name="propensity_index")


def propensity(
    drivers: Mapping[str, pd.Series],
    driver_weights: Mapping[str, float],
    weights: pd.Series,
    classes: pd.Series,
) -> pd.Series:
    """Propensity index per class: the weighted mean of the drivers' indices.

    Parameters
    ----------
    drivers : mapping
        Driver name → value per area.
    driver_weights : mapping
        Driver name → weight in the service's index (need not sum to 1).
    weights, classes : Series
        Households (or population) and class per area.

    Examples
    --------
    Two areas of households 100 and 300, driver shares 0.1 and 0.3, classes A and B: the
    overall mean is 0.25, so A scores 40 and B 120.
    """
    if not drivers:
        raise ValueError("a modelled service needs at least one driver")
    total = sum(float(driver_weights.get(n, 1.0)) for n in drivers)
    if total <= 0:
        raise ValueError("driver weights must sum to a positive number")
    parts = [
        driver_index(values.rename(name), weights, classes) * float(driver_weights.get(name, 1.0)) / total
        for name, values in drivers.items()
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out.add(part, fill_value=0.0)
    return out.rename("propensity_index")
