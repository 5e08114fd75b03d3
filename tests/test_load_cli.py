"""``insight load`` / ``insight fetch`` through the real command line: exit codes and messages."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from boundaries.catalogue import get_source
from cli.main import cli
from core.settings import Settings
from core.store import open_writer
from tests.conftest import BACKENDS, new_store_url

LEEDS = "uk-leeds-oac2011/oa_boundaries.geojson"


@pytest.fixture
def run(store_settings: Settings, monkeypatch):
    """Run ``insight ...`` against the test's empty store; returns (exit code, output)."""
    monkeypatch.setenv("INSIGHT_DATABASE_URL", store_settings.database_url)
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(store_settings.data_dir))
    monkeypatch.setenv("INSIGHT_PROGRESS", "0")

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args))
        return result.exit_code, result.output

    return invoke


def count(settings: Settings, sql: str) -> int:
    with open_writer(settings) as w:
        return int(w.read_frame(sql).iloc[0, 0])


def test_leeds_crs_refused_then_loaded(run, store_settings, data_dir):
    path = str(data_dir / LEEDS)
    code, out = run("load", "boundaries", path, "--level", "oa", "--code-col", "oa_code")
    assert code == 1
    assert "oa_boundaries.geojson" in out and "look projected" in out and "--crs EPSG:27700" in out
    code, out = run(
        "load", "boundaries", path, "--level", "oa", "--code-col", "oa_code", "--crs", "EPSG:27700"
    )
    assert code == 0, out
    assert "loaded 2,543 oa areas as source leeds-oa-2011" in out
    assert count(store_settings, "SELECT count(*) FROM area WHERE lon BETWEEN -1.81 AND -1.28") == 2543


def test_wrong_column_and_corrupt_file(run, store_settings, data_dir, tmp_path):
    wards = str(get_source("ons-ward-2023-trafford").path(data_dir))
    code, out = run(
        "load", "boundaries", wards, "--level", "ward", "--code-col", "area_code", "--name-col", "nm"
    )
    assert code == 1 and "missing name column 'nm'; the file has: area_code, area_name" in out
    code, out = run("load", "boundaries", wards, "--level", "ward", "--code-col", "area_code")
    assert code == 0, out
    broken = tmp_path / "ward_2023_trafford_ward_generalised.geojson"
    broken.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Po'
    )
    code, out = run("load", "boundaries", str(broken), "--level", "ward", "--code-col", "area_code")
    assert code == 1 and str(broken) in out and "cannot read" in out
    assert count(store_settings, "SELECT count(*) FROM area WHERE level = 'ward'") == 21


def test_lookup_with_link_mapping(run, store_settings, tmp_path):
    csv = tmp_path / "my_lookup.csv"
    csv.write_text("OA,LSOA\nE00000001,E01000001\nE00000003,E01000001\n")
    code, out = run("load", "lookup", str(csv), "--link", "oa:OA=lsoa:LSOA")
    assert code == 0, out
    assert "loaded 2 links as source lookup-my_lookup" in out
    code, out = run("load", "lookup", str(csv), "--link", "oa:OA=county:LSOA")
    assert code != 0 and "unknown level 'county'" in out
    csv.write_text("OA,LSOA\nE00000001,E01000001\nE00000001,E01000002\n")
    code, out = run(
        "load", "lookup", str(csv), "--link", "oa:OA=lsoa:LSOA", "--source-id", "lookup-my_lookup"
    )
    assert code == 1 and "E00000001 have more than one lsoa" in out
    assert count(store_settings, "SELECT count(*) FROM area_link") == 2


def test_generic_classification_command(run, store_settings, tmp_path):
    (tmp_path / "a.csv").write_text("oa,seg\nE00000001,A01\nE00000003,B02\n")
    (tmp_path / "c.csv").write_text(
        "code,name,tier,parent\nA,Alpha,group,\nB,Beta,group,\nA01,Alpha 1,type,A\nB02,Beta 2,type,B\n"
    )
    code, out = run(
        "load", "classification", str(tmp_path / "a.csv"), "--classes", str(tmp_path / "c.csv"),
        "--id", "vendor", "--name", "Vendor segments", "--area-col", "oa", "--class-col", "seg",
        "--parent-col", "parent", "--tiers", "group,type", "--attribution", "© Vendor",
    )  # fmt: skip
    assert code == 0, out
    assert count(store_settings, "SELECT count(*) FROM area_class WHERE classification_id = 'vendor'") == 2
    assert count(store_settings, "SELECT count(*) FROM profile_class WHERE classification_id = 'vendor'") == 4


