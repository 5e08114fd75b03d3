"""Unit costs per contact and the channel-shift scenario, as JSON-ready documents.

Costs: the council's own figure for a service, else its figure for every service, else the
published default (Socitm Channel Value Benchmarking, 2011 cohorts, briefing May 2012), each
with its source and year. The scenario moves a share of a service's contacts from one channel
to another and shows the arithmetic of each move; volumes are the council's contacts on the
channel in a twelve-month window (or a volume given for a what-if), or, for a class-targeted
move, the contacts of the classes whose channel index for the target channel reaches a
threshold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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
from core.channels import BY_ID, CHANNELS
from core.errors import Unprocessable
from core.store import Reader
from geo import channels as ch
from geo import disclosure
from records.costs import council_costs, service_known

COST_NOTE = (
    "Unit costs are enquiry-handling averages per contact, not full transaction costs. The "
    "council's own figure for a service wins over its figure for every service, which wins over "
    "the published default."
)


async def unit_costs(store: Reader, council: CouncilRef, lgsl: int | None) -> dict[str, ch.UnitCost]:
    rows = await council_costs(store, council.council_id)
    overrides = [(r.service_code, r.channel, r.cost_gbp, r.source, r.set_at.year) for r in rows]
    return ch.resolve_unit_costs([c.channel for c in CHANNELS], lgsl, overrides)


async def costs_doc(store: Reader, council: CouncilRef, lgsl: int | None) -> dict[str, Any]:
    """The unit cost of every channel for a service (or for every service) and the council's own."""
    costs = await unit_costs(store, council, lgsl)
    rows = await council_costs(store, council.council_id)
    default = ch.COST_SETS[ch.DEFAULT_COST_SET]
    return {
        "council": {"id": council.council_id, "name": council.name},
        "service": await service_label(store, lgsl),
        "costs": [
            {
                "channel": c.channel,
                "label": BY_ID[c.channel].label,
                "cost_gbp": costs[c.channel].cost_gbp,
                "source": costs[c.channel].source,
                "year": costs[c.channel].year,
                "scope": costs[c.channel].scope,
            }
            for c in CHANNELS
        ],
        "council_costs": [
            {
                "service": None if r.service_code < 0 else r.service_code,
                "channel": r.channel,
                "cost_gbp": r.cost_gbp,
                "source": r.source,
                "set_at": r.set_at,
            }
            for r in rows
        ],
        "default": {"source": default.source, "year": default.year, "costs": dict(default.costs)},
        "note": COST_NOTE,
    }


@dataclass(frozen=True)
class Move:
    service: int
    from_channel: str
    to_channel: str
    share: float
    volume: float | None = None
    min_index: float | None = None  # only classes whose index for the target channel reaches it


