"""One store interface, two backends (PostGIS, embedded DuckDB).

Writes are synchronous and transactional (:class:`Writer`): a load either commits whole or
leaves the store as it was. Reads are asynchronous (:class:`Reader`), for the web server.
Statements come as :class:`~core.store.sql.Query` (SQL with ``$n`` placeholders and their
values, bound as the text was built) or as constant SQL text.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import shapely
from geoalchemy2 import Geometry

from core.errors import StoreError
from core.store import schema, versions
from core.store.sql import Binds, Query, as_query, rows_as
from core.store.tile_source import TileSource
from core.store.unit_of_work import UnitOfWork

Params = Sequence[Any]
T = TypeVar("T")


def geometry_columns(table: str) -> set[str]:
    """Names of the geometry columns of a schema table."""
    return {c.name for c in schema.metadata.tables[table].columns if isinstance(c.type, Geometry)}


def table_columns(table: str) -> list[str]:
    return [c.name for c in schema.metadata.tables[table].columns]


def where_equal(table: str, b: Binds, equals: Mapping[str, Any]) -> str:
    """``col = value AND ...`` over columns of ``table`` (checked: names are written into SQL)."""
    check_table(table)
    if not equals or not set(equals) <= set(table_columns(table)):
        raise StoreError(f"bad delete condition on {table!r}: {sorted(equals)}")
    return " AND ".join(f"{col} = {b(value)}" for col, value in equals.items())


def check_table(table: str, columns: Sequence[str] = ()) -> None:
    """Refuse a table or columns the schema does not define (names are written into SQL)."""
    if table not in schema.metadata.tables:
        raise StoreError(f"unknown table {table!r}")
    unknown = [c for c in columns if c not in table_columns(table)]
    if unknown:
        raise StoreError(f"table {table!r} has no column(s) {unknown}")


def unpivot_columns(wide: pd.DataFrame, key: str) -> list[str]:
    """The value columns of a wide frame (all but ``key``), each a plain identifier."""
    if key not in wide.columns:
        raise StoreError(f"wide frame has no key column {key!r}")
    values = [str(c) for c in wide.columns if c != key]
    for name in [key, *values]:
        try:
            schema.identifier(name)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
    return values


def prepare_frame(table: str, frame: pd.DataFrame, ewkb_hex: bool = False) -> tuple[list[str], pd.DataFrame]:
    """Check a frame against a table; geometries become WKB (or hex EWKB), NaN become None."""
    if table not in schema.metadata.tables:
        raise StoreError(f"unknown table {table!r}")
    known = table_columns(table)
    unknown = [c for c in frame.columns if c not in known]
    if unknown:
        raise StoreError(f"table {table!r} has no column(s) {unknown}")
    out = pd.DataFrame(index=frame.index)
    geoms = geometry_columns(table)
    columns = schema.metadata.tables[table].columns
    for col in frame.columns:
        values = frame[col]
        if col in geoms:
            arr = np.array([_as_multi(g) for g in np.asarray(values, dtype=object)], dtype=object)
            if ewkb_hex:
                arr = shapely.set_srid(arr, columns[col].type.srid)
                out[col] = shapely.to_wkb(arr, hex=True, include_srid=True)
            else:
                out[col] = shapely.to_wkb(arr)
        elif _native_ok(values):
            out[col] = values  # no per-value Python objects: bulk rebuilds write millions of rows
        else:
            out[col] = values.astype(object).where(values.notna(), None)
    return list(frame.columns), out.reset_index(drop=True)


def _native_ok(values: pd.Series) -> bool:
    """A column the drivers take as it is: numbers or booleans without NaN, strings, categories."""
    kind = values.dtype.kind
    if kind in "iub":
        return True
    if kind == "f":
        return not values.isna().any()
    return isinstance(values.dtype, pd.CategoricalDtype | pd.StringDtype) and not values.isna().any()


def _as_multi(geom: Any) -> Any:
    if geom is None:
        return None
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    return geom


class Transaction(abc.ABC):
    """Work inside one database transaction."""

    @abc.abstractmethod
    def execute(self, sql: Query | str, params: Params = ()) -> None: ...

    @abc.abstractmethod
    def fetch_frame(self, sql: Query | str, params: Params = ()) -> pd.DataFrame: ...

    @abc.abstractmethod
    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        """Append the rows of ``frame`` (columns named as in the table) and return their count."""

    @abc.abstractmethod
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
        """Append a wide frame to ``table`` in long form and return the rows written.

        Each row of ``wide`` and each column other than ``key`` becomes one row of ``table``:
        ``key_as`` the row's key, ``name_as`` the column's name, ``value_as`` its value (missing
        values write no row), and ``constants`` the same in every row. Millions of values
        never pass through Python rows: the backend unpivots them itself.
        """

    @contextmanager
    def bulk_load(self, table: str) -> Iterator[None]:
        """Write many rows into ``table`` inside this block.

        A backend that maintains secondary indexes row by row builds them once when the block
        ends instead (PostGIS); one that has none does nothing (DuckDB).
        """
        check_table(table)
        yield

    def analyze(self, table: str) -> None:
        """Refresh ``table``'s planner statistics after writes made in pieces (a no-op where the
        engine keeps them itself, DuckDB); later statements of the same transaction, and the next
        build, are then planned on the real row counts."""
        check_table(table)

    def delete_where(self, table: str, **equals: Any) -> None:
        """Delete the rows of ``table`` whose columns equal the given values."""
        b = Binds()
        self.execute(b.query(f"DELETE FROM {table} WHERE {where_equal(table, b, equals)}"))

    def clear(self, table: str) -> None:
        """Delete every row of ``table`` (a table rewritten whole: the serving table, the postcode
        lookup), in this transaction."""
        check_table(table)
        self.execute(f"DELETE FROM {table}")

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` in the store's ``meta`` table (replacing any value)."""
        self.delete_where("meta", key=key)
        b = Binds()
        self.execute(b.query(f"INSERT INTO meta (key, value) VALUES ({b(key)}, {b(value)})"))

    def replace(self, table: str, frame: pd.DataFrame, **equals: Any) -> int:
        """Delete the rows matching ``equals`` then insert ``frame``: a reload, atomically."""
        self.delete_where(table, **equals)
        return self.insert_frame(table, frame)

    def bump_data_version(self) -> None:
        """Mark the national data as changed, so caches keyed on its version are dropped.

        Council scopes are bumped by the server's unit of work, never here.
        """
        for query in versions.write_national_version(versions.new_version()):
            self.execute(query)


