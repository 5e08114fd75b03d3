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
    lines += [f"  {r['level']:<6} {int(r['areas']):>8,}  {r['label']}" for r in info["levels"]]
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
