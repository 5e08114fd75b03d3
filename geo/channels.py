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


def channel_index_table(counts: pd.DataFrame, z: float = 1.96) -> pd.DataFrame:
    """Per class and channel: contacts, the class's share on the channel with its Wilson
    interval, the channel index (100 = the table's overall mix) with its interval, and z.

    ``share = V[c, ch] / V[c]``; ``index = 100 × share / overall[ch]`` with
    ``overall[ch] = V[., ch] / V``; the interval is the Wilson interval of ``share`` (n = V[c])
    divided by ``overall[ch]``; ``z = (share − overall) / √(overall (1 − overall) / V[c])``.

    Parameters
    ----------
    counts : DataFrame
        Contacts, classes as rows and channels as columns.

    Returns
    -------
    DataFrame
        Long form: ``class_code, channel, contacts, class_contacts, share, share_low,
        share_high, index, index_low, index_high, z``; NaN where a class has no contacts.

    Examples
    --------
    >>> counts = pd.DataFrame({"telephone": [30.0, 10.0], "web": [70.0, 90.0]}, index=["a", "b"])
    >>> t = channel_index_table(counts).set_index(["class_code", "channel"])
    >>> round(float(t.loc[("a", "telephone"), "index"]), 6), round(float(t.loc[("a", "telephone"), "z"]), 6)
    (150.0, 2.5)
    """
    from geo.profiling import wilson_interval

    values = non_negative(counts.to_numpy(dtype=float), "contacts")
    mix, index = class_channel_index(counts)
    class_totals = values.sum(axis=1)
    total = values.sum()
    overall = values.sum(axis=0) / total if total > 0 else np.full(values.shape[1], np.nan)
    rows = []
    for i, cls in enumerate(counts.index):
        n = class_totals[i]
        for j, ch in enumerate(counts.columns):
            v, p_all = values[i, j], overall[j]
            lo = hi = zed = np.nan
            if n > 0:
                lo_arr, hi_arr = wilson_interval([v], n, z)
                lo, hi = float(lo_arr[0]), float(hi_arr[0])
                if 0 < p_all < 1:
                    zed = (v / n - p_all) / np.sqrt(p_all * (1 - p_all) / n)
            with np.errstate(divide="ignore", invalid="ignore"):
                rows.append(
                    {
                        "class_code": cls,
                        "channel": ch,
                        "contacts": v,
                        "class_contacts": n,
                        "share": mix.iat[i, j],
                        "share_low": lo,
                        "share_high": hi,
                        "index": index.iat[i, j],
                        "index_low": 100.0 * lo / p_all if p_all > 0 else np.nan,
                        "index_high": 100.0 * hi / p_all if p_all > 0 else np.nan,
                        "z": zed,
                    }
                )
    return pd.DataFrame(rows)


def seasonal_table(monthly: pd.Series) -> pd.DataFrame:
    """Monthly index ``100 × month mean / annual mean`` from contacts per month.

    The months covered run from the first to the last month with records; a month in that run
    without records counts as 0. ``month mean`` is the mean over the covered years of one
    calendar month; ``annual mean`` the mean over every covered month. A calendar month never
    covered has no index.

    Parameters
    ----------
    monthly : Series
        Contacts indexed by the first day of each month (``datetime.date`` or timestamps).

    Returns
    -------
    DataFrame
        One row per calendar month 1–12: ``month, months_covered, contacts, month_mean, index``.

    Examples
    --------
    >>> import datetime as dt
    >>> s = pd.Series([120.0, 60.0, 120.0], index=[dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)])
    >>> seasonal_table(s).loc[:2, ["month", "index"]].to_dict("list")
    {'month': [1, 2, 3], 'index': [120.0, 60.0, 120.0]}
    """
    if monthly.empty:
        raise ValueError("no monthly contacts")
    counts = non_negative(monthly.to_numpy(dtype=float), "monthly contacts")
    months = pd.PeriodIndex([pd.Timestamp(m) for m in monthly.index], freq="M")
    series = pd.Series(counts, index=months).groupby(level=0).sum()
    covered = pd.period_range(series.index.min(), series.index.max(), freq="M")
    series = series.reindex(covered, fill_value=0.0)
    annual_mean = float(series.mean())
    if annual_mean <= 0:
        raise ValueError("monthly contacts must have a positive mean")
    by_month = series.groupby(series.index.month)
    out = pd.DataFrame({"month": range(1, 13)})
    out["months_covered"] = out["month"].map(by_month.size()).fillna(0).astype(int)
    out["contacts"] = out["month"].map(by_month.sum()).fillna(0.0)
    out["month_mean"] = out["month"].map(by_month.mean())
    out["index"] = 100.0 * out["month_mean"] / annual_mean
    return out


