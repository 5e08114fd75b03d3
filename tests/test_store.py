"""The store interface on both backends: schema, transactions, read access."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest
import shapely

from core.settings import Settings
from core.store import StoreError, open_reader, open_writer
from core.store.schema import head_revision
from tests.conftest import BACKENDS


def _areas(codes: list[str], source: str) -> pd.DataFrame:
    boxes = [shapely.box(i, 50, i + 1, 51) for i in range(len(codes))]
    return pd.DataFrame({"level": "oa", "code": codes, "name": codes, "source_id": source, "geom": boxes})


def test_new_store_has_levels_and_schema(writer) -> None:
    levels = writer.read_frame("SELECT level FROM area_level ORDER BY rank")["level"].tolist()
    assert levels == ["nuts0", "nuts1", "nuts2", "nuts3", "lad", "ward", "lsoa", "oa"]
    version = writer.read_frame("SELECT value FROM meta WHERE key = 'schema_version'")["value"].tolist()
    assert version == [head_revision()]


@pytest.mark.skipif("postgis" not in BACKENDS, reason="Alembic migrations are the PostGIS store's")
def test_upgrade_replaces_the_first_release_derived_tables(pg_admin_url: str) -> None:
    """A store made by 0001 (long derived tables, ``demand`` a view over them) comes up to the
    compact tables and views, without the council tables."""
    import psycopg

    from core.store.postgis_backend import libpq_url, upgrade_schema
    from tests.conftest import new_store_url

    url = new_store_url("postgis", Path("."), pg_admin_url)
    upgrade_schema(url, "0001")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("INSERT INTO composition VALUES ('c', 'oa', 'E1', 'group', '1a', 5)")
        first = dict(
            conn.execute(
                "SELECT table_name, table_type FROM information_schema.tables WHERE table_name = ANY(%s)",
                [["composition", "demand", "council"]],
            ).fetchall()
        )
    assert first == {"composition": "BASE TABLE", "demand": "VIEW", "council": "BASE TABLE"}
    upgrade_schema(url)
    with psycopg.connect(libpq_url(url)) as conn:
        kinds = dict(
            conn.execute(
                "SELECT table_name, table_type FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_name = ANY(%s)",
                [["composition", "predominant", "demand", "area_households", "demand_area", "council"]],
            ).fetchall()
        )
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'demand_area' ORDER BY ordinal_position"
            )
        ]
    assert kinds == {
        "composition": "VIEW",
        "predominant": "VIEW",
        "demand": "VIEW",
        "area_households": "VIEW",
        "demand_area": "BASE TABLE",
    }
    assert version == (head_revision(),)
    assert columns == ["classification_id", "level", "code", "households", "expected"]


def test_failed_transaction_leaves_data_intact(writer) -> None:
    with writer.transaction() as tx:
        tx.replace("area", _areas(["E1", "E2"], "s"), source_id="s")
    with pytest.raises(RuntimeError, match="boom"), writer.transaction() as tx:
        tx.replace("area", _areas(["E3"], "s"), source_id="s")
        raise RuntimeError("boom")
    codes = writer.read_frame("SELECT code FROM area ORDER BY code")["code"].tolist()
    assert codes == ["E1", "E2"]


def test_replace_swaps_a_source_and_keeps_others(writer) -> None:
    with writer.transaction() as tx:
        tx.replace("area", _areas(["A1"], "a"), source_id="a")
        tx.replace("area", _areas(["B1", "B2"], "b"), source_id="b")
    with writer.transaction() as tx:
        tx.replace("area", _areas(["B9"], "b"), source_id="b")
    codes = writer.read_frame("SELECT code FROM area ORDER BY code")["code"].tolist()
    assert codes == ["A1", "B9"]


def test_geometry_round_trips_as_multipolygon(writer) -> None:
    with writer.transaction() as tx:
        tx.replace("area", _areas(["E1"], "s"), source_id="s")
    wkt = writer.read_frame("SELECT ST_AsText(geom) AS wkt FROM area")["wkt"].iloc[0]
    assert shapely.from_wkt(wkt).equals(shapely.MultiPolygon([shapely.box(0, 50, 1, 51)]))


def test_unknown_column_is_refused(writer) -> None:
    with pytest.raises(StoreError, match="no column"), writer.transaction() as tx:
        tx.insert_frame("area", pd.DataFrame({"nope": [1]}))


def test_reader_sees_committed_data(store_settings: Settings) -> None:
    with open_writer(store_settings) as w, w.transaction() as tx:
        tx.replace("area", _areas(["E1", "E2"], "s"), source_id="s")
        tx.bump_data_version()

    async def read() -> tuple[list[dict], str]:
        store = await open_reader(store_settings)
        try:
            rows = await store.fetch("SELECT code FROM area WHERE level = $1 ORDER BY code", "oa")
            return rows, await store.data_version()
        finally:
            await store.close()

    rows, version = asyncio.run(read())
    assert [r["code"] for r in rows] == ["E1", "E2"]
    assert version != "empty"


def test_missing_embedded_store_is_a_clear_error(tmp_path) -> None:
    settings = Settings(database_url=f"duckdb:///{tmp_path / 'absent.duckdb'}")
    with pytest.raises(StoreError, match="does not exist"):
        asyncio.run(open_reader(settings))


def test_postgis_migrations_match_the_schema(pg_admin_url: str, tmp_path) -> None:
    """Alembic head creates exactly the tables and columns of core/store/schema.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from core.store.schema import metadata
    from tests.conftest import new_store_url

    url = new_store_url("postgis", tmp_path, pg_admin_url)
    open_writer(Settings(database_url=url)).close()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    relevant = [
        d
        for d in diff
        if not (isinstance(d, tuple) and d[0] in ("remove_table",) and d[1].name == "spatial_ref_sys")
    ]
    relevant = [d for d in relevant if not (isinstance(d, tuple) and "index" in d[0])]
    assert relevant == []


