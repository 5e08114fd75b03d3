"""Channel costs, channel-shift savings, channel mix and seasonality.

Default unit costs are enquiry-handling averages per contact, not full transaction costs; each
set carries its source and year so it can be labelled, and councils override them per service
and channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo._checks import non_negative


@dataclass(frozen=True)
class CostSet:
    """Unit costs per contact (GBP) by channel, with where they come from."""

    name: str
    source: str
    year: int
    costs: Mapping[str, float]


COST_SETS: dict[str, CostSet] = {
    "socitm2012": CostSet(
        "socitm2012",
        "Socitm Channel Value Benchmarking, 2011 cohorts (briefing May 2012)",
        2012,
        {"face-to-face": 8.62, "telephone": 2.83, "web": 0.15},
    ),
    "socitm2009": CostSet(
        "socitm2009", "Socitm Insight, 2009", 2009, {"face-to-face": 7.40, "telephone": 2.90, "web": 0.32}
    ),
    "nwegg": CostSet(
        "nwegg", "NWeGG / CIPFA channel costs", 2012, {"face-to-face": 7.81, "telephone": 4.00, "web": 0.17}
    ),
    "pwc_post": CostSet("pwc_post", "PwC, cost of a postal contact", 2012, {"post": 12.10}),
}
DEFAULT_COST_SET = "socitm2012"


def unit_costs(
    name: str = DEFAULT_COST_SET, overrides: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Costs of a named set, with a council's own figures laid over them."""
    if name not in COST_SETS:
        raise ValueError(f"unknown cost set {name!r}; known: {sorted(COST_SETS)}")
    costs = dict(COST_SETS[name].costs)
    for channel, cost in (overrides or {}).items():
        if cost < 0:
            raise ValueError(f"cost for {channel!r} must not be negative")
        costs[channel] = float(cost)
    return costs


def channel_shift_saving(moves: Sequence[tuple[str, str, float, float]], costs: Mapping[str, float]) -> float:
    """Yearly saving ``Σ V_from × shift × (cost_from − cost_to)``.

    Parameters
    ----------
    moves : sequence of (from_channel, to_channel, volume, shift)
        ``volume`` contacts a year on ``from_channel``; ``shift`` the fraction (0–1) moved.
    costs : mapping
        Unit cost per channel.

    Examples
    --------
    >>> channel_shift_saving([("telephone", "web", 10_000, 0.30)], unit_costs())
    8040.0
    """
    total = 0.0
    for src, dst, volume, shift in moves:
        if src not in costs or dst not in costs:
            raise ValueError(f"no unit cost for {src if src not in costs else dst!r}")
        if volume < 0 or not 0 <= shift <= 1:
            raise ValueError("volume must be ≥ 0 and shift within [0, 1]")
        total += volume * shift * (costs[src] - costs[dst])
    return round(total, 2)


def channel_mix(volumes: Mapping[str, float]) -> dict[str, float]:
    """Share of contacts per channel, ``V[ch] / Σ V``."""
    v = non_negative(list(volumes.values()), "volumes")
    total = v.sum()
    if total <= 0:
        raise ValueError("no contacts")
    return {ch: float(x / total) for ch, x in zip(volumes, v, strict=True)}


def seasonal_index(monthly: Sequence[float]) -> np.ndarray:
    """``100 × month / mean month`` for a run of monthly counts."""
    m = non_negative(monthly, "monthly counts")
    if m.size == 0 or m.mean() <= 0:
        raise ValueError("monthly counts must have a positive mean")
    return 100.0 * m / m.mean()


def channel_migration(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """Change in channel share (percentage points) between two periods."""
    b, a = channel_mix(before), channel_mix(after)
    return {ch: 100.0 * (a.get(ch, 0.0) - b.get(ch, 0.0)) for ch in sorted(set(a) | set(b))}


def class_channel_index(counts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Channel mix per class and its index against the overall mix.

    ``mix[c, ch] = V[c, ch] / Σ_ch V[c, ch]`` and ``index[c, ch] = 100 × mix[c, ch] / mix[ch]``
    where ``mix[ch]`` is the share of channel ``ch`` among all contacts of the table (100 =
    the class uses the channel as much as everyone does).

    Parameters
    ----------
    counts : DataFrame
        Contacts, classes as rows and channels as columns (non-negative).

    Returns
    -------
    mix, index : DataFrame
        Same shape as ``counts``; NaN where a class has no contacts or a channel none at all.

    Examples
    --------
    >>> counts = pd.DataFrame({"telephone": [30.0, 10.0], "web": [70.0, 90.0]}, index=["a", "b"])
    >>> mix, index = class_channel_index(counts)
    >>> round(float(index.loc["a", "telephone"]), 6)
    150.0
    """
    values = non_negative(counts.to_numpy(dtype=float), "contacts")
    frame = pd.DataFrame(values, index=counts.index, columns=counts.columns)
    row_totals = frame.sum(axis=1).replace(0.0, np.nan)
    mix = frame.div(row_totals, axis=0)
    total = values.sum()
    overall = frame.sum(axis=0) / total if total > 0 else frame.sum(axis=0) * np.nan
    index = 100.0 * mix.div(overall.replace(0.0, np.nan), axis=1)
    return mix, index
