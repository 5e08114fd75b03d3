"""Loaders and ``insight load`` on the generated source files, both backends: counts,
hierarchy, CRS handling, quirks of the real layouts, failures that leave the store as it was."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from boundaries.catalogue import get_source
from boundaries.errors import LoadError
from boundaries.loaders import (
    dims_key,
    link_by_point,
    load_boundaries,
    load_census,
    load_dissolved,
    load_eurostat,
    load_lgsl,
    load_lookup,
    load_nuts,
    load_oac2021,
)
from boundaries.store import fetch_areas
from cli.main import cli
from core.settings import Settings
from core.store import open_writer
from tests.synthetic import LEEDS, TRAFFORD, World


def value(writer, sql: str, params: list | None = None):
    return writer.read_frame(sql, params or []).iloc[0, 0]


def load_leeds(writer, world: World) -> None:
    wards, oas = get_source("leeds-ward-2017"), get_source("leeds-oa-2011")
    load_boundaries(
        writer,
        wards.path(world.root),
        wards,
        level="ward",
        code_col="wd17cd",
        name_col="wd17nm",
        crs="EPSG:27700",
    )
    load_boundaries(writer, oas.path(world.root), oas, level="oa", code_col="oa_code", crs="EPSG:27700")
    load_dissolved(
        writer, get_source("leeds-lad-derived"), level="lad", code=LEEDS[0], name=LEEDS[1],
        child_level="ward", child_source="leeds-ward-2017",
    )  # fmt: skip


def trafford_wards(writer, world: World) -> int:
    s = get_source("ons-ward-2023-trafford")
    return load_boundaries(
        writer, s.path(world.root), s, level="ward", code_col="area_code", name_col="area_name"
    )


def test_nuts_every_level_with_parents(writer, synthetic: World) -> None:
    source = get_source("gisco-nuts-2021-20m")
    assert load_nuts(writer, source.paths(synthetic.root), source) == len(synthetic.regions)
    counts = writer.read_frame("SELECT level, count(*) AS n FROM area GROUP BY level ORDER BY level")
    levels = [r.level for r in synthetic.regions]
    assert dict(zip(counts["level"], counts["n"], strict=True)) == {
        f"nuts{n}": levels.count(n) for n in range(4)
    }
    row = writer.read_frame("SELECT name, parent_code, country FROM area WHERE code = 'DE212'")
    assert row.iloc[0].tolist() == ["München, Kreisfreie Stadt", "DE21", "DE"]
    assert value(writer, "SELECT count(*) FROM area WHERE level = 'nuts0' AND parent_code IS NOT NULL") == 0
    assert value(writer, "SELECT row_count FROM source WHERE source_id = 'gisco-nuts-2021-20m'") == 35


def test_output_areas_land_in_their_generated_lsoa_and_ward(writer, synthetic: World) -> None:
    trafford = synthetic.districts[TRAFFORD[0]]
    assert trafford_wards(writer, synthetic) == len(trafford.wards)
    lookup = get_source("gm-lookup-statistical-2021")
    assert (
        load_lookup(writer, lookup.path(synthetic.root), lookup) == 128 * 2 + 32
    )  # oa→lsoa, oa→lad, lsoa→lad
    oas = get_source("ons-oa-2021-trafford")
    n = load_boundaries(
        writer, oas.path(synthetic.root), oas, level="oa", code_col="area_code", parent_level="lsoa"
    )
    assert n == len(trafford.oas) == 64
    parents = writer.read_frame("SELECT code, parent_code FROM area WHERE level = 'oa'")
    assert dict(zip(parents["code"], parents["parent_code"], strict=True)) == {
        o.code: o.lsoa for o in trafford.oas
    }
    links = link_by_point(
        writer, get_source("trafford-oa-ward-spatial"),
        child_level="oa", child_source="ons-oa-2021-trafford", parent_level="ward",
    )  # fmt: skip
    assert links == 64
    got = writer.read_frame(
        "SELECT child_code, parent_code FROM area_link WHERE child_level = 'oa' AND parent_level = 'ward'"
    )
    assert dict(zip(got["child_code"], got["parent_code"], strict=True)) == {
        o.code: o.ward for o in trafford.oas
    }


def test_leeds_needs_its_crs_then_nests(writer, synthetic: World) -> None:
    oas = get_source("leeds-oa-2011")
    with pytest.raises(LoadError, match="look projected.*--crs"):
        load_boundaries(writer, oas.path(synthetic.root), oas, level="oa", code_col="oa_code")
    assert value(writer, "SELECT count(*) FROM area") == 0
    load_leeds(writer, synthetic)
    leeds = synthetic.districts[LEEDS[0]]
    with writer.transaction() as tx:
        loaded = fetch_areas(tx, "oa", "leeds-oa-2011")
        lad = fetch_areas(tx, "lad", "leeds-lad-derived", geometry=True)
    assert sorted(loaded["code"]) == sorted(o.code for o in leeds.oas)
    district = lad["geometry"].iloc[0]
    assert district.is_valid and len(shapely.get_parts(district)) == 1
    assert shapely.contains_xy(district, loaded["lon"].to_numpy(), loaded["lat"].to_numpy()).all()
    assert district.symmetric_difference(leeds.lad.geometry).area < 1e-3 * leeds.lad.geometry.area
    links = link_by_point(
        writer, get_source("leeds-oa-ward-spatial"), child_level="oa", child_source="leeds-oa-2011",
        parent_level="ward", parent_source="leeds-ward-2017", lad=LEEDS[0],
    )  # fmt: skip
    assert links == len(leeds.oas) * 2 + len(leeds.wards)


def test_corrupt_file_leaves_the_earlier_load(writer, synthetic: World, tmp_path) -> None:
    trafford_wards(writer, synthetic)
    before = writer.read_frame(
        "SELECT loaded_at, row_count FROM source WHERE source_id = 'ons-ward-2023-trafford'"
    )
    text = get_source("ons-ward-2023-trafford").path(synthetic.root).read_text()
    broken = tmp_path / "ward_2023_trafford_ward_generalised.geojson"
    broken.write_text(text[: len(text) // 2])
    with pytest.raises(LoadError, match=f"{broken.name}.*cannot read"):
        load_boundaries(
            writer, broken, get_source("ons-ward-2023-trafford"), level="ward", code_col="area_code"
        )
    assert value(writer, "SELECT count(*) FROM area WHERE level = 'ward'") == 4
    after = writer.read_frame(
        "SELECT loaded_at, row_count FROM source WHERE source_id = 'ons-ward-2023-trafford'"
    )
    assert after.equals(before)


def test_duplicates_and_clashes_are_named(writer, synthetic: World, tmp_path) -> None:
    s = get_source("ons-ward-2023-trafford")
    doc = json.loads(s.path(synthetic.root).read_text())
    doc["features"].append(doc["features"][1])
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps(doc))
    dup = doc["features"][1]["properties"]["area_code"]
    with pytest.raises(LoadError, match=f"wards.geojson: duplicate codes: {dup}"):
        load_boundaries(writer, path, s, level="ward", code_col="area_code")
    trafford_wards(writer, synthetic)
    gm = get_source("ons-ward-2023-gm")
    with pytest.raises(LoadError, match="already loaded by source ons-ward-2023-trafford"):
        load_boundaries(writer, gm.path(synthetic.root), gm, level="ward", code_col="area_code")


def test_eurostat_values_flags_and_gaps(writer, synthetic: World) -> None:
    pop, area = get_source("eurostat-demo_r_pjanaggr3"), get_source("eurostat-reg_area3")
    load_eurostat(writer, pop.path(synthetic.root), pop)
    load_eurostat(writer, area.path(synthetic.root), area)
    sql = "SELECT value, flag FROM eurostat_value WHERE dataset = $1 AND geo = $2 AND year = $3 AND dims = $4"
    p = synthetic.population
    want = p[(p["geo"] == "FR101") & (p["year"] == 2025) & (p["sex"] == "F") & (p["age"] == "Y_LT15")][
        "value"
    ]
    row = writer.read_frame(
        sql, ["demo_r_pjanaggr3", "FR101", 2025, dims_key(unit="NR", sex="F", age="Y_LT15")]
    )
    assert row.iloc[0].tolist() == [float(want.iloc[0]), "p"]
    row = writer.read_frame(sql, ["reg_area3", "IE061", 2020, "landuse=TOTAL;unit=KM2"])
    assert row.iloc[0].tolist() == [synthetic.area_km2["IE061"], "e"]
    # ':' is not stored: the UK has no population after 2019, no area after 2023, UKZZZ nothing
    assert writer.read_frame(sql, ["reg_area3", "UKD34", 2024, "landuse=TOTAL;unit=KM2"]).empty
    assert (
        value(
            writer,
            "SELECT max(year) FROM eurostat_value WHERE geo = 'UKD34' AND dataset = 'demo_r_pjanaggr3'",
        )
        == 2019
    )
    assert value(writer, "SELECT count(*) FROM eurostat_value WHERE geo = 'UKZZZ'") == 0


def test_lgsl_services_and_tiers(writer, synthetic: World) -> None:
    from derive.services import SERVICES

    s = get_source("esd-lgsl")
    assert load_lgsl(writer, s.path(synthetic.root, 0), s, s.path(synthetic.root, 1)) == len(SERVICES) + 3
    row = writer.read_frame("SELECT label, status, govuk_tier FROM service WHERE lgsl = 279")
    assert row.iloc[0].tolist() == ["Blue Badge parking permits", "Live", "county/unitary"]
    assert value(writer, "SELECT count(*) FROM service WHERE strpos(description, chr(10)) > 0") == 1
    assert value(writer, "SELECT count(*) FROM service WHERE govuk_tier IS NOT NULL") == 4
    assert value(writer, "SELECT status FROM service WHERE lgsl = 9001") == "Discontinued"


def test_oac2021_classes_and_assignments(writer, synthetic: World) -> None:
    classified = synthetic.oas.dropna(subset=["subgroup"])
    assert (
        load_oac2021(writer, synthetic.root, get_source("oac2021")) == len(classified) + 1
    )  # + one Scottish OA
    tiers = writer.read_frame("SELECT tier, count(*) AS n FROM profile_class GROUP BY tier")
    expected = synthetic.oac_classes()["tier"].value_counts().to_dict()
    assert (
        dict(zip(tiers["tier"], tiers["n"], strict=True))
        == expected
        == {"supergroup": 4, "group": 6, "subgroup": 9}
    )
    assert (
        value(writer, "SELECT parent_code FROM profile_class WHERE code = '1a1'") == "1a"
    )  # '1a ' in the file
    assert value(writer, "SELECT count(*) FROM profile_class WHERE name <> trim(name)") == 0
    oa = classified.iloc[0]
    assert (
        value(writer, "SELECT class_code FROM area_class WHERE area_code = $1", [oa["code"]])
        == oa["subgroup"]
    )


def test_census_long_form(writer, synthetic: World) -> None:
    s = get_source("census2021-oa")
    tables = s.paths(synthetic.root)[1:]
    total = load_census(writer, s.path(synthetic.root, 0), tables, s)
    assert total == sum(f.shape[0] * (f.shape[1] - 1) for f in synthetic.census.values())
    assert value(writer, "SELECT count(*) FROM census_variable") == sum(
        f.shape[1] - 1 for f in synthetic.census.values()
    )
    ts041 = synthetic.census["ts041"].iloc[3]
    got = value(
        writer,
        "SELECT value FROM census_value WHERE variable = 'ts0410001' AND area_code = $1",
        [ts041["OA"]],
    )
    assert got == float(ts041["ts0410001"])
    assert value(writer, "SELECT table_id FROM census_variable WHERE variable = 'ts0540007'") == "TS054"


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def run(store_settings: Settings, synthetic: World, monkeypatch):
    """Run ``insight ...`` against the test's empty store and the generated data directory."""
    monkeypatch.setenv("INSIGHT_DATABASE_URL", store_settings.database_url)
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(synthetic.root))
    monkeypatch.setenv("INSIGHT_PROGRESS", "0")

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args))
        return result.exit_code, result.output

    return invoke


