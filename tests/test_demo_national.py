"""`insight demo` with the national boundaries: the same build with England and Wales added
(here limited to two districts), stamped as national, with progress reported step by step."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cli.demo import build_demo, demo_status, has_national
from core.settings import Settings

HARTLEPOOL, CARDIFF = "E06000001", "W06000015"


def test_a_national_demo_build_adds_england_and_wales(data_dir: Path, tmp_path: Path) -> None:
    if not has_national(data_dir):
        pytest.skip("the national boundaries are not in the data directory")
    settings = Settings(database_url=f"duckdb:///{tmp_path / 'demo.duckdb'}", data_dir=data_dir)
    steps: list[tuple[str, int, int]] = []
    build_demo(settings, national=True, districts=(HARTLEPOOL, CARDIFF), progress=lambda *a: steps.append(a))

    assert demo_status(settings, "national") == "fresh"
    assert demo_status(settings, "regional") == "stale"  # a national store is rebuilt for --regional
    names = [s for s, _, _ in steps]
    assert names[-1] == "done" and "ons-oa-2011-ew" in names and "ew-hierarchy-spatial" in names
    assert [d for _, d, _ in steps] == list(range(len(steps) - 1)) + [len(steps) - 1]
    assert len({of for _, _, of in steps}) == 1

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        lads = {r[0] for r in con.execute("SELECT code FROM area WHERE level = 'lad'").fetchall()}
        assert {HARTLEPOOL, CARDIFF, "E08000009"} <= lads  # national districts beside the regional ones
        (oas,) = con.execute(
            "SELECT COUNT(*) FROM area_link WHERE child_level = 'oa' AND parent_level = 'lad' AND parent_code = ?",
            [HARTLEPOOL],
        ).fetchone()
        assert oas > 250  # Hartlepool's 2011 output areas
        (nuts3,) = con.execute(
            "SELECT parent_code FROM area_link WHERE child_level = 'lad' AND child_code = ? AND parent_level = 'nuts3'",
            [HARTLEPOOL],
        ).fetchone()
        assert nuts3 == "UKC11"  # Hartlepool and Stockton-on-Tees
