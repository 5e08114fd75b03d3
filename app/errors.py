"""Domain errors and the one table that maps them to HTTP answers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.store.base import StoreError

log = logging.getLogger("insight")


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


class NotReady(InsightError):
    """The store holds no data of the kind asked for yet (run a load or `insight build`)."""


ERROR_STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    BadRequest: 400,
    LimitExceeded: 400,
    NotReady: 503,
    StoreError: 503,
}


def install_error_handlers(app: FastAPI) -> None:
    """Answer every known error with its status and a JSON ``detail`` message."""

    for exc_type, status in ERROR_STATUS.items():

        async def handler(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            message = getattr(exc, "message", str(exc))
            if status >= 500:
                log.warning("%s %s: %s", request.method, request.url.path, message)
            return JSONResponse({"detail": message}, status_code=status)

        app.add_exception_handler(exc_type, handler)
