"""``insight export``: the public maps as static files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from cli.common import fail, settings_or_exit
from core.errors import InsightError, StoreError

export_app = typer.Typer(help="Export the public maps as static files.", no_args_is_help=True)


@export_app.command("pmtiles")
def pmtiles(
    out: Path = typer.Argument(..., help="The archive to write, e.g. maps/areas.pmtiles."),
    layer: str = typer.Option("auto", help="Tile layer: auto, nuts0..nuts3, lad, ward, lsoa or oa."),
    service: int = typer.Option(None, help="LGSL code: the tiles carry its modelled demand index and band."),
    min_zoom: int = typer.Option(0, min=0, help="Lowest zoom written."),
    max_zoom: int = typer.Option(None, min=0, help="Highest zoom written (default INSIGHT_MAX_ZOOM)."),
) -> None:
    """Write a layer's tiles to one PMTiles v3 archive, drawn by the server's own tile code."""
    from app.tiles.archive import export_pmtiles
    from core.store import open_reader

    settings = settings_or_exit()

    async def run():  # type: ignore[no-untyped-def]
        store = await open_reader(settings, writable=False)
        try:
            return await export_pmtiles(store, settings, out, layer, service, min_zoom, max_zoom)
        finally:
            await store.close()

    try:
        report = asyncio.run(run())
    except (InsightError, StoreError) as exc:
        fail(exc.message)
        return
    levels = ", ".join(f"z{z} {lv}" for z, lv in sorted(report.levels.items()))
    typer.echo(
        f"wrote {report.path}: {report.tiles} tiles ({report.tried} drawn, empty ones left out), "
        f"{report.bytes / 1e6:.1f} MB, zooms {report.min_zoom}-{report.max_zoom} ({levels})"
    )
