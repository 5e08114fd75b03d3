"""What every loader does to the store: record its source, replace its rows, guard keys.

The store refuses duplicate keys without saying which source holds them, so the loaders check
the keys they are about to write first and name the offending codes and their source.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import shapely

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from core.levels import LEVELS
from core.store import Transaction
from core.store.queries import loads as q

AREA_LEVELS: dict[str, float] = {lv.level: lv.gen_tolerance_m for lv in LEVELS}

# tables holding a source_id column, cleared when a source is reloaded
SOURCED_TABLES = (
    "area",
    "area_link",
    "census_variable",
    "census_value",
    "eurostat_value",
    "classification",
    "area_class",
    "service",
)


def clear_source(tx: Transaction, source_id: str) -> None:
    """Remove every row a previous load of ``source_id`` wrote."""
    for table in SOURCED_TABLES:
        tx.delete_where(table, source_id=source_id)
    tx.delete_where("source", source_id=source_id)


def record_source(tx: Transaction, source: Source, files: list[Path] | Path | str | None, rows: int) -> None:
    """Write the ``source`` row (replacing any earlier one) and bump the data version."""
    names = ", ".join(_rel(p) for p in files) if isinstance(files, list) else (_rel(files) if files else None)
    frame = pd.DataFrame(
        [
            {
                "source_id": source.id,
                "kind": source.kind,
                "title": source.title,
                "url": source.url or None,
                "licence": source.licence or None,
                "attribution": source.attribution or None,
                "vintage": source.vintage or None,
                "file": names,
                "row_count": int(rows),
                "loaded_at": pd.Timestamp.now(tz="UTC"),
            }
        ]
    )
    tx.replace("source", frame, source_id=source.id)
    tx.bump_data_version()


def _rel(path: Path | str) -> str:
    """File name with its folder (the data directory differs between machines)."""
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


def check_area_conflicts(tx: Transaction, rows: pd.DataFrame, source_id: str, file: object) -> None:
    """Refuse areas whose (level, code) another source already holds."""
    for level, group in rows.groupby("level"):
        held = tx.fetch_frame(q.area_owners(str(level), source_id))
        clash = held[held["code"].isin(group["code"])]
        if not clash.empty:
            owners = ", ".join(sorted(clash["source_id"].unique()))
            raise LoadError(
                file,
                f"{level} code(s) {name_some(clash['code'])} already loaded by source {owners}; "
                f"reload that source instead (--source-id {clash['source_id'].iloc[0]})",
            )


def check_link_conflicts(tx: Transaction, links: pd.DataFrame, source_id: str, file: object) -> None:
    """Refuse links whose (child_level, child_code, parent_level) another source already holds."""
    for (child_level, parent_level), group in links.groupby(["child_level", "parent_level"]):
        held = tx.fetch_frame(q.link_owners(str(child_level), str(parent_level), source_id))
        clash = held[held["child_code"].isin(group["child_code"])]
        if not clash.empty:
            raise LoadError(
                file,
                f"{child_level}→{parent_level} link(s) for {name_some(clash['child_code'])} already "
                f"loaded by source {', '.join(sorted(clash['source_id'].unique()))}",
            )


def fetch_areas(
    tx: Transaction, level: str, source_id: str | None = None, geometry: bool = False
) -> pd.DataFrame:
    """Areas of a level (optionally of one source): code, name, lon, lat and EPSG:4326 geometry."""
    frame = tx.fetch_frame(q.areas(level, source_id, geometry))
    if geometry:
        frame["geometry"] = shapely.from_wkb([bytes(b) if b is not None else None for b in frame.pop("wkb")])
    return frame