def migration_test(before: Mapping[str, float], after: Mapping[str, float], z: float = 1.96) -> pd.DataFrame:
    """Change of each channel's share between two periods with a two-proportion z-test.

    ``z = (p2 − p1) / √(p (1 − p) (1/n1 + 1/n2))`` with ``p`` the pooled share
    ``(x1 + x2) / (n1 + n2)``; ``|z| > z`` (1.96: 5 %) is flagged as a change beyond noise.

    Returns
    -------
    DataFrame
        ``channel, contacts_1, share_1, contacts_2, share_2, change_points, z, significant``.

    Examples
    --------
    >>> t = migration_test({"telephone": 600, "web": 400}, {"telephone": 500, "web": 500})
    >>> t.set_index("channel").loc["web", ["change_points", "z"]].round(3).tolist()
    [10.0, 4.495]
    """
    channels = [c for c in dict.fromkeys([*before, *after])]
    x1 = non_negative([before.get(c, 0.0) for c in channels], "contacts of the first period")
    x2 = non_negative([after.get(c, 0.0) for c in channels], "contacts of the second period")
    n1, n2 = x1.sum(), x2.sum()
    if n1 <= 0 or n2 <= 0:
        raise ValueError("each period needs contacts")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        zed = np.where(se > 0, (p2 - p1) / se, np.nan)
    return pd.DataFrame(
        {
            "channel": channels,
            "contacts_1": x1,
            "share_1": p1,
            "contacts_2": x2,
            "share_2": p2,
            "change_points": 100.0 * (p2 - p1),
            "z": zed,
            "significant": np.abs(np.nan_to_num(zed)) > z,
        }
    )


@dataclass(frozen=True)
class UnitCost:
    """The unit cost that applies to one channel, and where it comes from."""

    channel: str
    cost_gbp: float | None  # None: no published default and none set by the council
    source: str | None
    year: int | None
    scope: str  # "council: this service" | "council: every service" | "published default" | "none"


def resolve_unit_costs(
    channels: Sequence[str],
    service: int | None,
    overrides: Sequence[tuple[int, str, float, str, int]],
    cost_set: str = DEFAULT_COST_SET,
    every_service: int = -1,
) -> dict[str, UnitCost]:
    """The unit cost of each channel for ``service``: the most specific wins (the council's cost
    for this service, then its cost for every service, then the published default set).

    Parameters
    ----------
    overrides : sequence of (service_code, channel, cost_gbp, source, year)
        A council's own costs; ``service_code == every_service`` applies to every service.

    Examples
    --------
    >>> r = resolve_unit_costs(["telephone", "web", "post"], 1, [(-1, "web", 0.20, "our finance team", 2025)])
    >>> (r["telephone"].cost_gbp, r["telephone"].scope), (r["web"].cost_gbp, r["web"].scope), r["post"].cost_gbp
    ((2.83, 'published default'), (0.2, 'council: every service'), None)
    """
    published = COST_SETS[cost_set]
    mine = {(s, ch): (cost, src, year) for s, ch, cost, src, year in overrides}
    out = {}
    for ch in channels:
        if service is not None and (service, ch) in mine:
            cost, src, year = mine[(service, ch)]
            out[ch] = UnitCost(ch, cost, src, year, "council: this service")
        elif (every_service, ch) in mine:
            cost, src, year = mine[(every_service, ch)]
            out[ch] = UnitCost(ch, cost, src, year, "council: every service")
        elif ch in published.costs:
            out[ch] = UnitCost(ch, published.costs[ch], published.source, published.year, "published default")
        else:
            out[ch] = UnitCost(ch, None, None, None, "none")
    return out


def shift_arithmetic(
    volume: float, share: float, cost_from: float, cost_to: float
) -> tuple[float, float, str]:
    """Contacts moved, the yearly saving and the sum written out, for one move.

    Examples
    --------
    >>> shift_arithmetic(10_000, 0.30, 2.83, 0.15)
    (3000.0, 8040.0, '10,000 contacts × 30% = 3,000 moved × (£2.83 − £0.15) = £8,040.00')
    """
    if volume < 0 or not 0 <= share <= 1:
        raise ValueError("volume must be ≥ 0 and share within [0, 1]")
    moved = volume * share
    saving = round(moved * (cost_from - cost_to), 2)
    text = (
        f"{volume:,.0f} contacts × {100 * share:g}% = {moved:,.0f} moved × (£{cost_from:.2f} − £{cost_to:.2f}) "
        f"= £{saving:,.2f}"
    )
    return moved, saving, text
