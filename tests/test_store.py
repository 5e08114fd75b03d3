"""The store interface on both backends: schema, transactions, read access."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest
import shapely

from core.settings import Settings
from core.store import StoreError, open_reader, open_writer
from tests.conftest import BACKENDS


def _areas(codes: list[str], source: str) -> pd.DataFrame:
    boxes = [shapely.box(i, 50, i + 1, 51) for i in range(len(codes))]
    return pd.DataFrame({"level": "oa", "code": codes, "name": codes, "source_id": source, "geom": boxes})


def test_new_store_has_levels_and_schema(writer) -> None:
    levels = writer.read_frame("SELECT level FROM area_level ORDER BY rank")["level"].tolist()
    assert levels == ["nuts0", "nuts1", "nuts2", "nuts3", "lad", "ward", "lsoa", "oa"]
    version = writer.read_frame("SELECT value FROM meta WHERE key = 'schema_version'")["value"].tolist()
    assert version == ["0002"]


@pytest.mark.skipif("postgis" not in BACKENDS, reason="Alembic migrations are the PostGIS store's")
def test_upgrade_replaces_the_first_release_derived_tables(pg_admin_url: str) -> None:
    """A store with 0001's long derived tables comes up to 0002's compact tables and views."""
    import psycopg

    from core.store.postgis_backend import libpq_url, upgrade_schema
    from tests.conftest import new_store_url

    url = new_store_url("postgis", Path("."), pg_admin_url)
    upgrade_schema(url, "0001")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        # the first release's layout: composition a table, demand a view over it
        conn.execute("DROP VIEW composition, predominant, demand, area_households")
        conn.execute("DROP TABLE base_composition, composition_area, predominant_area, demand_area")
        conn.execute(
            "CREATE TABLE composition (classification_id text, level text, code text, tier text, "
            "class_code text, households float8)"
        )
        conn.execute("INSERT INTO composition VALUES ('c', 'oa', 'E1', 'group', '1a', 5)")
        conn.execute("CREATE TABLE predominant (code text)")
        conn.execute("CREATE TABLE demand_area (code text, lgsl int)")
        conn.execute("CREATE VIEW demand AS SELECT * FROM composition")
    upgrade_schema(url)
    with psycopg.connect(libpq_url(url)) as conn:
        kinds = dict(
            conn.execute(
                "SELECT table_name, table_type FROM information_schema.tables WHERE table_name = ANY(%s)",
                [["composition", "predominant", "demand", "area_households", "demand_area"]],
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
    assert version == ("0002",)
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
    """Alembic head creates exactly the tables and columns of app/store/schema.py."""
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
