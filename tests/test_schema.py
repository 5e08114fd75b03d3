"""Each backend's catalogue against the table definitions in ``core/store/schema.py``.

A PostGIS store made by the migrations and a new DuckDB file must both hold exactly the tables
and views defined there: the same columns with types of the same family, the same nullability
and the same primary keys; on PostGIS also the same indexes. A store made at the first
revision and upgraded must end identical to one made from the definitions directly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    create_engine,
    text,
)
from sqlalchemy.dialects import postgresql

from core.settings import Settings
from core.store import open_writer, schema
from core.store.scratch import create_database, drop_database
from tests.conftest import BACKENDS

Tables = dict[str, dict[str, Any]]

# type family of each column type, as defined and as each backend reports it
_FAMILIES = [(Geometry, "geometry"), (ARRAY, "array"), (DateTime, "timestamp"), (Text, "text")]
_FAMILIES += [(BigInteger, "bigint"), (Integer, "integer"), (Double, "double"), (Boolean, "boolean")]
_FAMILIES += [(Date, "date")]
_PG_FAMILIES = {
    "text": "text",
    "bigint": "bigint",
    "integer": "integer",
    "double precision": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp with time zone": "timestamp",
    "ARRAY": "array",
}
_DUCK_FAMILIES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "GEOMETRY": "geometry",
    "DOUBLE[]": "array",
}


def _family(kind: Any) -> str:
    return next(name for base, name in _FAMILIES if isinstance(kind, base))


def defined_tables(backend: str = "postgis", metadata: MetaData = schema.metadata) -> Tables:
    """Columns (name → (family, nullable)) and primary key of every table in the schema."""
    return {
        t.name: {
            "columns": {c.name: (_family(c.type), bool(c.nullable)) for c in t.columns},
            "primary_key": sorted(
                schema.duckdb_primary_key(t)
                if backend == "duckdb"
                else (c.name for c in t.primary_key.columns)
            ),
        }
        for t in metadata.sorted_tables
    }


def _predicate(sql: str) -> str:
    """An index predicate without casts, parentheses, table prefixes or spacing differences."""
    sql = re.sub(r"::\w+", "", sql)
    sql = re.sub(r"\b\w+\.(\w+)", r"\1", sql)
    return re.sub(r"\s+", " ", sql.replace("(", "").replace(")", "")).strip()


def defined_indexes(metadata: MetaData = schema.metadata) -> dict[str, tuple[str, str, tuple[str, ...], str]]:
    """Secondary indexes: name → (table, method, columns, predicate)."""
    dialect = postgresql.dialect()
    out = {}
    for table in metadata.sorted_tables:
        for index in table.indexes:
            options = index.dialect_options["postgresql"]
            where = options["where"]
            predicate = (
                str(where.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
                if where is not None
                else ""
            )
            out[str(index.name)] = (
                table.name,
                options["using"] or "btree",
                tuple(c.name for c in index.columns),
                _predicate(predicate),
            )
    return out


# --- PostGIS -----------------------------------------------------------------------------------
def pg_tables(conn: psycopg.Connection, namespace: str = "public") -> Tables:
    tables: Tables = {}
    rows = conn.execute(
        "SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable "
        "FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = %s AND t.table_type = 'BASE TABLE' "
        "AND c.table_name NOT IN ('spatial_ref_sys', 'alembic_version')",
        [namespace],
    ).fetchall()
    for table, column, data_type, udt, nullable in rows:
        family = "geometry" if udt == "geometry" else _PG_FAMILIES[data_type]
        entry = tables.setdefault(table, {"columns": {}, "primary_key": []})
        entry["columns"][column] = (family, nullable == "YES")
    keys = conn.execute(
        "SELECT k.table_name, k.column_name FROM information_schema.table_constraints c "
        "JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name "
        "AND k.table_schema = c.table_schema "
        "WHERE c.table_schema = %s AND c.constraint_type = 'PRIMARY KEY'",
        [namespace],
    ).fetchall()
    for table, column in keys:
        if table in tables:
            tables[table]["primary_key"] = sorted([*tables[table]["primary_key"], column])
    return tables


def pg_indexes(
    conn: psycopg.Connection, namespace: str = "public"
) -> dict[str, tuple[str, str, tuple[str, ...], str]]:
    rows = conn.execute(
        "SELECT i.relname, t.relname, am.amname, "
        "ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o) "
        "      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o), "
        "coalesce(pg_get_expr(x.indpred, x.indrelid), '') "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "JOIN pg_am am ON am.oid = i.relam JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = %s AND NOT x.indisprimary AND NOT x.indisunique "
        "AND t.relname NOT IN ('spatial_ref_sys', 'alembic_version')",
        [namespace],
    ).fetchall()
    return {name: (table, method, tuple(cols), _predicate(pred)) for name, table, method, cols, pred in rows}


def pg_catalogue(conn: psycopg.Connection) -> dict[str, Any]:
    """Everything a store's schema is made of, as PostgreSQL itself spells it."""
    return {"public": _pg_catalogue(conn), schema.WORKSPACE: _pg_namespace(conn, schema.WORKSPACE)}


