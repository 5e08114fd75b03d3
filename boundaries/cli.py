"""``insight load ...`` and ``insight fetch``."""

from __future__ import annotations

import typer

load_app = typer.Typer(help="Load a source file into the store (one transaction).", no_args_is_help=True)


def fetch_command(source: str = typer.Argument(..., help="Source id from the catalogue.")) -> None:
    """Download a source from its official address into the data directory."""
    raise typer.Exit(1)
