"""National boundary sets split into per-district TopoJSON files, on both backends.

Generated files (hermetic): the CRS declared on the TopoJSON object is read, invalid rings are
repaired, every file of a level lands in one transaction, newer boundaries keep their place.
The real national folder (integration, a handful of districts): the same on ONS data, with the
current Greater Manchester and Trafford boundaries winning over the 2011/2013 set.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from boundaries.catalogue import Source, get_source
from boundaries.errors import LoadError
from boundaries.loaders import load_boundaries, load_census, load_lookup
from boundaries.loaders.hierarchy import link_hierarchy
from boundaries.loaders.national import expand_paths, load_national_level
from boundaries.readers import read_boundaries
from boundaries.store import fetch_areas
from cli.info import collect_info, format_info
from cli.main import cli
from core.store import open_writer
from core.store.queries.areas import parents
from core.store.queries.levels import placement, placement_by_district
from core.store.queries.tiles import BOUNDARY_CHANGED
from derive.serving import write_tile_areas
from tests.synthetic.topojson import grid_district, write_topojson

A, B = "E07000901", "E07000902"  # two generated districts side by side


def national_source(vintage: str = "2011") -> Source:
    return get_source("ons-oa-2011-ew").renamed("test-national-oa", vintage=vintage)


def value(writer, sql: str):
    return writer.read_frame(sql).iloc[0, 0]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    grid_district(tmp_path, A, -1.0, 52.0, invalid=4)
    grid_district(tmp_path, B, -0.97, 52.0, invalid=None)
    return tmp_path


def test_crs_on_the_topojson_object_is_read(folder):
    path = folder / "oa" / "eng" / f"{A}.json"
    assert pyogrio.read_info(path)["crs"] is None  # what GDAL alone sees
    frame = read_boundaries(path, code_col="OA11CD", parent_col="LAD11CD")
    assert frame.crs is not None and frame.crs.equals("EPSG:4326")
    assert frame.total_bounds[0] == pytest.approx(-1.0)  # x stays longitude


def test_every_file_of_a_level_in_one_load(writer, folder):
    paths = expand_paths([str(folder / "oa" / "*" / "*.json")])
    assert [p.stem for p in paths] == [A, B]
    counts = load_national_level(writer, paths, national_source(), level="oa", workers=1)
    assert counts == {"files": 2, "read": 18, "superseded": 0, "loaded": 18}
    with writer.transaction() as tx:
        areas = fetch_areas(tx, "oa", geometry=True)
    assert len(areas) == 18 and shapely.is_valid(areas["geometry"].to_numpy()).all()
    bowtie = areas.set_index("code").loc[f"E00{A[-4:]}04", "geometry"]
    assert bowtie.geom_type in ("Polygon", "MultiPolygon") and bowtie.area == pytest.approx(0.00005, rel=0.01)
    meta = writer.read_frame("SELECT DISTINCT vintage, parent_code FROM area WHERE level = 'oa' ORDER BY 2")
    assert meta["vintage"].tolist() == ["2011", "2011"] and meta["parent_code"].tolist() == [A, B]
    assert (
        value(writer, "SELECT count(*) FROM area_link WHERE child_level = 'oa' AND parent_level = 'lad'")
        == 18
    )
    assert value(writer, "SELECT vintage FROM source WHERE source_id = 'test-national-oa'") == "2011"


def test_a_broken_file_leaves_the_previous_load(writer, folder):
    load_national_level(writer, expand_paths([folder / "oa"]), national_source(), level="oa", workers=1)
    (folder / "oa" / "eng" / "E07000903.json").write_text('{"type": "Topology", "objects": ')
    with pytest.raises(LoadError, match="E07000903"):
        load_national_level(writer, expand_paths([folder / "oa"]), national_source(), level="oa", workers=1)
    assert value(writer, "SELECT count(*) FROM area WHERE source_id = 'test-national-oa'") == 18


def test_parallel_parsing_gives_the_same_rows(writer, folder):
    counts = load_national_level(
        writer, expand_paths([folder / "oa"]), national_source(), level="oa", workers=2
    )
    assert counts["loaded"] == 18


def test_newer_boundaries_win(writer, folder, tmp_path):
    """District A was redrawn in 2021 (new codes): the 2011 OAs inside it stay out; B fills in.
    One code B already holds from another source is left to that source."""
    cells = [shapely.box(-1.0 + i * 0.015, 52.0, -1.0 + (i + 1) * 0.015, 52.03) for i in range(2)]
    newer = tmp_path / "oa2021.geojson"
    newer.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": f"E0099999{i}"},
                        "geometry": shapely.geometry.mapping(g),
                    }
                    for i, g in enumerate(cells)
                ],
            }
        )
    )
    regional = Source("test-oa-2021", "OAs 2021", "boundaries", "", ("oa2021.geojson",), vintage="2021")
    load_boundaries(writer, newer, regional, level="oa", code_col="code")
    held = tmp_path / "held.geojson"
    held.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": f"E00{B[-4:]}00"},
                        "geometry": shapely.geometry.mapping(shapely.box(-0.97, 52.0, -0.96, 52.01)),
                    }
                ],
            }
        )
    )
    same = Source("test-oa-same", "one OA 2011", "boundaries", "", ("held.geojson",), vintage="2011")
    load_boundaries(writer, held, same, level="oa", code_col="code")
    counts = load_national_level(
        writer, expand_paths([folder / "oa"]), national_source(), level="oa", workers=1
    )
    assert counts["superseded"] == 10 and counts["loaded"] == 8
    rows = writer.read_frame("SELECT code, source_id FROM area WHERE level = 'oa'")
    assert rows["code"].is_unique and len(rows) == 2 + 1 + 8
    assert not rows["code"].str.startswith(f"E00{A[-4:]}").any()


def test_cli_loads_a_folder_for_some_districts(store_settings, folder, monkeypatch):
    monkeypatch.setenv("INSIGHT_DATABASE_URL", store_settings.database_url)
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(folder))
    monkeypatch.setenv("INSIGHT_PROGRESS", "0")
    args = ["load", "national-boundaries", "oa", str(folder / "oa"), "--district", B, "--source-id", "my-oa"]
    result = CliRunner().invoke(cli, [*args, "--vintage", "2011"])
    assert result.exit_code == 0, result.output
    assert "loaded 9 oa areas as source my-oa" in result.output
    result = CliRunner().invoke(cli, ["load", "national-boundaries", "oa", str(folder / "nothing*.json")])
    assert result.exit_code == 1 and "matches no boundary file" in result.output


def test_hierarchy_by_location(writer, folder):
    """Generated OAs of two districts and one 2013 ward per district: every OA finds its ward."""
    for district, x0 in ((A, -1.0), (B, -0.97)):
        ward = shapely.box(x0, 52.0, x0 + 0.03, 52.03)
        write_topojson(
            folder / "ward" / "eng" / f"{district}.json",
            district,
            [(ward, {"WD13CD": f"E05{district[-6:]}", "WD13NM": district})],
        )
    load_national_level(writer, expand_paths([folder / "oa"]), national_source(), level="oa", workers=1)
    wards = get_source("ons-ward-2013-ew").renamed("test-national-ward")
    load_national_level(writer, expand_paths([folder / "ward"]), wards, level="ward", workers=1)
    report = link_hierarchy(writer, get_source("ew-hierarchy-spatial"))
    assert report.linked["oa→ward"] == 18 and report.unplaced["oa→ward"] == 0
    assert report.linked["ward→lad"] == 0  # the ward files already name their district
    links = writer.read_frame(
        "SELECT child_code, parent_code, source_id FROM area_link WHERE child_level = 'oa' AND parent_level = 'ward'"
    )
    by_district = dict(zip(links["child_code"].str[:7], links["parent_code"], strict=False))
    assert by_district == {f"E00{A[-4:]}": f"E05{A[-6:]}", f"E00{B[-4:]}": f"E05{B[-6:]}"}
    assert set(links["source_id"]) == {"ew-hierarchy-spatial"}
    assert value(writer, "SELECT title FROM source WHERE source_id = 'ew-hierarchy-spatial'").startswith(
        "Hierarchy by location"
    )


# --- the real national folder: a handful of districts --------------------------------------

TRAFFORD, MANCHESTER, HARTLEPOOL, ANGLESEY = "E08000009", "E08000003", "E06000001", "W06000001"
REGIONAL = (
    "gisco-nuts-2021-20m",
    "gm-lookup-statistical-2021",
    "ons-lad-2023-gm",
    "ons-ward-2023-gm",
    "ons-oa-2021-trafford",
)


@pytest.fixture
def national_dir(data_dir: Path) -> Path:
    path = data_dir / "uk-ew-boundaries-2011"
    if not (path / "oa").is_dir():
        pytest.skip(f"needs the national boundaries folder {path} (see README: National boundaries)")
    return path


def load_national(writer, data_dir: Path, level: str, districts: tuple[str, ...]) -> dict[str, int]:
    source = get_source({"oa": "ons-oa-2011-ew", "ward": "ons-ward-2013-ew", "lad": "ons-lad-2013-ew"}[level])
    paths = expand_paths([str(p) for p in source.paths(data_dir)])
    return load_national_level(writer, paths, source, level=level, districts=districts, workers=1)


def test_real_districts_with_current_gm_boundaries_winning(writer, data_dir, national_dir):
    from boundaries.demo import demo_steps

    for source_id, load in demo_steps(data_dir):
        if source_id in REGIONAL:
            load(writer)
    districts = (TRAFFORD, MANCHESTER, HARTLEPOOL, ANGLESEY)
    oa = load_national(writer, data_dir, "oa", districts)
    ward = load_national(writer, data_dir, "ward", districts)
    lad = load_national(writer, data_dir, "lad", districts)
    # Trafford's 2011 OAs give way to its 2021 OAs (731 of them); GM's 2023 wards and districts win
    assert oa["superseded"] == 731 and oa["loaded"] == oa["read"] - 731
    assert lad == {"files": 2, "read": 4, "superseded": 2, "loaded": 2}
    per = writer.read_frame(
        "SELECT level, source_id, vintage, count(*) AS n FROM area WHERE level IN ('oa', 'ward', 'lad') "
        "GROUP BY level, source_id, vintage ORDER BY 1, 2"
    )
    got = {(r.level, r.source_id): (r.vintage, int(r.n)) for r in per.itertuples()}
    assert got[("oa", "ons-oa-2021-trafford")] == ("2021", 738)
    assert got[("oa", "ons-oa-2011-ew")][0] == "2011"
    assert got[("ward", "ons-ward-2023-gm")] == ("2023", 215)
    assert got[("ward", "ons-ward-2013-ew")] == ("2013", ward["loaded"])
    assert got[("lad", "ons-lad-2013-ew")] == ("2013", 2)
    codes = writer.read_frame("SELECT level, code FROM area")
    assert not codes.duplicated().any()
    # no national ward or OA remains inside Trafford or Manchester's current boundaries
    inside = writer.read_frame(
        "SELECT count(*) AS n FROM area WHERE source_id = 'ons-ward-2013-ew' "
        f"AND parent_code IN ('{TRAFFORD}', '{MANCHESTER}')"
    )
    assert inside["n"].iloc[0] == 0
    assert (
        value(
            writer,
            f"SELECT count(*) FROM area WHERE source_id = 'ons-oa-2011-ew' AND parent_code = '{TRAFFORD}'",
        )
        == 0
    )
    # Manchester keeps its 2011 OAs (no 2021 boundaries there), the GM lookup keeps their district links
    assert (
        value(
            writer,
            f"SELECT count(*) FROM area WHERE source_id = 'ons-oa-2011-ew' AND parent_code = '{MANCHESTER}'",
        )
        > 1000
    )
    with writer.transaction() as tx:
        lads = fetch_areas(tx, "lad", "ons-lad-2013-ew", geometry=True)
    # the 2013 district polygons are mostly invalid as decoded: stored repaired
    assert (
        sorted(lads["code"]) == [HARTLEPOOL, ANGLESEY] and shapely.is_valid(lads["geometry"].to_numpy()).all()
    )
    # the hierarchy by location: a 2013 ward's breadcrumbs reach the country (NUTS0)
    report = link_hierarchy(writer, get_source("ew-hierarchy-spatial"))
    # every national OA, and Trafford's 2021 OAs (their spatial links are not loaded here)
    assert report.linked["oa→ward"] == oa["loaded"] + 738 and report.unplaced["oa→ward"] == 0
    assert report.linked["lad→nuts3"] == 12 and report.unplaced["lad→nuts3"] == 0  # 10 GM + 2 national
    ward_code = writer.read_frame(
        f"SELECT min(code) AS c FROM area WHERE source_id = 'ons-ward-2013-ew' AND parent_code = '{HARTLEPOOL}'"
    )["c"].iloc[0]
    crumbs = writer.read_frame(parents("ward", ward_code))
    assert crumbs["level"].tolist() == ["nuts0", "nuts1", "nuts2", "nuts3", "lad"]
    assert crumbs["code"].tolist() == ["UK", "UKC", "UKC1", "UKC11", HARTLEPOOL]
    # Census 2021 households: placed plus unplaced is the Census total of England and Wales
    census = get_source("census2021-oa")
    load_census(writer, census.path(data_dir, 0), [data_dir / census.folder / "ts041.parquet"], census)
    total = writer.read_frame(placement()).iloc[0]
    assert total["areas"] == 188_880 and total["households"] == pytest.approx(24_783_304)
    placed = writer.read_frame(
        "SELECT sum(v.value) AS n FROM census_value v JOIN area a ON a.level = 'oa' AND a.code = v.area_code "
        "WHERE v.variable = 'ts0410001'"
    )["n"].iloc[0]
    assert placed + total["unplaced_households"] == pytest.approx(24_783_304)
    # Manchester keeps its 2011 OAs: the 2021 OAs new since (the GM lookup names their district)
    # are unplaced there, and its 2011 OAs the Census no longer knows are drawn as changed
    manchester = writer.read_frame(placement_by_district()).set_index("district").loc[MANCHESTER]
    assert manchester["areas"] == 1593 and 0 < manchester["unplaced_areas"] < 300
    with writer.transaction() as tx:
        write_tile_areas(tx)
    changed = writer.read_frame(
        "SELECT DISTINCT t.code, t.class_code FROM tile_area t JOIN area a ON a.level = t.level AND a.code = t.code "
        f"WHERE t.level = 'oa' AND a.parent_code = '{MANCHESTER}' AND t.class_name = '{BOUNDARY_CHANGED}'"
    )
    assert len(changed) > 0 and changed["class_code"].isna().all()


# --- vintages and Census households without a boundary -------------------------------------

SPLIT = f"E00{A[-4:]}04"  # the 2011 OA split in two in 2021 (the generated bowtie)
PARTS = {"E00200001": 60.0, "E00200002": 40.0}
NEW = "E00200003"  # a 2021 OA whose 2011 predecessor is not loaded


def write_census(folder: Path) -> tuple[Path, Path]:
    """Census 2021 households: 100 in every unchanged OA, the split OA's two parts, one new OA."""
    codes = [f"E00{d[-4:]}{i:02d}" for d in (A, B) for i in range(9) if f"E00{d[-4:]}{i:02d}" != SPLIT]
    households = {c: 100.0 for c in codes} | PARTS | {NEW: 50.0}
    meta = folder / "Table_Metadata.csv"
    pd.DataFrame(
        [
            {
                "Table_Name": "Households",
                "Variable_Name": "Total",
                "Type": "Value",
                "new_names": "ts0410001",
                "Table_ID": "ts041",
                "old_names": "Households: Total",
            }
        ]
    ).to_csv(meta, index=False)
    table = folder / "ts041.parquet"
    pd.DataFrame({"OA": list(households), "ts0410001": list(households.values())}).astype(
        {"OA": "string"}
    ).to_parquet(table, index=False)
    return meta, table


