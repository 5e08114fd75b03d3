"""A council's customer profile and take-up, computed from its aggregates and the census base.

Reads the store through :mod:`core.store.queries.profiles`, works the statistics out with
:mod:`geo.profiling`, :mod:`geo.takeup` and :mod:`geo.disclosure`, and returns plain documents
(JSON-ready dicts) that the routes serve as JSON or CSV. Every document names its base, its
source (the council's uploads, "synthetic" when any was generated) and what was suppressed.

Counting: a profile's "customers" are the contacts in the uploaded records (a record's count,
1 when none was given); output-area records go whole to their class, LSOA and ward records are
apportioned by the area's households per class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import BadRequest, NotFound
from core.store import Reader
from core.store.queries import profiles as q
from core.store.versions import council_scope
from geo import disclosure, profiling, takeup
from records.access import Council

EW_PREFIXES = ("E", "W")
AREA_LEVELS = ("lad", "ward", "lsoa", "oa")
TAKEUP_LEVELS = ("oa", "lsoa", "ward")
# record levels that can be placed in an area of each level
PLACEABLE = {"oa": ("oa",), "lsoa": ("oa", "lsoa"), "ward": ("oa", "lsoa", "ward"), "lad": q.RECORD_LEVELS}
SUPPRESSION_NOTE = (
    "Counts of 1 to 5 are suppressed, and one more cell wherever a shown total would reveal a "
    "suppressed one; shares, rates and indices built on a suppressed count are suppressed with it."
)
APPORTION_NOTE = (
    "Customers are contacts in the uploaded records; output-area records count whole in their "
    "class, LSOA and ward records are apportioned by the area's households per class."
)
BASE_SOURCE = "Census 2021 households (TS041) by profile class"


@dataclass(frozen=True)
class CouncilRef:
    """The council a request is for: its id, name and districts (LAD codes)."""

    council_id: str
    name: str
    districts: tuple[str, ...]

    @classmethod
    def of(cls, council: Council) -> CouncilRef:
        """From the council of an authenticated caller."""
        return cls(council.council_id, council.name, tuple(council.district_codes))


@dataclass(frozen=True)
class Area:
    """A base or customer area: one area of a level, a council's districts, or England and Wales."""

    kind: str  # districts | ew | area
    label: str
    level: str | None
    codes: tuple[str, ...]

    def doc(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "level": self.level, "codes": list(self.codes)}


def _parse_area_code(text: str) -> tuple[str, str]:
    level, sep, code = text.partition(":")
    level, code = level.strip().lower(), code.strip().upper()
    if not sep or level not in AREA_LEVELS or not code:
        raise BadRequest(f"area {text!r} must be LEVEL:CODE with LEVEL one of {', '.join(AREA_LEVELS)}")
    return level, code


async def _named_area(store: Reader, text: str) -> Area:
    level, code = _parse_area_code(text)
    row = await store.fetchrow(q.area_of(level, code))
    if row is None:
        raise NotFound(f"no {level} area {code!r}")
    return Area("area", f"{row['name'] or code} ({code})", level, (code,))


def districts_area(council: CouncilRef) -> Area:
    return Area("districts", f"{council.name}'s districts", "lad", council.districts)


async def resolve_base(store: Reader, council: CouncilRef, base: str | None) -> Area:
    """``districts`` (default), ``ew`` (England and Wales) or ``LEVEL:CODE``."""
    if base is None or base.strip().lower() in ("", "districts"):
        return districts_area(council)
    if base.strip().lower() == "ew":
        return Area("ew", "England and Wales", None, ())
    return await _named_area(store, base)


async def resolve_customer_area(store: Reader, council: CouncilRef, area: str | None) -> Area:
    """Whose records count: the council's districts (default) or ``LEVEL:CODE``."""
    if area is None or area.strip().lower() in ("", "districts"):
        return districts_area(council)
    return await _named_area(store, area)


async def service_label(store: Reader, lgsl: int | None) -> dict[str, Any] | None:
    if lgsl is None:
        return None
    label = await store.fetchval(q.service_label(lgsl))
    return {"lgsl": lgsl, "label": label}