def test_cli_loads_the_catalogue_sources(run, store_settings: Settings, synthetic: World) -> None:
    assert run("load", "nuts") == (0, "loaded 35 regions as source gisco-nuts-2021-20m\n")
    for args in (["eurostat"], ["lgsl"], ["lookup"]):
        code, out = run("load", *args)
        assert code == 0 and "loaded" in out, out
    with open_writer(store_settings) as w:
        links = w.read_frame("SELECT child_level, parent_level, count(*) AS n FROM area_link GROUP BY 1, 2")
        services = w.read_frame("SELECT count(*) AS n FROM service")["n"].iloc[0]
        geos = set(w.read_frame("SELECT DISTINCT geo FROM eurostat_value")["geo"])
    got = {(r.child_level, r.parent_level): r.n for r in links.itertuples()}
    assert got == {("oa", "lsoa"): 128, ("oa", "lad"): 128, ("lsoa", "lad"): 32}
    assert services == 25
    assert {r.code for r in synthetic.regions} <= geos


def test_cli_refuses_projected_coordinates_without_crs(
    run, store_settings: Settings, synthetic: World
) -> None:
    path = str(get_source("leeds-oa-2011").path(synthetic.root))
    code, out = run("load", "boundaries", path, "--level", "oa", "--code-col", "oa_code")
    assert (
        code == 1 and "oa_boundaries.geojson" in out and "look projected" in out and "--crs EPSG:27700" in out
    )
    code, out = run(
        "load", "boundaries", path, "--level", "oa", "--code-col", "oa_code", "--crs", "EPSG:27700"
    )
    assert code == 0, out
    assert "loaded 24 oa areas as source leeds-oa-2011" in out
    minx, miny, maxx, maxy = synthetic.districts[LEEDS[0]].lad.geometry.bounds
    with open_writer(store_settings) as w:
        frame = w.read_frame("SELECT lon, lat FROM area")
    assert (
        len(frame) == 24 and frame["lon"].between(minx, maxx).all() and frame["lat"].between(miny, maxy).all()
    )


