"""Derived tables of one classification: compositions, predominant classes, demand, bands.

Everything is computed in memory over all base areas (so national references use every
output area, loaded boundaries or not) and written only for the areas the store knows, at
every level the lookups reach.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import composition as comp
from geo import demand as dem
from geo.predominant import predominant


@dataclass
class Derived:
    composition: pd.DataFrame  # level, code, tier, class_code, households
    predominant: pd.DataFrame
    base: pd.DataFrame  # base composition over all base areas (every tier)


def compositions(
    base_classes: pd.DataFrame,
    households: pd.Series,
    lookup: pd.DataFrame,
    base_level: str,
    parents: Mapping[str, pd.Series],
    keep: Mapping[str, set[str] | None],
    mixed_margin: float,
) -> Derived:
    """Compositions and predominant classes at the base level and every parent level.

    Parameters
    ----------
    base_classes : DataFrame
        ``area_code, class_code`` per base area.
    households : Series
        Households (or population) per base area.
    lookup : DataFrame
        :func:`geo.composition.tier_lookup` of the classification.
    parents : mapping
        Level → Series mapping base area code → parent code at that level.
    keep : mapping
        Level → codes to write (None: all).
    """
    base = comp.base_composition(base_classes, households, lookup)
    parts = []
    for level in [base_level, *parents]:
        frame = base if level == base_level else comp.aggregate(base, parents[level])
        codes = keep.get(level)
        if codes is not None:
            frame = frame[frame["code"].isin(codes)]
        if not frame.empty:
            parts.append(frame.assign(level=level))
    if not parts:
        empty = pd.DataFrame(columns=["level", *comp.COLUMNS])
        return Derived(empty, empty.assign(class_code=None).iloc[0:0], base)
    allc = pd.concat(parts, ignore_index=True)
    preds = []
    for level, part in allc.groupby("level", sort=False):
        preds.append(predominant(part[comp.COLUMNS], mixed_margin).assign(level=level))
    return Derived(allc, pd.concat(preds, ignore_index=True), base)


def demand_tables(
    derived: Derived,
    finest: str,
    propensity: pd.DataFrame,
    rates: Mapping[int, float],
    band_high: float,
    band_low: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expected demand, index and band per area and service; band edges per level and scheme.

    Parameters
    ----------
    propensity : DataFrame
        Finest-tier classes (index) × services (columns, LGSL) of propensity indices.
    rates : mapping
        Overall rate ``R[s]`` per service where known (otherwise relative uses, R = 1).

    Returns
    -------
    demand, edges : DataFrame
        ``lgsl, level, code, households, expected, demand_index, band`` and
        ``lgsl, level, scheme, edges`` (JSON list).
    """
    classes = list(propensity.index)
    lgsls = [int(s) for s in propensity.columns]
    scale = np.array([float(rates.get(s, 1.0)) for s in lgsls])
    r = dem.rates(propensity.to_numpy(float)) * scale[None, :]
    base_fine = derived.base[derived.base["tier"] == finest]
    ref_h = float(base_fine["households"].sum())
    ref_by_class = base_fine.groupby("class_code")["households"].sum().reindex(classes, fill_value=0.0)
    ref_e = ref_by_class.to_numpy(float) @ r  # per service
    demand_parts, edge_rows = [], []
    fine = derived.composition[derived.composition["tier"] == finest]
    for level, part in fine.groupby("level", sort=False):
        wide = part.pivot_table(
            index="code", columns="class_code", values="households", aggfunc="sum", fill_value=0.0
        )
        wide = wide.reindex(columns=classes, fill_value=0.0)
        h = wide.to_numpy(float)
        e = dem.expected(h, r)  # areas × services
        hh = h.sum(axis=1)
        codes = wide.index.to_numpy()
        n, n_s = len(codes), len(lgsls)
        idx = np.column_stack([dem.demand_index(e[:, j], hh, float(ref_e[j]), ref_h) for j in range(n_s)])
        flat = idx.T.ravel()
        # thresholds scheme (see geo.demand.assign_bands): ≥ high is high, ≤ low is low, NaN medium
        band_code = np.where(flat >= band_high, 2, np.where(flat <= band_low, 0, 1)).astype(np.int8)
        bands = pd.Categorical.from_codes(band_code, categories=list(dem.BANDS))
        demand_parts.append(
            pd.DataFrame(
                {
                    "lgsl": np.repeat(np.asarray(lgsls, dtype=np.int64), n),
                    "level": level,
                    "code": np.tile(codes, n_s),
                    "households": np.tile(hh, n_s),
                    "expected": e.T.ravel(),
                    "demand_index": idx.T.ravel(),
                    "band": bands,
                }
            )
        )
        for j, lgsl in enumerate(lgsls):
            finite = idx[:, j][np.isfinite(idx[:, j])]
            if finite.size:
                for scheme in dem.SCHEMES:
                    edges = dem.band_edges(finite, scheme, band_high, band_low)
                    edge_rows.append(
                        {
                            "lgsl": lgsl,
                            "level": level,
                            "scheme": scheme,
                            "edges": json.dumps([round(x, 4) for x in edges]),
                        }
                    )
    demand = pd.concat(demand_parts, ignore_index=True) if demand_parts else pd.DataFrame()
    if not demand.empty:
        demand = demand[np.isfinite(demand["demand_index"].to_numpy(float))]
    return demand, pd.DataFrame(edge_rows)
