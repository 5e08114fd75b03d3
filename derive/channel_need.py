"""The build's channel-suitability step: per class and per area, the modelled assisted-contact
index and expected channel mix (:mod:`geo.channel_need`), for the classification the service
demand is modelled on."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from core.store import Transaction
from geo import channel_need as need
from geo import propensity as prop


def build_channel_need(
    tx: Transaction,
    cid: str,
    tiers: list[str],
    aligned,
    derived,
    lad_nuts3: pd.Series | None = None,
    evidence: pd.DataFrame | None = None,
    thresholds: tuple[int, int] = (3, 1_000),
) -> str:
    """Write ``channel_need_class`` and ``channel_need`` for ``cid``; returns a report line.

    ``lad_nuts3`` (district code → UK NUTS3 code) adds the UK NUTS3 regions the output areas
    reach, each from the households of the districts loaded within it. Regions elsewhere in
    Europe have no such Census drivers and get no row.

    ``evidence`` (``pooled_channel``: councils' contacts per finest class and channel) replaces
    the modelled index of every class it covers, at every tier, and the assumed baseline mix by
    the observed one, when at least ``thresholds`` (councils, contacts) stand behind it."""
    weights = {v: w for v, w in need.WEIGHTS.items() if v in aligned.drivers.columns}
    if not weights:
        return f"{cid}: no Census driver of channel suitability loaded: channel need skipped"
    observed, baseline, note = _observed(evidence, derived, tiers, thresholds)
    class_rows = []
    finest_index = pd.Series(dtype=float)
    for tier in tiers:
        index = prop.combine(aligned.indices(tier), weights).dropna()
        source = pd.Series("modelled", index=index.index)
        if tier in observed:
            seen = observed[tier].reindex(index.index)
            index = index.where(seen.isna(), seen)
            source = source.where(seen.isna(), "observed")
        class_rows.append(
            pd.DataFrame(
                {
                    "tier": tier,
                    "class_code": index.index,
                    "assisted_index": index.to_numpy(),
                    "source": source.to_numpy(),
                }
            )
        )
        finest_index = index
    m = derived.matrix
    if m is None or not derived.finest:
        return f"{cid}: no composition matrix: channel need skipped"
    ci = finest_index.reindex(m.finest)
    present = np.flatnonzero(ci.notna().to_numpy())
    values = ci.to_numpy(float)[present]
    by_class = np.asarray(m.base.sum(axis=0)).ravel()[present]
    reference = float(by_class @ values / by_class.sum())
    levels = dict(derived.finest)
    if lad_nuts3 is not None and "lad" in levels:
        lad_codes, lad_households = levels["lad"]
        levels["nuts3"] = _regions(lad_codes, lad_households, lad_nuts3)
    areas = []
    for level, (codes, h) in levels.items():
        index = need.area_index(h[:, present], values, reference)
        ok = np.isfinite(index)
        mix = need.expected_mix(index[ok], baseline)
        areas.append(
            pd.DataFrame(
                {
                    "level": level,
                    "code": np.asarray(codes)[ok],
                    "assisted_index": index[ok],
                    "web_share": mix["web"].to_numpy(),
                    "telephone_share": mix["telephone"].to_numpy(),
                    "face_to_face_share": mix["face-to-face"].to_numpy(),
                    "source": "observed" if observed else "modelled",
                }
            )
        )
    per_class = pd.concat(class_rows, ignore_index=True).assign(classification_id=cid)
    per_area = pd.concat(areas, ignore_index=True).assign(classification_id=cid)
    tx.replace("channel_need_class", per_class, classification_id=cid)
    # NUTS3 regions are drawn with the Europe classification and join on level and code alone:
    # only the classification modelled last may hold them
    tx.delete_where("channel_need", level="nuts3")
    tx.replace("channel_need", per_area, classification_id=cid)
    return f"{cid}: channel need for {len(per_area):,} areas from {len(weights)} Census drivers{note}"


def _observed(
    evidence: pd.DataFrame | None, derived, tiers: list[str], thresholds: tuple[int, int]
) -> tuple[dict[str, pd.Series], dict[str, float] | None, str]:
    """Observed indices per tier and the observed mix, where the evidence is enough."""
    if evidence is None or evidence.empty:
        return {}, None, ""
    councils, records = int(evidence["councils"].max()), float(evidence["records"].max())
    synthetic = " (SYNTHETIC records)" if bool(evidence["synthetic"].any()) else ""
    if councils < thresholds[0] or records < thresholds[1]:
        return (
            {},
            None,
            f"; councils' channel evidence ({councils} councils, {records:,.0f} contacts) not enough",
        )
    counts = evidence.pivot_table(index="class_code", columns="channel", values="contacts", aggfunc="sum")
    tiers_of = derived.class_tier
    out: dict[str, pd.Series] = {}
    mix: dict[str, float] | None = None
    for tier in tiers:
        up = tiers_of[tiers_of["tier"] == tier].set_index("finest_code")["class_code"].to_dict()
        rolled = counts.groupby([up.get(c, c) for c in counts.index]).sum()
        out[tier], tier_mix = need.observed_index(rolled)
        mix = mix or tier_mix
    return out, mix, f"; observed channel mix from {councils} councils' {records:,.0f} contacts{synthetic}"


def _regions(codes, h, lad_nuts3: pd.Series):
    """The UK NUTS3 regions' households per finest class: the sum of their districts' rows.
    A region with a district loaded but not modelled (no output areas) is left out rather than
    shown from part of it.

    Examples
    --------
    >>> from scipy import sparse
    >>> h = sparse.csr_matrix(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    >>> links = pd.Series(["UKA1", "UKA1", "UKB2", "UKC3"], index=["L1", "L2", "L3", "L4"])
    >>> regions, m = _regions(np.array(["L1", "L2", "L3"]), h, links)
    >>> regions.tolist(), m.toarray().tolist()
    (['UKA1', 'UKB2'], [[4.0, 6.0], [5.0, 6.0]])
    >>> _regions(np.array(["L1", "L3"]), h[[0, 2]], links)[0].tolist()  # L2 of UKA1 not modelled
    ['UKB2']
    """
    uk = lad_nuts3[lad_nuts3.astype(str).str.startswith("UK")]
    partial = set(uk[~uk.index.isin(codes)])
    mapping = uk[uk.index.isin(codes) & ~uk.isin(partial)]
    mapping = mapping[~mapping.index.duplicated()]
    regions = np.asarray(sorted(set(mapping)), dtype=object)
    rows = pd.Index(codes).get_indexer(mapping.index)
    cols = pd.Index(regions).get_indexer(mapping.to_numpy())
    join = sparse.csr_matrix((np.ones(len(rows)), (cols, rows)), shape=(len(regions), len(codes)))
    return regions, join @ h
