"""Derived tables of one classification: compositions, predominant classes, demand, bands.

Everything is computed in memory over all base areas (so national references use every
output area, loaded boundaries or not) and written only for the areas the store knows, at
every level the lookups reach. The work is sparse matrix algebra on integer class columns
(see :class:`geo.composition.CompositionMatrix`): a national rebuild takes about a second.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo import composition as comp
from geo import demand as dem
from geo.predominant import predominant_matrix, predominant_single


@dataclass
class Derived:
    composition: pd.DataFrame  # level, code, tier, class_code, households
    predominant: pd.DataFrame
    matrix: comp.CompositionMatrix | None = None  # every base area (national reference)
    finest: dict = field(default_factory=dict)  # level → (codes, sparse households × finest class)
    base_level: str | None = None


def _kept(codes: np.ndarray, matrix, keep: set[str] | None):
    if keep is None:
        return codes, matrix
    mask = pd.Index(codes).isin(keep)
    return codes[mask], matrix[np.flatnonzero(mask)]


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
    if not 0 <= mixed_margin <= 1:
        raise ValueError("mixed_margin must be within [0, 1]")
    m = comp.CompositionMatrix(base_classes, households, lookup)
    comp_parts, pred_parts, finest = [], [], {}
    for level in [base_level, *parents]:
        if level == base_level:
            codes, matrix = m.codes.astype(object), m.base
        else:
            codes, matrix = m.parent(parents[level])
        codes, matrix = _kept(codes, matrix, keep.get(level))
        if len(codes) == 0:
            continue
        finest[level] = (codes, matrix)
        rows = pd.Index(m.codes).get_indexer(codes) if level == base_level else None
        for tier in m.tiers:
            names = m.tier_classes[tier]
            if level == base_level:
                # one class per base area: share and margin are 1 by definition
                part = m.base_long(rows, tier)
                pred = predominant_single(
                    codes, part["households"].to_numpy(), part["class_code"].to_numpy(), tier, mixed_margin
                )
            else:
                part = m.long(codes, matrix, tier)
                dense = (matrix @ m.to_tier[tier]).toarray()
                pred = predominant_matrix(codes, dense, names, tier, mixed_margin)
            if not part.empty:
                comp_parts.append(part.assign(level=level))
            if not pred.empty:
                pred_parts.append(pred.assign(level=level))
    if not comp_parts:
        empty = pd.DataFrame(columns=["level", *comp.COLUMNS])
        return Derived(empty, empty.assign(class_code=None).iloc[0:0], m, finest, base_level)
    allc = pd.concat(comp_parts, ignore_index=True)
    preds = pd.concat(pred_parts, ignore_index=True)
    return Derived(allc, preds, m, finest, base_level)


def demand_tables(
    derived: Derived,
    finest: str,
    propensity: pd.DataFrame,
    rates: Mapping[int, float],
    band_high: float,
    band_low: float,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Expected demand, index and band per area and service; band edges per level and scheme.

    Base areas hold one class each, so their demand per household, index and band are their
    class's: they are returned per class (``class_demand``) and the store's ``demand`` view
    multiplies them out on read. Band edges still count every base area.

    Parameters
    ----------
    propensity : DataFrame
        Finest-tier classes (index) × services (columns, LGSL) of propensity indices.
    rates : mapping
        Overall rate ``R[s]`` per service where known (otherwise relative uses, R = 1).

    Returns
    -------
    demand, class_demand, edges : DataFrame
        ``lgsl, level, code, households, expected, demand_index, band`` above the base level;
        ``lgsl, level, tier, class_code, rate, demand_index, band`` for the base level;
        ``lgsl, level, scheme, edges`` (JSON list).
    """
    m = derived.matrix
    lgsls = [int(s) for s in propensity.columns]
    if m is None or not derived.finest or not lgsls:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    scale = np.array([float(rates.get(s, 1.0)) for s in lgsls])
    # classes without a propensity count neither in expected uses nor in households
    present = pd.Index(m.finest).isin(propensity.index).astype(float)
    r = dem.rates(propensity.reindex(m.finest).fillna(0.0).to_numpy(float)) * scale[None, :]
    ref_by_class = np.asarray(m.base.sum(axis=0)).ravel()
    ref_h = float(ref_by_class @ present)
    ref_e = ref_by_class @ r  # per service
    demand_parts, edge_rows = [], []
    n_s = len(lgsls)
    class_demand = _class_demand(
        m, derived.base_level, finest, lgsls, r, present, ref_e / ref_h, band_high, band_low
    )
    for level, (codes, h) in derived.finest.items():
        e = np.asarray(h @ r)  # areas × services
        hh = np.asarray(h @ present).ravel()
        n = len(codes)
        ref = ref_e / ref_h
        with np.errstate(divide="ignore", invalid="ignore"):
            idx = np.where(hh[:, None] > 0, 100.0 * (e / hh[:, None]) / ref[None, :], np.nan)
        if level != derived.base_level:
            flat = idx.T.ravel()
            # thresholds scheme (see geo.demand.assign_bands): ≥ high is high, ≤ low is low
            band_code = np.where(flat >= band_high, 2, np.where(flat <= band_low, 0, 1)).astype(np.int8)
            ok = np.isfinite(flat)
            demand_parts.append(
                pd.DataFrame(
                    {
                        "lgsl": np.repeat(np.asarray(lgsls, dtype=np.int64), n)[ok],
                        "level": level,
                        "code": np.tile(codes, n_s)[ok],
                        "households": np.tile(hh, n_s)[ok],
                        "expected": e.T.ravel()[ok],
                        "demand_index": flat[ok],
                        "band": pd.Categorical.from_codes(band_code[ok], categories=list(dem.BANDS)),
                    }
                )
            )
        for j, lgsl in enumerate(lgsls):
            finite = np.sort(idx[:, j][np.isfinite(idx[:, j])])
            if finite.size:
                for scheme in dem.SCHEMES:
                    edges = dem.band_edges(finite, scheme, band_high, band_low, is_sorted=True)
                    edge_rows.append(
                        {
                            "lgsl": lgsl,
                            "level": level,
                            "scheme": scheme,
                            "edges": json.dumps([round(x, 4) for x in edges]),
                        }
                    )
    demand = pd.concat(demand_parts, ignore_index=True) if demand_parts else pd.DataFrame()
    return demand, class_demand, pd.DataFrame(edge_rows)


def _class_demand(m, base_level, finest, lgsls, r, present, ref, band_high, band_low) -> pd.DataFrame:
    """Rate, index and band of each finest class with a propensity (the base areas' demand)."""
    keep = present > 0
    classes = np.asarray(m.finest, dtype=object)[keep]
    rate = r[keep]  # classes × services
    idx = 100.0 * rate / ref[None, :]
    band_code = np.where(idx >= band_high, 2, np.where(idx <= band_low, 0, 1))
    n = len(classes)
    return pd.DataFrame(
        {
            "lgsl": np.repeat(np.asarray(lgsls, dtype=np.int64), n),
            "level": base_level,
            "tier": finest,
            "class_code": np.tile(classes, len(lgsls)),
            "rate": rate.T.ravel(),
            "demand_index": idx.T.ravel(),
            "band": np.asarray(dem.BANDS, dtype=object)[band_code.T.ravel()],
        }
    )
