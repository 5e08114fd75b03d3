"""Composition ``H[a,t]``: households of each profile class in each area, at every tier.

A base area (an output area) holds its household count in its one class; a larger area sums
its base areas. Coarser tiers are taken from the class hierarchy before summing, so a group's
count is exactly the sum of its subgroups' counts. Frames are long:
``code, tier, class_code, households``.
"""

from __future__ import annotations

from typing import Any

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


class CompositionMatrix:
    """Households per area × finest class as a sparse matrix, with every tier's class index.

    The fast form of :func:`base_composition` and :func:`aggregate` for a national rebuild:
    class codes become integer columns once, a parent level is one sparse product with a
    child → parent indicator matrix, and a coarser tier is one product with a finest → tier
    indicator matrix. Long frames are produced only for writing.

    Parameters
    ----------
    area_class : DataFrame
        ``area_code, class_code`` (finest tier), one row per base area.
    households : Series
        Households per base area; areas without a count are left out.
    lookup : DataFrame
        From :func:`tier_lookup`.
    """

    def __init__(self, area_class: pd.DataFrame, households: pd.Series, lookup: pd.DataFrame) -> None:
        from scipy import sparse

        require_columns(area_class, ["area_code", "class_code"], "area_class")
        codes_all = area_class["area_code"].to_numpy()
        if area_class["area_code"].duplicated().any():
            dup = area_class.loc[area_class["area_code"].duplicated(), "area_code"].iloc[0]
            raise ValueError(f"area {dup!r} has more than one class")
        self.tiers = list(lookup.columns)
        self.finest = [str(c) for c in sorted(lookup.index)]
        cls = pd.Index(self.finest).get_indexer(area_class["class_code"].to_numpy())
        if (cls < 0).any():
            bad = area_class["class_code"].to_numpy()[cls < 0]
            raise ValueError(f"unknown class code(s) {sorted(set(bad))[:5]}")
        hh = households.reindex(codes_all).to_numpy(float)
        keep = ~np.isnan(hh)
        self.codes = codes_all[keep]
        self._index: pd.Index | None = None  # built on first use, to look up children
        self.households = non_negative(hh[keep], "households")
        self.class_index = cls[keep]
        n = len(self.codes)
        self.base = sparse.csr_matrix(
            (self.households, (np.arange(n), self.class_index)), shape=(n, len(self.finest))
        )
        # finest → tier indicator matrices, tier classes sorted by code (ties go to the lower code)
        self.tier_classes: dict[str, list[str]] = {}
        self.to_tier: dict[str, Any] = {}  # scipy.sparse matrices
        for tier in self.tiers:
            ancestors = lookup[tier].reindex(self.finest).to_numpy()
            names = sorted({str(a) for a in ancestors})
            col = pd.Index(names).get_indexer(ancestors)
            self.tier_classes[tier] = names
            self.to_tier[tier] = sparse.csr_matrix(
                (np.ones(len(self.finest)), (np.arange(len(self.finest)), col)),
                shape=(len(self.finest), len(names)),
            )

    def parent(self, parent_of: pd.Series) -> tuple[np.ndarray, object]:
        """Parent codes and their finest-class households (sparse), summed from the base areas."""
        from scipy import sparse

        if not parent_of.index.is_unique:
            raise ValueError("a child area has more than one parent at the same level")
        # the base areas' positions of the children (a child that is no base area is skipped)
        if self._index is None:
            self._index = pd.Index(self.codes)
        pos = self._index.get_indexer(parent_of.index)
        has = (pos >= 0) & parent_of.notna().to_numpy()
        idx, uniques = pd.factorize(parent_of.array[has], sort=True)
        rows = pos[has]
        indicator = sparse.csr_matrix(
            (np.ones(len(rows)), (idx, rows)), shape=(len(uniques), len(self.codes))
        )
        return np.asarray(uniques, dtype=object), (indicator @ self.base).tocsr()

    def tier_column(self, tier: str) -> np.ndarray:
        """Column index at ``tier`` of each finest class."""
        return self.to_tier[tier].indices

    def base_long(self, rows: np.ndarray, tier: str) -> pd.DataFrame:
        """Base-area rows (positions ``rows``) at ``tier``, zero counts kept."""
        names = np.asarray(self.tier_classes[tier], dtype=object)
        return pd.DataFrame(
            {
                "code": self.codes[rows].astype(object),
                "tier": tier,
                "class_code": names[self.tier_column(tier)[self.class_index[rows]]],
                "households": self.households[rows],
            }
        )

    def long(self, codes: np.ndarray, matrix, tier: str) -> pd.DataFrame:
        """``code, tier, class_code, households`` rows of ``matrix`` at ``tier`` (zeros left out)."""
        tiered = (matrix @ self.to_tier[tier]).tocoo()
        nz = tiered.data > 0
        rows, cols, values = tiered.row[nz], tiered.col[nz], tiered.data[nz]
        order = np.lexsort((cols, rows))
        names = np.asarray(self.tier_classes[tier], dtype=object)
        return pd.DataFrame(
            {
                "code": codes[rows[order]],
                "tier": tier,
                "class_code": names[cols[order]],
                "households": values[order],
            }
        )