def write_exact_fit(folder: Path) -> Path:
    """The ONS OA 2011 → OA 2021 layout: unchanged rows, the split OA's parts, one new OA."""
    rows = [
        (f"E00{d[-4:]}{i:02d}", f"E00{d[-4:]}{i:02d}", "U", d)
        for d in (A, B)
        for i in range(9)
        if f"E00{d[-4:]}{i:02d}" != SPLIT
    ]
    rows += [(SPLIT, code, "S", A) for code in PARTS] + [("E00999999", NEW, "S", B)]
    path = folder / "OA11_OA21_LAD22_EW_LU_Exact_fit.csv"
    pd.DataFrame(rows, columns=["OA11CD", "OA21CD", "CHNGIND", "LAD22CD"]).assign(LAD22NM="x").to_csv(
        path, index=False
    )
    return path


def levels(settings) -> dict[str, dict]:
    from app.main import create_app

    with TestClient(create_app(settings)) as client:
        response = client.get("/api/levels")
    assert response.status_code == 200, response.text
    return {r["level"]: r for r in response.json()}


def test_vintages_in_tilejson_and_ogc(store_settings, folder):
    from app.main import create_app

    with open_writer(store_settings) as writer:
        load_national_level(writer, expand_paths([folder / "oa"]), national_source(), level="oa", workers=1)
    with TestClient(create_app(store_settings)) as client:
        tilejson = client.get("/tiles/oa.json").json()
        collection = client.get("/ogc/collections/oa").json()
    assert tilejson["vintages"] == {"oa": ["2011"]}
    assert collection["vintages"] == ["2011"] and "(2011 boundaries)" in collection["description"]


