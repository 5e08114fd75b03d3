"""A council's channels: the mix per class with its index, the seasons, and channel migration.

Statistics come from :mod:`geo.channels`; small counts are suppressed with
:mod:`geo.disclosure` over the whole class × channel table with its class, channel and grand
totals, so no shown total reveals a suppressed cell. Documents are JSON-ready and name their
source (the council's uploads, "synthetic" when any was generated).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from app.council_data import (
    SUPPRESSION_NOTE,
    CouncilRef,
    contacts_by_month,
    customer_counts_by_channel,
    districts_area,
    rounded,
    service_label,
    source_doc,
)
from core.channels import BY_ID
from core.errors import BadRequest
from core.store import Reader
from core.store.queries import profiles as q
from geo import channels as ch
from geo import disclosure

INDEX_NOTE = (
    "Channel index: 100 × the class's share of contacts on the channel / the share of all the "
    "council's contacts on it (100 = like the council's overall mix); 95 % Wilson interval of the "
    "share divided by the overall share; z of the class's share against the overall share."
)
SEASON_NOTE = (
    "Seasonal index: 100 × the mean contacts of a calendar month over the years covered / the mean "
    "of every covered month (the months from the first to the last with records; a covered month "
    "without records counts as 0)."
)
MIGRATION_NOTE = (
    "Change of each channel's share between the two periods, with a two-proportion z-test "
    "(pooled share); |z| > 1.96 is a change beyond noise at the 5 % level."
)


def _suppress_grid(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Suppression of a class × channel table with row, column and grand totals.

    Returns masks for the cells, the class totals and the channel totals, and the grand total's.
    """
    r, c = counts.shape
    cells = counts.to_numpy(dtype=float)
    flat = np.concatenate([cells.ravel(), cells.sum(axis=1), cells.sum(axis=0), [cells.sum()]])
    row_at, col_at, grand = r * c, r * c + r, r * c + r + c
    constraints: list[disclosure.Constraint] = []
    for i in range(r):
        constraints.append((row_at + i, [i * c + j for j in range(c)]))
    for j in range(c):
        constraints.append((col_at + j, [i * c + j for i in range(r)]))
    constraints.append((grand, [row_at + i for i in range(r)]))
    constraints.append((grand, [col_at + j for j in range(c)]))
    mask = disclosure.suppress_table(flat, constraints)
    return mask[: r * c].reshape(r, c), mask[row_at:col_at], mask[col_at:grand], bool(mask[grand])


async def _classes(store: Reader, classification_id: str, tier: str) -> list[q.ClassInfoRow]:
    return [c for c in await store.fetch_as(q.ClassInfoRow, q.classes(classification_id)) if c.tier == tier]


async def channel_mix(
    store: Reader, council: CouncilRef, *, classification_id: str, tier: str, lgsl: int | None
) -> dict[str, Any]:
    """Per class: contacts on each channel, the share and the channel index with interval and z."""
    counts = await customer_counts_by_channel(
        store, council, lgsl, classification_id, tier, districts_area(council)
    )
    info = await _classes(store, classification_id, tier)
    counts = counts.reindex([c.code for c in info]).fillna(0.0)
    channels = list(counts.columns)
    doc: dict[str, Any] = {
        "council": {"id": council.council_id, "name": council.name},
        "classification_id": classification_id,
        "tier": tier,
        "service": await service_label(store, lgsl),
        "channels": [
            {"channel": c, "label": BY_ID[c].label, "assisted": BY_ID[c].assisted} for c in channels
        ],
        "source": await source_doc(store, council, lgsl),
        "method": INDEX_NOTE,
        "suppression": {"rule": SUPPRESSION_NOTE},
    }
    if counts.empty or not channels or float(counts.to_numpy().sum()) <= 0:
        return doc | {"overall": [], "classes": [], "suppression": {"rule": SUPPRESSION_NOTE, "cells": 0}}
    cell_mask, class_mask, channel_mask, total_hidden = _suppress_grid(counts)
    table = ch.channel_index_table(counts).set_index(["class_code", "channel"])
    channel_totals = counts.sum(axis=0)
    grand = float(channel_totals.sum())
    overall = [
        {
            "channel": c,
            "contacts": None if channel_mask[j] else rounded(channel_totals[c], 1),
            "share": None if channel_mask[j] or total_hidden else rounded(channel_totals[c] / grand),
            "suppressed": bool(channel_mask[j]),
        }
        for j, c in enumerate(channels)
    ]
    classes = []
    for i, cls in enumerate(info):
        cells = []
        for j, c in enumerate(channels):
            hidden = bool(cell_mask[i, j] or class_mask[i])
            t = table.loc[(cls.code, c)]
            cell: dict[str, Any] = {"channel": c, "suppressed": hidden}
            keys = ("contacts", "share", "share_low", "share_high", "index", "index_low", "index_high", "z")
            if hidden:
                cell |= dict.fromkeys(keys) | {"significant": None}
            else:
                cell |= {
                    "contacts": rounded(t["contacts"], 1),
                    "share": rounded(t["share"]),
                    "share_low": rounded(t["share_low"]),
                    "share_high": rounded(t["share_high"]),
                    "index": rounded(t["index"], 1),
                    "index_low": rounded(t["index_low"], 1),
                    "index_high": rounded(t["index_high"], 1),
                    "z": rounded(t["z"], 2),
                    "significant": None if rounded(t["z"]) is None else bool(abs(float(t["z"])) > 2),
                }
            cells.append(cell)
        classes.append(
            {
                "code": cls.code,
                "name": cls.name,
                "colour": cls.colour,
                "contacts": None if class_mask[i] else rounded(counts.iloc[i].sum(), 1),
                "suppressed": bool(class_mask[i]),
                "channels": cells,
            }
        )
    return doc | {
        "contacts": None if total_hidden else rounded(grand, 1),
        "overall": overall,
        "classes": classes,
        "suppression": {"rule": SUPPRESSION_NOTE, "cells": int(cell_mask.sum())},
    }


