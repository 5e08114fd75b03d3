"""Synthetic service records for a council: a clearly labelled file for demos, tests and benchmarks.

Records are drawn from the modelled demand of the council's output areas (so areas and
services are as likely as the propensities make them), each given a postcode of its output
area from the postcode lookup (where a district has no output-area boundaries, and so no
output-area demand, its LSOAs' demand and the LSOA's code in an ``area`` column instead), a channel (a realistic mix, leaning to telephone and
face-to-face where modelled demand is high), a day in the twelve months before ``end`` with a
seasonal pattern (busy January to March and September, quiet August and December), and an
LGIL interaction for most. Every row says ``synthetic`` in its ``synthetic`` column and its
case reference starts ``SYN-``; the upload is then marked synthetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from core.errors import NotReady
from core.store import Reader
from records.access import Council

CHANNEL_MIX = {  # label as council systems write it → share
    "Web": 0.42,
    "Telephone": 0.30,
    "Face to face": 0.12,
    "Email": 0.08,
    "Post": 0.04,
    "SMS": 0.02,
    "Kiosk": 0.01,
    "Other": 0.01,
}
ASSISTED = ("Telephone", "Face to face")
SEASON = np.array([118, 112, 108, 100, 98, 95, 92, 84, 110, 104, 97, 82], dtype=float)  # Jan..Dec
INTERACTIONS = {0: 0.3, 4: 0.2, 8: 0.3, 17: 0.2}  # LGIL: applications, payments, information, reporting
NO_INTERACTION_SHARE = 0.25
COLUMNS = ("case_ref", "postcode", "service", "channel", "date", "interaction", "synthetic")


@dataclass(frozen=True)
class Demand:
    """Modelled demand of a council's output areas: one entry per (service, area)."""

    lgsl: np.ndarray
    area: np.ndarray  # output area (or LSOA) codes
    expected: np.ndarray
    index: np.ndarray  # demand index (100 = average)


def generate(
    demand: Demand,
    postcodes: Sequence[tuple[str, str, bool]] | None,
    rows: int,
    seed: int,
    end: dt.date,
) -> pa.Table:
    """``rows`` synthetic records as an Arrow table of :data:`COLUMNS` (``area`` in place of
    ``postcode`` when ``postcodes`` is ``None``).

    Parameters
    ----------
    postcodes
        ``(postcode in pcds form, oa_code, terminated)`` of the council's districts; ``None``
        writes each record's area code (``demand``'s areas) in an ``area`` column instead.
    end
        Records fall in the twelve whole months before the month of ``end``.
    """
    rng = np.random.default_rng(seed)
    by_area: dict[str, list[str]] = {}
    for pcds, oa, terminated in postcodes or ():
        if not terminated or rng.random() < 0.3:  # a few old records still give terminated ones
            by_area.setdefault(oa, []).append(pcds)
    keep = np.array([postcodes is None or a in by_area for a in demand.area], dtype=bool)
    if not keep.any():
        raise ValueError("no postcode in the lookup for the council's output areas: load or generate one")
    weights = demand.expected[keep] / demand.expected[keep].sum()
    pick = rng.choice(int(keep.sum()), size=rows, p=weights)
    lgsl = demand.lgsl[keep][pick]
    areas = demand.area[keep][pick]
    index = demand.index[keep][pick]

    if postcodes is None:
        where = ("area", pa.array(areas.astype(str), pa.string()))
    else:  # a postcode of each record's area
        area_names, area_of = np.unique(areas, return_inverse=True)
        pools = [by_area[a] for a in area_names]
        sizes = np.array([len(p) for p in pools])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        flat = np.array([pc for pool in pools for pc in pool], dtype=object)
        postcode = flat[offsets[area_of] + (rng.random(rows) * sizes[area_of]).astype(int)]
        where = ("postcode", pa.array(_messy(postcode, rng), pa.string()))

    # channel: assisted channels weigh more where modelled demand is high
    labels = list(CHANNEL_MIX)
    base = np.array([CHANNEL_MIX[c] for c in labels])
    lean = np.clip(index / 100.0, 0.5, 2.0)[:, None]
    assisted = np.array([c in ASSISTED for c in labels])
    w = np.where(assisted[None, :], base[None, :] * lean, base[None, :])
    w /= w.sum(axis=1, keepdims=True)
    channel = np.asarray(labels, dtype=object)[(rng.random(rows)[:, None] > np.cumsum(w, axis=1)).sum(axis=1)]

    # dates: twelve months, seasonal weights, any day of the month; office hours for assisted
    first = (np.datetime64(end.replace(day=1), "M") - 12).astype("datetime64[M]")
    months = first + np.arange(12)
    season = SEASON[(months.astype(int) % 12)]
    month = months[rng.choice(12, size=rows, p=season / season.sum())]
    length = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(int)
    day = month.astype("datetime64[D]") + (rng.random(rows) * length).astype(int)
    office = np.isin(channel, ASSISTED)
    hour = np.where(office, rng.integers(9, 17, rows), rng.integers(0, 24, rows))
    stamp = day.astype("datetime64[s]") + hour * 3600 + rng.integers(0, 3600, rows)
    dates = np.datetime_as_string(stamp, unit="s")

    ids = np.array(list(INTERACTIONS))
    interaction = ids[rng.choice(len(ids), size=rows, p=np.array(list(INTERACTIONS.values())))].astype(str)
    interaction = np.where(rng.random(rows) < NO_INTERACTION_SHARE, "", interaction)
    return pa.table(
        {
            "case_ref": pa.array(np.char.add("SYN-", np.char.zfill(np.arange(1, rows + 1).astype(str), 8))),
            where[0]: where[1],
            "service": pa.array(lgsl.astype(str)),
            "channel": pa.array(channel, pa.string()),
            "date": pa.array(dates),
            "interaction": pa.array(interaction),
            "synthetic": pa.array(np.full(rows, "synthetic")),
        }
    )