class Writer(abc.ABC):
    """Opens transactions for loads and builds (CLI side)."""

    backend: str

    @abc.abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Transaction]: ...

    def read_frame(self, sql: Query | str, params: Params = ()) -> pd.DataFrame:
        with self.transaction() as tx:
            return tx.fetch_frame(sql, params)

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Reader(abc.ABC):
    """Read access for the web server, its write path (:meth:`unit_of_work`) and its tile
    source (``tiles``, drawing vector tiles for its backend).

    Failures leave a reader only as domain errors: :class:`~core.errors.StoreUnavailable`
    (the database cannot be reached now), :class:`~core.errors.StoreTimeout` (a statement ran
    past ``statement_timeout_ms``) or :class:`~core.errors.StoreQueryError` (the store refused a
    statement); never as a backend's exception type.
    """

    backend: str
    tiles: TileSource

    async def fetch(self, query: Query | str, *args: Any) -> list[dict[str, Any]]:
        """Rows of a query (or of constant SQL text with positional values) as dicts."""
        return await self._fetch(as_query(query, args))

    @abc.abstractmethod
    async def _fetch(self, query: Query) -> list[dict[str, Any]]: ...

    async def fetch_as(self, row_type: type[T], query: Query | str) -> list[T]:
        """Rows of a query as frozen dataclasses of ``row_type``."""
        return rows_as(row_type, await self._fetch(as_query(query)))

    async def fetchrow(self, query: Query | str, *args: Any) -> dict[str, Any] | None:
        rows = await self.fetch(query, *args)
        return rows[0] if rows else None

    async def fetchval(self, query: Query | str, *args: Any) -> Any:
        row = await self.fetchrow(query, *args)
        return None if row is None else next(iter(row.values()))

    async def data_version(self, scope: str = versions.NATIONAL) -> str:
        """The current version of a scope's data (``"empty"`` before its first change).

        Parameters
        ----------
        scope
            ``"national"`` (loads and builds) or ``"council:<id>"`` (a council's workspace);
            see :mod:`core.store.versions`.
        """
        value = await self.fetchval(versions.read_version(scope))
        return value or versions.EMPTY

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A write transaction: ``async with store.unit_of_work() as uow: ...`` commits on
        success and rolls back on any error (see :mod:`core.store.unit_of_work`).

        Readers opened without a write path (and test doubles) refuse with ``StoreError``.
        """
        raise StoreError("this store was opened without a write path")

    @abc.abstractmethod
    async def close(self) -> None: ...
