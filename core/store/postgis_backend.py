"""PostGIS store: schema by Alembic, loads through psycopg (COPY), serving through asyncpg."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import pandas as pd
import psycopg
import pyarrow as pa

from core.store import pg_errors, pgcopy, schema
from core.store.base import (
    Params,
    Reader,
    StoreError,
    Transaction,
    Writer,
    check_table,
    prepare_frame,
    unpivot_columns,
)
from core.store.sql import Binds, Query, as_query
from core.store.tiles_postgis import PostgisTileSource
from core.store.unit_of_work import UnitOfWork

_PLACEHOLDER = re.compile(r"\$(\d+)")
CLOSE_WAIT_S = 2.0  # longest a closing pool waits for busy connections
ANALYZE_ROWS = 50_000  # bulk inserts at least this large refresh the table's planner statistics


def libpq_url(url: str) -> str:
    """``postgresql://`` URL without any SQLAlchemy driver suffix."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def to_psycopg(sql: str, params: Params) -> tuple[str, list[Any] | None]:
    """Rewrite ``$n`` placeholders into psycopg's ``%s``, reordering the parameters.

    Without placeholders the parameters are ``None``, so a literal ``%`` stays literal.
    """
    order = [int(n) - 1 for n in _PLACEHOLDER.findall(sql)]
    if not order:
        return sql, None
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%")), [params[i] for i in order]


class PgTransaction(Transaction):
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, sql: Query | str, params: Params = ()) -> None:
        query = as_query(sql, params)
        self.conn.execute(*to_psycopg(query.text_for("postgis"), query.params))

    def fetch_frame(self, sql: Query | str, params: Params = ()) -> pd.DataFrame:
        query = as_query(sql, params)
        cur = self.conn.execute(*to_psycopg(query.text_for("postgis"), query.params))
        names = [d.name for d in cur.description] if cur.description else []
        return pd.DataFrame(cur.fetchall(), columns=names)

    def analyze(self, table: str) -> None:
        """Fresh planner statistics, or the server plans lookups on a bulk-rebuilt table as scans
        (or, never analysed, guesses one row and nests loops over thousands); not of array
        columns, whose per-element statistics cost more than the load."""
        plain = [c.name for c in schema.metadata.tables[table].columns if not pgcopy.is_array(c.type)]
        self.conn.execute(f"ANALYZE {table} ({', '.join(plain)})")

    def replace(self, table: str, frame: pd.DataFrame, **equals: Any) -> int:
        rows = super().replace(table, frame, **equals)
        if rows < ANALYZE_ROWS:  # larger inserts analysed already
            self.analyze(table)
        return rows

    @contextmanager
    def bulk_load(self, table: str) -> Iterator[None]:
        """Drop the table's secondary indexes and create them once the rows are in: one sort
        per index instead of an update per row (all inside the transaction, so a failed load
        leaves them as they were)."""
        check_table(table)
        indexes = schema.secondary_indexes(table)
        for drop, _ in indexes:
            self.conn.execute(drop)
        yield
        for _, create in indexes:
            self.conn.execute(create)

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
        """COPY the wide frame into a temporary table, then unpivot it with one INSERT ... SELECT."""
        constants = dict(constants or {})
        values = unpivot_columns(wide, key)
        check_table(table, [key_as, name_as, value_as, *constants])
        if wide.empty or not values:
            return 0
        name = "_insight_wide"
        create, drop = schema.staging_table(name, key, values)
        self.conn.execute(drop)
        self.conn.execute(create)
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {name} ({key}, {', '.join(values)}) FROM STDIN") as copy,
        ):
            copy.write(
                wide[[key, *values]].to_csv(
                    sep="\t", header=False, index=False, na_rep="\\N", lineterminator="\n"
                )
            )
        b = Binds()
        fixed = "".join(f", {b(v)}" for v in constants.values())
        pairs = ", ".join(f"('{v}', w.{v})" for v in values)  # identifiers, checked above
        targets = ", ".join([key_as, name_as, value_as, *constants])
        sql = (
            f"INSERT INTO {table} ({targets}) SELECT w.{key}, v.name, v.value{fixed} FROM {name} w "
            f"CROSS JOIN LATERAL (VALUES {pairs}) AS v(name, value) WHERE v.value IS NOT NULL"
        )
        cur = self.conn.execute(*to_psycopg(sql, b.values))
        rows = cur.rowcount
        self.conn.execute(drop)
        return rows

    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        data = None
        known: Any = schema.metadata.tables[table].columns if table in schema.metadata.tables else {}
        types = [known[c].type if c in known else None for c in frame.columns]
        if known and pgcopy.supported(types):
            columns, prepared = prepare_frame(table, frame)
            try:
                data = pgcopy.payload(prepared, types)
            except (pa.ArrowException, TypeError, ValueError):
                data = None  # a column of unexpected values: text COPY below reports them
        if data is not None:
            with (
                self.conn.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)") as copy,
            ):
                for start in range(0, len(data), 1 << 24):
                    copy.write(data[start : start + (1 << 24)])
            if len(prepared) >= ANALYZE_ROWS:
                self.analyze(table)
            return len(prepared)
        columns, prepared = prepare_frame(table, frame, ewkb_hex=True)
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with self.conn.cursor() as cur, cur.copy(sql) as copy:
            for start in range(0, len(prepared), 200_000):
                chunk = prepared.iloc[start : start + 200_000]
                copy.write(chunk.to_csv(header=False, index=False, na_rep="\\N", lineterminator="\n"))
        return len(prepared)