def _pg_namespace(conn: psycopg.Connection, namespace: str) -> dict[str, Any]:
    """Columns, constraints and indexes of the tables in one schema."""
    return {
        "columns": conn.execute(
            "SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 3",
            [namespace],
        ).fetchall(),
        "constraints": conn.execute(
            "SELECT conrelid::regclass::text, contype, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = %s::regnamespace ORDER BY 1, 2, 3",
            [namespace],
        ).fetchall(),
        "indexes": conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1", [namespace]
        ).fetchall(),
    }


def _pg_catalogue(conn: psycopg.Connection) -> dict[str, Any]:
    columns = conn.execute(
        "SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, "
        "column_default FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name NOT IN ('spatial_ref_sys', 'alembic_version', 'geometry_columns', "
        "'geography_columns') ORDER BY 1, 3"
    ).fetchall()
    geometry = conn.execute(
        "SELECT f_table_name, f_geometry_column, type, srid FROM geometry_columns ORDER BY 1, 2"
    ).fetchall()
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'spatial_ref_sys' "
        "AND conrelid::regclass::text <> 'alembic_version' ORDER BY 1, 2, 3"
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND tablename NOT IN ('spatial_ref_sys', 'alembic_version') ORDER BY 1"
    ).fetchall()
    views = conn.execute(
        "SELECT viewname, pg_get_viewdef(viewname::regclass) FROM pg_views WHERE schemaname = 'public' "
        "AND viewname NOT IN ('geometry_columns', 'geography_columns') ORDER BY 1"
    ).fetchall()
    levels = conn.execute("SELECT * FROM area_level ORDER BY rank").fetchall()
    return {
        "columns": columns,
        "geometry": geometry,
        "constraints": constraints,
        "indexes": indexes,
        "views": views,
        "levels": levels,
    }


@pytest.fixture
def pg_store(pg_admin_url: str) -> Any:
    """A new PostGIS database, dropped afterwards: yields its URL."""
    name, url = create_database(pg_admin_url, "insight_schema")
    yield url
    drop_database(pg_admin_url, name)


def _upgrade(url: str, revision: str = "head") -> None:
    from core.store.postgis_backend import upgrade_schema

    upgrade_schema(url, revision)


@pytest.mark.skipif("postgis" not in BACKENDS, reason="needs the PostGIS backend")
def test_postgis_store_made_by_the_migrations_matches_the_definitions(pg_store: str) -> None:
    _upgrade(pg_store)
    with psycopg.connect(pg_store) as conn:
        assert pg_tables(conn) == defined_tables()
        assert pg_indexes(conn) == defined_indexes()
        assert pg_tables(conn, schema.WORKSPACE) == defined_tables(metadata=schema.workspace_metadata)
        assert pg_indexes(conn, schema.WORKSPACE) == defined_indexes(schema.workspace_metadata)
        views = {r[0] for r in conn.execute("SELECT viewname FROM pg_views WHERE schemaname = 'public'")}
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert views - {"geometry_columns", "geography_columns"} == set(schema.VIEWS)
    assert version == (schema.head_revision(),)


