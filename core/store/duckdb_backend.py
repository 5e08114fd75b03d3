"""Embedded store: DuckDB with its spatial extension, loaded from the installed wheel.

One read-write process at a time builds the file (loads, ``insight build``); the server then
opens it read-only, with external access switched off and the configuration locked, and
writes only to its own workspace file attached beside it (:mod:`core.store.workspace`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio
import duckdb
import pandas as pd
import pyarrow as pa

from core.errors import StoreUnavailable
from core.levels import LEVELS
from core.store import schema, versions
from core.store.base import (
    Params,
    Reader,
    StoreError,
    Transaction,
    Writer,
    check_table,
    geometry_columns,
    prepare_frame,
    table_columns,
    unpivot_columns,
    where_equal,
)
from core.store.duckdb_exec import Cursor, rows, run_bounded
from core.store.sql import Binds, Query, as_query
from core.store.tiles_duckdb import DuckTileSource
from core.store.unit_of_work import UnitOfWork
from core.store.workspace import attach as attach_workspace
from core.store.workspace import default_path as default_workspace_path

CLOSE_WAIT_S = 2.0  # longest closing waits for interrupted statements to stop


@lru_cache
def spatial_extension_path() -> str:
    """The ``spatial.duckdb_extension`` file shipped by the ``duckdb-extension-spatial`` wheel."""
    import duckdb_extension_spatial

    root = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    candidates = sorted(root.glob(f"v{duckdb.__version__}/spatial.duckdb_extension"))
    if not candidates:
        raise StoreError(
            f"duckdb-extension-spatial has no build for duckdb {duckdb.__version__} under {root}; "
            "install the matching pair (pip install -e .)"
        )
    return str(candidates[0])


def connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise StoreError(f"embedded store {path} does not exist: run `insight demo` or a load")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open embedded store {path}: {exc}") from exc
    con.execute(f"LOAD '{spatial_extension_path()}'")
    return con


MANY_ROWS = 20_000  # a delete of more keyed rows rewrites the table instead (DuckTransaction.delete_where)


class DuckTransaction(Transaction):
    """Work in the writer's connection.

    Tables keep their primary keys: DuckDB (since 1.2; checked with 1.5) accepts deleting
    rows and inserting rows with the same keys in one transaction, which every reload does.
    Deleting keyed rows is slow in DuckDB, though (its key index deletes row by row: replacing
    240,000 keyed rows took 15 s, against 0.25 s without the key), so :meth:`replace` deletes
    only the rows whose keys the new frame no longer has and upserts the rest (0.2 s), with the
    same outcome, and :meth:`clear` drops and recreates a table rewritten whole.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: Query | str, params: Params = ()) -> None:
        query = as_query(sql, params)
        self.con.execute(query.text_for("duckdb"), list(query.params))

    def fetch_frame(self, sql: Query | str, params: Params = ()) -> pd.DataFrame:
        query = as_query(sql, params)
        return self.con.execute(query.text_for("duckdb"), list(query.params)).df()

    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        return self._insert(table, frame, "INSERT")

    def _insert(self, table: str, frame: pd.DataFrame, verb: str) -> int:
        if frame.empty:
            return 0
        columns, prepared = prepare_frame(table, frame)
        geoms = geometry_columns(table)
        select = ", ".join(f"ST_GeomFromWKB({c})" if c in geoms else f'"{c}"' for c in columns)
        name = "_insight_frame"
        self.con.register(name, _as_arrow(prepared))
        try:
            self.con.execute(f"{verb} INTO {table} ({', '.join(columns)}) SELECT {select} FROM {name}")
        finally:
            self.con.unregister(name)
        return len(prepared)

    def delete_where(self, table: str, **equals: Any) -> None:
        """Delete the rows matching ``equals``; many keyed rows by rewriting the table without them.

        DuckDB's key index deletes row by row (~10-40 us a row with text keys; a reload of a
        national source would spend minutes there), while writing a row costs ~1 us: past
        :data:`MANY_ROWS` the rows to keep are copied aside, the table is created again and
        they are written back, in this transaction.
        """
        b = Binds()
        where = where_equal(table, b, equals)
        counts = self.con.execute(
            f"SELECT count(*) FILTER (WHERE {where}), count(*) FROM {table}", list(b.values)
        ).fetchone()
        deleted, total = counts if counts else (0, 0)
        if deleted <= MANY_ROWS:
            self.con.execute(f"DELETE FROM {table} WHERE {where}", list(b.values))
            return
        if deleted == total:
            # Nothing to keep: no copy. (Writing back an empty copy would also trip DuckDB 1.5.5:
            # after an empty insert into a table created in the same transaction, that
            # transaction reads none of the rows inserted next - seen on a census reload.)
            self.clear(table)
            return
        columns = ", ".join(table_columns(table))
        keep = "_insight_keep"
        self.con.execute(
            f"CREATE TEMP TABLE {keep} AS SELECT {columns} FROM {table} WHERE ({where}) IS NOT TRUE",
            list(b.values),
        )
        try:
            self.clear(table)
            self.con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {keep}")
        finally:
            self.con.execute(f"DROP TABLE IF EXISTS {keep}")

    def clear(self, table: str) -> None:
        """Drop ``table`` and create it again from its definition: deleting a million keyed rows
        one by one from DuckDB's key index takes ~40 s, this takes none (views read it by name)."""
        check_table(table)
        self.con.execute(f"DROP TABLE {table}")
        self.con.execute(schema.duckdb_table_ddl(schema.any_table(table)))

    def replace(self, table: str, frame: pd.DataFrame, **equals: Any) -> int:
        """Make the rows matching ``equals`` exactly ``frame``: stale keys deleted, the rest upserted.

        Falls back to delete-then-insert where the table has no key, the frame lacks a key
        column, or a frame row lies outside ``equals`` (an upsert could then overwrite a row
        the reload does not own, where delete-then-insert refuses the duplicate).
        """
        check_table(table, list(frame.columns))
        keys = schema.duckdb_primary_key(schema.metadata.tables[table])
        owned = all(
            col in frame.columns and bool((frame[col] == value).all()) for col, value in equals.items()
        )
        if frame.empty or not keys or not set(keys) <= set(frame.columns) or not owned:
            return super().replace(table, frame, **equals)
        if frame.duplicated(subset=keys).any():
            raise StoreError(f"duplicate keys ({', '.join(keys)}) in the rows for {table!r}")
        b = Binds()
        scope = " AND ".join(f"t.{col} = {b(value)}" for col, value in equals.items()) or "TRUE"
        held = self.con.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} t WHERE {scope})", list(b.values)
        ).fetchone()
        if not (held and held[0]):  # a first write: a plain insert fills the key a quarter faster
            return self._insert(table, frame, "INSERT")
        match = " AND ".join(f"k.{col} = t.{col}" for col in keys)
        name = "_insight_keys"
        self.con.register(name, _as_arrow(frame[keys].reset_index(drop=True)))
        try:
            self.con.execute(
                f"DELETE FROM {table} t WHERE {scope} AND NOT EXISTS (SELECT 1 FROM {name} k WHERE {match})",
                list(b.values),
            )
        finally:
            self.con.unregister(name)
        return self._insert(table, frame, "INSERT OR REPLACE")

    def insert_unpivot(
        self,
        table: str,
        wide: pd.DataFrame,
        key: str,
        *,
        key_as: str,
        name_as: str,
        value_as: str,
        constants: Mapping[str, Any] | None = None,
    ) -> int:
        constants = dict(constants or {})
        values = unpivot_columns(wide, key)
        check_table(table, [key_as, name_as, value_as, *constants])
        if wide.empty or not values:
            return 0
        b = Binds()
        fixed = "".join(f", {b(v)}" for v in constants.values())
        targets = ", ".join([key_as, name_as, value_as, *constants])
        name = "_insight_wide"
        sql = (
            f"INSERT INTO {table} ({targets}) SELECT {key}, {name_as}, {value_as}{fixed} "
            f"FROM (UNPIVOT {name} ON {', '.join(values)} INTO NAME {name_as} VALUE {value_as})"
        )
        self.con.register(name, wide)
        try:
            row = self.con.execute(sql, list(b.values)).fetchone()
        finally:
            self.con.unregister(name)
        return int(row[0]) if row else 0


