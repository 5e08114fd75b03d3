"""``insight info``: what the store holds (read-only)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from core.settings import Settings
from core.store import open_reader
from core.store.queries import info as qi
from core.store.queries import levels as q


async def _collect(settings: Settings) -> dict[str, Any]:
    store = await open_reader(settings, writable=False)
    try:
        counts = await store.fetchrow(qi.service_counts()) or {}
        return {
            "store": re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", settings.database_url),
            "levels": await store.fetch(q.LEVEL_COUNTS),
            "placement": await store.fetchrow(q.placement()),
            "placement_by_district": await store.fetch(q.placement_by_district()),
            "sources": await store.fetch(q.SOURCES),
            "classifications": await store.fetch(qi.classification_counts()),
            "corrections": await store.fetch(qi.corrections()),
            "services": int(counts.get("services") or 0),
            "modelled_services": int(counts.get("modelled") or 0),
        }
    finally:
        await store.close()


def collect_info(settings: Settings) -> dict[str, Any]:
    return asyncio.run(_collect(settings))


def format_info(info: dict[str, Any]) -> str:
    lines = [f"store: {info['store']}", "", "levels:"]
    lines += [
        f"  {r['level']:<6} {int(r['areas']):>8,}  {r['label']}"
        + (f" ({r['vintages']} boundaries)" if r.get("vintages") else "")
        for r in info["levels"]
    ]
    lines += _placement_lines(info.get("placement"), info.get("placement_by_district") or [])
    lines += ["", "sources:"]
    for r in info["sources"]:
        rows = "" if r["row_count"] is None else f"{int(r['row_count']):,} rows"
        lines.append(f"  {r['source_id']:<28} {r['vintage'] or '':<10} {rows:>14}  {r['title']}")
    lines += ["", "classifications:"]
    lines += [
        f"  {r['classification_id']:<14} {int(r['areas']):>8,} {r['base_level']} areas  {r['name']}"
        for r in info["classifications"]
    ]
    corrected = [(r["source_id"], fix) for r in info.get("corrections", []) for fix in json.loads(r["value"])]
    if corrected:
        lines += ["", "corrected at load (known typos in the source files):"]
        lines += [
            f"  {source}: {fix['column']} {fix['wrong']!r} -> {fix['right']!r} ({fix['why']})"
            for source, fix in corrected
        ]
    lines += ["", f"services: {info['services']:,} (LGSL), {info['modelled_services']} modelled"]
    return "\n".join(lines)


def _placement_lines(total: dict[str, Any] | None, districts: list[dict[str, Any]]) -> list[str]:
    """Census households of output areas without a boundary, so totals stay true to the Census."""
    if not total or not total.get("areas"):
        return []
    households = float(total["households"] or 0)

    def line(label: str, row: dict[str, Any]) -> str:
        hh, un = float(row["households"] or 0), float(row["unplaced_households"] or 0)
        share = f"{100 * un / hh:.1f} %" if hh else "-"
        return (
            f"  {label:<12} {int(row['unplaced_areas']):>8,} of {int(row['areas']):,} output areas, "
            f"{un:,.0f} of {hh:,.0f} households ({share})"
        )

    lines = ["", "unplaced (Census 2021 output areas without a boundary):", line("all", total)]
    lines += [line(str(d["district"]), d) for d in districts]
    placed = households - float(total["unplaced_households"] or 0)
    lines.append(
        f"  placed households {placed:,.0f} + unplaced {households - placed:,.0f} = {households:,.0f}"
    )
    if total.get("no_census_areas"):
        lines.append(
            f"  {int(total['no_census_areas']):,} loaded output areas have no 2021 record: "
            "no 2021 data, boundary changed"
        )
    return lines
