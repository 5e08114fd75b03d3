"""``insight build ...``: compute the model from loaded data and write it to the store."""

from __future__ import annotations

import typer

build_app = typer.Typer(help="Compute classifications, compositions and demand.", no_args_is_help=True)


def _run(which: str) -> None:
    from cli.common import fail, settings_or_exit
    from core.progress import counter
    from core.store import StoreError, open_writer

    settings = settings_or_exit()
    bar = counter(f"build {which}", total=0)
    bar.unit = "step"

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)

    try:
        with open_writer(settings) as writer:
            if which == "all":
                from derive.pipeline import build_all

                report = build_all(writer, settings, step)
            else:
                from derive.pipeline import build_europe_only

                report = build_europe_only(writer, settings, step)
    except (StoreError, ValueError) as exc:
        bar.close()
        fail(str(exc))
        return
    bar.close()
    for line in report.steps:
        typer.echo(line)
    if report.europe_wcss:
        typer.echo(
            f"Europe classification: k = {report.europe_k} supergroups, within-cluster sum of squares "
            f"{report.europe_wcss['supergroups']:.4f} (supergroups), {report.europe_wcss['groups']:.4f} (groups)"
        )
    typer.echo(f"built in {report.seconds:.1f} s")


@build_app.command("all")
def build_all_command() -> None:
    """Build the Europe classification, then compositions, predominant classes, propensities,
    demand and bands for every classification."""
    _run("all")


@build_app.command("classification")
def build_classification(
    which: str = typer.Argument(..., help="Which classification to build: 'europe'."),
) -> None:
    """Build an open classification by the OAC method (``europe``: NUTS3 regions from Eurostat)."""
    from cli.common import fail

    if which != "europe":
        fail(f"unknown classification {which!r}: the one buildable here is 'europe'", code=2)
    _run("europe")
