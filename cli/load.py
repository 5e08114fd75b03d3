"""``insight load ...`` (one subcommand per source kind) and ``insight fetch``.

Without file arguments a subcommand loads the catalogue's file from the data directory
(``INSIGHT_DATA_DIR``); with files it loads a user's own, recorded under ``--source-id``.
Every failure exits non-zero with a message naming the file and the problem, and leaves the
store as it was.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from boundaries.catalogue import CATALOGUE, Source

load_app = typer.Typer(
    help="Load a source into the store (one transaction; a reload replaces the source's rows).",
    no_args_is_help=True,
)


@contextmanager
def _store(allow_shrink: bool = False) -> Iterator[tuple]:
    """Settings and an open writer; loader errors become ``error: ...`` and exit code 1."""
    from boundaries.errors import LoadError, LoadWarning
    from boundaries.loaders.common import shrink_allowed
    from cli.common import fail, settings_or_exit
    from core.store import StoreError, open_writer

    settings = settings_or_exit()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LoadWarning)
        try:
            with open_writer(settings) as writer, shrink_allowed(allow_shrink):
                yield settings, writer
        except (LoadError, StoreError, ValueError, OSError) as exc:
            _warn(caught)
            fail(str(exc))
    _warn(caught)


def _warn(caught: list[warnings.WarningMessage]) -> None:
    from boundaries.errors import LoadWarning

    for w in caught:
        if issubclass(w.category, LoadWarning):
            typer.echo(f"warning: {w.message}", err=True)


def _source(source_id: str | None, default: str, kind: str, files: list[Path], **changes: str) -> Source:
    """The catalogue entry, or a new source for a user's own file(s)."""
    sid = source_id or default
    if sid in CATALOGUE:
        return CATALOGUE[sid].renamed(None, **{k: v for k, v in changes.items() if v})
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]{0,63}", sid):
        raise typer.BadParameter(
            f"source id {sid!r}: use letters, digits, '-', '_' or '.'", param_hint="--source-id"
        )
    names = tuple(p.name for p in files)
    return Source(
        sid,
        changes.get("title") or f"{kind}: {', '.join(names)}",
        kind,
        files[0].parent.name if files else "",
        names,
        origin=changes.get("url") or "",
        licence=changes.get("licence") or "",
        attribution=changes.get("attribution") or "",
        vintage=changes.get("vintage") or "",
        crs=changes.get("crs") or "",
    )


def _catalogue_for(path: Path, kind: str) -> str | None:
    """The catalogue source whose file this is (same name and kind), if any."""
    for s in CATALOGUE.values():
        if s.kind == kind and path.name in s.files:
            return s.id
    return None


def _done(what: str, rows: int, source: Source) -> None:
    typer.echo(f"loaded {rows:,} {what} as source {source.id}")


SOURCE_ID = typer.Option(
    None, "--source-id", help="Record under this source id (a catalogue id or your own)."
)
VINTAGE = typer.Option(None, help="Vintage recorded with the rows (e.g. 2023).")
CRS = typer.Option(None, help="CRS of the coordinates when the file does not declare it, e.g. EPSG:27700.")
ALLOW_SHRINK = typer.Option(
    False,
    "--allow-shrink",
    help="Accept a load that skips input lines or replaces the source's rows by fewer (or none).",
)
LAYER = typer.Option(None, help="Layer to read from a multi-layer file (GeoPackage, TopoJSON).")


@load_app.command("nuts")
def load_nuts_command(
    files: list[Path] = typer.Argument(None, help="GISCO NUTS files (default: the 1:20M files, all levels)."),
    source_id: str = SOURCE_ID,
    crs: str = CRS,
    layer: str = LAYER,
    allow_shrink: bool = ALLOW_SHRINK,
) -> None:
    """GISCO NUTS 2021 regions, every level found in the files (GeoJSON or TopoJSON)."""
    from boundaries.loaders import load_nuts

    with _store(allow_shrink) as (settings, writer):
        source = _source(source_id, "gisco-nuts-2021-20m", "nuts", files or [])
        paths = list(files) if files else source.paths(settings.data_dir)
        _done("regions", load_nuts(writer, paths, source, crs=crs, layer=layer), source)


