"""Take-up per area against what its households' classes predict, and its funnel plot.

Expected contacts use the council's own class rates over its districts (indirect
standardisation, :mod:`geo.takeup`); observed and expected add up to the same total. Small
counts are suppressed jointly over output areas, LSOAs and wards (:mod:`geo.disclosure`).
The table is kept per council data version, as the tile layer asks for it once per tile.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from app.council_data import (
    PLACEABLE,
    SUPPRESSION_NOTE,
    TAKEUP_LEVELS,
    CouncilRef,
    base_counts,
    customer_counts,
    districts_area,
    rounded,
    service_label,
    source_doc,
)
from core.errors import BadRequest
from core.store import Reader
from core.store.queries import profiles as q
from core.store.versions import council_scope
from geo import disclosure, profiling, takeup


async def _observed(store: Reader, council: CouncilRef, lgsl: int | None, level: str) -> pd.Series:
    rows = await store.fetch_as(
        q.ObservedRow, q.observed_by_area(council_id=council.council_id, lgsl=lgsl, level=level)
    )
    return pd.Series({r.code: float(r.value) for r in rows if r.code is not None}, dtype=float)


async def takeup_table(
    store: Reader,
    council: CouncilRef,
    *,
    classification_id: str,
    tier: str,
    lgsl: int | None,
    level: str,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Observed, expected, index and funnel position per area of ``level`` in the districts.

    Expected counts use the council's own class rates (customers per household of each class
    over its districts) from the records that can be placed at ``level``, so observed and
    expected add up to the same total. Suppression runs jointly over output areas, LSOAs and
    wards (each coarser area sums its parts), so no level's table reveals another's
    suppressed cell. Returns the frame (indexed by area code) and the totals.
    """
    if level not in TAKEUP_LEVELS:
        raise BadRequest(f"take-up level must be one of {', '.join(TAKEUP_LEVELS)}")
    districts = districts_area(council)
    customers = await customer_counts(
        store, council, lgsl, classification_id, tier, districts, record_levels=PLACEABLE[level]
    )
    households = await base_counts(store, classification_id, tier, districts)
    classes = sorted(set(households.index) | set(customers.index))
    customers = customers.reindex(classes).fillna(0.0)
    households = households.reindex(classes).fillna(0.0)
    rates = takeup.class_rates(customers.to_numpy(), households.to_numpy())
    comp = await store.fetch_as(
        q.AreaClassRow,
        q.area_composition(
            classification_id=classification_id, tier=tier, level=level, district_codes=council.districts
        ),
    )
    wide = (
        pd.DataFrame(
            [(r.code, r.class_code, float(r.households)) for r in comp], columns=["code", "class", "h"]
        )
        .pivot_table(index="code", columns="class", values="h", aggfunc="sum", fill_value=0.0)
        .reindex(columns=classes, fill_value=0.0)
    )
    expected = pd.Series(wide.to_numpy() @ rates, index=wide.index, dtype=float)
    masks, observed_all = await _joint_suppression(store, council, lgsl)
    observed = observed_all[level].reindex(wide.index).fillna(0.0)
    hidden = masks[level].reindex(wide.index).fillna(False).astype(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        index = np.where(expected > 0, 100.0 * observed / expected, np.nan)
    frame = pd.DataFrame(
        {"observed": observed, "expected": expected, "index": index, "suppressed": hidden}, index=wide.index
    )
    frame["position"] = takeup.funnel_position(frame["index"].to_numpy(), frame["expected"].to_numpy())
    frame.loc[frame["suppressed"], ["observed", "index"]] = np.nan
    frame.loc[frame["suppressed"], "position"] = None
    placed = float(observed.sum())
    all_records = float(observed_all["lad"].sum())
    totals = {
        "observed": None if 0 < placed < disclosure.LOWEST_SHOWN else round(placed, 1),
        "expected": round(float(expected.sum()), 1),
        "not_placed_at_level": None
        if 0 < all_records - placed < disclosure.LOWEST_SHOWN
        else round(max(all_records - placed, 0.0), 1),
        "areas": len(frame),
        "suppressed_areas": int(frame["suppressed"].sum()),
    }
    return frame, totals


async def _joint_suppression(
    store: Reader, council: CouncilRef, lgsl: int | None
) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """Suppression masks of observed counts per area at every take-up level, worked out together.

    Each LSOA is the sum of its output areas plus the records named at the LSOA; each ward the
    sum of its LSOAs plus the records named at the ward; each level's district total the sum
    of its areas. The records named at a coarser level count as known to a reader (the
    cautious assumption), so a shown LSOA with one suppressed output area forces another.
    """
    observed = {lv: await _observed(store, council, lgsl, lv) for lv in (*TAKEUP_LEVELS, "lad")}
    observed["lad"] = observed["lad"].reindex(list(council.districts)).fillna(0.0)
    oa_links = await store.fetch_as(q.LinkRow, q.links("oa", "lsoa", list(observed["oa"].index)))
    lsoa_links = await store.fetch_as(q.LinkRow, q.links("lsoa", "ward", list(observed["lsoa"].index)))
    cells: list[tuple[str, str]] = []
    values: list[float] = []
    known: list[bool] = []

    def add(level: str, code: str, value: float, is_known: bool = False) -> int:
        cells.append((level, code))
        values.append(max(float(value), 0.0))
        known.append(is_known)
        return len(cells) - 1

    pos = {lv: {code: add(lv, code, v) for code, v in observed[lv].items()} for lv in (*TAKEUP_LEVELS, "lad")}
    constraints: list[disclosure.Constraint] = []
    for child, links, parent in (("oa", oa_links, "lsoa"), ("lsoa", lsoa_links, "ward")):
        members: dict[str, list[int]] = {}
        for link in links:
            if link.child_code in pos[child] and link.parent_code in pos[parent]:
                members.setdefault(link.parent_code, []).append(pos[child][link.child_code])
        for parent_code, kids in members.items():
            rest = observed[parent][parent_code] - sum(values[k] for k in kids)
            constraints.append((pos[parent][parent_code], [*kids, add("rest", parent_code, rest, True)]))
    for lv in TAKEUP_LEVELS:
        constraints.append((None, list(pos[lv].values())))
    v = np.array(values)
    locked = np.array(known, dtype=bool)
    mask = disclosure.primary_mask(v) & ~locked
    mask = disclosure.secondary_mask(v, mask, constraints, locked=locked)
    masks = {
        lv: pd.Series({code: bool(mask[i]) for code, i in pos[lv].items()}, dtype=bool)
        for lv in (*TAKEUP_LEVELS, "lad")
    }
    return masks, observed


TAKEUP_BANDS = (
    # (band, lower bound inclusive, upper bound exclusive, colour, label)
    ("much lower", None, 80.0, "#2166ac", "under 80: well below expected"),
    ("lower", 80.0, 95.0, "#92c5de", "80 to 95"),
    ("as expected", 95.0, 105.0, "#f7f7f7", "95 to 105: as expected"),
    ("higher", 105.0, 120.0, "#f4a582", "105 to 120"),
    ("much higher", 120.0, None, "#b2182b", "120 and over: well above expected"),
)
SUPPRESSED_BAND = ("suppressed", "#bdbdbd", "suppressed (1 to 5 contacts, or to protect one)")
NO_EXPECTATION_BAND = ("no households", "#ffffff", "no households expected to use it")


def takeup_band(index: float | None, suppressed: bool) -> str:
    """The legend band of a take-up index."""
    if suppressed:
        return SUPPRESSED_BAND[0]
    if index is None or not math.isfinite(index):
        return NO_EXPECTATION_BAND[0]
    for band, low, high, _, _ in TAKEUP_BANDS:
        if (low is None or index >= low) and (high is None or index < high):
            return band
    return NO_EXPECTATION_BAND[0]


def takeup_legend() -> list[dict[str, Any]]:
    out = [
        {"band": band, "from": low, "to": high, "colour": colour, "label": label}
        for band, low, high, colour, label in TAKEUP_BANDS
    ]
    for band, colour, label in (SUPPRESSED_BAND, NO_EXPECTATION_BAND):
        out.append({"band": band, "from": None, "to": None, "colour": colour, "label": label})
    return out


_CACHE: dict[tuple, tuple[pd.DataFrame, dict[str, Any]]] = {}
_CACHE_MAX = 64


async def cached_takeup_table(
    store: Reader,
    council: CouncilRef,
    *,
    classification_id: str,
    tier: str,
    lgsl: int | None,
    level: str,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`takeup_table`, kept per council data version (a tile layer asks for it per tile)."""
    key = (
        id(store),
        council.council_id,
        council.districts,
        classification_id,
        tier,
        lgsl,
        level,
        await store.data_version(),
        await store.data_version(council_scope(council.council_id)),
    )
    hit = _CACHE.get(key)
    if hit is None:
        hit = await takeup_table(
            store, council, classification_id=classification_id, tier=tier, lgsl=lgsl, level=level
        )
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = hit
    return hit


async def takeup_doc(
    store: Reader,
    council: CouncilRef,
    *,
    classification_id: str,
    tier: str,
    lgsl: int | None,
    level: str,
) -> dict[str, Any]:
    """The take-up table as a document: areas, totals, funnel limits, base and source."""
    frame, totals = await cached_takeup_table(
        store, council, classification_id=classification_id, tier=tier, lgsl=lgsl, level=level
    )
    names = {
        r.code: r.name for r in await store.fetch_as(q.AreaNameRow, q.area_names(level, list(frame.index)))
    }
    areas = []
    for code, r in frame.iterrows():
        areas.append(
            {
                "code": str(code),
                "name": names.get(str(code)),
                "observed": rounded(r["observed"], 1),
                "expected": rounded(r["expected"], 2),
                "index": rounded(r["index"], 1),
                "wording": profiling.wording(r["index"]) if not r["suppressed"] else None,
                "position": r["position"],
                "band": takeup_band(r["index"], bool(r["suppressed"])),
                "suppressed": bool(r["suppressed"]),
            }
        )
    expected_max = float(frame["expected"].max()) if len(frame) else 1.0
    curve = takeup.funnel_curve(expected_max if math.isfinite(expected_max) else 1.0)
    return {
        "council": {"id": council.council_id, "name": council.name},
        "classification_id": classification_id,
        "tier": tier,
        "service": await service_label(store, lgsl),
        "level": level,
        "base": districts_area(council).doc(),
        "method": (
            "Expected = sum over classes of the area's households times the council's own rate per "
            f"household of the class ({tier} tier, over its districts); index = 100 × observed / expected."
        ),
        "totals": totals,
        "source": await source_doc(store, council, lgsl),
        "suppression": {"rule": SUPPRESSION_NOTE},
        "legend": takeup_legend(),
        "funnel": {
            "levels": [95, 99.8],
            "note": "Control limits 100 (1 ± z/√E), z = 1.96 and 3.09; exact Poisson limits below E = 100.",
            "limits": {k: [round(float(x), 3) for x in v] for k, v in curve.items()},
        },
        "areas": areas,
    }
