"""What every command shares: reading the settings and failing with a message."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from core.settings import Settings


def settings_or_exit() -> Settings:
    """Read the settings; an invalid environment stops here with the variable named."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = [f"  INSIGHT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
        typer.echo("invalid settings:\n" + "\n".join(lines), err=True)
        raise typer.Exit(2) from None


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