@load_app.command("boundaries")
def load_boundaries_command(
    file: Path = typer.Argument(..., help="GeoJSON, GeoPackage, Shapefile or TopoJSON."),
    level: str = typer.Option(..., help="Area level: oa, lsoa, ward, lad (or nuts0..nuts3)."),
    code_col: str = typer.Option(..., help="Column with the area code."),
    name_col: str = typer.Option(None, help="Column with the area name."),
    parent_col: str = typer.Option(None, help="Column with the parent area's code."),
    parent: str = typer.Option(
        None, help="One parent code for every area (e.g. the district of a ward file)."
    ),
    parent_level: str = typer.Option(
        None, help="Take parent codes from loaded lookup links to this level (load the lookup first)."
    ),
    link_level: str = typer.Option(
        None, help="Level of the --parent-col/--parent codes: also store them as links (e.g. lad)."
    ),
    crs: str = CRS,
    layer: str = LAYER,
    country: str = typer.Option("UK", help="Country code stored with the areas."),
    source_id: str = SOURCE_ID,
    vintage: str = VINTAGE,
    title: str = typer.Option(None, help="Title recorded for a new source."),
    attribution: str = typer.Option(None, help="Attribution recorded for a new source."),
    allow_shrink: bool = ALLOW_SHRINK,
) -> None:
    """Areas of one level from a boundary file, with a column mapping and a CRS override."""
    from boundaries.loaders import load_boundaries

    with _store(allow_shrink) as (_, writer):
        default = _catalogue_for(file, "boundaries") or f"{level}-{file.stem}"[:64]
        source = _source(
            source_id,
            default,
            "boundaries",
            [file],
            vintage=vintage,
            title=title,
            attribution=attribution,
            crs=crs,
        )
        rows = load_boundaries(
            writer,
            file,
            source,
            level=level,
            code_col=code_col,
            name_col=name_col,
            parent_col=parent_col,
            parent=parent,
            parent_level=parent_level,
            link_level=link_level,
            crs=crs,
            layer=layer,
            country=country,
        )
        _done(f"{level} areas", rows, source)


@load_app.command("national-boundaries")
def load_national_command(
    level: str = typer.Argument(..., help="Area level of the files: oa, lsoa, ward or lad."),
    files: list[str] = typer.Argument(
        None, help="Files, folders or glob patterns (default: the level's files of uk-ew-boundaries-2011)."
    ),
    district: list[str] = typer.Option(
        None, "--district", help="Only this district (its code, e.g. E08000009); repeatable."
    ),
    workers: int = typer.Option(None, help="Processes parsing files (default: one per core, at most 4)."),
    source_id: str = SOURCE_ID,
    vintage: str = VINTAGE,
    title: str = typer.Option(None, help="Title recorded for a new source."),
) -> None:
    """One level of a national boundary set split into per-district files, in one transaction.

    Areas that newer boundaries of the same level already cover (same code, or inside a
    boundary of a newer vintage) are left out: load the regional sets first.
    """
    from boundaries.loaders.national import LAYOUTS, expand_paths, load_national_level

    if level not in LAYOUTS:
        raise typer.BadParameter(f"unknown level {level!r}; known: {', '.join(LAYOUTS)}", param_hint="LEVEL")
    with _store() as (settings, writer):
        default = f"ons-{level}-{'2011' if level in ('oa', 'lsoa') else '2013'}-ew"
        paths = expand_paths(files) if files else []
        source = _source(source_id, default, "boundaries", paths, vintage=vintage, title=title)
        if not files:
            paths = expand_paths([str(p) for p in source.paths(settings.data_dir)])
        counts = load_national_level(
            writer, paths, source, level=level, districts=tuple(district or ()), workers=workers
        )
        typer.echo(
            f"read {counts['read']:,} {level} areas from {counts['files']:,} files; "
            f"{counts['superseded']:,} left to newer or already loaded boundaries"
        )
        _done(f"{level} areas", counts["loaded"], source)


@load_app.command("hierarchy")
def load_hierarchy_command(
    source_id: str = typer.Option(
        "ew-hierarchy-spatial", "--source-id", help="Source id to record the links under."
    ),
) -> None:
    """Links by location where no lookup exists: OA → LSOA → ward → district → NUTS3.

    Run after the boundaries and lookups: areas that already have a parent keep it.
    """
    from boundaries.loaders.hierarchy import link_hierarchy

    with _store() as (_, writer):
        source = _source(source_id, source_id, "spatial", [])
        report = link_hierarchy(writer, source)
        for step, rows in report.linked.items():
            missed = report.unplaced[step]
            typer.echo(f"  {step:<12} {rows:>8,} linked" + (f", {missed:,} in no parent" if missed else ""))
        _done("links", sum(report.linked.values()), source)


