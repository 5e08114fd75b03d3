"""Composition ``H[a,t]``: households of each profile class in each area, at every tier.

A base area (an output area) holds its household count in its one class; a larger area sums
its base areas. Coarser tiers are taken from the class hierarchy before summing, so a group's
count is exactly the sum of its subgroups' counts. Frames are long:
``code, tier, class_code, households``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo._checks import non_negative, require_columns

COLUMNS = ["code", "tier", "class_code", "households"]


def tier_lookup(classes: pd.DataFrame, tiers: list[str]) -> pd.DataFrame:
    """Ancestor of every finest-tier class at each tier.

    Parameters
    ----------
    classes : DataFrame
        ``code, tier, parent_code`` of every class (``profile_class`` rows).
    tiers : list of str
        Tier names, coarsest first (the classification's ``tiers``).

    Returns
    -------
    DataFrame
        Indexed by finest-tier code, one column per tier.
    """
    require_columns(classes, ["code", "tier", "parent_code"], "classes")
    if not tiers:
        raise ValueError("at least one tier is needed")
    parent = dict(zip(classes["code"], classes["parent_code"], strict=True))
    tier_of = dict(zip(classes["code"], classes["tier"], strict=True))
    finest = [c for c, t in tier_of.items() if t == tiers[-1]]
    if not finest:
        raise ValueError(f"no class at the finest tier {tiers[-1]!r}")
    rows = {}
    for code in finest:
        chain, node = {}, code
        while node is not None and isinstance(node, str):
            chain[tier_of.get(node)] = node
            node = parent.get(node)
        missing = [t for t in tiers if t not in chain]
        if missing:
            raise ValueError(f"class {code!r} has no ancestor at tier(s) {missing}")
        rows[code] = [chain[t] for t in tiers]
    return pd.DataFrame.from_dict(rows, orient="index", columns=tiers)


def base_composition(area_class: pd.DataFrame, households: pd.Series, lookup: pd.DataFrame) -> pd.DataFrame:
    """Households per class and tier for base areas.

    Parameters
    ----------
    area_class : DataFrame
        ``area_code, class_code`` (finest tier), one row per base area.
    households : Series
        Households per base area, indexed by area code. Areas without a count are left out
        (their households are unknown, not zero).
    lookup : DataFrame
        From :func:`tier_lookup`.

    Returns
    -------
    DataFrame
        ``code, tier, class_code, households`` for every tier.
    """
    require_columns(area_class, ["area_code", "class_code"], "area_class")
    if area_class["area_code"].duplicated().any():
        dup = area_class.loc[area_class["area_code"].duplicated(), "area_code"].iloc[0]
        raise ValueError(f"area {dup!r} has more than one class")
    unknown = ~area_class["class_code"].isin(lookup.index)
    if unknown.any():
        raise ValueError(
            f"unknown class code(s) {sorted(area_class.loc[unknown, 'class_code'].unique())[:5]}"
        )
    hh = households.reindex(area_class["area_code"].to_numpy())
    keep = hh.notna().to_numpy()
    codes = area_class["area_code"].to_numpy()[keep]
    values = non_negative(hh.to_numpy()[keep], "households")
    finest = area_class["class_code"].to_numpy()[keep]
    parts = []
    for tier in lookup.columns:
        parts.append(
            pd.DataFrame(
                {
                    "code": codes,
                    "tier": tier,
                    "class_code": lookup[tier].reindex(finest).to_numpy(),
                    "households": values,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def aggregate(composition: pd.DataFrame, parent_of: pd.Series) -> pd.DataFrame:
    """Sum a composition into parent areas.

    Parameters
    ----------
    composition : DataFrame
        ``code, tier, class_code, households`` of child areas.
    parent_of : Series
        Parent code indexed by child code; children without a parent are dropped.

    Returns
    -------
    DataFrame
        The parents' composition, same columns, zero counts omitted.
    """
    require_columns(composition, COLUMNS, "composition")
    if parent_of.index.duplicated().any():
        raise ValueError("a child area has more than one parent at the same level")
    parent = composition["code"].map(parent_of)
    frame = composition.assign(code=parent).dropna(subset=["code"])
    out = frame.groupby(["code", "tier", "class_code"], sort=True, observed=True)["households"].sum()
    out = out[out > 0].reset_index()
    return out[COLUMNS]


def share_matrix(composition: pd.DataFrame, tier: str, classes: list[str] | None = None):
    """Area × class matrix of shares at one tier.

    Returns
    -------
    codes : numpy.ndarray
        Area codes, one per row.
    classes : list of str
        Class codes, one per column (sorted unless given).
    shares : numpy.ndarray
        Rows sum to 1 (rows of areas with no households are all 0).
    """
    require_columns(composition, COLUMNS, "composition")
    part = composition[composition["tier"] == tier]
    wide = part.pivot_table(
        index="code", columns="class_code", values="households", aggfunc="sum", fill_value=0.0
    )
    if classes is not None:
        wide = wide.reindex(columns=classes, fill_value=0.0)
    matrix = wide.to_numpy(float)
    total = matrix.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(total > 0, matrix / total, 0.0)
    return wide.index.to_numpy(), list(wide.columns), shares