def read_meta(path: Path, keys: list[str]) -> dict[str, str | None]:
    """Values of ``meta`` keys in an embedded store, opened read-only (None where unset)."""
    con = connect(path, read_only=True)
    try:
        b = Binds()
        rows = con.execute(
            f"SELECT key, value FROM meta WHERE key IN ({', '.join(b(k) for k in keys)})", b.values
        ).fetchall()
    except duckdb.Error as exc:
        raise StoreError(f"cannot read embedded store {path}: {exc}") from exc
    finally:
        con.close()
    found = dict(rows)
    return {k: found.get(k) for k in keys}


def _checked_columns(table: str, columns: list[str]) -> str:
    """``a, b, c`` for an insert into a schema table (national or ``workspace.<table>``), after
    checking the table and columns exist (their names are written into the statement)."""
    try:
        known = {c.name for c in schema.any_table(table).columns}
    except KeyError:
        raise StoreError(f"unknown table {table!r}") from None
    if unknown := [c for c in columns if c not in known]:
        raise StoreError(f"table {table!r} has no column(s) {unknown}")
    return ", ".join(columns)


def _as_arrow(frame: pd.DataFrame) -> Any:
    """The frame as an Arrow table, which DuckDB scans several times faster than pandas columns
    of strings; the pandas frame itself when a column does not convert."""
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return frame


