"""Expected demand by indirect standardisation, the demand index, and its bands.

``E[a,s] = Σ_t H[a,t] r[s,t]`` with ``r[s,t] = R[s] I[s,t] / 100``. While the overall rate
``R[s]`` is unknown (the open-data default) ``R = 1`` and ``E`` is "expected relative uses":
households weighted by their class's propensity. The demand index is
``100 (E[a]/H[a]) / (E_ref/H_ref)``, where the reference is the total over all base areas of
the classification (England and Wales for OAC 2021), so the reference itself scores 100.
"""

from __future__ import annotations

import numpy as np

from geo._checks import non_negative

SCHEMES = ("thresholds", "quantiles", "natural_breaks")
BANDS = ("low", "medium", "high")


def rates(propensity_index: np.ndarray, overall_rate: float | None = None) -> np.ndarray:
    """Rate per household ``R I / 100``; with ``overall_rate`` None, ``I / 100`` (relative uses)."""
    idx = non_negative(propensity_index, "propensity_index")
    scale = 1.0 if overall_rate is None else float(overall_rate)
    if scale < 0:
        raise ValueError("overall_rate must not be negative")
    return scale * idx / 100.0


def expected(households: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """``E = H · r``: areas × classes households times classes × services rates."""
    h = non_negative(households, "households")
    r = non_negative(rate, "rate")
    if h.ndim != 2:
        raise ValueError("households must be areas × classes")
    if r.ndim == 1:
        r = r[:, None]
    if h.shape[1] != r.shape[0]:
        raise ValueError(f"households has {h.shape[1]} classes, rates {r.shape[0]}")
    return h @ r


def demand_index(
    expected_uses: np.ndarray, households: np.ndarray, ref_expected: float, ref_households: float
):
    """``100 (E/H) / (E_ref/H_ref)`` per area; NaN where an area has no households."""
    e = np.asarray(expected_uses, float)
    h = np.asarray(households, float)
    if ref_expected <= 0 or ref_households <= 0:
        raise ValueError("reference expected uses and households must be positive")
    ref = ref_expected / ref_households
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(h > 0, 100.0 * (e / h) / ref, np.nan)


def band_edges(
    values: np.ndarray, scheme: str, high: float = 110.0, low: float = 90.0, is_sorted: bool = False
) -> list[float]:
    """Upper bounds of the low, medium and high bands under ``scheme``.

    ``thresholds``: low ≤ ``low`` < medium < ``high`` ≤ high, edges ``[low, high, max]``
    (a value equal to ``high`` is high). ``quantiles``: tertiles. ``natural_breaks``:
    Fisher–Jenks with k = 3 (exact on up to 256 distinct values; above that on 256
    equal-count bins of the sorted values, each weighted by its count). ``is_sorted``: the
    values are finite and ascending already (saves a sort per scheme on large levels).
    """
    v = np.asarray(values, float)
    if not is_sorted:
        v = np.sort(v[np.isfinite(v)])
    if v.size == 0:
        raise ValueError("no finite values to band")
    top = float(v[-1])
    if scheme == "thresholds":
        if low >= high:
            raise ValueError("low threshold must be below high")
        return [float(low), float(high), max(top, float(high))]
    if scheme == "quantiles":
        # mapclassify.Quantiles(v, k=3).bins, computed directly (same percentiles, no import cost)
        bins = np.unique(np.percentile(v, np.linspace(1 / 3, 1, 3) * 100))
        return [float(b) for b in _pad3(bins, top)]
    if scheme == "natural_breaks":
        return [float(b) for b in _pad3(fisher_jenks(v, 3, is_sorted=True), top)]
    raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")


def _pad3(bins, top: float) -> list[float]:
    out = list(np.asarray(bins, float))
    while len(out) < 3:
        out.insert(0, out[0] if out else top)
    return out[-3:]


def assign_bands(values: np.ndarray, edges: list[float], scheme: str = "quantiles") -> np.ndarray:
    """Band label per value from upper bounds ``edges``.

    For ``thresholds`` a value at the high threshold is high (≥); otherwise a value equal to an
    upper bound belongs to that band (mapclassify's convention). NaN gets "medium".
    """
    v = np.asarray(values, float)
    if len(edges) != 3:
        raise ValueError("three edges expected (low, medium, high upper bounds)")
    lo, mid = edges[0], edges[1]
    if scheme == "thresholds":
        out = np.where(v >= mid, "high", np.where(v <= lo, "low", "medium"))
    else:
        out = np.where(v <= lo, "low", np.where(v <= mid, "medium", "high"))
    return np.where(np.isnan(v), "medium", out).astype(object)


def fisher_jenks(values: np.ndarray, k: int = 3, max_bins: int = 256, is_sorted: bool = False) -> list[float]:
    """Upper bounds of ``k`` classes minimising the within-class sum of squares (Fisher–Jenks).

    Distinct values are weighted by their counts, so the result equals the classic algorithm's;
    beyond ``max_bins`` distinct values the sorted data are cut into ``max_bins`` equal-count
    bins (weighted means), which keeps the cost bounded for hundreds of thousands of areas:
    breaks then fall on bin boundaries, 1/256 of the data (0.4 %) apart, and a national rebuild
    bands its 88 service-levels in a tenth of a second rather than a second.
    """
    v = np.asarray(values, float)
    if not is_sorted:
        v = np.sort(v[np.isfinite(v)])
    if v.size == 0:
        raise ValueError("no finite values")
    if k < 1:
        raise ValueError("k must be at least 1")
    starts = np.flatnonzero(np.concatenate([[True], v[1:] != v[:-1]]))
    uniq = v[starts]
    counts = np.diff(np.append(starts, v.size))
    if uniq.size <= k:
        return [float(u) for u in uniq]
    if uniq.size > max_bins:
        cuts = np.linspace(0, v.size, max_bins + 1).astype(int)
        sums = np.add.reduceat(v, cuts[:-1])
        counts = np.diff(cuts).astype(float)
        xs = sums / counts
        upper = v[cuts[1:] - 1]
    else:
        xs, upper = uniq, uniq
        counts = counts.astype(float)
    w = counts
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cx = np.concatenate([[0.0], np.cumsum(w * xs)])
    cxx = np.concatenate([[0.0], np.cumsum(w * xs * xs)])
    n = xs.size

    def sse(i, j):  # classes cover items i..j-1 (arrays broadcast)
        ww = cw[j] - cw[i]
        sx = cx[j] - cx[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(ww > 0, (cxx[j] - cxx[i]) - sx * sx / ww, np.inf)

    # cost[m][j]: best SSE of the first j items in m classes; dynamic programme over m.
    cost = sse(np.zeros(n + 1, int), np.arange(n + 1))
    back = []
    idx = np.arange(n + 1)
    for m in range(2, k + 1):
        # the last class count only needs the column of all n items
        cols = idx if m < k else np.array([n])
        starts, ends = idx[:, None], cols[None, :]
        total = np.where(starts < ends, cost[:, None] + sse(np.minimum(starts, ends), ends), np.inf)
        arg = np.argmin(total, axis=0)
        full = np.full(n + 1, -1)
        full[cols] = arg
        cost_next = np.full(n + 1, np.inf)
        cost_next[cols] = total[arg, np.arange(cols.size)]
        cost = cost_next
        back.append(full)
    breaks, end = [], n
    for best in reversed(back):
        end = int(best[end])
        breaks.append(end)
    return [float(upper[e - 1]) for e in sorted(breaks) + [n]]
