"""The server's write path: a unit of work commits whole or changes nothing.

::

    async with store.unit_of_work() as uow:
        await uow.execute(query)
        rows = await uow.fetch(query)
        await uow.bump_data_version(council_scope(council_id))

Leaving the block normally commits; an exception rolls everything back and propagates. On
PostGIS a unit of work is a transaction on one pooled connection, so any number of server
processes can write. On the embedded store the national file stays read-only and writes go
to the workspace file attached beside it as ``workspace`` (tables written
``workspace.<table>``), through one writer lock: a single server process owns it.
"""

from __future__ import annotations

import abc
from typing import Any

import pyarrow as pa

from core.errors import StoreError
from core.store import versions
from core.store.sql import Query


class UnitOfWork(abc.ABC):
    """Statements inside one write transaction of the server."""

    ended = False  # set when the block is left: later statements are refused

    def check_open(self) -> None:
        if self.ended:
            raise StoreError("this unit of work has ended (committed or rolled back)")

    @abc.abstractmethod
    async def execute(self, query: Query) -> None:
        """Run a statement that returns no rows."""

    @abc.abstractmethod
    async def fetch(self, query: Query) -> list[dict[str, Any]]:
        """Rows of a statement (a ``SELECT`` or an ``INSERT ... RETURNING``) as dicts."""

    @abc.abstractmethod
    async def insert_arrow(self, table: str, rows: pa.Table) -> int:
        """Append many rows at once (``rows``' columns named as the table's) and return their
        count: one bulk statement (DuckDB scans the Arrow table, PostGIS takes a binary COPY),
        never a statement per row. ``table`` is a schema table, e.g. ``workspace.service_count``.
        """

    async def bump_data_version(self, scope: str) -> str:
        """Give ``scope`` (``council:<id>``) a new data version when this unit commits.

        Returns
        -------
        str
            The new version. The national version cannot be bumped here: it changes only
            with loads and builds.
        """
        value = versions.new_version()
        await self.execute(versions.write_council_version(scope, value))
        return value
