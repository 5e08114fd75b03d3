"""Predominant class per area and tier, with how clearly it leads.

The argmax is taken at the tier asked for (groups are summed from subgroups first, which the
composition already did), because the leading group is not always the parent of the leading
subgroup. An area whose leader is ahead of the runner-up by less than ``mixed_margin`` (a share
difference) is flagged mixed.
"""

from __future__ import annotations

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
    out = first.join(second, rsuffix="_2")
    out = out.rename(columns={"class_code_2": "runner_up_code"})
    runner_share = out["share_2"].fillna(0.0)
    out["margin"] = out["share"] - runner_share
    out["mixed"] = out["margin"] < mixed_margin
    out["runner_up_code"] = out["runner_up_code"].astype(object).where(out["runner_up_code"].notna(), None)
    out = out.reset_index()
    return out[
        ["code", "tier", "class_code", "runner_up_code", "households", "share", "margin", "mixed"]
    ].astype({"mixed": bool, "share": float, "margin": float})
