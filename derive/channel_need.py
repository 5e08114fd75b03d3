"""The build's channel-suitability step: per class and per area, the modelled assisted-contact
index and expected channel mix (:mod:`geo.channel_need`), for the classification the service
demand is modelled on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.store import Transaction
from geo import channel_need as need
from geo import propensity as prop


def build_channel_need(tx: Transaction, cid: str, tiers: list[str], aligned, derived) -> str:
    """Write ``channel_need_class`` and ``channel_need`` for ``cid``; returns a report line."""
    weights = {v: w for v, w in need.WEIGHTS.items() if v in aligned.drivers.columns}
    if not weights:
        return f"{cid}: no Census driver of channel suitability loaded: channel need skipped"
    class_rows = []
    finest_index = pd.Series(dtype=float)
    for tier in tiers:
        index = prop.combine(aligned.indices(tier), weights).dropna()
        class_rows.append(
            pd.DataFrame({"tier": tier, "class_code": index.index, "assisted_index": index.to_numpy()})
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
    areas = []
    for level, (codes, h) in derived.finest.items():
        index = need.area_index(h[:, present], values, reference)
        ok = np.isfinite(index)
        mix = need.expected_mix(index[ok])
        areas.append(
            pd.DataFrame(
                {
                    "level": level,
                    "code": np.asarray(codes)[ok],
                    "assisted_index": index[ok],
                    "web_share": mix["web"].to_numpy(),
                    "telephone_share": mix["telephone"].to_numpy(),
                    "face_to_face_share": mix["face-to-face"].to_numpy(),
                }
            )
        )
    per_class = pd.concat(class_rows, ignore_index=True).assign(classification_id=cid)
    per_area = pd.concat(areas, ignore_index=True).assign(classification_id=cid)
    tx.replace("channel_need_class", per_class, classification_id=cid)
    tx.replace("channel_need", per_area, classification_id=cid)
    return f"{cid}: channel need modelled for {len(per_area):,} areas from {len(weights)} Census drivers"