def test_unplaced_households_and_an_exact_fit_lookup(store_settings, folder):
    # the embedded store serves read-only: the writer is closed before the app opens it
    with open_writer(store_settings) as writer:
        load_national_level(writer, expand_paths([folder / "oa"]), national_source(), level="oa", workers=1)
        meta, table = write_census(folder)
        load_census(writer, meta, [table], get_source("census2021-oa"))
    oa = levels(store_settings)["oa"]
    assert oa["vintages"] == ["2011"]
    before = oa["unplaced"]
    # the split OA's 2021 parts and the new OA have no boundary; the split 2011 OA no 2021 record
    assert before["areas"] == 20 and before["households"] == 1850.0
    assert (before["unplaced_areas"], before["unplaced_households"]) == (3, 150.0)
    assert before["unplaced_share"] == pytest.approx(150 / 1850, abs=1e-6)
    assert before["no_census_areas"] == 1
    assert before["by_district"] == []  # no lookup tells the districts of the 2021 OAs yet

    lookup = write_exact_fit(folder)
    source = Source("oa11-oa21", "exact fit", "lookup", "", (lookup.name,), vintage="2021")
    with open_writer(store_settings) as writer:
        links = load_lookup(writer, lookup, source)
    # three changed 2021 OAs: each to a 2011 OA and to its district (the unchanged ones already
    # have their district from the national boundaries, which keep it)
    assert links == 3 + 3
    after = levels(store_settings)["oa"]["unplaced"]
    # the split OA's parts now stand on its 2011 boundary: placed and counted; the new OA is not
    assert (after["unplaced_areas"], after["unplaced_households"]) == (1, 50.0)
    placed = after["households"] - after["unplaced_households"]
    assert placed == 1800.0 and placed + after["unplaced_households"] == 1850.0
    assert after["by_district"] == [
        {
            "district": B,
            "areas": 10,
            "households": 950.0,
            "unplaced_areas": 1,
            "unplaced_households": 50.0,
            "unplaced_share": pytest.approx(50 / 950, abs=1e-6),
        }
    ]
    info = format_info(collect_info(store_settings))
    assert "Output area (2011 boundaries)" in info
    assert "1 of 20 output areas, 50 of 1,850 households (2.7 %)" in info
    assert "placed households 1,800 + unplaced 50 = 1,850" in info