def test_cli_names_a_missing_column(run, synthetic: World) -> None:
    wards = str(get_source("ons-ward-2023-trafford").path(synthetic.root))
    code, out = run(
        "load", "boundaries", wards, "--level", "ward", "--code-col", "area_code", "--name-col", "nm"
    )
    assert code == 1 and "missing name column 'nm'; the file has: area_code, area_name" in out


def test_generated_files_keep_the_real_quirks(synthetic: World) -> None:
    """What the loaders must cope with in the real files is there in the generated ones."""
    lgsl = get_source("esd-lgsl").path(synthetic.root).read_bytes()
    assert lgsl.startswith(b"\xef\xbb\xbf")  # BOM
    names = pd.read_csv(get_source("oac2021").path(synthetic.root, 1), encoding="utf-8-sig", dtype=str)
    assert (names["Classification Code"] != names["Classification Code"].str.strip()).any()
    leeds = json.loads(get_source("leeds-ward-2017").path(synthetic.root).read_text())
    assert "crs" not in leeds and leeds["features"][0]["geometry"]["coordinates"][0][0][0][0] > 1000
    area = get_source("eurostat-reg_area3").path(synthetic.root).read_text()
    assert ": m" in area and " e" in area


def test_known_source_typos_are_corrected_and_reported() -> None:
    from boundaries.corrections import correct

    names = pd.DataFrame(
        {"code": ["5", "6"], "name": ["Ethnically Diverse Suburb-an Professionals", "Other"]}
    )
    fixed, applied = correct(names, "oac2021")
    assert fixed["name"].tolist() == ["Ethnically Diverse Suburban Professionals", "Other"]
    assert names["name"].iloc[0].endswith("Suburb-an Professionals")  # the input is left alone
    assert [a["right"] for a in applied] == ["Ethnically Diverse Suburban Professionals"]
    assert correct(names, "another-source") == (names, [])


