"""The one table that maps domain errors to HTTP answers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from core.errors import BadRequest, LimitExceeded, NotFound, NotReady, StoreError

log = logging.getLogger("insight")


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