async def seasons(store: Reader, council: CouncilRef, lgsl: int | None) -> dict[str, Any]:
    """Contacts per calendar month and the seasonal index, with the months behind each."""
    monthly = (await contacts_by_month(store, council, lgsl)).sum(axis=1)
    doc: dict[str, Any] = {
        "council": {"id": council.council_id, "name": council.name},
        "service": await service_label(store, lgsl),
        "source": await source_doc(store, council, lgsl),
        "method": SEASON_NOTE,
        "suppression": {"rule": SUPPRESSION_NOTE},
    }
    if monthly.empty or float(monthly.sum()) <= 0:
        return doc | {"first_month": None, "last_month": None, "months": []}
    table = ch.seasonal_table(monthly)
    contacts = table["contacts"].to_numpy(dtype=float)
    mask = disclosure.suppress_table(
        np.concatenate([contacts, [contacts.sum()]]), [(len(contacts), list(range(len(contacts))))]
    )
    months = []
    for k, r in table.iterrows():
        hidden = bool(mask[int(str(k))])
        months.append(
            {
                "month": int(r["month"]),
                "name": dt.date(2000, int(r["month"]), 1).strftime("%B"),
                "months_covered": int(r["months_covered"]),
                "contacts": None if hidden else rounded(r["contacts"], 1),
                "month_mean": None if hidden else rounded(r["month_mean"], 1),
                "index": None if hidden else rounded(r["index"], 1),
                "suppressed": hidden,
            }
        )
    first, last = min(monthly.index), max(monthly.index)
    return doc | {"first_month": str(first)[:7], "last_month": str(last)[:7], "months": months}


def _period(start: dt.date, end: dt.date, name: str) -> tuple[dt.date, dt.date]:
    if end < start:
        raise BadRequest(f"{name}: the end ({end}) is before the start ({start})")
    return start.replace(day=1), end


async def migration(
    store: Reader,
    council: CouncilRef,
    *,
    classification_id: str,
    tier: str,
    lgsl: int | None,
    first: tuple[dt.date, dt.date],
    second: tuple[dt.date, dt.date],
) -> dict[str, Any]:
    """Channel shares in two periods, overall and per class, with the two-proportion z-test."""
    p1, p2 = _period(*first, "period 1"), _period(*second, "period 2")
    area = districts_area(council)
    one = await customer_counts_by_channel(store, council, lgsl, classification_id, tier, area, period=p1)
    two = await customer_counts_by_channel(store, council, lgsl, classification_id, tier, area, period=p2)
    info = await _classes(store, classification_id, tier)
    doc: dict[str, Any] = {
        "council": {"id": council.council_id, "name": council.name},
        "classification_id": classification_id,
        "tier": tier,
        "service": await service_label(store, lgsl),
        "periods": [{"from": str(p1[0]), "to": str(p1[1])}, {"from": str(p2[0]), "to": str(p2[1])}],
        "source": await source_doc(store, council, lgsl),
        "method": MIGRATION_NOTE,
        "suppression": {"rule": SUPPRESSION_NOTE},
    }

    def rows(before: pd.Series, after: pd.Series) -> list[dict[str, Any]] | None:
        if before.sum() <= 0 or after.sum() <= 0:
            return None
        channels = [c for c in dict.fromkeys([*before.index, *after.index])]
        b, a = before.reindex(channels).fillna(0.0), after.reindex(channels).fillna(0.0)
        hide_b = disclosure.suppress_table(np.append(b.to_numpy(), b.sum()), [(len(b), list(range(len(b))))])
        hide_a = disclosure.suppress_table(np.append(a.to_numpy(), a.sum()), [(len(a), list(range(len(a))))])
        test = ch.migration_test(b.to_dict(), a.to_dict())
        out = []
        for k, r in test.iterrows():
            j = int(str(k))
            hidden = bool(hide_b[j] or hide_a[j] or hide_b[-1] or hide_a[-1])
            keys = ("contacts_1", "share_1", "contacts_2", "share_2", "change_points", "z")
            row: dict[str, Any] = {"channel": r["channel"], "suppressed": hidden}
            if hidden:
                row |= dict.fromkeys(keys) | {"significant": None}
            else:
                row |= {key: rounded(r[key], 4 if key.startswith("share") else 2) for key in keys}
                row["significant"] = bool(r["significant"])
            out.append(row)
        return out

    overall = rows(one.sum(axis=0), two.sum(axis=0))
    classes = []
    for cls in info:
        before = one.loc[cls.code] if cls.code in one.index else pd.Series(dtype=float)
        after = two.loc[cls.code] if cls.code in two.index else pd.Series(dtype=float)
        found = rows(before, after)
        classes.append({"code": cls.code, "name": cls.name, "channels": found, "tested": found is not None})
    return doc | {
        "contacts": [
            None if disclosure.primary_mask([one.to_numpy().sum()])[0] else rounded(one.to_numpy().sum(), 1),
            None if disclosure.primary_mask([two.to_numpy().sum()])[0] else rounded(two.to_numpy().sum(), 1),
        ],
        "overall": overall or [],
        "classes": classes,
    }
