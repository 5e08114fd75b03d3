"""What the council workspace's answers share: the council, its areas and bases, the counts.

Counting: a council's "customers" are the contacts in its uploaded records (a record's count,
1 when none was given); output-area records go whole to their class, LSOA and ward records are
apportioned by the area's households per class (see :mod:`core.store.queries.profiles`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.channels import CHANNELS
from core.errors import BadRequest, NotFound
from core.store import Reader
from core.store.queries import profiles as q
from records.access import Council

EW_PREFIXES = ("E", "W")
AREA_LEVELS = ("lad", "ward", "lsoa", "oa")
REGION_LEVELS = {"nuts1": 3, "nuts2": 4, "nuts3": 5}  # NUTS level → length of its codes
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


ENCLOSING = {"oa": ("lsoa", "ward"), "lsoa": ("ward",), "ward": ()}


async def enclosing_areas(store: Reader, area: Area) -> list[Area]:
    """The larger areas holding a one-area customer area (through ``area_link``), each as an area."""
    if area.kind != "area" or area.level not in ENCLOSING or len(area.codes) != 1:
        return []
    out = []
    for parent_level in ENCLOSING[area.level]:
        links = await store.fetch_as(q.LinkRow, q.links(area.level, parent_level, list(area.codes)))
        for link in links[:1]:
            out.append(Area("area", link.parent_code, parent_level, (link.parent_code,)))
    return out


def districts_area(council: CouncilRef) -> Area:
    return Area("districts", f"{council.name}'s districts", "lad", council.districts)


async def region_area(store: Reader, text: str) -> Area:
    """A NUTS region (``nuts1:UKD``, ``nuts2:UKD3``, ``nuts3:UKD33``) as the districts linked
    to its NUTS3 regions (links by location: ``insight load hierarchy``)."""
    level, _, code = text.partition(":")
    level, code = level.strip().lower(), code.strip().upper()
    if len(code) != REGION_LEVELS[level] or not code.isalnum():
        raise BadRequest(f"region {text!r}: a {level} code has {REGION_LEVELS[level]} letters or digits")
    districts = tuple(r["code"] for r in await store.fetch(q.districts_in_region(code)))
    if not districts:
        raise NotFound(
            f"no district is linked to {level} region {code!r} (districts are placed in NUTS3 regions "
            "by `insight load hierarchy`)"
        )
    row = await store.fetchrow(q.area_of(level, code))
    name = row["name"] if row else None
    return Area("region", f"{name or code} ({code})", "lad", districts)


async def resolve_base(store: Reader, council: CouncilRef, base: str | None) -> Area:
    """``districts`` (default), ``ew`` (England and Wales), ``nuts1|nuts2|nuts3:CODE`` (a
    region) or ``LEVEL:CODE``."""
    if base is None or base.strip().lower() in ("", "districts"):
        return districts_area(council)
    if base.strip().lower() == "ew":
        return Area("ew", "England and Wales", None, ())
    if base.partition(":")[0].strip().lower() in REGION_LEVELS:
        return await region_area(store, base)
    return await _named_area(store, base)


async def council_regions(store: Reader, council: CouncilRef) -> list[q.RegionRow]:
    """The NUTS regions holding the council's districts (bases a council may compare with)."""
    return await store.fetch_as(q.RegionRow, q.regions_of_districts(council.districts))


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


def rounded(value: Any, digits: int = 4) -> float | None:
    if value is None:
        return None
    f = float(value)
    return round(f, digits) if math.isfinite(f) else None


async def base_counts(store: Reader, classification_id: str, tier: str, base: Area) -> pd.Series:
    if base.kind == "ew":
        query = q.base_by_class_national(classification_id=classification_id, tier=tier, prefixes=EW_PREFIXES)
    else:
        assert base.level is not None
        query = q.base_by_class(
            classification_id=classification_id, tier=tier, level=base.level, codes=base.codes
        )
    rows = await store.fetch_as(q.ClassCountRow, query)
    return pd.Series({r.class_code: float(r.value) for r in rows}, dtype=float)


async def customer_counts(
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


async def customer_counts_by_channel(
    store: Reader,
    council: CouncilRef,
    lgsl: int | None,
    classification_id: str,
    tier: str,
    area: Area,
    period: tuple[dt.date, dt.date] | None = None,
) -> pd.DataFrame:
    """Contacts per class (rows) and channel (columns, in :data:`core.channels.CHANNELS` order)
    of the records placed inside ``area``, optionally of the months in ``period``."""
    assert area.level is not None
    rows = await store.fetch_as(
        q.ClassChannelRow,
        q.customers_by_class_channel(
            council_id=council.council_id,
            lgsl=lgsl,
            classification_id=classification_id,
            tier=tier,
            within_level=area.level,
            within_codes=area.codes,
            period=period,
        ),
    )
    frame = pd.DataFrame([(r.class_code, r.channel, float(r.value)) for r in rows], columns=["c", "ch", "v"])
    wide = frame.pivot_table(index="c", columns="ch", values="v", aggfunc="sum", fill_value=0.0)
    used = [c.channel for c in CHANNELS if c.channel in wide.columns]
    return wide.reindex(columns=used).rename_axis(index="class_code", columns="channel").astype(float)


async def contacts_by_month(store: Reader, council: CouncilRef, lgsl: int | None) -> pd.DataFrame:
    """Contacts per month (rows, first day of the month) and channel (columns)."""
    rows = await store.fetch_as(
        q.MonthChannelRow, q.contacts_by_month_channel(council_id=council.council_id, lgsl=lgsl)
    )
    frame = pd.DataFrame([(r.month, r.channel, float(r.value)) for r in rows], columns=["m", "ch", "v"])
    wide = frame.pivot_table(index="m", columns="ch", values="v", aggfunc="sum", fill_value=0.0)
    used = [c.channel for c in CHANNELS if c.channel in wide.columns]
    return wide.reindex(columns=used).rename_axis(index="month", columns="channel").astype(float)