def test_same_keys_deleted_and_inserted_in_one_transaction(writer) -> None:
    """Both backends keep their primary keys and still take a reload of the same keys."""
    with writer.transaction() as tx:
        tx.replace("area", _areas(["E1", "E2"], "s"), source_id="s")
        tx.replace("area", _areas(["E1", "E2"], "s").assign(name="again"), source_id="s")
        tx.set_meta("probe", "1")
        tx.set_meta("probe", "2")
    names = writer.read_frame("SELECT name FROM area ORDER BY code")["name"].tolist()
    assert names == ["again", "again"]
    with pytest.raises(Exception, match="(?i)duplicate"), writer.transaction() as tx:
        tx.insert_frame("area", _areas(["E1"], "other"))
    assert writer.read_frame("SELECT count(*) AS n FROM area")["n"].iloc[0] == 2


def test_insert_unpivot_writes_long_rows(writer) -> None:
    wide = pd.DataFrame({"OA": ["E1", "E2"], "ts0010001": [1.0, 2.0], "ts0010002": [3.0, None]})
    with writer.transaction() as tx, tx.bulk_load("census_value"):
        rows = tx.insert_unpivot(
            "census_value",
            wide,
            "OA",
            key_as="area_code",
            name_as="variable",
            value_as="value",
            constants={"source_id": "census"},
        )
    got = writer.read_frame("SELECT variable, area_code, value, source_id FROM census_value ORDER BY 1, 2")
    assert rows == 3
    assert got.values.tolist() == [
        ["ts0010001", "E1", 1.0, "census"],
        ["ts0010001", "E2", 2.0, "census"],
        ["ts0010002", "E1", 3.0, "census"],
    ]


def test_insert_unpivot_refuses_names_that_are_not_identifiers(writer) -> None:
    wide = pd.DataFrame({"OA": ["E1"], "ts 1; DROP TABLE area": [1.0]})
    with pytest.raises(StoreError, match="identifier"), writer.transaction() as tx:
        tx.insert_unpivot(
            "census_value", wide, "OA", key_as="area_code", name_as="variable", value_as="value"
        )
    with pytest.raises(StoreError, match="no column"), writer.transaction() as tx:
        tx.insert_unpivot(
            "census_value", wide[["OA"]], "OA", key_as="code", name_as="variable", value_as="value"
        )


def test_bulk_load_leaves_the_indexes_of_the_definition(writer) -> None:
    from core.store import schema

    with writer.transaction() as tx, tx.bulk_load("census_value"):
        tx.insert_frame(
            "census_value",
            pd.DataFrame({"variable": ["v"], "area_code": ["E1"], "value": [1.0], "source_id": ["s"]}),
        )
    if writer.backend == "postgis":
        names = set(
            writer.read_frame("SELECT indexname FROM pg_indexes WHERE tablename = 'census_value'")[
                "indexname"
            ]
        )
        assert names == {str(i.name) for i in schema.census_value.indexes}
    assert writer.read_frame("SELECT count(*) AS n FROM census_value")["n"].iloc[0] == 1


def test_meta_values_are_read_without_a_writer(store_settings: Settings) -> None:
    from core.store.admin import read_meta

    with open_writer(store_settings) as w, w.transaction() as tx:
        tx.set_meta("demo_built_from", "3:17")
    assert read_meta(store_settings, ["schema_version", "demo_built_from", "absent"]) == {
        "schema_version": head_revision(),
        "demo_built_from": "3:17",
        "absent": None,
    }


def _classes(codes: list[str], name: str, cid: str = "c1") -> pd.DataFrame:
    return pd.DataFrame(
        {"classification_id": cid, "code": codes, "tier": "group", "name": [f"{name} {c}" for c in codes]}
    )


def test_replace_of_a_keyed_table_leaves_exactly_the_new_rows(writer) -> None:
    """A reload drops keys the new rows lack, updates the rest, adds new ones, and leaves rows
    outside its scope alone (the embedded store upserts here; PostGIS deletes and inserts)."""
    with writer.transaction() as tx:
        tx.insert_frame("profile_class", _classes(["a", "b", "c"], "old"))
        tx.insert_frame("profile_class", _classes(["a", "z"], "other", cid="c2"))
    with writer.transaction() as tx:
        assert tx.replace("profile_class", _classes(["b", "c", "d"], "new"), classification_id="c1") == 3
    rows = writer.read_frame("SELECT classification_id, code, name FROM profile_class ORDER BY 1, 2")
    assert rows.values.tolist() == [
        ["c1", "b", "new b"],
        ["c1", "c", "new c"],
        ["c1", "d", "new d"],
        ["c2", "a", "other a"],
        ["c2", "z", "other z"],
    ]


def test_replace_refuses_duplicate_keys_and_changes_nothing(writer) -> None:
    with writer.transaction() as tx:
        tx.insert_frame("profile_class", _classes(["a"], "old"))
    with pytest.raises(Exception, match="(?i)duplicate"), writer.transaction() as tx:
        tx.replace("profile_class", _classes(["b", "b"], "new"), classification_id="c1")
    rows = writer.read_frame("SELECT code, name FROM profile_class")
    assert rows.values.tolist() == [["a", "old a"]]