def test_uk_parents_reach_through_the_2011_area():
    from derive.pipeline import uk_parents

    links = pd.DataFrame(
        [
            ("oa", "E00200001", "oa", SPLIT),
            ("oa", SPLIT, "ward", "E05000001"),
            ("oa", "E00000007", "ward", "E05000002"),
        ],
        columns=["child_level", "child_code", "parent_level", "parent_code"],
    )
    wards = uk_parents(links)["ward"]
    assert wards.to_dict() == {SPLIT: "E05000001", "E00000007": "E05000002", "E00200001": "E05000001"}


def test_an_output_area_the_census_does_not_know_is_drawn_as_changed(writer, folder):
    load_national_level(writer, expand_paths([folder / "oa"]), national_source(), level="oa", workers=1)
    with writer.transaction() as tx:
        write_tile_areas(tx)
    # no Census loaded: nothing to compare with, nothing marked
    assert value(writer, "SELECT count(*) FROM tile_area WHERE class_name IS NOT NULL") == 0
    meta, table = write_census(folder)
    load_census(writer, meta, [table], get_source("census2021-oa"))
    with writer.transaction() as tx:
        write_tile_areas(tx)
    rows = writer.read_frame("SELECT DISTINCT code, class_code, class_name FROM tile_area WHERE level = 'oa'")
    marked = rows[rows["class_name"].notna()]
    assert marked["code"].tolist() == [SPLIT] and marked["class_name"].tolist() == [BOUNDARY_CHANGED]
    assert rows["class_code"].isna().all()  # never a class


