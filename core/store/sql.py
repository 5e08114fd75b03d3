"""Statements with their values bound as they are built.

A query function writes its SQL with an f-string and binds each value where it is used::

    b = Binds()
    sql = f"SELECT name FROM area WHERE level = {b(level)} AND code = {b(code)}"
    return b.query(sql)

``b(value)`` appends the value and returns its placeholder (``$1``, ``$2`` ... in order), so
placeholders are never numbered by hand and a caller never patches a parameter list by index.
A placeholder can be kept in a variable and used several times for the same value. Both
backends understand ``$n`` (DuckDB natively, PostgreSQL through asyncpg; the synchronous
PostGIS writer translates them for psycopg).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Dialects:
    """One statement written for each backend, with the same placeholders in the same order."""

    postgis: str
    duckdb: str

    def for_backend(self, backend: str) -> str:
        return self.postgis if backend == "postgis" else self.duckdb


@dataclass(frozen=True)
class Query:
    """SQL text (or one text per backend) and the values of its ``$n`` placeholders, in order.

    The store that runs it picks the text for its backend, so callers never name one.
    """

    sql: str | Dialects
    params: tuple[Any, ...] = ()

    def text_for(self, backend: str) -> str:
        return self.sql.for_backend(backend) if isinstance(self.sql, Dialects) else self.sql


@dataclass
class Binds:
    """Collects the values of one statement while its text is written."""

    values: list[Any] = field(default_factory=list)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"

    def query(self, sql: str | Dialects) -> Query:
        return Query(sql, tuple(self.values))


def as_query(query: Query | str | Dialects, params: Sequence[Any] = ()) -> Query:
    """A :class:`Query` from a query or from constant SQL text (no values, or given ones)."""
    if isinstance(query, Query):
        if params:
            raise TypeError("a Query carries its own values")
        return query
    return Query(query, tuple(params))


def rows_as(row_type: type[T], rows: list[dict[str, Any]]) -> list[T]:
    """Typed rows: each dict becomes a ``row_type`` (a frozen dataclass) from its named columns.

    Columns the type does not declare are ignored, so a query may return more than a type needs.
    """
    if not is_dataclass(row_type):
        raise TypeError(f"{row_type!r} is not a dataclass")
    names = [f.name for f in fields(row_type)]
    return [row_type(**{n: r.get(n) for n in names}) for r in rows]
