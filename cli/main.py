"""The ``insight`` command line: load, build, serve, demo, info, fetch, db."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from cli.build import build_app
from cli.common import fail, settings_or_exit
from cli.council import council_app
from cli.export import export_app
from cli.load import fetch_command, load_app
from cli.pool import pool_command
from cli.records import demo_postcodes_command, demo_records_command, upload_command, uploads_command
from core.settings import Settings

if TYPE_CHECKING:
    from derive.pooling import PoolReport

cli = typer.Typer(
    help="Citizen Insight: geodemographic map server for public services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@cli.command()
def serve(
    host: str = typer.Option(None, help="Interface to listen on (default INSIGHT_HOST)."),
    port: int = typer.Option(None, help="Port (default INSIGHT_PORT)."),
    workers: int = typer.Option(1, min=1, help="Worker processes (PostGIS only)."),
) -> None:
    """Serve the API, tiles and web app from the configured store."""
    from app.serve import run_server

    settings = settings_or_exit()
    run_server(settings, host or settings.host, port or settings.port, workers)


@cli.command()
def demo(
    port: int = typer.Option(None, help="Port (default INSIGHT_PORT)."),
    host: str = typer.Option(None, help="Interface (default INSIGHT_HOST)."),
    rebuild: bool = typer.Option(False, help="Rebuild the demo store even if it is fresh."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Build only."),
    councils: bool = typer.Option(
        True, help="Create the demo councils with SYNTHETIC records if there are none."
    ),
    regional: bool = typer.Option(
        False,
        "--regional",
        help="Only the regional demo data, even where the national boundaries are present.",
    ),
) -> None:
    """Build the embedded demo store from the data directory if missing or stale, add the demo
    councils with synthetic records, then serve. With the national boundaries in the data
    directory, England and Wales is built in the background while the regional demo is served,
    and served as soon as it is ready."""
    from cli.demo import demo_status, has_national

    settings = settings_or_exit()
    if settings.backend != "duckdb":
        fail("`insight demo` builds the embedded store: set INSIGHT_DATABASE_URL=duckdb:///...")
    national = not regional and has_national(settings.data_dir)
    background = False
    if national and not rebuild and demo_status(settings, "national") == "fresh":
        typer.echo(f"demo store {settings.duckdb_path} (England and Wales) is up to date")
    else:
        status = demo_status(settings, "regional")
        if rebuild or status != "fresh":
            typer.echo(f"demo store {settings.duckdb_path}: {status}, building from {settings.data_dir}")
            _build_demo(settings, national=False)
        else:
            typer.echo(f"demo store {settings.duckdb_path} is up to date")
        background = national
    pooled = None
    if councils:
        demo_councils(settings)
        pooled = _demo_pooling(settings)
    if no_serve:
        if background:
            _build_demo(settings, national=True, pooled=pooled)
            if councils:
                demo_councils(settings)  # the new file's postcode lookup
        return
    h, p = host or settings.host, port or settings.port
    if background:
        from app.handoff import serve_with_handoff
        from app.serve import server_config

        typer.echo(
            f"serving the regional demo on http://{h}:{p} while England and Wales is built in the background"
        )
        serve_with_handoff(
            settings, h, p, server_config(settings), lambda: _national_in_background(settings, pooled)
        )
    else:
        from app.serve import run_server

        run_server(settings, h, p, 1)


def _demo_pooling(settings: Settings) -> PoolReport | None:
    """Pool the demo councils' records (``insight pool``); if the store holds no pooled evidence
    yet, write it and rebuild the model so the public maps use it. Returns the evidence, for a
    national build behind the served demo (which cannot read the workspace the server holds)."""
    import asyncio

    from core.store import open_writer
    from derive import pooling
    from derive.pipeline import build_all

    typer.echo("pooling the demo councils' SYNTHETIC records per service and class")
    report = asyncio.run(pooling.gather(settings))
    if report.frame.empty and report.channels.empty:
        return None
    with open_writer(settings) as writer:
        if not pooling.held(writer):
            pooling.write(writer, report.frame, report.channels)
            build_all(writer, settings)
            typer.echo(
                f"  {len(report.used)} service(s) now use observed propensities (from SYNTHETIC records)"
            )
    return report


def _build_demo(settings: Settings, *, national: bool, pooled: PoolReport | None = None) -> None:
    from cli.demo import build_demo
    from core.store import StoreError

    what = "England and Wales" if national else "regional demo"

    def say(step: str, done: int, of: int) -> None:
        typer.echo(f"  [{what} {done}/{of}] {step}")

    try:
        build_demo(settings, national=national, progress=say, pooled=pooled)
    except (StoreError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))


def _national_in_background(settings: Settings, pooled: PoolReport | None = None) -> bool:
    """Build England and Wales behind the served demo, reporting to the CLI and the web app."""
    import time

    from cli.demo import build_demo, write_progress
    from cli.demo_councils import ensure_postcodes

    path = settings.build_progress_file
    assert path is not None
    started = time.time()
    what = "England and Wales"

    def say(step: str, done: int, of: int) -> None:
        typer.echo(f"  [{what} {done}/{of}] {step} ({time.time() - started:.0f} s)")
        write_progress(path, state="building", what=what, step=step, done=done, of=of, started=started)

    try:
        build_demo(settings, national=True, progress=say, pooled=pooled)
        ensure_postcodes(settings)  # the new file has no lookup yet: demo uploads match again
    except Exception as exc:
        write_progress(path, state="failed", what=what, error=str(exc)[:500], started=started)
        raise
    write_progress(path, state="done", what=what, started=started)
    typer.echo(
        f"England and Wales built in {time.time() - started:.0f} s: handing over to a new server process"
    )
    return True


def demo_councils(settings: Settings) -> None:
    """Create the demo councils unless they exist; print their tokens once."""
    import asyncio

    from cli.demo_councils import ensure_postcodes, seed_demo_councils, tokens_file, write_tokens
    from core.errors import InsightError
    from core.store import StoreError

    try:
        if loaded := ensure_postcodes(settings):
            typer.echo(f"loaded a SYNTHETIC postcode lookup: {loaded:,} postcodes (all start with Q)")
        typer.echo("demo councils: creating them with SYNTHETIC records, if there are none")
        made = asyncio.run(seed_demo_councils(settings, echo=typer.echo))
    except (InsightError, StoreError, ValueError) as exc:
        fail(f"demo councils: {getattr(exc, 'message', exc)}")
        return
    if not any(c.token for c in made):
        typer.echo(
            f"demo councils present: {', '.join(c.council_id for c in made) or 'none'} "
            f"(tokens were written to {tokens_file(settings)}; `insight council token rotate ID` for a new one)"
        )
        return
    path = write_tokens(settings, made)
    typer.echo(f"demo council tokens (shown once, also in {path}); sign in at /council.html:")
    for c in made:
        typer.echo(f"  {c.council_id:<28} {c.token}")


@cli.command()
def info() -> None:
    """What is loaded: levels and counts, sources and vintages, classifications, services."""
    from cli.info import collect_info, format_info
    from core.store import StoreError

    settings = settings_or_exit()
    try:
        typer.echo(format_info(collect_info(settings)))
    except StoreError as exc:
        fail(str(exc))


db = typer.Typer(help="PostGIS schema management (Alembic).", no_args_is_help=True)
cli.add_typer(db, name="db")


@db.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Create or upgrade the PostGIS schema."""
    from core.store import StoreError
    from core.store.admin import upgrade_schema

    settings = settings_or_exit()
    try:
        upgrade_schema(settings, revision)
    except StoreError as exc:
        fail(str(exc))
    typer.echo(f"schema at {revision}")


cli.add_typer(load_app, name="load")
cli.add_typer(build_app, name="build")
cli.add_typer(council_app, name="council")
cli.command("upload")(upload_command)
cli.command("uploads")(uploads_command)
cli.command("demo-records")(demo_records_command)
cli.command("demo-postcodes")(demo_postcodes_command)
cli.add_typer(export_app, name="export")
cli.command("fetch")(fetch_command)
cli.command("pool")(pool_command)


def main() -> None:
    sys.exit(cli())