def test_a_national_load_leaves_planner_statistics(writer, folder, backend):
    """Written in chunks, the areas are analysed once at the end: the build that follows plans
    its joins (tile_area) on real row counts instead of an empty-looking table."""
    if backend != "postgis":
        pytest.skip("DuckDB keeps its statistics itself")
    load_national_level(writer, expand_paths([folder / "oa"]), national_source(), level="oa", workers=1)
    stats = writer.read_frame(
        "SELECT relname, reltuples FROM pg_class WHERE relname IN ('area', 'area_link') ORDER BY relname"
    )
    assert stats["reltuples"].tolist() == [18.0, 18.0]


def test_current_national_sources_are_catalogued_with_their_addresses(tmp_path):
    from boundaries.fetch import fetch_sources

    said: list[str] = []
    for source_id in ("ons-oa-2021-ew", "ons-lsoa-2021-ew", "ons-ward-2023-uk", "ons-lad-2023-uk"):
        source = get_source(source_id)
        assert source.kind == "boundaries" and source.url.startswith("https://services1.arcgis.com/")
        assert fetch_sources(source_id, tmp_path, say=said.append) == []
    assert get_source("ons-lookup-oa11-oa21").columns.startswith("OA11CD, OA21CD, CHNGIND")
    assert all("FeatureServer/0" in line for line in said) and not any(tmp_path.iterdir())
