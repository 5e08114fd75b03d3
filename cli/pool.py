"""``insight pool``: councils' records pooled into observed propensities, then the model rebuilt."""

from __future__ import annotations

import asyncio

import typer

from core.settings import Settings


def run_pool(settings: Settings, build: bool = True) -> list[str]:
    """Pool, write ``pooled_propensity`` and (with ``build``) rebuild so demand uses it.

    The store is read first and closed, then written: an embedded store is opened by one
    connection at a time.
    """
    from core.store import open_writer
    from derive import pooling
    from derive.pipeline import build_all

    report = asyncio.run(pooling.gather(settings))
    with open_writer(settings) as writer:
        pooling.write(writer, report.frame, report.channels)
        lines = list(report.lines)
        if build:
            lines += build_all(writer, settings).steps
    return lines


def pool_command(
    build: bool = typer.Option(True, "--build/--no-build", help="Rebuild the model afterwards (default)."),
) -> None:
    """Pool councils' records per service and class; where enough councils and records exist
    (settings pooling_min_councils, pooling_min_records), the observed propensities replace the
    modelled ones in the public demand model, UK and (transferred by class) Europe."""
    from cli.common import fail, settings_or_exit
    from core.store import StoreError

    settings = settings_or_exit()
    try:
        lines = run_pool(settings, build)
    except (StoreError, ValueError) as exc:
        fail(str(exc))
        return
    for line in lines:
        typer.echo(line)