async def source_doc(store: Reader, council: CouncilRef, lgsl: int | None) -> dict[str, Any]:
    """Where the counts come from: how many uploads, whether any is synthetic, their dates."""
    rows = await store.fetch_as(q.UploadSummaryRow, q.upload_summary(council.council_id, lgsl))
    s = rows[0] if rows else q.UploadSummaryRow(0, 0, None, None)
    synthetic = int(s.synthetic or 0) > 0
    kind = "synthetic uploads" if synthetic and s.synthetic == s.uploads else "council uploads"
    if synthetic and s.synthetic != s.uploads:
        kind = "council uploads, some synthetic"
    return {
        "customers": f"{council.name}: {kind}",
        "uploads": int(s.uploads or 0),
        "synthetic": synthetic,
        "date_from": s.date_from.isoformat() if s.date_from else None,
        "date_to": s.date_to.isoformat() if s.date_to else None,
        "base": BASE_SOURCE,
        "note": APPORTION_NOTE,
    }


def _num(value: Any, digits: int = 4) -> float | None:
    if value is None:
        return None
    f = float(value)
    return round(f, digits) if math.isfinite(f) else None


async def _base_counts(store: Reader, classification_id: str, tier: str, base: Area) -> pd.Series:
    if base.kind == "ew":
        query = q.base_by_class_national(classification_id=classification_id, tier=tier, prefixes=EW_PREFIXES)
    else:
        assert base.level is not None
        query = q.base_by_class(
            classification_id=classification_id, tier=tier, level=base.level, codes=base.codes
        )
    rows = await store.fetch_as(q.ClassCountRow, query)
    return pd.Series({r.class_code: float(r.value) for r in rows}, dtype=float)


async def _customer_counts(
    store: Reader,
    council: CouncilRef,
    lgsl: int | None,
    classification_id: str,
    tier: str,
    area: Area,
    record_levels: tuple[str, ...] | None = None,
) -> pd.Series:
    assert area.level is not None
    rows = await store.fetch_as(
        q.ClassCountRow,
        q.customers_by_class(
            council_id=council.council_id,
            lgsl=lgsl,
            classification_id=classification_id,
            tier=tier,
            within_level=area.level,
            within_codes=area.codes,
            record_levels=record_levels,
        ),
    )
    return pd.Series({r.class_code: float(r.value) for r in rows}, dtype=float)


