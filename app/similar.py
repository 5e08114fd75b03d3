"""Similar areas: share matrices cached per classification, level and data version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from app.lookup import summary, tiers_of
from app.store import Reader
from app.store.queries import areas as q
from geo.similarity import ShareIndex


@dataclass(frozen=True)
class ShareMatrix:
    codes: np.ndarray  # area codes, row order
    position: dict[str, int]
    shares: np.ndarray  # rows sum to 1
    index: ShareIndex  # precomputed roots and norms for fast queries


_CACHE: dict[tuple[str, str, str, str, str], ShareMatrix] = {}


async def share_matrix(store: Reader, classification_id: str, level: str, tier: str) -> ShareMatrix:
    """Every area's class shares at ``level``; built once per data version."""
    key = (store.backend, classification_id, level, tier, await store.data_version())
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    rows = await store.fetch(q.SHARE_VECTORS, classification_id, level, tier)
    frame = pd.DataFrame(rows, columns=["code", "class_code", "households"])
    wide = frame.pivot_table(
        index="code", columns="class_code", values="households", aggfunc="sum", fill_value=0.0
    )
    totals = wide.sum(axis=1).to_numpy()
    keep = totals > 0
    shares = wide.to_numpy(dtype=float)[keep] / totals[keep, None]
    codes = wide.index.to_numpy()[keep]
    matrix = ShareMatrix(codes, {c: i for i, c in enumerate(codes)}, shares, ShareIndex(shares, codes))
    for old in [k for k in _CACHE if k[:4] == key[:4]]:
        del _CACHE[old]
    _CACHE[key] = matrix
    return matrix


async def similar_areas(
    store: Reader, area: dict[str, Any], classification: dict[str, Any], k: int, metric: str
) -> dict[str, Any]:
    cid = classification["classification_id"]
    tier = tiers_of(classification)[-1]  # finest tier: the most telling mix
    matrix = await share_matrix(store, cid, area["level"], tier)
    base = {
        "code": area["code"],
        "level": area["level"],
        "metric": metric,
        "tier": tier,
        "classification_id": cid,
    }
    target = matrix.position.get(area["code"])
    if target is None:
        return base | {"items": []}
    found = matrix.index.nearest(target, k=k, metric=metric)
    codes = [f["code"] for f in found]
    rows = {
        r["code"]: r
        for r in await store.fetch(q.SUMMARIES, cid, area["level"], tiers_of(classification)[0], codes)
    }
    items = []
    for f in found:
        code, distance, similarity = f["code"], f["distance"], f["similarity"]
        row = rows.get(code, {"code": code, "level": area["level"]})
        predominant = (
            {"code": row["class_code"], "name": row["class_name"], "colour": row["colour"]}
            if row.get("class_code")
            else None
        )
        items.append(
            summary(row)
            | {"similarity": float(similarity), "distance": float(distance), "predominant": predominant}
        )
    return base | {"items": items}
