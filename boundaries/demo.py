"""The demo source set: every real source of the data directory, loaded in dependency order.

Lookups come before the boundaries that take their parents from them, boundaries before the
links made from their geometry, the Leeds wards before the district dissolved from them.
Ward → district links of the 2023 wards come from the ward file itself: the 2022 ward lookup
(``gm-lookup-administrative-2021``) knows only 89 of the 215 wards of 2023, and the LSOA → ward
best-fit lookup points at 2022 wards, so LSOAs are placed in the 2023 wards by geometry instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from boundaries.catalogue import get_source
from boundaries.loaders import (
    link_by_point,
    load_boundaries,
    load_census,
    load_dissolved,
    load_eurostat,
    load_lgsl,
    load_lookup,
    load_nuts,
    load_oac2011_leeds,
    load_oac2021,
)
from core.store import Writer

LEEDS_LAD = ("E08000035", "Leeds")
NATIONAL_FOLDER = "uk-ew-boundaries-2011"
NATIONAL_LEVELS = (  # (level, source id): districts first, so each finer level finds its district
    ("lad", "ons-lad-2013-ew"),
    ("ward", "ons-ward-2013-ew"),
    ("lsoa", "ons-lsoa-2011-ew"),
    ("oa", "ons-oa-2011-ew"),
)

Step = tuple[str, Callable[[Writer], int]]


def demo_steps(data_dir: Path) -> list[Step]:
    """``(source id, load)`` for every demo source, in the order they must run."""
    d = Path(data_dir)
    src = get_source

    def boundaries(source_id: str, **kw: object) -> Step:
        s = src(source_id)
        return source_id, lambda w: load_boundaries(w, s.path(d), s, **kw)  # type: ignore[arg-type]

    def lookup(source_id: str) -> Step:
        s = src(source_id)
        return source_id, lambda w: load_lookup(w, s.path(d), s)

    def spatial(source_id: str, **kw: object) -> Step:
        s = src(source_id)
        return source_id, lambda w: link_by_point(w, s, **kw)  # type: ignore[arg-type]

    def eurostat(source_id: str) -> Step:
        s = src(source_id)
        return source_id, lambda w: load_eurostat(w, s.path(d), s)

    nuts, census, lgsl = src("gisco-nuts-2021-20m"), src("census2021-oa"), src("esd-lgsl")
    return [
        (nuts.id, lambda w: load_nuts(w, nuts.paths(d), nuts)),
        eurostat("eurostat-demo_r_pjanaggr3"),
        eurostat("eurostat-reg_area3"),
        lookup("gm-lookup-statistical-2021"),
        boundaries("ons-lad-2023-gm", level="lad", code_col="area_code", name_col="area_name"),
        boundaries(
            "ons-ward-2023-gm",
            level="ward",
            code_col="area_code",
            name_col="area_name",
            parent_col="local_authority_area_code",
            link_level="lad",
        ),
        boundaries(
            "ons-lsoa-2021-gm", level="lsoa", code_col="area_code", name_col="area_name", parent_level="lad"
        ),
        spatial(
            "gm-lsoa-ward-spatial",
            child_level="lsoa",
            child_source="ons-lsoa-2021-gm",
            parent_level="ward",
            parent_source="ons-ward-2023-gm",
        ),
        boundaries("ons-oa-2021-trafford", level="oa", code_col="area_code", parent_level="lsoa"),
        spatial(
            "trafford-oa-ward-spatial",
            child_level="oa",
            child_source="ons-oa-2021-trafford",
            parent_level="ward",
            parent_source="ons-ward-2023-gm",
        ),
        boundaries(
            "leeds-ward-2017",
            level="ward",
            code_col="wd17cd",
            name_col="wd17nm",
            parent=LEEDS_LAD[0],
            crs="EPSG:27700",
        ),
        boundaries("leeds-oa-2011", level="oa", code_col="oa_code", crs="EPSG:27700"),
        (
            "leeds-lad-derived",
            lambda w: load_dissolved(
                w,
                src("leeds-lad-derived"),
                level="lad",
                code=LEEDS_LAD[0],
                name=LEEDS_LAD[1],
                child_level="ward",
                child_source="leeds-ward-2017",
            ),
        ),
        spatial(
            "leeds-oa-ward-spatial",
            child_level="oa",
            child_source="leeds-oa-2011",
            parent_level="ward",
            parent_source="leeds-ward-2017",
            lad=LEEDS_LAD[0],
        ),
        ("oac2021", lambda w: load_oac2021(w, d, src("oac2021"))),
        ("oac2011-leeds", lambda w: load_oac2011_leeds(w, d, src("oac2011-leeds"))),
        (census.id, lambda w: load_census(w, census.path(d, 0), census.paths(d)[1:], census)),
        (lgsl.id, lambda w: load_lgsl(w, lgsl.path(d, 0), lgsl, lgsl.path(d, 1))),
    ]


def load_demo_sources(
    writer: Writer, data_dir: Path, report: Callable[[str, int, float], None] | None = None
) -> None:
    """Load every demo source from ``data_dir`` into the store.

    Parameters
    ----------
    writer
        The store (either backend).
    data_dir
        The data directory (``INSIGHT_DATA_DIR``) in its documented layout.
    report
        Called with ``(source id, rows, seconds)`` after each source, for progress and benchmarks.
    """
    for source_id, load in demo_steps(data_dir):
        start = time.perf_counter()
        rows = load(writer)
        if report:
            report(source_id, rows, time.perf_counter() - start)


def national_steps(data_dir: Path, districts: tuple[str, ...] = ()) -> list[Step]:
    """The national 2011/2013 levels of England and Wales (after the demo sources, which win
    where both exist), then the hierarchy by location."""
    from boundaries.loaders.hierarchy import link_hierarchy
    from boundaries.loaders.national import expand_paths, load_national_level

    def level_step(level: str, source_id: str) -> Step:
        s = get_source(source_id)

        def load(w: Writer) -> int:
            paths = expand_paths([str(p) for p in s.paths(Path(data_dir))])
            return load_national_level(w, paths, s, level=level, districts=districts)["loaded"]

        return source_id, load

    spatial = get_source("ew-hierarchy-spatial")
    return [level_step(lv, sid) for lv, sid in NATIONAL_LEVELS] + [
        (spatial.id, lambda w: sum(link_hierarchy(w, spatial).linked.values()))
    ]
