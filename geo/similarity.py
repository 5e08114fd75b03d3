"""Similar areas: distance between share vectors, rescaled to a 0–100% similarity.

Hellinger (default) is bounded in [0, 1] for probability vectors, so similarity is
``100 (1 − d)``. Euclidean distance between share vectors is bounded by √2, so similarity is
``100 (1 − d/√2)``. Cosine distance between non-negative vectors is bounded by 1, so
similarity is ``100 (1 − d)`` (i.e. 100 × cosine similarity).
"""

from __future__ import annotations

import numpy as np

METRICS = ("hellinger", "euclidean", "cosine")
_SQRT2 = np.sqrt(2.0)


def _as_shares(matrix: np.ndarray) -> np.ndarray:
    arr = np.asarray(matrix, dtype=float)
    if arr.ndim != 2:
        raise ValueError("matrix must be 2-D (areas × classes)")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("matrix must hold finite, non-negative values")
    return arr


def hellinger(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hellinger distance ``sqrt(1/2 Σ (√p − √q)²)`` between rows of ``p`` and ``q`` (broadcast)."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    if np.any(p < 0) or np.any(q < 0):
        raise ValueError("shares must not be negative")
    d = np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2, axis=-1))
    return np.clip(d, 0.0, 1.0)


def distances(matrix: np.ndarray, target: np.ndarray, metric: str = "hellinger") -> np.ndarray:
    """Distance of every row of ``matrix`` to ``target`` under ``metric``."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    m = _as_shares(matrix)
    t = np.asarray(target, float).reshape(-1)
    if t.shape[0] != m.shape[1]:
        raise ValueError("target has a different number of classes from matrix")
    if metric == "hellinger":
        # 1/2 Σ(√p − √q)² = 1 − Σ√(pq) for shares summing to 1; the expanded form is exact for any rows.
        sq = np.sqrt(m)
        st = np.sqrt(t)
        d2 = 0.5 * (m.sum(axis=1) + t.sum() - 2.0 * (sq @ st))
        return np.sqrt(np.clip(d2, 0.0, 1.0))
    if metric == "euclidean":
        d2 = (m * m).sum(axis=1) + t @ t - 2.0 * (m @ t)
        return np.sqrt(np.clip(d2, 0.0, None))
    norms = np.linalg.norm(m, axis=1) * np.linalg.norm(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.where(norms > 0, (m @ t) / norms, 0.0)
    return np.clip(1.0 - cos, 0.0, 1.0)


def similarity(distance: np.ndarray, metric: str = "hellinger") -> np.ndarray:
    """Similarity in percent from a distance, rescaled by the metric's bound (see module)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    bound = _SQRT2 if metric == "euclidean" else 1.0
    return 100.0 * (1.0 - np.clip(np.asarray(distance, float) / bound, 0.0, 1.0))


def nearest(
    matrix: np.ndarray, codes, target_index: int, k: int = 10, metric: str = "hellinger"
) -> list[dict]:
    """The ``k`` areas most like the area at ``target_index`` (itself excluded).

    Parameters
    ----------
    matrix : numpy.ndarray
        Areas × classes share matrix (rows sum to 1).
    codes : sequence of str
        Area code of each row.
    target_index : int
        Row of the area to compare against.
    k : int
        How many neighbours to return.
    metric : {"hellinger", "euclidean", "cosine"}

    Returns
    -------
    list of dict
        ``code, distance, similarity`` (percent), nearest first; ties broken by code order.
    """
    m = _as_shares(matrix)
    codes = np.asarray(codes)
    if codes.shape[0] != m.shape[0]:
        raise ValueError("codes and matrix rows differ in number")
    if not 0 <= target_index < m.shape[0]:
        raise IndexError(f"target_index {target_index} outside 0..{m.shape[0] - 1}")
    if k < 1:
        raise ValueError("k must be at least 1")
    d = distances(m, m[target_index], metric)
    d[target_index] = np.inf
    k = min(k, m.shape[0] - 1)
    if k == 0:
        return []
    part = np.argpartition(d, k - 1)[:k] if k < d.shape[0] else np.arange(d.shape[0])
    order = part[np.lexsort((part, d[part]))]
    sim = similarity(d[order], metric)
    return [
        {"code": str(codes[i]), "distance": float(d[i]), "similarity": float(s)}
        for i, s in zip(order, sim, strict=True)
    ]


class ShareIndex:
    """Precomputed forms of a share matrix, so each query is one matrix–vector product.

    Rows must be share vectors (non-negative, summing to 1). For Hellinger,
    ``d² = 1 − Σ √p √q``; for Euclidean, ``d² = |p|² + |q|² − 2 p·q``; for cosine,
    ``d = 1 − p·q / (|p| |q|)``.
    """

    def __init__(self, shares: np.ndarray, codes) -> None:
        m = _as_shares(shares)
        self.codes = np.asarray(codes)
        if self.codes.shape[0] != m.shape[0]:
            raise ValueError("codes and matrix rows differ in number")
        self.shares = m
        self.sq_norms = (m * m).sum(axis=1)
        self.norms = np.sqrt(self.sq_norms)
        roots = np.sqrt(m)
        if m.size and np.count_nonzero(m) < 0.25 * m.size:
            # small areas hold few classes: a sparse product touches only their non-zero shares
            from scipy import sparse

            self.shares = sparse.csr_matrix(m)
            roots = sparse.csr_matrix(roots)
        self.roots = roots
        self._dense = m

    def distances(self, row: int, metric: str = "hellinger") -> np.ndarray:
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        if metric == "hellinger":
            return np.sqrt(np.clip(1.0 - self.roots @ np.sqrt(self._dense[row]), 0.0, 1.0))
        dot = self.shares @ self._dense[row]
        if metric == "euclidean":
            return np.sqrt(np.clip(self.sq_norms + self.sq_norms[row] - 2.0 * dot, 0.0, None))
        denom = self.norms * self.norms[row]
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = np.where(denom > 0, dot / denom, 0.0)
        return np.clip(1.0 - cos, 0.0, 1.0)

    def nearest(self, row: int, k: int = 10, metric: str = "hellinger") -> list[dict]:
        """Like :func:`nearest`, on the precomputed matrix."""
        n = self._dense.shape[0]
        if not 0 <= row < n:
            raise IndexError(f"row {row} outside 0..{n - 1}")
        if k < 1:
            raise ValueError("k must be at least 1")
        d = self.distances(row, metric)
        d[row] = np.inf
        k = min(k, n - 1)
        if k == 0:
            return []
        part = np.argpartition(d, k - 1)[:k] if k < n else np.arange(n)
        order = part[np.lexsort((part, d[part]))]
        sim = similarity(d[order], metric)
        return [
            {"code": str(self.codes[i]), "distance": float(d[i]), "similarity": float(s)}
            for i, s in zip(order, sim, strict=True)
        ]