def _messy(postcodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Postcodes as people type them: some in lower case, some without their space."""
    roll = rng.random(len(postcodes))
    out = postcodes.copy()
    lower = roll < 0.05
    out[lower] = [p.lower() for p in out[lower]]
    squashed = (roll >= 0.05) & (roll < 0.10)
    out[squashed] = [p.replace(" ", "") for p in out[squashed]]
    return out


def write_csv(table: pa.Table, path: Path) -> None:
    """The records as CSV (header first, then data only)."""
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


async def council_records(
    store: Reader, council: Council, rows: int, seed: int, end: dt.date, classification_id: str = "oac2021"
) -> pa.Table:
    """Synthetic records for a council from the store's modelled demand and postcode lookup."""
    from core.store.queries import uploads as q

    districts = council.district_codes
    level = "oa"
    found = await store.fetch(q.council_demand(districts, classification_id, level))
    if not found:  # districts without output-area boundaries: their LSOAs' demand
        level = "lsoa"
        found = await store.fetch(q.council_demand(districts, classification_id, level))
    if not found:
        raise NotReady(
            f"no modelled demand of {classification_id} for the districts of {council.council_id}: run `insight build`"
        )
    demand = Demand(
        lgsl=np.array([r["lgsl"] for r in found], dtype=np.int64),
        area=np.array([r["code"] for r in found], dtype=object),
        expected=np.array([float(r["expected"]) for r in found]),
        index=np.array([float(r["demand_index"] or 100.0) for r in found]),
    )
    if level == "lsoa":  # no output areas to give postcodes of: the records name their LSOA
        return generate(demand, None, rows, seed, end)
    lookup = await store.fetch(q.council_postcodes(districts))
    postcodes = [
        (f"{r['postcode'][:-3]} {r['postcode'][-3:]}", r["oa_code"], bool(r["terminated"])) for r in lookup
    ]
    if not postcodes:
        raise NotReady(
            "the postcode lookup holds no postcode of the council's districts: `insight demo-postcodes --load`"
        )
    return generate(demand, postcodes, rows, seed, end)