def test_fetch_without_network(run, tmp_path, monkeypatch):
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(tmp_path))
    code, out = run("fetch", "esd-lgsl")
    assert code == 1
    assert "cannot download https://" in out and "unreachable" in out and "network" in out
    assert not list(tmp_path.rglob("*.csv*"))  # nothing half-written
    code, out = run("fetch", "no-such-source")
    assert code == 1 and "unknown source 'no-such-source'" in out and "esd-lgsl" in out


@pytest.mark.skipif(set(BACKENDS) != {"duckdb", "postgis"}, reason="compares both backends")
def test_backends_agree(data_dir, tmp_path, pg_admin_url, monkeypatch):
    """The same loads give the same rows on DuckDB and PostGIS."""
    monkeypatch.setenv("INSIGHT_PROGRESS", "0")
    results = {}
    for backend in ("duckdb", "postgis"):
        settings = Settings(database_url=new_store_url(backend, tmp_path, pg_admin_url), data_dir=data_dir)
        monkeypatch.setenv("INSIGHT_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("INSIGHT_DATA_DIR", str(data_dir))
        for args in (["nuts"], ["eurostat"], ["lgsl"], ["lookup"]):
            result = CliRunner().invoke(cli, ["load", *args])
            assert result.exit_code == 0, result.output
        with open_writer(settings) as w:
            results[backend] = {
                "areas": w.read_frame("SELECT level, count(*) AS n FROM area GROUP BY level ORDER BY level"),
                "uk": w.read_frame(
                    "SELECT code, name, parent_code, lon FROM area WHERE code LIKE 'UKD3_' ORDER BY code"
                ),
                "eurostat": w.read_frame(
                    "SELECT dataset, count(*) AS n, round(sum(value)) AS total, count(flag) AS flags FROM eurostat_value "
                    "GROUP BY dataset ORDER BY dataset"
                ),
                "links": w.read_frame(
                    "SELECT child_level, parent_level, count(*) AS n FROM area_link GROUP BY 1, 2 ORDER BY 1, 2"
                ),
                "services": w.read_frame("SELECT lgsl, label, govuk_tier FROM service ORDER BY lgsl"),
            }
    for key, duck in results["duckdb"].items():
        pg = results["postgis"][key]
        assert _canonical(duck).equals(_canonical(pg)), f"{key} differs:\n{duck}\n{pg}"


def _canonical(frame):
    """Same values as text, floats to 6 decimals (the backends' integer and float types differ)."""
    frame = frame.reset_index(drop=True).copy()
    for col in frame.columns:
        if frame[col].dtype.kind == "f":
            frame[col] = frame[col].round(6)
    return frame.astype(str)


def test_a_lookup_of_short_rows_leaves_the_real_links(run, store_settings, data_dir, tmp_path):
    """The ONS statistical lookup loaded, then a copy whose rows all lost their codes: refused,
    the 19,634 links kept; a half file is refused too unless --allow-shrink says so."""
    code, out = run("load", "lookup")
    assert code == 0 and "loaded 19,634 links" in out, out
    source = get_source("gm-lookup-statistical-2021")
    lines = source.path(data_dir).read_text(encoding="utf-8-sig").splitlines()
    short = tmp_path / "short.csv"
    short.write_text("\n".join([lines[0], *(line.split(",")[0] for line in lines[1:])]) + "\n")
    code, out = run("load", "lookup", str(short), "--source-id", source.id)
    assert code == 1 and "8,966 of 8,966 line(s) lack a code" in out and "line(s) 2, 3, 4" in out, out
    links = "SELECT count(*) FROM area_link WHERE source_id = 'gm-lookup-statistical-2021'"
    assert count(store_settings, links) == 19_634
    half = tmp_path / "half.csv"
    half.write_text("\n".join(lines[: 1 + len(lines) // 2]) + "\n")
    code, out = run("load", "lookup", str(half), "--source-id", source.id)
    assert code == 1 and "area_link 19,634 →" in out and "--allow-shrink" in out, out
    assert count(store_settings, links) == 19_634
    code, out = run("load", "lookup", str(half), "--source-id", source.id, "--allow-shrink")
    assert code == 0, out
    assert 0 < count(store_settings, links) < 19_634
