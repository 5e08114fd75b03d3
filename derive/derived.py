"""Derived tables of one classification: compositions, predominant classes, demand, bands.

Everything is computed in memory over all base areas (so national references use every
output area, loaded boundaries or not) and written only for the areas the store knows, at
every level the lookups reach. The work is sparse matrix algebra on integer class columns
(see :class:`geo.composition.CompositionMatrix`), and only what does not follow from an area's
one class is written (see ``core.store.schema``): a national rebuild over 239,023 output areas
computes in about a second and writes ~0.6 million rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo import composition as comp
from geo import demand as dem
from geo.predominant import predominant_matrix


@dataclass
class Derived:
    """What ``insight build`` writes for one classification (see ``core.store.schema``).

    ``base``: ``level, code, class_code, households`` per base area (``base_composition``);
    ``areas``: ``level, code, households, mix`` per area above it (``composition_area``; ``mix``
    holds households per finest class in ``class_tier`` order); ``predominant``: leading classes
    above the base level (``predominant_area``); ``class_tier``: ``position, finest_code, tier,
    class_code``. The store's views spread these out into long compositions.
    """

    base: pd.DataFrame
    areas: pd.DataFrame
    predominant: pd.DataFrame
    class_tier: pd.DataFrame
    matrix: comp.CompositionMatrix | None = None  # every base area (national reference)
    finest: dict = field(default_factory=dict)  # level → (codes, sparse households × finest class)
    base_level: str | None = None

    @property
    def rows(self) -> int:
        """Rows written: base areas, areas above them and their predominant classes."""
        return len(self.base) + len(self.areas) + len(self.predominant)

    def composition(self) -> pd.DataFrame:
        """``level, code, tier, class_code, households`` at every level and tier, as the store's
        ``composition`` view shows them (zero counts kept for base areas only)."""
        m, parts = self.matrix, []
        if m is None:
            return pd.DataFrame(columns=["level", *comp.COLUMNS])
        for level, (codes, matrix) in self.finest.items():
            for tier in m.tiers:
                if level == self.base_level:
                    part = m.base_long(pd.Index(m.codes).get_indexer(codes), tier)
                else:
                    part = m.long(codes, matrix, tier)
                parts.append(part.assign(level=level))
        return pd.concat(parts, ignore_index=True)


def _kept(codes: np.ndarray, matrix, keep: set[str] | None):
    if keep is None:
        return codes, matrix
    mask = pd.Index(codes).isin(keep)
    return codes[mask], matrix[np.flatnonzero(mask)]


def _class_tier(m: comp.CompositionMatrix) -> pd.DataFrame:
    n = len(m.finest)
    finest = np.asarray(m.finest, dtype=object)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "position": np.arange(1, n + 1),
                    "finest_code": finest,
                    "tier": tier,
                    "class_code": np.asarray(m.tier_classes[tier], dtype=object)[m.tier_column(tier)],
                }
            )
            for tier in m.tiers
        ],
        ignore_index=True,
    )


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
    area_parts, pred_parts, finest = [], [], {}
    base = pd.DataFrame(columns=["level", "code", "class_code", "households"])
    for level in [base_level, *parents]:
        if level == base_level:
            codes, matrix = m.codes.astype(object), m.base
        else:
            codes, matrix = m.parent(parents[level])
        codes, matrix = _kept(codes, matrix, keep.get(level))
        if len(codes) == 0:
            continue
        finest[level] = (codes, matrix)
        if level == base_level:
            rows = pd.Index(m.codes).get_indexer(codes)
            base = pd.DataFrame(
                {
                    "level": level,
                    "code": codes,
                    "class_code": np.asarray(m.finest, dtype=object)[m.class_index[rows]],
                    "households": m.households[rows],
                }
            )
            continue
        dense = matrix.toarray()
        total = dense.sum(axis=1)
        has = total > 0
        totals = pd.Series(total, index=codes)
        area_parts.append(
            pd.DataFrame(
                {"level": level, "code": codes[has], "households": total[has], "mix": list(dense[has])}
            )
        )
        for tier in m.tiers:
            tiered = dense @ m.to_tier[tier].toarray()
            pred = predominant_matrix(codes, tiered, m.tier_classes[tier], tier, mixed_margin)
            if not pred.empty:
                # ``households`` is every household of the area; the leading class's own count
                # is ``class_households``, so a column summed over areas gives the area total.
                pred = pred.rename(columns={"households": "class_households"})
                pred_parts.append(pred.assign(level=level, households=pred["code"].map(totals)))
    areas = (
        pd.concat(area_parts, ignore_index=True)
        if area_parts
        else pd.DataFrame(columns=["level", "code", "households", "mix"])
    )
    preds = pd.concat(pred_parts, ignore_index=True) if pred_parts else pd.DataFrame(columns=_PREDOMINANT)
    return Derived(base, areas, preds, _class_tier(m), m, finest, base_level)


_PREDOMINANT = [
    "level",
    "code",
    "tier",
    "class_code",
    "runner_up_code",
    "households",
    "class_households",
    "share",
    "margin",
    "mixed",
]


@dataclass
class DemandTables:
    """Demand written for one classification (see ``core.store.schema``): ``areas`` above the base
    level, one row each with expected uses in ``services`` order; ``per_class`` for the base
    level; band ``edges`` per service, level and scheme; ``services``: ``lgsl, position,
    reference, band_low, band_high``."""

    areas: pd.DataFrame
    per_class: pd.DataFrame
    edges: pd.DataFrame
    services: pd.DataFrame

    @property
    def rows(self) -> int:
        """Area-service pairs modelled above the base level."""
        return len(self.areas) * len(self.services)


def demand_tables(
    derived: Derived,
    finest: str,
    propensity: pd.DataFrame,
    rates: Mapping[int, float],
    band_high: float,
    band_low: float,
) -> DemandTables:
    """Expected demand, index and band per area and service; band edges per level and scheme.

    Base areas hold one class each, so their demand per household, index and band are their
    class's: they are returned per class (``class_demand``) and the store's ``demand`` view
    multiplies them out on read. Band edges count every base area written.

    Parameters
    ----------
    propensity : DataFrame
        Finest-tier classes (index) × services (columns, LGSL) of propensity indices.
    rates : mapping
        Overall rate ``R[s]`` per service where known (otherwise relative uses, R = 1).
    """
    m = derived.matrix
    lgsls = [int(s) for s in propensity.columns]
    if m is None or not derived.finest or not lgsls:
        empty = pd.DataFrame()
        return DemandTables(empty, empty, empty, pd.DataFrame(columns=["lgsl", "position", "reference"]))
    scale = np.array([float(rates.get(s, 1.0)) for s in lgsls])
    # classes without a propensity count neither in expected uses nor in households
    present = pd.Index(m.finest).isin(propensity.index).astype(float)
    r = dem.rates(propensity.reindex(m.finest).fillna(0.0).to_numpy(float)) * scale[None, :]
    ref_by_class = np.asarray(m.base.sum(axis=0)).ravel()
    ref_h = float(ref_by_class @ present)
    ref = (ref_by_class @ r) / ref_h  # expected uses per household, per service
    if not np.all(np.isfinite(ref) & (ref > 0)):
        bad = [lgsl for lgsl, x in zip(lgsls, ref, strict=True) if not (np.isfinite(x) and x > 0)]
        raise ValueError(f"service(s) {bad} have no expected uses in the reference population")
    class_index = 100.0 * r / ref[None, :]  # classes × services
    class_demand = _class_demand(
        m, derived.base_level, finest, lgsls, r, present, class_index, band_high, band_low
    )
    area_parts, edge_rows = [], []
    for level, (codes, h) in derived.finest.items():
        if level == derived.base_level:
            ordered = _base_index_sorted(h, class_index, present)
        else:
            hh = np.asarray(h @ present).ravel()
            has = hh > 0
            e = np.asarray(h[np.flatnonzero(has)] @ r)  # areas × services
            # the store's ``demand`` view works the index and band out from these
            area_parts.append(
                pd.DataFrame({"level": level, "code": codes[has], "households": hh[has], "expected": list(e)})
            )
            ordered = np.sort(100.0 * (e / hh[has, None]) / ref[None, :], axis=0)
        for j, lgsl in enumerate(lgsls):
            if ordered.shape[0]:
                for scheme in dem.SCHEMES:
                    edges = dem.band_edges(ordered[:, j], scheme, band_high, band_low, is_sorted=True)
                    edge_rows.append(
                        {
                            "lgsl": lgsl,
                            "level": level,
                            "scheme": scheme,
                            "edges": json.dumps([round(x, 4) for x in edges]),
                        }
                    )
    areas = pd.concat(area_parts, ignore_index=True) if area_parts else pd.DataFrame()
    services = pd.DataFrame(
        {
            "lgsl": lgsls,
            "position": np.arange(1, len(lgsls) + 1),
            "reference": ref,
            "band_low": float(band_low),
            "band_high": float(band_high),
        }
    )
    return DemandTables(areas, class_demand, pd.DataFrame(edge_rows), services)


def _base_index_sorted(h, class_index: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Every base area's demand index (its class's), sorted per service: base areas × services.

    A base area holds one class, so the values are the class indices repeated once per base area
    of the class with households; no per-area arithmetic is needed.
    """
    counts = np.asarray((h > 0).sum(axis=0)).ravel() * (present > 0)
    order = np.argsort(class_index, axis=0, kind="stable")
    return np.stack(
        [np.repeat(class_index[order[:, j], j], counts[order[:, j]]) for j in range(class_index.shape[1])],
        axis=1,
    )


def _class_demand(m, base_level, finest, lgsls, r, present, class_index, band_high, band_low) -> pd.DataFrame:
    """Rate, index and band of each finest class with a propensity (the base areas' demand)."""
    keep = present > 0
    classes = np.asarray(m.finest, dtype=object)[keep]
    rate = r[keep]  # classes × services
    idx = class_index[keep]
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
