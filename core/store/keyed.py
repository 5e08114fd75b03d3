"""A few rows by key, the way each backend does it fastest.

PostGIS looks each key up through its index. The embedded store has no secondary indexes on
these tables, so every look-up would scan the level: it reads all rows once per data version,
keeps them in memory and picks the keys from there. Callers see one function.
"""

from __future__ import annotations

import weakref
from typing import Any, TypeVar

from core.store.base import Reader
from core.store.sql import Query, rows_as

T = TypeVar("T")

# Per reader: (query text, params) -> (data version, rows by key); dropped with the reader.
_LEVEL_ROWS: weakref.WeakKeyDictionary[Reader, dict[tuple, tuple[str, dict[Any, dict]]]] = (
    weakref.WeakKeyDictionary()
)


async def rows_by_key(
    store: Reader, row_type: type[T], some: Query, every: Query, keys: list[Any], key: str = "code"
) -> dict[Any, T]:
    """The rows of ``keys`` as ``row_type``, keyed by their ``key`` column.

    Parameters
    ----------
    some
        The rows of just these keys (run where look-ups use an index).
    every
        All rows the keys are drawn from (read once per data version where they do not).
    """
    if store.backend == "postgis":
        rows = await store.fetch(some)
    else:
        version = await store.data_version()
        cached = _LEVEL_ROWS.setdefault(store, {})
        ident = (every.text_for(store.backend), every.params)
        held = cached.get(ident)
        if held is None or held[0] != version:
            for old in [k for k, (v, _) in cached.items() if v != version]:
                del cached[old]
            held = (version, {r[key]: r for r in await store.fetch(every)})
            cached[ident] = held
        rows = [held[1][k] for k in keys if k in held[1]]
    return {getattr(r, key): r for r in rows_as(row_type, rows)}
