"""A synthetic postcode lookup in the ONS Postcode Directory layout, for tests and the demo.

No postcode directory ships with the project, so one is made from the loaded output areas:
a few postcodes per output area (about one per twenty households), some of them terminated.
Every postcode starts with ``Q``, a letter no real UK postcode area starts with, so a
generated postcode can never be mistaken for a real one; each row also says ``synthetic``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from core.store import Writer

COLUMNS = ("pcd7", "pcds", "dointr", "doterm", "usertype", "oa21cd", "ladcd", "synthetic")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters real inward codes use
_AREA_LETTERS = "ABCDEFGHIJKLMNOPRSTUWYZ"
PER_OUTWARD = 10 * len(_INWARD_LETTERS) ** 2  # 4,000 inward codes under each outward code


def synthetic_postcode(i: int) -> str:
    """The ``i``-th generated postcode in ``pcds`` form, e.g. ``QA1 0AA``."""
    outward, inward = divmod(i, PER_OUTWARD)
    letter, number = divmod(outward, 99)
    if letter >= len(_AREA_LETTERS):
        raise ValueError("more synthetic postcodes than the scheme holds")
    digit, rest = divmod(inward, len(_INWARD_LETTERS) ** 2)
    a, b = divmod(rest, len(_INWARD_LETTERS))
    return f"Q{_AREA_LETTERS[letter]}{number + 1} {digit}{_INWARD_LETTERS[a]}{_INWARD_LETTERS[b]}"


def synthetic_directory(
    areas: pd.DataFrame,
    seed: int = 2021,
    households_per_postcode: float = 20.0,
    terminated_share: float = 0.08,
) -> pd.DataFrame:
    """Postcode rows for the output areas in ``areas`` (``oa_code``, ``lad_code``,
    ``households``; missing households count as 120), in the ONSPD column layout.

    Deterministic for a seed: the same areas give the same postcodes.
    """
    rng = np.random.default_rng(seed)
    areas = areas.sort_values(["lad_code", "oa_code"]).reset_index(drop=True)
    households = pd.to_numeric(areas["households"], errors="coerce").fillna(120.0).to_numpy()
    live = np.maximum(2, np.rint(households / households_per_postcode)).astype(int)
    ended = rng.binomial(live, terminated_share)
    per_area = live + ended
    total = int(per_area.sum())
    area_of = np.repeat(np.arange(len(areas)), per_area)
    # within each area, its live postcodes first, then its terminated ones
    offset = np.arange(total) - np.repeat(np.cumsum(per_area) - per_area, per_area)
    terminated = offset >= np.repeat(live, per_area)
    pcds = [synthetic_postcode(i) for i in range(total)]
    introduced = rng.integers(1980, 2005, total)
    ended_in = [
        f"{y}{m:02d}"
        for y, m in zip(rng.integers(2005, 2024, total), rng.integers(1, 13, total), strict=True)
    ]
    doterm = np.where(terminated, ended_in, "")
    return pd.DataFrame(
        {
            "pcd7": [p.replace(" ", "") if len(p) > 7 else f"{p.split()[0]:<4}{p.split()[1]}" for p in pcds],
            "pcds": pcds,
            "dointr": [f"{y}01" for y in introduced],
            "doterm": doterm,
            "usertype": 0,
            "oa21cd": areas["oa_code"].to_numpy()[area_of],
            "ladcd": areas["lad_code"].to_numpy()[area_of],
            "synthetic": "synthetic",
        },
        columns=list(COLUMNS),
    )


SOURCE_ID = "synthetic-postcodes"


def load_synthetic_postcodes(writer: Writer, seed: int = 2021) -> tuple[int, int]:
    """Generate the lookup for every output area linked to a district and load it as source
    ``synthetic-postcodes`` (what ``insight demo`` does, so demo uploads can match postcodes).

    Returns (postcodes, of which terminated).
    """
    from boundaries.catalogue import Source
    from boundaries.loaders.postcodes import load_postcodes
    from core.store.queries import postcodes as q

    areas = writer.read_frame(q.output_areas([]))
    if areas.empty:
        raise ValueError("no output areas linked to districts are loaded: nothing to give postcodes to")
    source = Source(
        SOURCE_ID,
        "SYNTHETIC postcode lookup (ONS Postcode Directory layout; every postcode starts with Q)",
        "postcodes",
        "",
        ("synthetic-postcodes.csv",),
        licence="generated",
        attribution="synthetic",
        vintage="synthetic",
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic-postcodes.csv"
        synthetic_directory(areas, seed=seed).to_csv(path, index=False)
        return load_postcodes(writer, path, source)
