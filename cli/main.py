"""The ``insight`` command line: load, build, serve, demo, info, fetch, db."""

from __future__ import annotations

import sys

import typer

from cli.build import build_app
from cli.common import fail, settings_or_exit
from cli.council import council_app
from cli.export import export_app
from cli.load import fetch_command, load_app
from cli.pool import pool_command
from cli.records import demo_postcodes_command, demo_records_command, upload_command, uploads_command

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
) -> None:
    """Build the embedded demo store from the data directory if missing or stale, then serve."""
    from app.serve import run_server
    from cli.demo import build_demo, demo_status
    from core.store import StoreError

    settings = settings_or_exit()
    if settings.backend != "duckdb":
        fail("`insight demo` builds the embedded store: set INSIGHT_DATABASE_URL=duckdb:///...")
    status = demo_status(settings)
    if rebuild or status != "fresh":
        typer.echo(f"demo store {settings.duckdb_path}: {status}, building from {settings.data_dir}")
        try:
            build_demo(settings)
        except (StoreError, FileNotFoundError, ValueError) as exc:
            fail(str(exc))
    else:
        typer.echo(f"demo store {settings.duckdb_path} is up to date")
    if not no_serve:
        run_server(settings, host or settings.host, port or settings.port, 1)


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
