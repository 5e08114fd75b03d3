"""The demo store: every real source in the data directory, loaded and built in one go."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from core.settings import Settings
from core.store import StoreError, open_writer
from core.store.admin import read_meta, schema_version
from derive.pooling import PoolReport

DEMO_STAMP = "demo_built_from"


def _inputs_stamp(data_dir: Path) -> str:
    """Newest modification time and count of the data files, to tell when a rebuild is due."""
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    if not files:
        raise FileNotFoundError(
            f"data directory {data_dir} is empty or missing: set INSIGHT_DATA_DIR or run `insight fetch all`"
        )
    return f"{len(files)}:{max(int(p.stat().st_mtime) for p in files)}"


def has_national(data_dir: Path) -> bool:
    """Whether the data directory holds the national boundaries of England and Wales."""
    from boundaries.demo import NATIONAL_FOLDER

    return (Path(data_dir) / NATIONAL_FOLDER).is_dir()


def demo_status(settings: Settings, scope: str = "regional") -> str:
    """'fresh', 'missing' or 'stale' for the embedded demo store built for ``scope``
    (``regional``: the demo sources; ``national``: England and Wales as well)."""
    if not settings.duckdb_path.exists():
        return "missing"
    try:
        meta = read_meta(settings, ["schema_version", DEMO_STAMP])
    except StoreError:
        return "stale"
    expected = f"{_inputs_stamp(settings.data_dir)}:{scope}"
    if meta["schema_version"] != schema_version() or meta[DEMO_STAMP] != expected:
        return "stale"
    return "fresh"


Progress = Callable[[str, int, int], None]


def build_demo(
    settings: Settings,
    *,
    national: bool = False,
    districts: tuple[str, ...] = (),
    progress: Progress | None = None,
    pooled: PoolReport | None = None,
) -> None:
    """Load all demo sources (and with ``national`` the national boundaries of England and
    Wales and the hierarchy) and build the model; the old store is replaced only on success.

    ``progress(step, done, of)`` is called before each step and once at the end;
    ``districts`` limits the national levels to some districts (for tests); ``pooled`` is
    councils' pooled evidence (``insight pool``) to write before the model is built.
    """
    from boundaries.demo import demo_steps, national_steps
    from derive.pipeline import build_all

    scope = "national" if national else "regional"
    stamp = f"{_inputs_stamp(settings.data_dir)}:{scope}"
    steps = demo_steps(settings.data_dir)
    if national:
        steps += national_steps(settings.data_dir, districts)
    total = len(steps) + 1
    report = progress or (lambda step, done, of: None)
    target = settings.duckdb_path if settings.backend == "duckdb" else None
    build_settings = settings
    if target is not None:
        tmp = target.with_name(target.name + ".building")
        tmp.unlink(missing_ok=True)
        build_settings = settings.model_copy(update={"database_url": f"duckdb:///{tmp}"})
    with open_writer(build_settings) as writer:
        for done, (source_id, load) in enumerate(steps):
            report(source_id, done, total)
            load(writer)
        report("build the model and tiles", len(steps), total)
        if pooled is not None:
            from derive.pooling import write

            write(writer, pooled.frame, pooled.channels)
        build_all(writer, settings)
        with writer.transaction() as tx:
            tx.set_meta(DEMO_STAMP, stamp)
    if target is not None:
        if not tmp.exists():
            raise StoreError(f"demo build left no file at {tmp}")
        os.replace(tmp, target)
    report("done", total, total)


def write_progress(path: Path, **doc: object) -> None:
    """Replace the progress file atomically (readers never see half a document)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc | {"updated": time.time()}))
    os.replace(tmp, path)
