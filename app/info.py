"""``insight info``: what the store holds."""

from __future__ import annotations

from typing import Any

from app.settings import Settings
from app.store import open_writer
from app.store.queries import levels as q


def collect_info(settings: Settings) -> dict[str, Any]:
    with open_writer(settings) as writer:
        return {
            "store": settings.database_url,
            "levels": writer.read_frame(q.LEVEL_COUNTS).to_dict("records"),
            "sources": writer.read_frame(q.SOURCES).to_dict("records"),
            "classifications": writer.read_frame(
                "SELECT c.classification_id, c.name, c.base_level, "
                "(SELECT COUNT(*) FROM area_class a WHERE a.classification_id = c.classification_id)"
                " AS areas FROM classification c ORDER BY 1"
            ).to_dict("records"),
            "services": int(writer.read_frame("SELECT COUNT(*) AS n FROM service")["n"].iloc[0]),
            "modelled_services": int(
                writer.read_frame("SELECT COUNT(DISTINCT lgsl) AS n FROM service_model")["n"].iloc[0]
            ),
        }


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
    lines += ["", f"services: {info['services']:,} (LGSL), {info['modelled_services']} modelled"]
    return "\n".join(lines)
