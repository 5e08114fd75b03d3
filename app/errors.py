"""Every error answer in one shape: RFC 9457 problem details (``application/problem+json``).

``{"type", "title", "status", "detail", "instance", "request_id"}``, plus ``errors`` (the
invalid fields) on a 422. ``detail`` is the human message the web app shows. Domain errors
map to a status in one table (:data:`ERROR_STATUS`); store outages and timeouts answer 503
with ``Retry-After``; anything unexpected answers a 500 whose request id is logged with the
traceback. Every answer carries ``X-Request-ID`` (the client's, if sane, else a new one).
"""

from __future__ import annotations

import logging
import re
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InsightError,
    LimitExceeded,
    NotFound,
    NotReady,
    PayloadTooLarge,
    StoreError,
    StoreQueryError,
    StoreTimeout,
    StoreUnavailable,
    TooLarge,
    Unauthorized,
    Unprocessable,
)

log = logging.getLogger("insight")

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=\-]{1,128}$")

ERROR_STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    BadRequest: 400,
    LimitExceeded: 400,
    Unauthorized: 401,
    Forbidden: 403,
    Conflict: 409,
    PayloadTooLarge: 413,
    TooLarge: 413,
    Unprocessable: 422,
    NotReady: 503,
    StoreUnavailable: 503,
    StoreTimeout: 503,
    StoreQueryError: 500,
    StoreError: 503,
}
RETRY_LATER: tuple[type[Exception], ...] = (StoreUnavailable, StoreTimeout)


def status_of(exc: Exception) -> int:
    """The status of a domain error: its own class's entry, else its nearest base's."""
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500


def problem_type(exc: Exception | None) -> str:
    """``about:blank`` for plain HTTP errors; a tag URI naming the class for domain errors."""
    if exc is None:
        return "about:blank"
    slug = re.sub(r"(?<!^)(?=[A-Z])", "-", type(exc).__name__).lower()
    return f"tag:citizen-insight,2026:problem:{slug}"


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id") or new_request_id())


def new_request_id() -> str:
    return uuid.uuid4().hex


def problem(
    request: Request,
    status: int,
    detail: str,
    exc: Exception | None = None,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> JSONResponse:
    """A problem details answer for ``request``."""
    rid = request_id(request)
    body = {
        "type": problem_type(exc),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": rid,
        **members,
    }
    return JSONResponse(
        jsonable_encoder(body),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={**(headers or {}), REQUEST_ID_HEADER: rid},
    )


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors]
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI, retry_after_s: int = 5) -> None:
    """Answer every error as problem details (see the module's docstring)."""

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        status = status_of(exc)
        message = getattr(exc, "message", str(exc))
        headers = {"Retry-After": str(retry_after_s)} if isinstance(exc, RETRY_LATER) else None
        if isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": 'Bearer realm="council"'}
        if status == 500:
            log.error(
                "request %s %s %s failed: %s",
                request_id(request),
                request.method,
                request.url.path,
                message,
                exc_info=exc,
            )
        elif status >= 500:
            log.warning(
                "request %s %s %s: %s", request_id(request), request.method, request.url.path, message
            )
        members = getattr(exc, "details", None) or {}
        return problem(request, status, message, exc, headers, **members)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
        return problem(request, 422, _validation_detail(errors), errors=errors)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem(request, exc.status_code, detail, headers=dict(exc.headers or {}))

    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return unexpected(request, exc)

    for exc_type in (InsightError, StoreError):
        app.add_exception_handler(exc_type, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)


def unexpected(request: Request, exc: BaseException) -> JSONResponse:
    """The 500 answer to an error nobody expected, logged with its request id and traceback."""
    rid = request_id(request)
    log.error("request %s %s %s failed unexpectedly", rid, request.method, request.url.path, exc_info=exc)
    return problem(request, 500, f"internal error; quote request id {rid} when reporting it")


class RequestIdMiddleware:
    """Gives each HTTP request an id, sends it back as ``X-Request-ID`` and answers whatever
    escapes the routes as a problem 500 (the catch-all: nothing answers plain text)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        rid = given if _SANE_REQUEST_ID.match(given) else new_request_id()
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started:  # too late for another answer: the server closes the connection
                raise
            response = unexpected(Request(scope), exc)
            await response(scope, receive, send_with_id)
