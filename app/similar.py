"""Similar areas: comparison matrices cached per classification, level and data version.

Areas are compared on their class-share vectors at the finest tier. The base areas of a
classification built from variables (the Europe NUTS3 one) hold exactly one class each, so
their share vectors would only say "same class or not": they are compared on the
classification's standardised input variables instead, and the answer names that basis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from app.catalogue import LevelClassification
from app.lookup import summary
from core.store import Reader
from core.store.keyed import rows_by_key
from core.store.queries import areas as q
from core.store.queries.areas import AreaRow, SummaryRow
from geo.similarity import ShareIndex, similarity


@dataclass(frozen=True)
class ShareMatrix:
    codes: np.ndarray  # area codes, row order
    position: dict[str, int]
    shares: np.ndarray  # rows sum to 1 (or standardised variables)
    index: ShareIndex  # precomputed roots and norms for fast queries
    basis: str = "class_shares"


_CACHE: dict[tuple, Any] = {}


def _wide(rows: list[dict[str, Any]], column: str, value: str) -> tuple[np.ndarray, np.ndarray]:
    """Long rows → (row codes, dense matrix) with columns in sorted order.

    The matrices are read as plain rows, not typed ones: a national level is over a million
    rows, and a dataclass per row would double the first query's time.
    """
    frame = pd.DataFrame(rows, columns=["code", column, value])
    r, codes = pd.factorize(frame["code"], sort=True)
    c, _ = pd.factorize(frame[column], sort=True)
    matrix = np.zeros((len(codes), int(c.max()) + 1 if len(c) else 0))
    np.add.at(matrix, (r, c), frame[value].to_numpy(float))
    return np.asarray(codes, dtype=object), matrix


def _remember(key: tuple, matrix: Any) -> Any:
    for old in [k for k in _CACHE if k[:-1] == key[:-1]]:
        del _CACHE[old]
    _CACHE[key] = matrix
    return matrix


async def share_matrix(store: Reader, classification_id: str, level: str, tier: str) -> ShareMatrix:
    """Every area's class shares at ``level``; built once per data version."""
    key = (id(store), "shares", classification_id, level, tier, await store.data_version())
    if key in _CACHE:
        return _CACHE[key]
    rows = await store.fetch(q.share_vectors(classification_id, level, tier))
    codes, wide = _wide(rows, "class_code", "households")
    totals = wide.sum(axis=1)
    keep = totals > 0
    shares = wide[keep] / totals[keep, None]
    codes = codes[keep]
    matrix = ShareMatrix(codes, {c: i for i, c in enumerate(codes)}, shares, ShareIndex(shares, codes))
    return _remember(key, matrix)


async def variable_matrix(store: Reader, classification_id: str) -> ShareMatrix | None:
    """Standardised input variables of the classification's base areas, if it has any."""
    key = (id(store), "variables", classification_id, await store.data_version())
    if key in _CACHE:
        return _CACHE[key]
    rows = await store.fetch(q.area_variables(classification_id))
    if not rows:
        return _remember(key, None)
    codes, values = _wide(rows, "variable", "value")
    matrix = ShareMatrix(
        codes, {c: i for i, c in enumerate(codes)}, values, ShareIndex(values, codes), "variables"
    )
    return _remember(key, matrix)


def _nearest_on_variables(matrix: ShareMatrix, row: int, k: int, metric: str) -> list[dict]:
    """k nearest on standardised variables: Euclidean (cosine if asked), similarity rescaled by
    the largest possible distance (√ number of variables, each in [0, 1])."""
    used = "cosine" if metric == "cosine" else "euclidean"
    d = matrix.index.distances(row, used)
    d[row] = np.inf
    n = d.shape[0]
    k = min(k, n - 1)
    if k <= 0:
        return []
    part = np.argpartition(d, k - 1)[:k] if k < n else np.arange(n)
    order = part[np.lexsort((part, d[part]))]
    bound = np.sqrt(matrix.shares.shape[1]) if used == "euclidean" else 1.0
    sim = similarity(d[order] / bound, "cosine")  # already on [0, 1]
    return [
        {"code": str(matrix.codes[i]), "distance": float(d[i]), "similarity": float(s)}
        for i, s in zip(order, sim, strict=True)
    ]


async def similar_areas(
    store: Reader, area: AreaRow, classification: LevelClassification, k: int, metric: str
) -> dict[str, Any]:
    cid = classification.classification_id
    tiers = classification.tiers
    tier = tiers[-1]  # finest tier: the most telling mix
    base = {
        "code": area.code,
        "level": area.level,
        "metric": metric,
        "tier": tier,
        "classification_id": cid,
        "basis": "class_shares",
        "basis_note": None,
    }
    variables = None
    if area.level == classification.base_level:
        variables = await variable_matrix(store, cid)
    if variables is not None and area.code in variables.position:
        used = "cosine" if metric == "cosine" else "euclidean"
        base |= {
            "metric": used,
            "basis": "variables",
            "basis_note": f"Each {area.level} area holds one class of this classification, so areas are "
            f"compared on its {variables.shares.shape[1]} standardised input variables "
            f"({used} distance; similarity 100% = identical inputs).",
        }
        found = _nearest_on_variables(variables, variables.position[area.code], k, metric)
    else:
        matrix = await share_matrix(store, cid, area.level, tier)
        target = matrix.position.get(area.code)
        if target is None:
            return base | {"items": []}
        found = matrix.index.nearest(target, k=k, metric=metric)
    codes = [f["code"] for f in found]
    rows = await rows_by_key(
        store,
        SummaryRow,
        q.summaries(cid, area.level, tiers[0], codes),
        q.level_summaries(cid, area.level, tiers[0]),
        codes,
    )
    items = []
    for f in found:
        code, distance, sim = f["code"], f["distance"], f["similarity"]
        row = rows.get(code)
        if row is None:
            items.append(
                {"code": code, "level": area.level, "name": None, "bbox": None, "predominant": None}
                | {"similarity": float(sim), "distance": float(distance)}
            )
            continue
        predominant = (
            {"code": row.class_code, "name": row.class_name, "colour": row.colour} if row.class_code else None
        )
        items.append(
            summary(row) | {"similarity": float(sim), "distance": float(distance), "predominant": predominant}
        )
    return base | {"items": items}