class PgWriter(Writer):
    backend = "postgis"

    def __init__(self, url: str) -> None:
        self.url = libpq_url(url)
        upgrade_schema(self.url)
        try:
            self.conn = psycopg.connect(self.url)
        except psycopg.OperationalError as exc:
            raise StoreError(f"cannot connect to PostGIS: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self.conn.transaction():
            yield PgTransaction(self.conn)

    def close(self) -> None:
        self.conn.close()


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Bring the PostGIS schema to ``revision`` with the project's Alembic migrations."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parents[2] / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(root))
    cfg.set_main_option("sqlalchemy.url", re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url))
    try:
        command.upgrade(cfg, revision)
    except Exception as exc:  # alembic wraps driver errors in many types
        raise StoreError(f"cannot prepare the PostGIS schema: {exc}") from exc


def read_meta(url: str, keys: list[str]) -> dict[str, str | None]:
    """Values of ``meta`` keys in a PostGIS store (None where unset)."""
    b = Binds()
    sql = f"SELECT key, value FROM meta WHERE key IN ({', '.join(b(k) for k in keys)})"
    try:
        with psycopg.connect(libpq_url(url)) as conn:
            found: dict[str, str] = dict(conn.execute(*to_psycopg(sql, b.values)).fetchall())
    except psycopg.Error as exc:
        raise StoreError(f"cannot read the PostGIS store: {exc}") from exc
    return {k: found.get(k) for k in keys}


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Return a connection to the pool as it is. asyncpg's default reset sends ``RESET ALL``,
    ``CLOSE ALL``, ``UNLISTEN *`` and an advisory unlock on every release: a second round trip
    per tile. Our sessions change none of that (settings are startup parameters; no cursor,
    listener or advisory lock is used), and asyncpg still rolls back a transaction left open."""


class PgReader(Reader):
    """PostGIS for the server: reads and units of work on one asyncpg pool.

    Any number of server processes may share the database: a unit of work is a transaction on
    a pooled connection. Every driver failure leaves as a domain error
    (:mod:`core.store.pg_errors`); a dropped server costs the requests in flight, and the pool
    reconnects once it is back.
    """

    backend = "postgis"

    def __init__(self, pool: asyncpg.Pool, acquire_timeout_s: float = 10.0, writable: bool = True) -> None:
        self.pool = pool
        self.acquire_timeout_s = acquire_timeout_s
        self.writable = writable
        self.tiles = PostgisTileSource(self)

    @classmethod
    async def open(
        cls,
        url: str,
        min_size: int,
        max_size: int,
        timeout_ms: int,
        acquire_timeout_s: float = 10.0,
        writable: bool = True,
    ) -> PgReader:
        """Open the pool; each session cancels statements after ``timeout_ms`` server-side,
        and the driver gives up on an answer a little later (a hung network)."""
        try:
            pool = await asyncpg.create_pool(
                libpq_url(url),
                min_size=min_size,
                max_size=max_size,
                timeout=acquire_timeout_s,
                command_timeout=timeout_ms / 1000 + 5,
                server_settings={
                    "statement_timeout": str(timeout_ms),
                    "application_name": "citizen-insight",
                    "jit": "off",
                },
                reset=_keep_session,
            )
        except pg_errors.BACKEND_ERRORS as exc:
            error = pg_errors.translate(exc, acquiring=True)
            raise type(error)(f"cannot connect to PostGIS: {exc}") from exc
        return cls(pool, acquire_timeout_s, writable)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        conn = await pg_errors.guarded(self.pool.acquire(timeout=self.acquire_timeout_s), acquiring=True)
        try:
            yield conn
        finally:
            with anyio.CancelScope(shield=True):
                await pg_errors.guarded(self.pool.release(conn))

    async def _fetch(self, query: Query) -> list[dict[str, Any]]:
        async with self._connection() as conn:
            records = await pg_errors.guarded(
                conn.fetch(query.text_for(self.backend), *query.params), conn=conn
            )
        return [dict(r) for r in records]

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """One transaction on a pooled connection."""
        if not self.writable:
            raise StoreError("this store was opened without a write path")
        async with self._connection() as conn:
            tx = conn.transaction()
            await pg_errors.guarded(tx.start(), conn=conn)
            uow = PgUnitOfWork(conn)
            try:
                yield uow
                await pg_errors.guarded(tx.commit(), conn=conn)
            except BaseException:
                # a lost or failed connection: the pool resets or drops it on release
                with anyio.CancelScope(shield=True), contextlib.suppress(*pg_errors.BACKEND_ERRORS):
                    await tx.rollback()
                raise
            finally:
                uow.ended = True

    async def close(self) -> None:
        """Close the pool; connections still busy after ``CLOSE_WAIT_S`` are cut, so shutting
        down never waits on a statement."""
        try:
            await asyncio.wait_for(self.pool.close(), CLOSE_WAIT_S)
        except TimeoutError:
            self.pool.terminate()


class PgUnitOfWork(UnitOfWork):
    """Statements of one transaction on one pooled connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def execute(self, query: Query) -> None:
        self.check_open()
        await pg_errors.guarded(self.conn.execute(query.text_for("postgis"), *query.params), conn=self.conn)

    async def fetch(self, query: Query) -> list[dict[str, Any]]:
        self.check_open()
        records = await pg_errors.guarded(
            self.conn.fetch(query.text_for("postgis"), *query.params), conn=self.conn
        )
        return [dict(r) for r in records]

    async def insert_arrow(self, table: str, rows: pa.Table) -> int:
        """One binary COPY (:mod:`core.store.pgcopy`) of the rows."""
        self.check_open()
        try:
            definition = schema.any_table(table)
        except KeyError:
            raise StoreError(f"unknown table {table!r}") from None
        known = definition.columns
        if unknown := [c for c in rows.column_names if c not in known]:
            raise StoreError(f"table {table!r} has no column(s) {unknown}")
        if rows.num_rows == 0:
            return 0
        types = [known[c].type for c in rows.column_names]
        if not pgcopy.supported(types):
            raise StoreError(f"no binary COPY for the columns of {table!r}")
        data = pgcopy.payload(rows.to_pandas(date_as_object=False), types)
        await pg_errors.guarded(
            self.conn.copy_to_table(
                definition.name,
                source=io.BytesIO(data),
                columns=rows.column_names,
                schema_name=definition.schema,
                format="binary",
            ),
            conn=self.conn,
        )
        return rows.num_rows
