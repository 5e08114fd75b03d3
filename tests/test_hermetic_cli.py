"""``insight demo``, ``insight build`` and ``insight info`` on the generated data directory."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from cli.main import cli
from core.settings import Settings
from tests.conftest import BACKENDS, SYNTHETIC_EUROPE_STARTS
from tests.synthetic import World


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("INSIGHT_PROGRESS", "0")
    monkeypatch.setenv("INSIGHT_EUROPE_STARTS", str(SYNTHETIC_EUROPE_STARTS))

    def invoke(settings: dict[str, str], *args: str) -> tuple[int, str]:
        for key, value in settings.items():
            monkeypatch.setenv(key, value)
        result = CliRunner().invoke(cli, list(args))
        return result.exit_code, result.output

    return invoke


@pytest.mark.skipif("duckdb" not in BACKENDS, reason="`insight demo` builds the embedded store")
def test_demo_builds_once_then_rebuilds_when_the_data_changes(run, synthetic: World, tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(synthetic.root, data)
    env = {"INSIGHT_DATABASE_URL": f"duckdb:///{tmp_path / 'demo.duckdb'}", "INSIGHT_DATA_DIR": str(data)}
    code, out = run(env, "demo", "--no-serve")
    assert code == 0, out
    assert "missing, building from" in out and (tmp_path / "demo.duckdb").exists()
    # the demo councils, their synthetic records pooled into the public model
    assert "demo council tokens (shown once" in out and "now use observed propensities" in out, out
    code, out = run(env, "demo", "--no-serve")
    assert code == 0 and "is up to date" in out, out
    assert "demo councils present" in out and "now use observed propensities" not in out, out
    (data / "esd-lgsl" / "notes.txt").write_text("a new file in the data directory")
    code, out = run(env, "demo", "--no-serve")
    assert code == 0 and "stale, building from" in out, out
    code, out = run(env, "build", "all")
    assert code == 0, out
    oas = synthetic.oas
    placed = int((oas["boundary"] & oas["households"].notna() & oas["subgroup"].notna()).sum())
    assert "eunuts3: 21 regions" in out and f"oac2021: {placed} output areas with households" in out
    assert "oac2011-leeds: 23 output areas with households" in out and "built in" in out
    code, out = run(env, "build", "classification", "mars")
    assert code == 2 and "unknown classification 'mars'" in out


def test_demo_refuses_a_postgis_url(run, synthetic: World) -> None:
    env = {
        "INSIGHT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "INSIGHT_DATA_DIR": str(synthetic.root),
    }
    code, out = run(env, "demo", "--no-serve")
    assert code == 1 and "builds the embedded store" in out


def test_demo_names_a_missing_data_directory(run, tmp_path) -> None:
    env = {
        "INSIGHT_DATABASE_URL": f"duckdb:///{tmp_path / 'demo.duckdb'}",
        "INSIGHT_DATA_DIR": str(tmp_path / "none"),
    }
    code, out = run(env, "demo", "--no-serve")
    assert code == 1 and "is empty or missing" in out and "INSIGHT_DATA_DIR" in out


def test_info_lists_what_the_generated_store_holds(
    run, synthetic_settings: Settings, synthetic: World
) -> None:
    from derive.services import SERVICES

    env = {"INSIGHT_DATABASE_URL": synthetic_settings.database_url, "INSIGHT_DATA_DIR": str(synthetic.root)}
    code, out = run(env, "info")
    assert code == 0, out
    sections: dict[str, dict[str, str]] = {}
    for line in out.splitlines():
        if line.endswith(":"):
            section = sections.setdefault(line[:-1], {})
        elif line.startswith("  "):
            section[line.split()[0]] = line.split()[1]
    levels, classifications = sections["levels"], sections["classifications"]
    assert levels["ward"] == "11" and levels["oa"] == "88" and levels["nuts3"] == "21"
    classified = int(synthetic.oas["subgroup"].notna().sum()) + 1  # and one Scottish output area
    assert classifications["oac2021"] == str(classified) and classifications["eunuts3"] == "21"
    assert f"services: {len(SERVICES) + 3} (LGSL), {len(SERVICES)} modelled" in out