class DuckWriter(Writer):
    backend = "duckdb"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = connect(path, read_only=False)
        ensure_schema(self.con)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield DuckTransaction(self.con)
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables of a new file; refuse a file made by another schema version."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "meta" in tables:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row and row[0] != schema.head_revision():
            raise StoreError(
                f"embedded store has schema {row[0]}, this version needs {schema.head_revision()}: "
                "delete the file and rebuild it (`insight demo` does so)"
            )
        if row:
            return
    con.execute("BEGIN TRANSACTION")
    for statement in schema.duckdb_ddl():  # tables with their keys, then the views
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', $1)", [schema.head_revision()])
    con.executemany(
        "INSERT INTO area_level VALUES ($1, $2, $3, $4, $5)",
        [[lv.level, lv.family, lv.rank, lv.label, lv.gen_tolerance_m] for lv in LEVELS],
    )
    con.execute("COMMIT")


class DuckReader(Reader):
    """The embedded store for the server: the national file read-only, the workspace read-write.

    The workspace file (:mod:`core.store.workspace`) is attached before external access is
    switched off and the configuration locked; its write lock belongs to this process, so the
    embedded store is served by a single server process (``run_server`` refuses several
    workers). Statements run off the event loop on a pool of cursors, each interrupted after
    ``statement_timeout_ms`` (:mod:`core.store.duckdb_exec`); units of work take one writer
    lock, so they run one at a time.

    Parameters
    ----------
    path
        The national file.
    threads
        DuckDB worker threads per statement. One by default: concurrent requests already run
        on several cursors at once, and with several threads per statement duckdb 1.5.5 fails
        an internal assertion in its parallel window operator under concurrent statements
        ("Attempted to access index 0 within vector of size 0"), which invalidates the whole
        database until it is reopened (reproduced with 300 concurrent data-view requests).
    workspace
        The workspace file (default ``<stem>.workspace.duckdb`` beside ``path``).
    statement_timeout_ms
        Longest a statement may run before it is interrupted.
    writable
        ``False`` opens no workspace (nothing created or locked) and refuses units of work:
        for tools that only read, even beside a running server.
    acquire_timeout_s
        Longest a unit of work waits for the writer lock before the store counts as
        unavailable.
    """

    backend = "duckdb"

    def __init__(
        self,
        path: Path,
        threads: int = 1,
        *,
        workspace: Path | None = None,
        statement_timeout_ms: int = 10_000,
        writable: bool = True,
        acquire_timeout_s: float = 10.0,
    ) -> None:
        self.path = path
        self.acquire_timeout_s = acquire_timeout_s
        self.workspace_path = (workspace or default_workspace_path(path)) if writable else None
        self.timeout_s = statement_timeout_ms / 1000
        self.con = connect(path, read_only=True)
        try:
            if self.workspace_path is not None:
                attach_workspace(self.con, self.workspace_path)
            self.con.execute(f"SET threads = {int(threads)}")
            self.con.execute("SET enable_external_access = false")
            self.con.execute("SET lock_configuration = true")
        except BaseException:
            self.con.close()
            raise
        self._idle: list[Cursor] = []
        self._cursors: list[Cursor] = []
        self._writer: Cursor | None = None
        self._write_lock = asyncio.Lock()
        self.tiles = DuckTileSource(self)

    def _take(self) -> Cursor:
        if self._idle:
            return self._idle.pop()
        cursor = Cursor(self._new_cursor())
        self._cursors.append(cursor)
        return cursor

    def _new_cursor(self) -> duckdb.DuckDBPyConnection:
        try:
            return self.con.cursor()
        except duckdb.Error as exc:
            raise StoreUnavailable(f"embedded store {self.path} is closed: {exc}") from exc

    async def _fetch(self, query: Query) -> list[dict[str, Any]]:
        cursor = self._take()
        try:
            work = rows(query.text_for(self.backend), list(query.params))
            return await run_bounded(cursor, work, self.timeout_s)
        finally:
            self._idle.append(cursor)

    async def data_version(self, scope: str = versions.NATIONAL) -> str:
        if self.workspace_path is None and not versions.is_national(scope):
            versions.version_key(scope)  # still refuse a malformed scope
            return versions.EMPTY
        return await super().data_version(scope)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """One write transaction on the workspace, under the writer lock."""
        if self.workspace_path is None:
            raise StoreError("this embedded store was opened read-only (no workspace)")
        try:
            await asyncio.wait_for(self._write_lock.acquire(), self.acquire_timeout_s)
        except TimeoutError as exc:
            raise StoreUnavailable(
                f"the workspace writer stayed busy for {self.acquire_timeout_s:g} s"
            ) from exc
        try:
            if self._writer is None:
                self._writer = Cursor(self._new_cursor())
                self._cursors.append(self._writer)
            uow = DuckUnitOfWork(self._writer, self.timeout_s)
            # BEGIN and COMMIT are shielded: a request cancelled (its client gone) while one runs
            # in the worker thread would otherwise leave the cursor inside a transaction that no
            # one ends, and every later unit of work would fail on it. The cancellation then
            # arrives at the next await, inside the block, and rolls back.
            try:
                with anyio.CancelScope(shield=True):
                    await uow.run("BEGIN TRANSACTION")
            except BaseException:  # cancelled past the shield (Task.cancel()): BEGIN may have run
                if not await uow.rollback():
                    self._writer = None
                raise
            try:
                yield uow
                with anyio.CancelScope(shield=True):
                    await uow.run("COMMIT")
            except BaseException:
                if not await uow.rollback():
                    self._writer = None  # whatever state it is in, the next unit starts afresh
                raise
            finally:
                uow.ended = True
        finally:
            self._write_lock.release()

    async def close(self) -> None:
        """Interrupt whatever still runs, then close: shutting down never waits for a statement.

        A statement that ignores its interrupt for ``CLOSE_WAIT_S`` keeps its cursor and the
        connection open (closing them would wait for it); the process's exit ends it.
        """
        deadline = asyncio.get_running_loop().time() + CLOSE_WAIT_S
        while any(c.expire() for c in self._cursors) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        self._idle.clear()
        busy = [c for c in self._cursors if c.expire()]
        for cursor in self._cursors:
            if cursor not in busy:
                cursor.close()
        if not busy:
            self.con.close()


