"""All SQL the server runs, one module per resource.

Each query is either one string (same text on both backends) or a :class:`Dialects` pair.
Identifiers never come from user input: layers, columns and services are looked up in
catalogues built at start-up, and values are bound as ``$n`` parameters.
"""

from __future__ import annotations

from core.store.sql import Dialects, Query

__all__ = ["Dialects", "Query", "sql_for"]


def sql_for(query: str | Dialects, backend: str) -> str:
    return query.for_backend(backend) if isinstance(query, Dialects) else query
