"""``insight upload``, ``insight uploads``, ``insight demo-records`` and ``insight demo-postcodes``.

Uploads from the command line go through the same checks and unit of work as the HTTP API.
On the embedded store they write the workspace file, which a running server holds: stop the
server first, or upload through the API.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from pathlib import Path

import typer

from cli.common import fail, settings_or_exit
from cli.council import run
from core.errors import InsightError, StoreError
from core.store import Reader, open_reader


def upload_command(
    council_id: str = typer.Argument(..., help="The council's id (insight council list)."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV (UTF-8, ',' or ';') or XLSX."),
    map: list[str] = typer.Option(None, "--map", help="FIELD=COLUMN, repeatable, e.g. --map postcode=PCDS."),
    max_rejected: float = typer.Option(
        None, min=0, max=1, help="Largest share of rejected rows accepted (default the setting)."
    ),
    synthetic: bool = typer.Option(False, help="Mark the upload as synthetic records."),
    report: Path = typer.Option(None, help="Also write the full validation report (JSON) here."),
) -> None:
    """Upload a council's service records: checked, aggregated, the file itself not kept."""
    from records import access
    from records.columns import parse_mapping
    from records.errors import UploadInvalid
    from records.upload import take_upload

    settings = settings_or_exit()
    if file.stat().st_size > settings.upload_max_bytes:
        fail(f"{file} is larger than {settings.upload_max_bytes:,} bytes (INSIGHT_UPLOAD_MAX_BYTES)")

    async def work(store: Reader) -> dict:
        council = await access.council(store, council_id)
        taken = await take_upload(
            store,
            settings,
            council,
            access.CLI_ACTOR,
            file,
            source_name=file.name,
            mapping=parse_mapping(map),
            max_rejected=max_rejected,
            synthetic=synthetic,
        )
        return taken.as_dict()

    try:
        done = asyncio.run(_on_store(work))
    except UploadInvalid as exc:
        if exc.report is not None:
            _print_report(exc.report)
            if report:
                report.write_text(json.dumps(exc.report, indent=2, default=str))
        fail(exc.message)
        return
    except (InsightError, StoreError) as exc:
        fail(exc.message)
        return
    _print_report(done["report"])
    if report:
        report.write_text(json.dumps(done["report"], indent=2, default=str))
    typer.echo(
        f"upload {done['upload_id']}: {done['rows_matched']:,} of {done['rows_read']:,} rows matched, "
        f"{done['cells']:,} aggregate cells stored{' (synthetic)' if done['synthetic'] else ''}"
    )


async def _on_store(work):  # type: ignore[no-untyped-def]
    store = await open_reader(settings_or_exit())
    try:
        return await work(store)
    finally:
        await store.close()


def _print_report(report: dict) -> None:
    rate = report.get("match_rate")
    typer.echo(
        f"rows read {report['rows_read']:,}, matched {report['rows_matched']:,}"
        f" ({(rate or 0):.1%}), rejected {report['rows_rejected']:,}"
        f"; terminated postcodes {report.get('terminated_postcodes', 0):,}"
        f"; dates {report.get('date_from')} .. {report.get('date_to')}"
    )
    for item in report.get("rejections", [])[:20]:
        typer.echo(f"  {item['rows']:>9,}  {item['field']}: {item['reason']}")
    for kind in ("unknown_services", "unknown_channels"):
        if report.get(kind):
            named = ", ".join(f"{x['code']} ({x['rows']:,})" for x in report[kind][:10])
            typer.echo(f"  {kind.replace('_', ' ')}: {named}")
    for item in report.get("rejected_rows", [])[:10]:
        typer.echo(f"  row {item['row']}: {item['field']} {item['reason']} {item['value']!r}")


def uploads_command(council_id: str = typer.Argument(..., help="The council's id.")) -> None:
    """A council's uploads, newest first."""
    from records.upload import list_uploads

    rows = run(lambda store: list_uploads(store, council_id))
    if not rows:
        typer.echo(f"{council_id} has no uploads")
    for r in rows:
        typer.echo(
            f"{r.upload_id}  {r.uploaded_at:%Y-%m-%d %H:%M}  {r.rows_matched:>10,} of {r.rows_read:>10,} rows  "
            f"{r.date_from} .. {r.date_to}  {r.source_name}{'  [synthetic]' if r.synthetic else ''}"
        )


def demo_records_command(
    council_id: str = typer.Argument(
        ..., help="A council id (its districts), or a district's LAD code (e.g. E08000009)."
    ),
    rows: int = typer.Option(10_000, "--rows", min=1, max=50_000_000, help="How many records."),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same file."),
    out: Path = typer.Option(
        None, "--out", help="File to write (default synthetic-records-COUNCIL-SEED.csv)."
    ),
    end: str = typer.Option(
        None, help="Records fall in the 12 months before this month (YYYY-MM; default now)."
    ),
    classification: str = typer.Option("oac2021", help="Classification whose modelled demand drives them."),
) -> None:
    """Write a clearly labelled synthetic record file for a council (modelled propensities,
    a realistic channel mix and seasonal pattern, postcodes from the lookup)."""
    from records import access
    from records.synthetic import council_records, write_csv

    until = dt.date.today() if end is None else dt.date.fromisoformat(f"{end}-01")
    path = out or Path(f"synthetic-records-{council_id}-{seed}.csv")
    settings = settings_or_exit()

    async def work() -> int:
        # a district code needs only the national data; a council id reads the workspace too
        district = re.fullmatch(r"[EW]0[6789]\d{6}", council_id.upper())
        store = await open_reader(settings, writable=not district)
        try:
            if district:
                council = access.Council(
                    council_id.upper(), council_id.upper(), (access.District(council_id.upper(), None),)
                )
            else:
                council = await access.council(store, council_id)
            table = await council_records(store, council, rows, seed, until, classification)
        finally:
            await store.close()
        write_csv(table, path)
        return table.num_rows

    try:
        written = asyncio.run(work())
    except (InsightError, StoreError, ValueError) as exc:
        fail(getattr(exc, "message", str(exc)))
        return
    typer.echo(f"wrote {written:,} SYNTHETIC records to {path}")


def demo_postcodes_command(
    out: Path = typer.Argument(..., help="CSV to write, in the ONS Postcode Directory layout."),
    area: list[str] = typer.Option(None, "--area", help="Only these districts (LAD codes); default all."),
    seed: int = typer.Option(2021, help="Random seed."),
    load: bool = typer.Option(False, help="Also load it as the postcode lookup (insight load postcodes)."),
) -> None:
    """Generate a SYNTHETIC postcode lookup (postcodes starting 'Q', which no real one does) for
    the loaded output areas, for tests and the demo."""
    import pandas as pd

    from boundaries.postcodes_demo import synthetic_directory
    from core.store.queries import postcodes as q

    settings = settings_or_exit()

    async def areas() -> pd.DataFrame:
        store = await open_reader(settings, writable=False)
        try:
            return pd.DataFrame(await store.fetch(q.output_areas(list(area or []))))
        finally:
            await store.close()

    try:
        frame = asyncio.run(areas())
    except StoreError as exc:
        fail(exc.message)
        return
    if frame.empty:
        fail("no output areas linked to districts are loaded (load a lookup first, or `insight demo`)")
    directory = synthetic_directory(frame, seed=seed)
    directory.to_csv(out, index=False)
    typer.echo(f"wrote {len(directory):,} SYNTHETIC postcodes for {len(frame):,} output areas to {out}")
    if load:
        from cli.load import load_postcodes_command

        load_postcodes_command(out, source_id="synthetic-postcodes", vintage=None)
