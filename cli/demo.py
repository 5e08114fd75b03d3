"""The demo store: every real source in the data directory, loaded and built in one go."""

from __future__ import annotations

import os
from pathlib import Path

from core.settings import Settings
from core.store import StoreError, open_writer
from core.store.admin import read_meta, schema_version

DEMO_STAMP = "demo_built_from"


def _inputs_stamp(data_dir: Path) -> str:
    """Newest modification time and count of the data files, to tell when a rebuild is due."""
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    if not files:
        raise FileNotFoundError(
            f"data directory {data_dir} is empty or missing: set INSIGHT_DATA_DIR or run `insight fetch all`"
        )
    return f"{len(files)}:{max(int(p.stat().st_mtime) for p in files)}"


def demo_status(settings: Settings) -> str:
    """'fresh', 'missing' or 'stale' for the embedded demo store."""
    if not settings.duckdb_path.exists():
        return "missing"
    try:
        meta = read_meta(settings, ["schema_version", DEMO_STAMP])
    except StoreError:
        return "stale"
    if meta["schema_version"] != schema_version() or meta[DEMO_STAMP] != _inputs_stamp(settings.data_dir):
        return "stale"
    return "fresh"


def build_demo(settings: Settings) -> None:
    """Load all demo sources and build the model; the old store is replaced only on success."""
    from boundaries.demo import load_demo_sources
    from derive.pipeline import build_all

    stamp = _inputs_stamp(settings.data_dir)
    target = settings.duckdb_path if settings.backend == "duckdb" else None
    build_settings = settings
    if target is not None:
        tmp = target.with_name(target.name + ".building")
        tmp.unlink(missing_ok=True)
        build_settings = settings.model_copy(update={"database_url": f"duckdb:///{tmp}"})
    with open_writer(build_settings) as writer:
        load_demo_sources(writer, settings.data_dir)
        build_all(writer, settings)
        with writer.transaction() as tx:
            tx.set_meta(DEMO_STAMP, stamp)
    if target is not None:
        if not tmp.exists():
            raise StoreError(f"demo build left no file at {tmp}")
        os.replace(tmp, target)
