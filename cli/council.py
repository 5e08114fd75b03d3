"""``insight council``: create councils and manage their API tokens.

On the embedded store these write the workspace file, which a running server holds: stop the
server first (or run them against PostGIS, where any number of processes may write).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from cli.common import fail, settings_or_exit
from core.errors import InsightError, StoreError
from core.store import Reader, open_reader
from records import access

T = TypeVar("T")

council_app = typer.Typer(help="Councils of the workspace and their API tokens.", no_args_is_help=True)
token_app = typer.Typer(help="A council's API token.", no_args_is_help=True)
council_app.add_typer(token_app, name="token")


def run(work: Callable[[Reader], Awaitable[T]]) -> T:
    """Run ``work`` on the configured store (workspace writable); errors exit non-zero."""

    async def main() -> T:
        store = await open_reader(settings_or_exit())
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except (InsightError, StoreError) as exc:
        fail(exc.message)
        raise AssertionError("unreachable") from exc


@council_app.command("create")
def create(
    name: str = typer.Argument(..., help="The council's name, e.g. 'Trafford Council'."),
    area: list[str] = typer.Option(
        ..., "--area", help="A local authority district code (repeat for several)."
    ),
    council_id: str = typer.Option(None, "--id", help="The council's id in URLs (default: from the name)."),
) -> None:
    """Create a council covering one or more districts and print its API token (once)."""
    council, token = run(lambda store: access.create_council(store, name, area, council_id))
    districts = ", ".join(f"{d.code} {d.name or ''}".strip() for d in council.districts)
    typer.echo(f"council {council.council_id}: {council.name} ({districts})")
    typer.echo(f"API token (shown once, keep it safe): {token}")


@council_app.command("list")
def list_councils() -> None:
    """The councils and their districts."""
    for council in run(access.councils):
        typer.echo(f"{council.council_id}\t{council.name}\t{' '.join(council.district_codes)}")


@token_app.command("rotate")
def rotate(council_id: str = typer.Argument(..., help="The council's id.")) -> None:
    """Revoke the council's tokens and print a new one (once)."""
    token = run(lambda store: access.rotate_token(store, council_id))
    typer.echo(f"new API token for {council_id} (shown once; the old one no longer works): {token}")


@token_app.command("revoke")
def revoke(council_id: str = typer.Argument(..., help="The council's id.")) -> None:
    """Revoke every token of the council (its data stays; `rotate` issues a new token)."""
    revoked = run(lambda store: access.revoke_tokens(store, council_id))
    typer.echo(f"revoked {len(revoked)} token(s) of {council_id}")
