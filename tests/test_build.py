"""`insight build`: the Europe classification is reproducible, lookups chain, the CLI reports."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from cli.main import cli
from core.settings import Settings
from core.store import open_writer
from core.store.queries import build as q
from derive import europe
from derive.pipeline import uk_parents


def _eurostat(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame, list[str], pd.DataFrame]:
    with open_writer(settings) as w:
        pop = w.read_frame(q.eurostat("demo_r_pjanaggr3"))
        area = w.read_frame(q.eurostat("reg_area3"))
        regions = w.read_frame("SELECT code FROM area WHERE level = 'nuts3'")["code"].tolist()
        stored = w.read_frame(
            "SELECT area_code, class_code FROM area_class WHERE classification_id = 'eunuts3'"
        )
    return pop, area, regions, stored


def test_europe_classification_is_reproducible(demo_settings: Settings) -> None:
    pop, area, regions, stored = _eurostat(demo_settings)
    one = europe.build_europe(
        pop, area, regions, starts=demo_settings.europe_starts, seed=demo_settings.europe_seed
    )
    two = europe.build_europe(
        pop, area, regions, starts=demo_settings.europe_starts, seed=demo_settings.europe_seed
    )
    assert one.assignments.equals(two.assignments)
    assert one.wcss == two.wcss and one.k == two.k
    # the stored classification is the same run
    assert stored.set_index("area_code")["class_code"].to_dict() == one.assignments.to_dict()
    assert 4 <= one.k <= 8
    assert len(one.assignments) > 1400  # nearly every NUTS3 region is classified
    assert set(one.classes["tier"]) == {"supergroup", "group"}
    assert one.classes["name"].is_unique


def test_uk_parents_chain_through_lookups() -> None:
    links = pd.DataFrame(
        [
            ("oa", "o1", "lsoa", "L1"),
            ("oa", "o2", "lsoa", "L1"),
            ("oa", "o3", "lsoa", "L2"),
            ("lsoa", "L1", "ward", "W1"),
            ("lsoa", "L2", "ward", "W2"),
            ("oa", "o3", "ward", "W1"),  # a direct best-fit link wins over the LSOA's ward
            ("ward", "W1", "lad", "D1"),
            ("ward", "W2", "lad", "D1"),
        ],
        columns=["child_level", "child_code", "parent_level", "parent_code"],
    )
    parents = uk_parents(links)
    assert parents["lsoa"].to_dict() == {"o1": "L1", "o2": "L1", "o3": "L2"}
    assert parents["ward"].to_dict() == {"o3": "W1", "o1": "W1", "o2": "W1"}
    assert parents["lad"].to_dict() == {"o3": "D1", "o1": "D1", "o2": "D1"}


def test_build_classification_europe_command(demo_settings: Settings, monkeypatch) -> None:
    monkeypatch.setenv("INSIGHT_DATABASE_URL", demo_settings.database_url)
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(demo_settings.data_dir))
    result = CliRunner().invoke(cli, ["build", "classification", "europe"])
    assert result.exit_code == 0, result.output
    assert "within-cluster sum of squares" in result.output
    bad = CliRunner().invoke(cli, ["build", "classification", "mars"])
    assert bad.exit_code == 2
