"""Councils' evidence pooled into observed propensities, and their transfer to Europe by class.

Counts are pooled, never indices: for a service, each contributing council gives its customers
per class ``c[k,t]`` (contacts placed in its districts) and its base households per class
``b[k,t]`` (the census households of the same districts). Pooled over councils,

``I[t] = 100 × (Σk c[k,t] / Σk b[k,t]) / (Σ c / Σ b)``

the profile index of the pooled counts, so a big council weighs as much as its records and no
more. Its interval is the Wilson interval of ``c[t] / C`` scaled as the index is
(:func:`geo.profiling.index_interval`). A class whose pooled customers are 1 to 5 keeps its
modelled value, and so does the next smallest class (secondary suppression against the
pooled total): a public number never rests on a disclosive count.

The Europe transfer takes the pooled take-up of the UK NUTS3 regions (customers over base
households within the councils' districts, per region), groups the regions by their class in
the Europe classification, and gives each Europe class ``100 × rate[class] / rate[all]``.
Classes without a UK region keep their modelled value and carry a warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.disclosure import LOWEST_SHOWN, suppress_table
from geo.profiling import index_interval, profile_index


def eligible(councils: int, records: float, min_councils: int, min_records: float) -> bool:
    """Whether a service has enough evidence for its observed propensities to be used.

    Parameters
    ----------
    councils : int
        Councils that uploaded records of the service.
    records : float
        Their contacts in all.
    min_councils, min_records : int, float
        The thresholds (``PoolingSettings.pooling_min_councils`` and ``pooling_min_records``).

    Examples
    --------
    >>> eligible(3, 1000, 3, 1000), eligible(3, 999, 3, 1000), eligible(2, 5000, 3, 1000)
    (True, False, False)
    """
    return councils >= min_councils and records >= min_records


def pool(counts: pd.DataFrame, min_councils: int = 1) -> pd.DataFrame:
    """Observed propensity index per class from councils' counts.

    Parameters
    ----------
    counts : DataFrame
        One row per council and class: ``council``, ``class_code``, ``customers`` (contacts
        placed in the council's districts, possibly fractional) and ``households`` (base
        households of the class in the same districts).
    min_councils : int, default 1
        A class found in the districts of fewer councils keeps no observed index (its count
        would be one council's, or a few councils', own): ``few_councils`` is set.

    Returns
    -------
    DataFrame
        Indexed by class code: ``customers``, ``households``, ``councils`` (councils with
        households of the class), ``index``, ``index_low``, ``index_high`` (95 % interval) and
        ``suppressed`` (pooled customers from 1 to 5, and the next smallest class so the
        first cannot be recovered from the total: index and interval NaN).

    Examples
    --------
    Two councils, two classes. Pooled: A has 30 customers over 1,000 households, B 10 over
    1,000, so the rate is 0.03 against 0.02 overall (index 150) and 0.01 (index 50).

    >>> frame = pd.DataFrame({
    ...     "council": ["x", "x", "y", "y"], "class_code": ["A", "B", "A", "B"],
    ...     "customers": [20.0, 4.0, 10.0, 6.0], "households": [500.0, 800.0, 500.0, 200.0]})
    >>> pool(frame)[["customers", "households", "councils", "index"]]
       customers  households  councils  index
    A       30.0      1000.0         2  150.0
    B       10.0      1000.0         2   50.0
    """
    frame = counts[["council", "class_code", "customers", "households"]].copy()
    frame["customers"] = frame["customers"].astype(float).fillna(0.0)
    frame["households"] = frame["households"].astype(float).fillna(0.0)
    grouped = frame.groupby("class_code")
    out = grouped[["customers", "households"]].sum().rename_axis(None)
    out["councils"] = frame[frame["households"] > 0].groupby("class_code")["council"].nunique()
    out["councils"] = out["councils"].fillna(0).astype(int)
    c, b = out["customers"].to_numpy(float), out["households"].to_numpy(float)
    if c.sum() <= 0 or b.sum() <= 0:
        raise ValueError("pooled customers and households must be positive")
    out["index"] = profile_index(c, b)
    low, high = index_interval(c, b)
    out["index_low"], out["index_high"] = low, high
    # primary (1 to 5) and secondary suppression: the classes sum to the pooled total
    values = np.concatenate([[c.sum()], c])
    suppressed = suppress_table(values, [(None, list(range(1, len(c) + 1)))])[1:]
    out["suppressed"] = suppressed
    out["few_councils"] = out["councils"].to_numpy() < min_councils
    hidden = suppressed | out["few_councils"].to_numpy()
    out.loc[hidden, ["index", "index_low", "index_high"]] = np.nan
    return out


def replace_modelled(modelled: pd.Series, observed: pd.DataFrame) -> pd.DataFrame:
    """The propensities a service's demand uses: observed where a class has them, else modelled.

    Parameters
    ----------
    modelled : Series
        Modelled index per class code.
    observed : DataFrame
        :func:`pool`'s answer (``index`` per class; NaN where suppressed or without households).

    Returns
    -------
    DataFrame
        Per class of ``modelled``: ``modelled``, ``observed`` and ``used`` indices and
        ``source`` (``observed`` or ``modelled``).

    Examples
    --------
    >>> m = pd.Series({"A": 90.0, "B": 110.0, "C": 100.0})
    >>> o = pd.DataFrame({"index": [150.0, np.nan]}, index=["A", "B"])
    >>> replace_modelled(m, o)[["used", "source"]]
        used    source
    A  150.0  observed
    B  110.0  modelled
    C  100.0  modelled
    """
    obs = observed["index"].reindex(modelled.index).astype(float)
    used = obs.where(obs.notna(), modelled.astype(float))
    return pd.DataFrame(
        {
            "modelled": modelled.astype(float),
            "observed": obs,
            "used": used,
            "source": np.where(obs.notna(), "observed", "modelled"),
        },
        index=modelled.index,
    )


def transfer_by_class(regions: pd.DataFrame, europe_classes: pd.Series) -> pd.DataFrame:
    """Observed propensity per Europe class from the pooled take-up of UK NUTS3 regions.

    Parameters
    ----------
    regions : DataFrame
        Indexed by UK NUTS3 code: ``customers`` and ``households`` pooled over the councils'
        districts in the region.
    europe_classes : Series
        Europe class of every NUTS3 region (UK and the rest), indexed by region code.

    Returns
    -------
    DataFrame
        Indexed by every Europe class in ``europe_classes``: ``customers``, ``households``,
        ``uk_regions`` (UK regions with households behind the class), ``index`` (``100 ×
        class rate / overall rate``; NaN without a UK region or when the customers are 1 to
        5) and ``warning`` (text where the class keeps its modelled value).

    Examples
    --------
    Three UK regions: two of class 1 (rates 0.02 and 0.04 pooled to 0.03), one of class 2 (rate
    0.01); overall 40 / 2000 = 0.02. Class 3 has no UK region.

    >>> uk = pd.DataFrame({"customers": [10.0, 20.0, 10.0], "households": [500.0, 500.0, 1000.0]},
    ...                   index=["UKA1", "UKA2", "UKB1"])
    >>> classes = pd.Series({"UKA1": "1", "UKA2": "1", "UKB1": "2", "FR10": "3", "DE11": "1"})
    >>> transfer_by_class(uk, classes)[["uk_regions", "index"]]
       uk_regions  index
    1           2  150.0
    2           1   50.0
    3           0    NaN
    """
    frame = regions[["customers", "households"]].astype(float)
    frame = frame[frame.index.isin(europe_classes.index)]
    frame = frame.assign(cls=europe_classes.reindex(frame.index).to_numpy())
    frame = frame[frame["households"] > 0]
    every = pd.Index(sorted(europe_classes.dropna().unique()), name=None)
    sums = frame.groupby("cls")[["customers", "households"]].sum().reindex(every).fillna(0.0)
    sums["uk_regions"] = frame.groupby("cls").size().reindex(every).fillna(0).astype(int)
    big_c, big_b = float(frame["customers"].sum()), float(frame["households"].sum())
    if big_c <= 0 or big_b <= 0:
        raise ValueError("the UK regions hold no pooled customers or households")
    c, b = sums["customers"].to_numpy(float), sums["households"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        index = np.where(b > 0, 100.0 * (c / b) / (big_c / big_b), np.nan)
    small = (c > 0) & (c < LOWEST_SHOWN - 0.5)
    index[small] = np.nan
    sums["index"] = index
    warnings: list[str | None] = []
    for n, is_small in zip(sums["uk_regions"], small, strict=True):
        if n == 0:
            warnings.append("no UK region of this class: the modelled value is kept")
        elif is_small:
            warnings.append("too few UK customers to show (1 to 5): the modelled value is kept")
        else:
            warnings.append(None)
    sums["warning"] = warnings
    return sums[["customers", "households", "uk_regions", "index", "warning"]]
