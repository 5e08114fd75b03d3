"""Known typos in source files, corrected at load time and recorded with the load.

Each correction names the source, the column, the text as the file has it and as it should be,
and why. A loader applies the ones of its source (:func:`correct`); what it changed is written
beside the load (``meta`` key ``corrections:<source id>``) and shown by ``insight info``, so a
corrected name can always be traced back to the file. A correction whose text no longer
appears (a fixed release of the file) simply does not apply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class Correction:
    source_id: str
    column: str
    wrong: str
    right: str
    why: str


KNOWN: tuple[Correction, ...] = (
    Correction(
        "oac2021",
        "name",
        "Ethnically Diverse Suburb-an Professionals",
        "Ethnically Diverse Suburban Professionals",
        "stray hyphen in the supergroup 5 name of the OAC 2021 names file "
        "(classification_codes_and_names.csv)",
    ),
)


def correct(frame: pd.DataFrame, source_id: str) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """``frame`` with the source's known typos corrected, and the corrections that applied."""
    applied: list[dict[str, str]] = []
    out = frame
    for fix in KNOWN:
        if fix.source_id != source_id or fix.column not in frame.columns:
            continue
        hit = out[fix.column] == fix.wrong
        if hit.any():
            out = out.copy() if out is frame else out
            out.loc[hit, fix.column] = fix.right
            applied.append(asdict(fix) | {"rows": str(int(hit.sum()))})
    return out, applied
