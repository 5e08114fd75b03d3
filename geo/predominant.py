"""Predominant class per area and tier, with how clearly it leads.

The argmax is taken at the tier asked for (groups are summed from subgroups first, which the
composition already did), because the leading group is not always the parent of the leading
subgroup. An area whose leader is ahead of the runner-up by less than ``mixed_margin`` (a share
difference) is flagged mixed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo._checks import require_columns
from geo.composition import COLUMNS


def predominant(composition: pd.DataFrame, mixed_margin: float = 0.05) -> pd.DataFrame:
    """Leading class per ``code`` and ``tier``.

    Parameters
    ----------
    composition : DataFrame
        ``code, tier, class_code, households``.
    mixed_margin : float
        Areas whose share margin over the runner-up is below this are mixed.

    Returns
    -------
    DataFrame
        ``code, tier, class_code, runner_up_code, households, share, margin, mixed``; ties
        go to the lower class code so results are reproducible. An area with one class has
        no runner-up and margin equal to its share (1.0).
    """
    require_columns(composition, COLUMNS, "composition")
    if not 0 <= mixed_margin <= 1:
        raise ValueError("mixed_margin must be within [0, 1]")
    frame = composition[composition["households"] > 0]
    frame = frame.sort_values(
        ["code", "tier", "households", "class_code"], ascending=[True, True, False, True]
    )
    keys = ["code", "tier"]
    total = frame.groupby(keys, sort=False)["households"].transform("sum")
    frame = frame.assign(share=frame["households"] / total)
    rank = frame.groupby(keys, sort=False).cumcount()
    first = frame[rank == 0].set_index(keys)
    second = frame[rank == 1].set_index(keys)[["class_code", "share"]]
    out = first.join(second.add_suffix("_2"))
    out = out.rename(columns={"class_code_2": "runner_up_code"})
    runner_share = out["share_2"].fillna(0.0)
    out["margin"] = out["share"] - runner_share
    out["mixed"] = out["margin"] < mixed_margin
    out["runner_up_code"] = out["runner_up_code"].astype(object).where(out["runner_up_code"].notna(), None)
    out = out.reset_index()
    return out[
        ["code", "tier", "class_code", "runner_up_code", "households", "share", "margin", "mixed"]
    ].astype({"mixed": bool, "share": float, "margin": float})


def predominant_matrix(
    codes: np.ndarray, matrix: np.ndarray, classes: list[str], tier: str, mixed_margin: float = 0.05
) -> pd.DataFrame:
    """:func:`predominant` on a dense area × class matrix (columns sorted by class code).

    ``argmax`` returns the first maximum, so with columns in code order ties go to the lower
    code, as in :func:`predominant`. Areas with no households get no row.
    """
    if not 0 <= mixed_margin <= 1:
        raise ValueError("mixed_margin must be within [0, 1]")
    m = np.asarray(matrix, float)
    total = m.sum(axis=1)
    ok = total > 0
    m, total, codes = m[ok], total[ok], np.asarray(codes, dtype=object)[ok]
    rows = np.arange(m.shape[0])
    first = m.argmax(axis=1)
    top = m[rows, first]
    rest = m.copy()
    rest[rows, first] = -1.0
    second = rest.argmax(axis=1) if m.shape[1] > 1 else np.zeros_like(first)
    runner = rest[rows, second] if m.shape[1] > 1 else np.zeros(len(rows))
    has_runner = runner > 0
    share = top / total
    runner_share = np.where(has_runner, runner / np.where(has_runner, total, 1.0), 0.0)
    margin = share - runner_share
    names = np.asarray(classes, dtype=object)
    runner_code = np.where(has_runner, names[second], None)
    return pd.DataFrame(
        {
            "code": codes,
            "tier": tier,
            "class_code": names[first],
            "runner_up_code": runner_code,
            "households": top,
            "share": share,
            "margin": margin,
            "mixed": margin < mixed_margin,
        }
    )
