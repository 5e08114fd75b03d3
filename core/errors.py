"""Domain errors: what a client can cause or the server can explain, independent of HTTP.

The HTTP app maps each class to a status in one table (``app.errors``); the CLI prints the
message and exits non-zero.
"""

from __future__ import annotations


class InsightError(Exception):
    """Base of the errors a client can cause or the server can explain."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(InsightError):
    """An area, service, layer or classification code that does not exist."""


class BadRequest(InsightError):
    """Parameters that pass type validation but make no sense together (bbox order...)."""


class LimitExceeded(InsightError):
    """A request beyond a configured limit (page size, zoom, features)."""


class Unauthorized(InsightError):
    """No credentials, or credentials that name nobody (a missing, malformed or revoked token)."""


class Forbidden(InsightError):
    """Valid credentials that do not give access to what was asked (another council's data)."""


class Conflict(InsightError):
    """A request that clashes with what is stored (the same upload twice, a name in use).

    ``details`` are extra members of the answer (e.g. the earlier upload's id).
    """

    def __init__(self, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


class PayloadTooLarge(InsightError):
    """A request body beyond a configured size or row limit."""


class TooLarge(LimitExceeded):
    """An answer that would be larger than a configured cap and is refused whole, not cut."""


class Unprocessable(InsightError):
    """Content that is well-formed as a request but cannot be taken (an upload's file).

    ``details`` are extra members of the answer (e.g. an upload's validation report).
    """

    def __init__(self, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


class NotReady(InsightError):
    """The store holds no data of the kind asked for yet (run a load or `insight build`)."""


class StoreError(RuntimeError):
    """The store could not be opened or used (bad URL, missing schema, unreachable server)."""

    @property
    def message(self) -> str:
        return str(self)


class StoreUnavailable(StoreError):
    """The database cannot be reached right now (refused, reset, shutting down): try again."""


class StoreTimeout(StoreError):
    """A statement ran past the configured statement timeout and was cancelled."""


class StoreQueryError(StoreError):
    """The store refused a statement: a fault in the query or the schema, not in the request.

    Raised in place of the backend's own exception types, which never leave the store.
    """