@load_app.command("lookup")
def load_lookup_command(
    file: Path = typer.Argument(None, help="Lookup CSV (default: the source's file in the data directory)."),
    link: list[str] = typer.Option(
        None, help="CHILD_LEVEL:COLUMN=PARENT_LEVEL:COLUMN, repeatable (e.g. oa:oa21cd=lsoa:lsoa21cd)."
    ),
    source_id: str = SOURCE_ID,
    vintage: str = VINTAGE,
    allow_shrink: bool = ALLOW_SHRINK,
) -> None:
    """OA → LSOA → ward → LAD links from a lookup CSV."""
    from boundaries.loaders import LinkSpec, load_lookup

    with _store(allow_shrink) as (settings, writer):
        default = (_catalogue_for(file, "lookup") if file else None) or "gm-lookup-statistical-2021"
        if file and not source_id and not _catalogue_for(file, "lookup"):
            default = f"lookup-{file.stem}"[:64]
        source = _source(source_id, default, "lookup", [file] if file else [], vintage=vintage)
        specs = [LinkSpec.parse(text) for text in link or []]
        path = file or source.path(settings.data_dir)
        _done("links", load_lookup(writer, path, source, specs or None), source)


@load_app.command("links")
def load_links_command(
    child_level: str = typer.Option(..., help="Level of the areas to link (e.g. oa)."),
    child_source: str = typer.Option(..., help="Source id of those areas."),
    parent_level: str = typer.Option(..., help="Level they are located in (e.g. ward)."),
    parent_source: str = typer.Option(None, help="Only parents of this source."),
    lad: str = typer.Option(None, help="District holding them all: also link children and parents to it."),
    source_id: str = typer.Option(..., "--source-id", help="Source id to record the links under."),
    allow_shrink: bool = ALLOW_SHRINK,
) -> None:
    """Links by geometry: each area's point on surface located in the loaded parent areas."""
    from boundaries.loaders import link_by_point

    with _store(allow_shrink) as (_, writer):
        source = _source(source_id, source_id, "spatial", [])
        rows = link_by_point(
            writer,
            source,
            child_level=child_level,
            child_source=child_source,
            parent_level=parent_level,
            parent_source=parent_source,
            lad=lad,
        )
        _done("links", rows, source)


@load_app.command("classification")
def load_classification_command(
    assignments: Path = typer.Argument(
        None, help="CSV/Parquet of area code → class code (default: OAC 2021)."
    ),
    classification_id: str = typer.Option(
        "oac2021", "--id", help="Classification id (oac2021, oac2011-leeds, yours)."
    ),
    classes: Path = typer.Option(None, help="CSV/Parquet of the classes: code, name, tier, optional parent."),
    name: str = typer.Option(None, help="Display name of a new classification."),
    area_col: str = typer.Option("area_code", help="Area code column of the assignments."),
    class_col: str = typer.Option("class_code", help="Class code column of the assignments (finest tier)."),
    code_col: str = typer.Option("code", help="Code column of the class table."),
    name_col: str = typer.Option("name", help="Name column of the class table."),
    tier_col: str = typer.Option("tier", help="Tier column of the class table."),
    parent_col: str = typer.Option(
        None, help="Parent code column of the class table (default: by code prefix)."
    ),
    tiers: str = typer.Option(
        "supergroup,group,subgroup", help="Tiers, coarsest first, as in the tier column."
    ),
    base_level: str = typer.Option("oa", help="Level the codes are assigned at."),
    attribution: str = typer.Option(None, help="Attribution shown with the classification."),
    licence: str = typer.Option(None, help="Licence of the classification."),
    vintage: str = VINTAGE,
    allow_shrink: bool = ALLOW_SHRINK,
) -> None:
    """A classification: OAC 2021, the Leeds OAC 2011, or your own licensed one (e.g. Mosaic)."""
    from boundaries.loaders import (
        ClassificationSpec,
        load_classification,
        load_oac2011_leeds,
        load_oac2021,
        read_assignments,
        read_classes,
    )

    with _store(allow_shrink) as (settings, writer):
        if assignments is None and classification_id in ("oac2021", "oac2011-leeds"):
            source = CATALOGUE[classification_id]
            load = load_oac2021 if classification_id == "oac2021" else load_oac2011_leeds
            _done("area classes", load(writer, settings.data_dir, source), source)
            return
        if assignments is None or classes is None:
            raise typer.BadParameter("give the assignments file and --classes FILE", param_hint="ASSIGNMENTS")
        tier_list = tuple(t.strip() for t in tiers.split(",") if t.strip())
        if not tier_list:
            raise typer.BadParameter("at least one tier", param_hint="--tiers")
        source = _source(
            classification_id,
            classification_id,
            "classification",
            [assignments, classes],
            attribution=attribution,
            licence=licence,
            vintage=vintage,
            title=name,
        )
        spec = ClassificationSpec(classification_id, name or classification_id, base_level, tier_list)
        frame = read_assignments(assignments, area_col, class_col)
        table = read_classes(classes, tier_list, code_col, name_col, tier_col, parent_col)
        rows = load_classification(writer, spec, frame, table, source, [assignments, classes])
        _done("area classes", rows, source)


