"""``insight build ...``: compute the model from loaded data and write it to the store."""

from __future__ import annotations

import typer

build_app = typer.Typer(help="Compute classifications, compositions and demand.", no_args_is_help=True)
