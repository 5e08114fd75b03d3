"""The OpenAPI document as the server really answers: every error status, limits, CSV.

FastAPI documents a 200 and a 422 in its own validation shape; the server answers errors as
problem details (:mod:`app.errors`) with more statuses than that. This adds, to every
operation, the statuses it can answer (400, 404, 414, 422, 431 and 503 with ``Retry-After``; 413
on the data view) as ``application/problem+json``, the configured maxima of ``limit``, ``k``
and the tile zoom, and the data view's ``text/csv`` answer. 500 is left undocumented on
purpose: the server must not answer it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from core.settings import Settings

PROBLEM_JSON = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `detail` is the message to show.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}

COMMON_ERRORS: dict[str, str] = {
    "400": "A parameter that makes no sense (with the others, or beyond a limit), a NUL byte, "
    "or a Host the server does not answer for",
    "404": "An unknown area, level, classification, service or layer",
    "414": "A path or query string longer than the server accepts",
    "431": "Request headers larger than the server accepts (INSIGHT_MAX_HEADER_BYTES)",
    "422": "A parameter of the wrong type or outside its documented range",
    "503": "The store is unavailable, too slow, or holds no data of this kind yet; retry later",
}
EXTRA_ERRORS: dict[str, dict[str, str]] = {
    "/api/data": {"413": "More rows than a CSV download may hold (INSIGHT_MAX_EXPORT_FEATURES)"},
}


def _problem(description: str, status: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == "503":
        out["headers"] = {
            "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
        }
    return out


def _maxima(settings: Settings) -> dict[tuple[str, str], int]:
    """(path, parameter) -> the configured maximum."""
    return {
        ("/api/areas", "limit"): settings.max_page_size,
        ("/api/data", "limit"): max(settings.max_page_size, settings.max_export_features),
        ("/api/areas/{code}/similar", "k"): settings.max_similar,
        ("/tiles/{layer}/{z}/{x}/{y}.mvt", "z"): settings.max_zoom,
        ("/tiles/{layer}/legend.json", "z"): settings.max_zoom,
    }


def _set_maximum(parameter: dict[str, Any], maximum: int) -> None:
    schema = parameter.get("schema", {})
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "integer":
            option["maximum"] = min(int(option.get("maximum", maximum)), maximum)


def complete(doc: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Add the real error answers, maxima and media types to a generated OpenAPI document."""
    doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    maxima = _maxima(settings)
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            errors = COMMON_ERRORS | EXTRA_ERRORS.get(path, {})
            for status, description in errors.items():
                given = responses.get(status, {}).get("description")
                keep = given if given and given != "Validation Error" else description
                responses[status] = _problem(keep, status)
            for parameter in operation.get("parameters", []):
                maximum = maxima.get((path, parameter["name"]))
                if maximum is not None:
                    _set_maximum(parameter, maximum)
    data = doc.get("paths", {}).get("/api/data", {}).get("get")
    if data is not None:
        content = data["responses"].setdefault("200", {}).setdefault("content", {})
        content["text/csv"] = {"schema": {"type": "string"}}
    return doc


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve :func:`complete`'s document at ``/openapi.json`` (built once, on first request)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