@load_app.command("census")
def load_census_command(
    tables: list[Path] = typer.Argument(
        None, help="Census table files (OA + tsNNNxxxx columns); default: all."
    ),
    metadata: Path = typer.Option(None, help="Table_Metadata.csv (default: the data directory's)."),
    source_id: str = SOURCE_ID,
    allow_shrink: bool = ALLOW_SHRINK,
) -> None:
    """Census 2021 OA tables in long form (variable, OA, value) with their variable names."""
    from boundaries.loaders import load_census

    with _store(allow_shrink) as (settings, writer):
        source = _source(source_id, "census2021-oa", "census", list(tables or []))
        catalogue = CATALOGUE["census2021-oa"]
        meta = metadata or catalogue.path(settings.data_dir, 0)
        paths = list(tables) if tables else catalogue.paths(settings.data_dir)[1:]
        _done("values", load_census(writer, meta, paths, source), source)


@load_app.command("eurostat")
def load_eurostat_command(
    files: list[Path] = typer.Argument(None, help="Eurostat bulk TSV files (default: both NUTS3 datasets)."),
    source_id: str = SOURCE_ID,
    allow_shrink: bool = ALLOW_SHRINK,
) -> None:
    """Eurostat NUTS statistics from bulk TSV files (values with flags)."""
    from boundaries.loaders import load_eurostat

    with _store(allow_shrink) as (settings, writer):
        jobs: list[tuple[Source, Path]] = []
        if files:
            for f in files:
                default = f"eurostat-{f.name.split('.')[0]}"
                jobs.append((_source(source_id if len(files) == 1 else None, default, "eurostat", [f]), f))
        else:
            for sid in ("eurostat-demo_r_pjanaggr3", "eurostat-reg_area3"):
                jobs.append((CATALOGUE[sid], CATALOGUE[sid].path(settings.data_dir)))
        for source, path in jobs:
            _done("values", load_eurostat(writer, path, source), source)


@load_app.command("lgsl")
def load_lgsl_command(
    file: Path = typer.Argument(None, help="The LGSL CSV (default: the data directory's)."),
    govuk: Path = typer.Option(None, help="GOV.UK local services CSV with the providing tier."),
    source_id: str = SOURCE_ID,
    allow_shrink: bool = ALLOW_SHRINK,
) -> None:
    """The Local Government Service List, with GOV.UK's providing tier where known."""
    from boundaries.loaders import load_lgsl

    with _store(allow_shrink) as (settings, writer):
        source = _source(source_id, "esd-lgsl", "lgsl", [file] if file else [])
        catalogue = CATALOGUE["esd-lgsl"]
        path = file or catalogue.path(settings.data_dir, 0)
        if govuk is None and file is None:
            govuk = catalogue.path(settings.data_dir, 1)
        _done("services", load_lgsl(writer, path, source, govuk), source)


@load_app.command("demo")
def load_demo_command() -> None:
    """Every demo source in the data directory, in dependency order (no model build)."""
    from boundaries.demo import load_demo_sources

    def report(source_id: str, rows: int, seconds: float) -> None:
        typer.echo(f"{source_id:32s} {rows:>10,} rows  {seconds:6.1f} s")

    with _store() as (settings, writer):
        load_demo_sources(writer, settings.data_dir, report)


def fetch_command(
    source: str = typer.Argument(
        ..., help="Source id from the catalogue, or 'all'. Known: " + ", ".join(CATALOGUE)
    ),
    force: bool = typer.Option(False, help="Download again even if the file is present."),
) -> None:
    """Download a source from its official address into the data directory (INSIGHT_DATA_DIR)."""
    from boundaries.fetch import FetchError, fetch_sources
    from cli.common import fail, settings_or_exit

    settings = settings_or_exit()
    say: Callable[[str], None] = typer.echo
    try:
        fetch_sources(source, settings.data_dir, force=force, say=say)
    except FetchError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write into the data directory {settings.data_dir}: {exc}")


@load_app.command("postcodes")
def load_postcodes_command(
    file: Path = typer.Argument(
        ..., help="Postcode directory CSV (ONSPD/NSPL layout: pcds, oa21cd, doterm)."
    ),
    source_id: str = typer.Option("onspd", "--source-id", help="Source id to record the lookup under."),
    vintage: str | None = VINTAGE,
) -> None:
    """The postcode → output area lookup uploads match postcodes with (replaces the whole lookup)."""
    from boundaries.loaders.postcodes import load_postcodes

    with _store() as (_, writer):
        source = _source(
            source_id,
            source_id,
            "postcodes",
            [file],
            vintage=vintage or "",
            title="Postcode directory: " + file.name,
        )
        rows, terminated = load_postcodes(writer, file, source)
        typer.echo(f"loaded {rows:,} postcodes ({terminated:,} terminated) as source {source.id}")
