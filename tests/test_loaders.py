"""Loaders on the real files, on both backends: counts, hierarchy, CRS handling, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import shapely

from boundaries.catalogue import get_source
from boundaries.errors import LoadError, LoadWarning
from boundaries.loaders import (
    ClassificationSpec,
    LinkSpec,
    dims_key,
    link_by_point,
    load_boundaries,
    load_census,
    load_classification,
    load_dissolved,
    load_eurostat,
    load_lgsl,
    load_lookup,
    load_nuts,
    load_oac2021,
    read_assignments,
    read_classes,
)
from boundaries.store import fetch_areas

GM = "uk-gm-trafford-boundaries"
LEEDS_BBOX = (-1.81, 53.69, -1.28, 53.95)  # lon/lat box around the Leeds district


def value(writer, sql: str, params: list | None = None):
    return writer.read_frame(sql, params or []).iloc[0, 0]


def trafford_wards(writer, data_dir: Path) -> int:
    s = get_source("ons-ward-2023-trafford")
    return load_boundaries(
        writer, s.path(data_dir), s, level="ward", code_col="area_code", name_col="area_name"
    )


def leeds(writer, data_dir: Path) -> None:
    wards, oas = get_source("leeds-ward-2017"), get_source("leeds-oa-2011")
    load_boundaries(
        writer,
        wards.path(data_dir),
        wards,
        level="ward",
        code_col="wd17cd",
        name_col="wd17nm",
        crs="EPSG:27700",
    )
    load_boundaries(writer, oas.path(data_dir), oas, level="oa", code_col="oa_code", crs="EPSG:27700")
    load_dissolved(
        writer,
        get_source("leeds-lad-derived"),
        level="lad",
        code="E08000035",
        name="Leeds",
        child_level="ward",
        child_source="leeds-ward-2017",
    )


def test_nuts_counts_per_level(writer, data_dir):
    source = get_source("gisco-nuts-2021-20m")
    assert load_nuts(writer, source.paths(data_dir), source) == 2007
    counts = writer.read_frame("SELECT level, count(*) AS n FROM area GROUP BY level ORDER BY level")
    assert dict(zip(counts["level"], counts["n"], strict=True)) == {
        "nuts0": 37,
        "nuts1": 125,
        "nuts2": 333,
        "nuts3": 1512,
    }
    assert value(writer, "SELECT count(*) FROM area WHERE level = 'nuts3' AND country = 'UK'") == 179
    row = writer.read_frame(
        "SELECT name, parent_code, country FROM area WHERE level = 'nuts3' AND code = 'DE254'"
    )
    assert row.iloc[0].tolist() == ["Nürnberg, Kreisfreie Stadt", "DE25", "DE"]
    assert value(writer, "SELECT count(*) FROM area WHERE level = 'nuts0' AND parent_code IS NOT NULL") == 0
    assert value(writer, "SELECT row_count FROM source WHERE source_id = 'gisco-nuts-2021-20m'") == 2007


def test_trafford_oas_each_in_exactly_one_ward(writer, data_dir):
    assert trafford_wards(writer, data_dir) == 21
    lookup = get_source("gm-lookup-statistical-2021")
    load_lookup(writer, lookup.path(data_dir), lookup)
    oas = get_source("ons-oa-2021-trafford")
    assert (
        load_boundaries(
            writer, oas.path(data_dir), oas, level="oa", code_col="area_code", parent_level="lsoa"
        )
        == 738
    )
    # every OA got its LSOA from the lookup
    assert (
        value(writer, "SELECT count(*) FROM area WHERE level = 'oa' AND left(parent_code, 3) = 'E01'") == 738
    )
    links = link_by_point(
        writer,
        get_source("trafford-oa-ward-spatial"),
        child_level="oa",
        child_source="ons-oa-2021-trafford",
        parent_level="ward",
    )
    assert links == 738
    per_oa = writer.read_frame(
        "SELECT a.code, count(l.parent_code) AS n FROM area a LEFT JOIN area_link l ON l.child_code = a.code "
        "AND l.child_level = 'oa' AND l.parent_level = 'ward' WHERE a.level = 'oa' GROUP BY a.code"
    )
    assert len(per_oa) == 738 and set(per_oa["n"]) == {1}
    wards = writer.read_frame("SELECT DISTINCT parent_code FROM area_link WHERE parent_level = 'ward'")
    assert len(wards) == 21  # every Trafford ward holds OAs


def test_leeds_needs_its_crs(writer, data_dir):
    oas = get_source("leeds-oa-2011")
    with pytest.raises(LoadError, match="look projected.*--crs"):
        load_boundaries(writer, oas.path(data_dir), oas, level="oa", code_col="oa_code")
    assert value(writer, "SELECT count(*) FROM area") == 0


def test_leeds_oas_lie_inside_leeds(writer, data_dir):
    leeds(writer, data_dir)
    assert value(writer, "SELECT count(*) FROM area WHERE source_id = 'leeds-oa-2011'") == 2543
    assert value(writer, "SELECT vintage FROM area WHERE source_id = 'leeds-oa-2011' LIMIT 1") == "2011"
    with writer.transaction() as tx:
        oas = fetch_areas(tx, "oa", "leeds-oa-2011")
        lad = fetch_areas(tx, "lad", "leeds-lad-derived", geometry=True)
    assert lad["code"].tolist() == ["E08000035"]
    minx, miny, maxx, maxy = LEEDS_BBOX
    assert oas["lon"].between(minx, maxx).all() and oas["lat"].between(miny, maxy).all()
    district = lad["geometry"].iloc[0]
    assert shapely.contains_xy(district, oas["lon"].to_numpy(), oas["lat"].to_numpy()).all()
    assert district.is_valid and len(shapely.get_parts(district)) == 1  # one district, no slivers
    links = link_by_point(
        writer,
        get_source("leeds-oa-ward-spatial"),
        child_level="oa",
        child_source="leeds-oa-2011",
        parent_level="ward",
        parent_source="leeds-ward-2017",
        lad="E08000035",
    )
    assert links == 2543 * 2 + 33


def test_corrupt_file_leaves_earlier_data(writer, data_dir, tmp_path):
    trafford_wards(writer, data_dir)
    before = writer.read_frame(
        "SELECT loaded_at, row_count FROM source WHERE source_id = 'ons-ward-2023-trafford'"
    )
    text = get_source("ons-ward-2023-trafford").path(data_dir).read_text()
    broken = tmp_path / "ward_2023_trafford_ward_generalised.geojson"
    broken.write_text(text[: len(text) // 2])
    with pytest.raises(LoadError, match=f"{broken.name}.*cannot read"):
        load_boundaries(
            writer, broken, get_source("ons-ward-2023-trafford"), level="ward", code_col="area_code"
        )
    assert value(writer, "SELECT count(*) FROM area WHERE level = 'ward'") == 21
    after = writer.read_frame(
        "SELECT loaded_at, row_count FROM source WHERE source_id = 'ons-ward-2023-trafford'"
    )
    assert after.equals(before)


def test_reload_replaces_the_source(writer, data_dir):
    trafford_wards(writer, data_dir)
    trafford_wards(writer, data_dir)
    assert value(writer, "SELECT count(*) FROM area") == 21
    assert value(writer, "SELECT count(*) FROM source") == 1


def test_wrong_columns_are_named(writer, data_dir):
    s = get_source("ons-ward-2023-trafford")
    with pytest.raises(LoadError, match=r"missing code column 'WD23CD'; the file has: area_code, area_name"):
        load_boundaries(writer, s.path(data_dir), s, level="ward", code_col="WD23CD")
    lookup = get_source("gm-lookup-statistical-2021")
    with pytest.raises(LoadError, match=r"missing column\(s\) 'oa11cd'"):
        load_lookup(writer, lookup.path(data_dir), lookup, [LinkSpec("oa", "oa11cd", "lsoa", "lsoa21cd")])


def test_duplicate_codes_are_named(writer, data_dir, tmp_path):
    s = get_source("ons-ward-2023-trafford")
    doc = json.loads(s.path(data_dir).read_text())
    doc["features"].append(doc["features"][3])
    dup_code = doc["features"][3]["properties"]["area_code"]
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(LoadError, match=f"wards.geojson: duplicate codes: {dup_code}"):
        load_boundaries(writer, path, s, level="ward", code_col="area_code")
    # an area held by another source is refused too, naming that source
    trafford_wards(writer, data_dir)
    gm = get_source("ons-ward-2023-gm")
    with pytest.raises(LoadError, match="already loaded by source ons-ward-2023-trafford"):
        load_boundaries(writer, gm.path(data_dir), gm, level="ward", code_col="area_code")


def test_undeclared_lonlat_warns(writer, data_dir, tmp_path):
    doc = json.loads(get_source("ons-ward-2023-trafford").path(data_dir).read_text())
    doc.pop("crs", None)
    path = tmp_path / "w.geojson"
    path.write_text(json.dumps(doc))
    with pytest.warns(LoadWarning, match="declares no CRS"):
        load_boundaries(
            writer, path, get_source("ons-ward-2023-trafford"), level="ward", code_col="area_code"
        )


def test_eurostat_values_and_flags(writer, data_dir, tmp_path):
    pop, area = get_source("eurostat-demo_r_pjanaggr3"), get_source("eurostat-reg_area3")
    load_eurostat(writer, pop.path(data_dir), pop)
    load_eurostat(writer, area.path(data_dir), area)
    sql = "SELECT value, flag FROM eurostat_value WHERE dataset = $1 AND geo = $2 AND year = $3 AND dims = $4"
    row = writer.read_frame(sql, ["demo_r_pjanaggr3", "AL", 2016, dims_key(unit="NR", sex="F", age="TOTAL")])
    assert row["value"].tolist() == [1417141.0] and row["flag"].isna().all()
    row = writer.read_frame(sql, ["reg_area3", "AL", 2021, "landuse=TOTAL;unit=KM2"])
    assert row.iloc[0].tolist() == [28791.0, "e"]
    # ':' (missing) is not stored
    assert writer.read_frame(sql, ["reg_area3", "AL", 2017, "landuse=TOTAL;unit=KM2"]).empty
    bad = tmp_path / "bad.tsv"
    bad.write_text("freq,unit,geo\\TIME_PERIOD\t2020 \nA,NR,AL\tlots \n")
    with pytest.raises(LoadError, match="bad.tsv: unreadable value"):
        load_eurostat(writer, bad, pop.renamed("eurostat-bad"))


def test_lgsl_services(writer, data_dir):
    s = get_source("esd-lgsl")
    assert load_lgsl(writer, s.path(data_dir, 0), s, s.path(data_dir, 1)) == 1002
    row = writer.read_frame("SELECT label, status FROM service WHERE lgsl = 1614")
    assert row.iloc[0].tolist() == ["16 to 19 bursary fund", "Live"]
    assert value(writer, "SELECT count(*) FROM service WHERE strpos(description, chr(10)) > 0") > 0
    assert value(writer, "SELECT count(*) FROM service WHERE govuk_tier IS NOT NULL") > 100


def test_oac2021(writer, data_dir):
    assert load_oac2021(writer, data_dir, get_source("oac2021")) == 239023
    tiers = writer.read_frame("SELECT tier, count(*) AS n FROM profile_class GROUP BY tier")
    assert dict(zip(tiers["tier"], tiers["n"], strict=True)) == {"supergroup": 8, "group": 21, "subgroup": 52}
    assert value(writer, "SELECT parent_code FROM profile_class WHERE code = '3c2'") == "3c"
    assert value(writer, "SELECT parent_code FROM profile_class WHERE code = '1a'") == "1"
    assert value(writer, "SELECT count(*) FROM profile_class WHERE name <> trim(name)") == 0
    assert value(writer, "SELECT class_code FROM area_class WHERE area_code = 'E00000001'") == "3c2"
    assert value(writer, "SELECT tiers FROM classification WHERE classification_id = 'oac2021'") == (
        "supergroup,group,subgroup"
    )
    # the names file's typo is corrected, and the load records what it changed
    assert value(writer, "SELECT name FROM profile_class WHERE code = '5'") == (
        "Ethnically Diverse Suburban Professionals"
    )
    (fix,) = json.loads(value(writer, "SELECT value FROM meta WHERE key = 'corrections:oac2021'"))
    assert fix["wrong"] == "Ethnically Diverse Suburb-an Professionals" and fix["rows"] == "1"


def test_generic_classification(writer, tmp_path):
    assignments = tmp_path / "segments.csv"
    assignments.write_text("OA_CODE,TYPE\nE00000001,A01\nE00000003,A02\nE00000005,B10\n")
    classes = tmp_path / "types.csv"
    classes.write_text(
        "Code,Label,Level\nA,Alpha,Group\nB,Beta,Group\nA01,Alpha one,Type\nA02,Alpha two,Type\nB10,Beta ten,Type\n"
    )
    spec = ClassificationSpec("segments", "Licensed segments", tiers=("group", "type"))
    from boundaries.catalogue import Source

    source = Source("segments", "Licensed segments", "classification", "", (), attribution="© Vendor")
    frame = read_assignments(assignments, "OA_CODE", "TYPE")
    table = read_classes(classes, spec.tiers, "Code", "Label", "Level")
    assert load_classification(writer, spec, frame, table, source, [assignments, classes]) == 3
    rows = writer.read_frame("SELECT code, parent_code, sort FROM profile_class ORDER BY sort")
    assert rows["code"].tolist() == ["A", "B", "A01", "A02", "B10"]
    assert rows["parent_code"].tolist()[2:] == ["A", "A", "B"]
    assignments.write_text("OA_CODE,TYPE\nE00000001,A01\nE00000003,Z99\n")
    with pytest.raises(LoadError, match="class code.*Z99.*not type codes"):
        load_classification(
            writer, spec, read_assignments(assignments, "OA_CODE", "TYPE"), table, source, assignments
        )
    assert value(writer, "SELECT count(*) FROM area_class") == 3  # earlier load intact


def test_census_long_form(writer, data_dir):
    s = get_source("census2021-oa")
    tables = [s.path(data_dir, 0).parent / "ts041.parquet", s.path(data_dir, 0).parent / "ts054.parquet"]
    total = load_census(writer, s.path(data_dir, 0), tables, s)
    assert total == 188880 * 14
    assert value(writer, "SELECT count(*) FROM census_variable") == 14
    wide = pd.read_parquet(tables[0])
    oa, households = wide.iloc[0]["OA"], float(wide.iloc[0]["ts0410001"])
    got = value(
        writer, "SELECT value FROM census_value WHERE variable = 'ts0410001' AND area_code = $1", [oa]
    )
    assert got == households
    row = writer.read_frame("SELECT table_id, name FROM census_variable WHERE variable = 'ts0410001'")
    assert row["table_id"].iloc[0] == "TS041"


def test_gm_wards_link_to_their_districts(writer, data_dir):
    lads, wards = get_source("ons-lad-2023-gm"), get_source("ons-ward-2023-gm")
    load_boundaries(
        writer, lads.path(data_dir), lads, level="lad", code_col="area_code", name_col="area_name"
    )
    n = load_boundaries(
        writer,
        wards.path(data_dir),
        wards,
        level="ward",
        code_col="area_code",
        name_col="area_name",
        parent_col="local_authority_area_code",
        link_level="lad",
    )
    assert n == 215
    orphans = writer.read_frame(
        "SELECT l.child_code FROM area_link l LEFT JOIN area a ON a.level = 'lad' AND a.code = l.parent_code "
        "WHERE l.child_level = 'ward' AND l.parent_level = 'lad' AND a.code IS NULL"
    )
    assert orphans.empty
    assert value(writer, "SELECT count(*) FROM area_link WHERE child_level = 'ward'") == 215
    assert value(writer, "SELECT count(*) FROM area_link WHERE parent_code = 'E08000009'") == 21  # Trafford