def _window(months: list[dt.date], end: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """Twelve whole months ending with ``end``'s month (default: the latest month with records)."""
    if end is None:
        if not months:
            return None
        end = max(months)
    last = end.replace(day=1)
    first = dt.date(last.year - 1, last.month, 1)
    first = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    following = dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


async def _move_volume(
    store: Reader,
    council: CouncilRef,
    move: Move,
    window: tuple[dt.date, dt.date] | None,
    monthly: pd.DataFrame,
    classification_id: str,
    tier: str,
) -> tuple[float, dict[str, Any]]:
    """The contacts a move starts from, and how they were counted."""
    if move.volume is not None:
        return move.volume, {"basis": "given volume (what-if)"}
    if window is None:
        raise Unprocessable(f"no records of LGSL {move.service}: give a volume for this move")
    if move.min_index is None:
        inside = monthly[[window[0] <= m <= window[1] for m in monthly.index]]
        volume = float(inside[move.from_channel].sum()) if move.from_channel in inside.columns else 0.0
        return volume, {"basis": f"the council's {move.from_channel} contacts, {window[0]} to {window[1]}"}
    counts = await customer_counts_by_channel(
        store, council, move.service, classification_id, tier, districts_area(council), period=window
    )
    if counts.empty or move.to_channel not in counts.columns or move.from_channel not in counts.columns:
        return 0.0, {"basis": "no classified contacts on both channels", "classes": []}
    _, index = ch.class_channel_index(counts)
    chosen = [str(c) for c in counts.index if float(index.loc[c, move.to_channel]) >= move.min_index]
    volumes = counts.loc[chosen, move.from_channel] if chosen else counts[move.from_channel].iloc[:0]
    # a class with 1 to 5 contacts on the channel is left out of the move altogether (neither
    # shown nor counted), so the total, always the sum of the lines shown, reveals no small count
    small = disclosure.primary_mask(volumes.to_numpy(dtype=float))
    left_out = int(small.sum())
    volumes = volumes[~small]
    classes = [
        {
            "code": str(c),
            "index_for_target": rounded(index.loc[c, move.to_channel], 1),
            "contacts": rounded(volumes.loc[c], 1),
        }
        for c in volumes.index
    ]
    basis = (
        f"{move.from_channel} contacts of the classes ({tier}) whose {move.to_channel} index is at least "
        f"{move.min_index:g}, {window[0]} to {window[1]} (classified records inside the districts)"
        + (f"; {left_out} class(es) with 1 to 5 contacts left out" if left_out else "")
    )
    return float(volumes.sum()), {"basis": basis, "classes": classes}


async def channel_shift(
    store: Reader,
    council: CouncilRef,
    moves: list[Move],
    *,
    end: dt.date | None,
    classification_id: str,
    tier: str,
) -> dict[str, Any]:
    """Each move with its volume, unit costs (source and year) and saving written out; the total."""
    lines = []
    total = 0.0
    for k, move in enumerate(moves):
        for field in ("from_channel", "to_channel"):
            if getattr(move, field) not in BY_ID:
                raise Unprocessable(f"moves[{k}].{field}: unknown channel {getattr(move, field)!r}")
        if move.from_channel == move.to_channel:
            raise Unprocessable(f"moves[{k}]: from_channel and to_channel are the same")
        if not await service_known(store, council.council_id, move.service):
            raise Unprocessable(f"moves[{k}].service: no service with LGSL code {move.service}")
        service = await service_label(store, move.service)
        costs = await unit_costs(store, council, move.service)
        cost_from, cost_to = costs[move.from_channel], costs[move.to_channel]
        for field, cost in (("from_channel", cost_from), ("to_channel", cost_to)):
            if cost.cost_gbp is None:
                raise Unprocessable(
                    f"moves[{k}].{field}: no unit cost for {cost.channel}: set one with PUT .../costs"
                )
        assert cost_from.cost_gbp is not None and cost_to.cost_gbp is not None
        monthly = await contacts_by_month(store, council, move.service)  # read once per move
        window = _window(list(monthly.index), end)
        volume, counted = await _move_volume(store, council, move, window, monthly, classification_id, tier)
        if 0 < volume < disclosure.LOWEST_SHOWN and move.volume is None:
            raise Unprocessable(
                f"moves[{k}]: fewer than {disclosure.LOWEST_SHOWN} contacts to move (suppressed)"
            )
        moved, saving, text = ch.shift_arithmetic(volume, move.share, cost_from.cost_gbp, cost_to.cost_gbp)
        total += saving
        lines.append(
            {
                "service": service,
                "from_channel": move.from_channel,
                "to_channel": move.to_channel,
                "share": move.share,
                "volume": rounded(volume, 1),
                "moved": rounded(moved, 1),
                "period": None
                if move.volume is not None or window is None
                else [str(window[0]), str(window[1])],
                "cost_from": cost_from.__dict__,
                "cost_to": cost_to.__dict__,
                "saving_gbp": saving,
                "arithmetic": text,
            }
            | counted
        )
    synthetic = False
    for m in moves:
        if m.volume is None:
            synthetic = synthetic or bool((await source_doc(store, council, m.service))["synthetic"])
    return {
        "council": {"id": council.council_id, "name": council.name},
        "moves": lines,
        "total_saving_gbp": round(total, 2),
        "arithmetic": " + ".join(f"£{line['saving_gbp']:,.2f}" for line in lines)
        + f" = £{total:,.2f} a year",
        "synthetic": synthetic,
        "note": COST_NOTE + " Savings are yearly: volumes are twelve months of contacts.",
        "suppression": SUPPRESSION_NOTE,
    }
