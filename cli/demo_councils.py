"""Demo councils: one per district with postcodes, each with a year of SYNTHETIC records.

So the council page, benchmarks and pooled evidence have something to show out of the box.
Their records' postcodes come from a SYNTHETIC lookup (:func:`ensure_postcodes`) unless a
real one is loaded. Every demo council's id starts ``demo-`` and its name ends "(demo)"; every upload is marked
synthetic, so every output built on them says so. Tokens are shown once (only hashes are
stored) and written to a file beside the store, readable by its owner only.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings
from core.store import Reader, open_reader, open_writer
from core.store.queries import postcodes as pq

PREFIX = "demo-"
RECORDS_PER_COUNCIL = 20_000
MOST_COUNCILS = 12


@dataclass(frozen=True)
class DemoCouncil:
    council_id: str
    name: str
    token: str | None  # None: it existed already
    records: int


def tokens_file(settings: Settings) -> Path:
    """Where the demo councils' tokens are written: ``<store>.demo-tokens`` beside the store."""
    return settings.duckdb_path.with_name(settings.duckdb_path.name + ".demo-tokens")


async def _districts(store: Reader) -> list[tuple[str, str]]:
    """(code, name) of the districts the postcode lookup covers, at most :data:`MOST_COUNCILS`."""
    rows = await store.fetch(pq.districts_with_postcodes())
    return [(r["code"], r["name"] or r["code"]) for r in rows][:MOST_COUNCILS]


def ensure_postcodes(settings: Settings) -> int:
    """Give the loaded output areas a SYNTHETIC postcode lookup unless one is loaded; returns
    the postcodes loaded (0: a lookup was there)."""
    from boundaries.postcodes_demo import load_synthetic_postcodes

    with open_writer(settings) as writer:
        if int(writer.read_frame(pq.count_postcodes()).iloc[0, 0]):
            return 0
        return load_synthetic_postcodes(writer)[0]


async def seed_demo_councils(
    settings: Settings,
    *,
    records: int = RECORDS_PER_COUNCIL,
    end: dt.date | None = None,
    echo: Callable[[str], None] = print,
) -> list[DemoCouncil]:
    """Create the demo councils and upload their synthetic records, unless demo councils exist.

    Returns the councils made (with their tokens), or the existing ones (tokens ``None``).
    """
    from records import access
    from records.synthetic import council_records, write_csv
    from records.upload import take_upload

    store = await open_reader(settings)
    try:
        existing = [c for c in await access.councils(store) if c.council_id.startswith(PREFIX)]
        if existing:
            return [DemoCouncil(c.council_id, c.name, None, 0) for c in existing]
        districts = await _districts(store)
        made: list[DemoCouncil] = []
        until = end or dt.date.today()
        with tempfile.TemporaryDirectory() as tmp:
            for i, (code, name) in enumerate(districts, start=1):
                council, token = await access.create_council(
                    store, f"{name} (demo)", [code], PREFIX + access.slug(name)
                )
                table = await council_records(store, council, records, seed=i, end=until)
                path = Path(tmp) / f"synthetic-records-{council.council_id}.csv"
                write_csv(table, path)
                taken = await take_upload(
                    store,
                    settings,
                    council,
                    access.CLI_ACTOR,
                    path,
                    source_name=path.name,
                    synthetic=True,
                )
                path.unlink()
                made.append(DemoCouncil(council.council_id, council.name, token, taken.upload.rows_matched))
                echo(
                    f"  [{i}/{len(districts)}] {council.name}: {taken.upload.rows_matched:,} SYNTHETIC records"
                )
        return made
    finally:
        await store.close()


def write_tokens(settings: Settings, councils: list[DemoCouncil]) -> Path:
    """The new demo tokens, one ``id<TAB>token`` line each, in a file only its owner reads."""
    path = tokens_file(settings)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("# demo councils (SYNTHETIC records): council id, API token\n")
        for c in councils:
            if c.token:
                fh.write(f"{c.council_id}\t{c.token}\n")
    return path