class DuckUnitOfWork(UnitOfWork):
    """Statements of one workspace transaction, on the reader's writer cursor."""

    def __init__(self, cursor: Cursor, timeout_s: float) -> None:
        self.cursor = cursor
        self.timeout_s = timeout_s

    async def run(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return await run_bounded(self.cursor, rows(sql, params or []), self.timeout_s)

    async def rollback(self) -> bool:
        """Roll back, even while the caller is being cancelled; ``False`` if that failed (after
        a failed commit DuckDB has ended the transaction already)."""
        with anyio.CancelScope(shield=True):
            try:
                await self.run("ROLLBACK")
            except StoreError:
                return False
        return True

    async def execute(self, query: Query) -> None:
        self.check_open()
        await self.run(query.text_for("duckdb"), list(query.params))

    async def insert_arrow(self, table: str, rows: pa.Table) -> int:
        self.check_open()
        columns = _checked_columns(table, rows.column_names)
        if rows.num_rows == 0:
            return 0
        name = "_insight_rows"

        def work(cur: duckdb.DuckDBPyConnection) -> None:
            cur.register(name, rows)
            try:
                cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {name}")
            finally:
                cur.unregister(name)

        await run_bounded(self.cursor, work, self.timeout_s)
        return rows.num_rows

    async def fetch(self, query: Query) -> list[dict[str, Any]]:
        self.check_open()
        return await self.run(query.text_for("duckdb"), list(query.params))