@pytest.mark.skipif("postgis" not in BACKENDS, reason="needs the PostGIS backend")
def test_store_upgraded_from_the_first_revision_equals_one_made_from_the_definitions(
    pg_admin_url: str, pg_store: str
) -> None:
    """0001 → head ends exactly like a database created from today's definitions."""
    _upgrade(pg_store, "0001")
    with psycopg.connect(pg_store, autocommit=True) as conn:  # data of the first release's layout
        conn.execute("INSERT INTO composition VALUES ('c', 'oa', 'E1', 'group', '1a', 5)")
        conn.execute("INSERT INTO council VALUES ('leeds', 'Leeds', 'E08000035', 'x', now())")
    _upgrade(pg_store)

    name, direct = create_database(pg_admin_url, "insight_schema")
    try:
        engine = create_engine(direct.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            schema.metadata.create_all(conn)
            conn.execute(text(f"CREATE SCHEMA {schema.WORKSPACE}"))
            schema.workspace_metadata.create_all(conn)
            for sql in schema.VIEWS.values():
                conn.execute(text(sql))
            for lv in _levels():
                conn.execute(
                    text("INSERT INTO area_level VALUES (:a, :b, :c, :d, :e)"),
                    dict(zip("abcde", lv, strict=True)),
                )
        engine.dispose()
        with psycopg.connect(pg_store) as upgraded, psycopg.connect(direct) as made:
            assert pg_catalogue(upgraded) == pg_catalogue(made)
    finally:
        drop_database(pg_admin_url, name)


def _levels() -> list[tuple]:
    from core.levels import LEVELS

    return [(lv.level, lv.family, lv.rank, lv.label, lv.gen_tolerance_m) for lv in LEVELS]


# --- DuckDB ------------------------------------------------------------------------------------
def duck_tables(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> Tables:
    catalog = catalog or str(con.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
    tables: Tables = {}
    rows = con.execute(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_name = c.table_name "
        "AND t.table_catalog = c.table_catalog "
        "WHERE t.table_type = 'BASE TABLE' AND c.table_catalog = $1",
        [catalog],
    ).fetchall()
    for table, column, data_type, nullable in rows:
        entry = tables.setdefault(table, {"columns": {}, "primary_key": []})
        entry["columns"][column] = (_DUCK_FAMILIES[data_type], nullable == "YES")
    for table, columns in con.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
        "WHERE constraint_type = 'PRIMARY KEY' AND database_name = $1",
        [catalog],
    ).fetchall():
        tables[table]["primary_key"] = sorted(columns)
    return tables


@pytest.mark.skipif("duckdb" not in BACKENDS, reason="needs the DuckDB backend")
def test_new_duckdb_file_matches_the_definitions(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    open_writer(Settings(database_url=f"duckdb:///{path}")).close()
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert duck_tables(con) == defined_tables("duckdb")
        views = {
            r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        }
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    finally:
        con.close()
    assert views == set(schema.VIEWS)
    assert version == (schema.head_revision(),)


@pytest.mark.skipif("duckdb" not in BACKENDS, reason="needs the DuckDB backend")
def test_new_duckdb_workspace_matches_the_definitions(tmp_path: Path) -> None:
    """The workspace file the server attaches holds exactly the workspace tables, keys and
    unique constraints included."""
    from core.store.workspace import attach

    con = duckdb.connect()
    try:
        attach(con, tmp_path / "store.workspace.duckdb")
        assert duck_tables(con, schema.WORKSPACE) == defined_tables("duckdb", schema.workspace_metadata)
        uniques = con.execute(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints() "
            "WHERE constraint_type = 'UNIQUE' AND database_name = 'workspace' ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert uniques == [("council", ["name"]), ("upload", ["council_id", "content_hash"])]


def test_duckdb_ddl_refuses_a_type_it_does_not_map() -> None:
    """A column type without a DuckDB type is an error, never a guess."""
    table = Table("odd", MetaData(), Column("blob", LargeBinary))
    with pytest.raises(TypeError, match="odd.blob"):
        schema.duckdb_table_ddl(table)


def test_council_tables_live_only_in_the_workspace() -> None:
    national = set(schema.metadata.tables)
    assert not {"council", "upload", "service_count", "unit_cost", "channel"} & national
    assert {"workspace.council", "workspace.upload", "workspace.service_count"} <= set(
        schema.workspace_metadata.tables
    )
