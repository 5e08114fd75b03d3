"""PostGIS failures as domain errors: asyncpg's exception types never leave the store.

A dropped, refused or shutting-down server is :class:`~core.errors.StoreUnavailable` (the
client may retry), a statement cancelled by ``statement_timeout`` is
:class:`~core.errors.StoreTimeout`, anything else the server or driver refuses is
:class:`~core.errors.StoreQueryError`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import asyncpg
from asyncpg import exceptions as pgx

from core.errors import StoreError, StoreQueryError, StoreTimeout, StoreUnavailable

T = TypeVar("T")

# What a driver call can raise: the server's errors, the driver's, the socket's, a timeout.
BACKEND_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    pgx.InterfaceError,
    pgx.InternalClientError,
    OSError,
    TimeoutError,
)

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    pgx.PostgresConnectionError,  # class 08: refused, failed, does not exist (closed mid-query)
    pgx.CannotConnectNowError,  # starting up, shutting down
    pgx.AdminShutdownError,
    pgx.CrashShutdownError,
    pgx.TooManyConnectionsError,
    pgx.InternalClientError,  # a protocol caught mid-way by the server's goodbye: unusable
    OSError,  # refused, reset, unreachable
)
_CLOSED_WORDS = ("closed", "closing", "terminated", "connection lost")


def translate(exc: BaseException, acquiring: bool = False) -> StoreError:
    """The domain error for a driver exception.

    Parameters
    ----------
    exc
        What asyncpg (or the socket under it) raised.
    acquiring
        The exception came from waiting for a pooled connection: a timeout then means no
        connection could be had, not that a statement ran too long.
    """
    if isinstance(exc, pgx.QueryCanceledError):
        return StoreTimeout(f"statement cancelled by the database: {exc}")
    if isinstance(exc, TimeoutError):
        if acquiring:
            return StoreUnavailable("no database connection could be had in time")
        return StoreTimeout("the database did not answer in time")
    if isinstance(exc, _UNAVAILABLE):
        return StoreUnavailable(f"database unavailable: {type(exc).__name__}: {exc}")
    if isinstance(exc, pgx.InterfaceError) and any(w in str(exc).lower() for w in _CLOSED_WORDS):
        return StoreUnavailable(f"database connection unavailable: {exc}")
    if isinstance(exc, pgx.OperatorInterventionError):  # other class 57: cancelled by an operator
        return StoreUnavailable(f"database unavailable: {exc}")
    return StoreQueryError(f"database refused a statement: {type(exc).__name__}: {exc}")


async def guarded(awaitable: Awaitable[T], acquiring: bool = False, conn: Any = None) -> T:
    """Await a driver call, raising domain errors in place of the driver's.

    Whatever the error, if it left ``conn`` (the connection the call ran on) closed, the
    database went away under it: :class:`~core.errors.StoreUnavailable`.
    """
    try:
        return await awaitable
    except BACKEND_ERRORS as exc:
        error = translate(exc, acquiring)
        if isinstance(error, StoreQueryError) and conn is not None and conn.is_closed():
            error = StoreUnavailable(f"database connection lost: {type(exc).__name__}: {exc}")
        raise error from exc