def test_insight_info_lists_the_corrections() -> None:
    from cli.info import format_info

    fix = {"column": "name", "wrong": "Suburb-an", "right": "Suburban", "why": "typo", "rows": "1"}
    info = {
        "store": "duckdb:///x",
        "levels": [],
        "sources": [],
        "classifications": [],
        "corrections": [{"source_id": "oac2021", "value": json.dumps([fix])}],
        "services": 0,
        "modelled_services": 0,
    }
    assert "oac2021: name 'Suburb-an' -> 'Suburban' (typo)" in format_info(info)


def test_nuts_2021_regions_take_their_predecessors_series() -> None:
    from derive.nuts_changes import carry_forward

    population = pd.DataFrame(
        {
            "geo": ["UKN10", "UKN10", "UKK21", "UKD34", "UKN0A"],
            "year": [2018, 2019, 2019, 2019, 2019],
            "dims": ["sex=T;age=TOTAL"] * 5,
            "value": [150_000.0, 151_000.0, 346_000.0, 237_000.0, None],
        }
    )
    area = pd.DataFrame(
        {
            "geo": ["UKN10", "UKN0A", "UKK21", "UKK24"],
            "year": [2020] * 4,
            "dims": [""] * 4,
            "value": [1, 2, 3, 4.0],
        }
    )
    pop, km2, used = carry_forward(population, area, ["UKN0A", "UKK24", "UKD34"])
    assert [(c.old, c.new, c.kind) for c in used] == [
        ("UKN10", "UKN0A", "recoded"),
        ("UKK21", "UKK24", "boundary"),
    ]
    assert sorted(pop.loc[pop["geo"] == "UKN0A", "value"].dropna()) == [150_000.0, 151_000.0]
    assert km2.set_index("geo").loc["UKK24", "value"] == 3  # the predecessor's area, with its population
    assert km2.set_index("geo").loc["UKN0A", "value"] == 1
    unchanged = carry_forward(population, area, ["UKD34"])
    assert unchanged[2] == [] and unchanged[0] is population
