"""Building an open classification by the OAC method.

The Output Area Classification's recipe (ONS 2011 and 2021): variables as percentages of their
denominators → inverse hyperbolic sine (tames skewed shares and densities without dropping
zeros or negatives) → range standardisation of each variable to [0, 1] → k-means with many
random starts, keeping the run with the lowest within-cluster sum of squares (WCSS), first for
supergroups, then again inside each supergroup for its groups. A fixed seed makes the result
reproducible; the WCSS of every k tried is kept so the k choice can be shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits


def ihs(values: np.ndarray) -> np.ndarray:
    """Inverse hyperbolic sine ``log(x + sqrt(x² + 1))``."""
    return np.arcsinh(np.asarray(values, float))


def range_standardise(frame: pd.DataFrame) -> pd.DataFrame:
    """Each column rescaled to [0, 1]; a constant column becomes 0."""
    lo, hi = frame.min(), frame.max()
    span = (hi - lo).replace(0, np.nan)
    return ((frame - lo) / span).fillna(0.0)


def prepare(variables: pd.DataFrame) -> pd.DataFrame:
    """Percentages (or densities) → IHS → [0, 1], the OAC input transformation."""
    if variables.isna().any().any():
        bad = variables.columns[variables.isna().any()].tolist()
        raise ValueError(f"missing values in {bad}: impute them first")
    return range_standardise(
        pd.DataFrame(ihs(variables.to_numpy()), index=variables.index, columns=variables.columns)
    )


def impute_by_group(variables: pd.DataFrame, groups: pd.Series) -> tuple[pd.DataFrame, int]:
    """Fill gaps with the median of the same group (e.g. country), else the overall median.

    Returns the filled frame and the number of values filled.
    """
    filled = variables.copy()
    missing = int(filled.isna().sum().sum())
    if missing:
        medians = filled.groupby(groups.reindex(filled.index)).transform("median")
        filled = filled.fillna(medians).fillna(filled.median())
    return filled, missing


def kmeans(data: np.ndarray, k: int, starts: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Best of ``starts`` seeded k-means runs: labels, centres, WCSS."""
    n = data.shape[0]
    if n == 0:
        raise ValueError("no rows to cluster")
    k = max(1, min(k, n))
    model = KMeans(n_clusters=k, n_init=starts, random_state=seed, init="random", algorithm="lloyd")
    # one thread: on small data, OpenMP threads cost far more than they save (100x on 2 cores)
    with threadpool_limits(1):
        model.fit(data)
    return model.labels_, model.cluster_centers_, float(model.inertia_)


def wcss_curve(data: np.ndarray, ks: range, starts: int, seed: int) -> dict[int, float]:
    """WCSS for each k in ``ks`` (for the elbow chart)."""
    return {k: kmeans(data, k, starts, seed)[2] for k in ks if k <= data.shape[0]}


def elbow(curve: dict[int, float]) -> int:
    """The k after which adding a cluster saves least, relative to the saving before it.

    Picks the k maximising the drop in WCSS before k over the drop after k (a discrete elbow),
    ties to the smaller k.
    """
    ks = sorted(curve)
    if len(ks) < 3:
        return ks[-1]
    best, best_ratio = ks[1], -np.inf
    for i in range(1, len(ks) - 1):
        before = curve[ks[i - 1]] - curve[ks[i]]
        after = max(curve[ks[i]] - curve[ks[i + 1]], 1e-12)
        ratio = before / after
        if ratio > best_ratio + 1e-9:
            best, best_ratio = ks[i], ratio
    return best


@dataclass
class Hierarchy:
    """A two-tier classification: supergroup and group per row, with fit diagnostics."""

    supergroup: pd.Series  # row index → "1".."k"
    group: pd.Series  # row index → "1a", "1b"...
    centres: pd.DataFrame  # standardised centre per class code (both tiers)
    wcss: dict[str, float]  # "supergroups" and per-supergroup WCSS, plus "groups" total
    curve: dict[int, float] = field(default_factory=dict)  # supergroup WCSS by k


def _relabel(labels: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Renumber clusters by descending size (ties: by centre's first coordinate) for stable codes."""
    uniq, counts = np.unique(labels, return_counts=True)
    first = np.array([data[labels == u, 0].mean() for u in uniq])
    order = uniq[np.lexsort((first, -counts))]
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping[x] for x in labels])


def build_hierarchy(
    prepared: pd.DataFrame,
    k_supergroups: int,
    k_groups: int | Callable[[int], int],
    starts: int,
    seed: int,
    curve_ks: range | None = None,
    progress: Callable[[str], None] | None = None,
) -> Hierarchy:
    """Supergroups by k-means, then groups by k-means inside each supergroup.

    Parameters
    ----------
    prepared : DataFrame
        Output of :func:`prepare`, one row per area.
    k_supergroups : int
        Number of supergroups.
    k_groups : int or callable
        Groups per supergroup, or a function of the supergroup's row count.
    starts, seed : int
        Random starts per k-means and the seed (the same seed gives the same classes).
    curve_ks : range, optional
        Also record the supergroup WCSS for these k (the elbow evidence).
    progress : callable, optional
        Called with a step name after each clustering.
    """
    data = prepared.to_numpy(float)
    curve = wcss_curve(data, curve_ks, max(1, starts // 4), seed) if curve_ks else {}
    if progress and curve_ks:
        progress("elbow")
    labels, _, wcss_sg = kmeans(data, k_supergroups, starts, seed)
    labels = _relabel(labels, data)
    if progress:
        progress("supergroups")
    sg = pd.Series([str(x + 1) for x in labels], index=prepared.index)
    grp = pd.Series("", index=prepared.index, dtype=object)
    wcss = {"supergroups": wcss_sg}
    total_groups = 0.0
    for code in sorted(sg.unique(), key=int):
        rows = (sg == code).to_numpy()
        sub = data[rows]
        k = k_groups(len(sub)) if callable(k_groups) else k_groups
        k = max(1, min(k, len(sub)))
        glabels, _, w = kmeans(sub, k, starts, seed)
        glabels = _relabel(glabels, sub)
        grp.iloc[np.flatnonzero(rows)] = [f"{code}{chr(ord('a') + g)}" for g in glabels]
        wcss[f"groups_in_{code}"] = w
        total_groups += w
        if progress:
            progress(f"groups of supergroup {code}")
    wcss["groups"] = total_groups
    centres = pd.concat(
        [prepared.groupby(sg).mean(), prepared.groupby(grp).mean()],
    )
    return Hierarchy(sg, grp, centres, wcss, curve)