async def profile(
    store: Reader,
    council: CouncilRef,
    *,
    classification_id: str,
    tiers: tuple[str, ...],
    tier: str,
    lgsl: int | None,
    base: str | None,
    area: str | None,
) -> dict[str, Any]:
    """The customer profile of one tier, suppressed consistently with every other tier."""
    if tier not in tiers:
        raise BadRequest(f"unknown tier {tier!r}; known tiers: {', '.join(tiers)}")
    base_area = await resolve_base(store, council, base)
    customer_area = await resolve_customer_area(store, council, area)
    info = await store.fetch_as(q.ClassInfoRow, q.classes(classification_id))
    per_tier: dict[str, pd.DataFrame] = {}
    for t in tiers:
        customers = await _customer_counts(store, council, lgsl, classification_id, t, customer_area)
        base_counts = await _base_counts(store, classification_id, t, base_area)
        codes = [c.code for c in info if c.tier == t]
        customers = customers.reindex(codes).fillna(0.0)
        base_counts = base_counts.reindex(codes).fillna(0.0)
        per_tier[t] = profiling.profile_table(customers, base_counts)
    totals = await store.fetch_as(
        q.RecordTotalsRow,
        q.record_totals(
            council_id=council.council_id,
            lgsl=lgsl,
            within_level=customer_area.level or "lad",
            within_codes=customer_area.codes,
        ),
    )
    total = float(totals[0].total or 0) if totals else 0.0
    inside = float(totals[0].inside or 0) if totals else 0.0
    classified = float(per_tier[tiers[0]]["customers"].sum())

    # one flat table over every tier: [classified total, classes...], parents summing children
    flat_codes: list[str] = []
    flat_parents: list[str | None] = []
    flat_values: list[float] = [classified]
    by_code = {c.code: c for c in info}
    for t in tiers:
        for code, value in per_tier[t]["customers"].items():
            flat_codes.append(str(code))
            flat_parents.append(by_code[str(code)].parent_code)
            flat_values.append(float(value))
    # and the record totals: all = classified + unclassified + outside the customer area
    unclassified, outside = max(inside - classified, 0.0), max(total - inside, 0.0)
    n = len(flat_values)
    flat_values += [total, unclassified, outside]
    constraints = disclosure.hierarchy_constraints(flat_codes, flat_parents)
    constraints.append((n, [0, n + 1, n + 2]))
    values = np.array(flat_values)
    first = disclosure.primary_mask(values)
    if first[n + 1] or first[n + 2]:  # hide the count of all records rather than the profile's total
        first[n] = True
    mask = disclosure.secondary_mask(values, first, constraints)
    suppressed = dict(zip(flat_codes, mask[1:n].tolist(), strict=True))
    total_suppressed = bool(mask[0])

    table = per_tier[tier]
    rows = []
    for code, r in table.iterrows():
        c = by_code[str(code)]
        hidden = suppressed[str(code)] or total_suppressed
        row: dict[str, Any] = {
            "code": str(code),
            "name": c.name,
            "colour": c.colour,
            "parent_code": c.parent_code,
            "base_households": _num(r["base"], 1),
            "base_share": _num(r["base_share"]),
            "suppressed": hidden,
        }
        if hidden:
            row |= dict.fromkeys(
                ("customers", "customer_share", "index", "index_low", "index_high", "penetration", "z"), None
            )
            row |= {"significant": None, "wording": None}
        else:
            row |= {
                "customers": _num(r["customers"], 1),
                "customer_share": _num(r["customer_share"]),
                "index": _num(r["index"], 1),
                "index_low": _num(r["index_low"], 1),
                "index_high": _num(r["index_high"], 1),
                "penetration": _num(r["penetration"], 3),
                "z": _num(r["z"], 2),
                "significant": bool(r["significant"]) if _num(r["z"]) is not None else None,
                "wording": r["wording"] if isinstance(r["wording"], str) else None,
            }
        rows.append(row)

    def shown(position: int) -> float | None:
        return None if mask[position] else round(flat_values[position], 1)

    return {
        "council": {"id": council.council_id, "name": council.name},
        "classification_id": classification_id,
        "tier": tier,
        "tiers": list(tiers),
        "service": await service_label(store, lgsl),
        "base": base_area.doc() | {"households": _num(per_tier[tier]["base"].sum(), 1)},
        "customers": {
            "area": customer_area.doc(),
            "classified": None if total_suppressed else round(classified, 1),
            "all_records": shown(n),
            "unclassified": shown(n + 1),
            "outside_area": shown(n + 2),
        },
        "source": await source_doc(store, council, lgsl),
        "suppression": {
            "rule": SUPPRESSION_NOTE,
            "suppressed_classes": int(sum(r["suppressed"] for r in rows)),
        },
        "significance": "z of the customer share against the base share; |z| > 2 is flagged",
        "interval": "95 % Wilson interval of the customer share, divided by the base share",
        "classes": rows,
    }


# --- take-up ------------------------------------------------------------------------------


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
    customers = await _customer_counts(
        store, council, lgsl, classification_id, tier, districts, record_levels=PLACEABLE[level]
    )
    base_counts = await _base_counts(store, classification_id, tier, districts)
    classes = sorted(set(base_counts.index) | set(customers.index))
    customers = customers.reindex(classes).fillna(0.0)
    base_counts = base_counts.reindex(classes).fillna(0.0)
    rates = takeup.class_rates(customers.to_numpy(), base_counts.to_numpy())
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
                "observed": _num(r["observed"], 1),
                "expected": _num(r["expected"], 2),
                "index": _num(r["index"], 1),
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
