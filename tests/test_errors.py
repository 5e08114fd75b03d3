"""One error shape (RFC 9457 problem details) for every route, and store failures translated.

Real stores on both backends, made small by the tests; failing stores are real readers that
fail on purpose (a real slow statement, or an error raised where a statement would run).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.errors import StoreError, StoreTimeout, StoreUnavailable
from core.settings import Settings
from core.store import Reader, open_reader
from core.store.sql import Dialects, Query
from tests._small_store import AREAS, make_small_store, small_store_url

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "request_id"}
SLOW = Query(Dialects(postgis="SELECT pg_sleep(5)", duckdb="SELECT count(*) FROM range(10000000000)"))


@pytest.fixture
def small(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    admin = request.getfixturevalue("pg_admin_url") if backend == "postgis" else None
    return make_small_store(small_store_url(backend, tmp_path, admin), tmp_path, retry_after_s=7)


@contextmanager
def client(settings: Settings, store_factory: Any = open_reader) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store_factory=store_factory)) as c:
        yield c


def assert_problem(response: Any, status: int, path: str) -> dict[str, Any]:
    """The answer is problem details of ``status`` about ``path``, with its request id."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["instance"] == path
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


class FailingReader(Reader):
    """A real store whose statements raise ``error`` instead of running."""

    def __init__(self, inner: Reader, error: Exception) -> None:
        self.inner, self.error, self.backend = inner, error, inner.backend

    async def _fetch(self, query: Query) -> list[dict[str, Any]]:
        raise self.error

    async def close(self) -> None:
        await self.inner.close()


def failing(error: Exception) -> Any:
    async def factory(settings: Settings) -> Reader:
        return FailingReader(await open_reader(settings), error)

    return factory


def slow_first() -> Any:
    """A factory of the real store whose every read first runs a real slow statement."""

    async def factory(settings: Settings) -> Reader:
        store = await open_reader(settings)
        plain = store._fetch

        async def slow_then(query: Query) -> list[dict[str, Any]]:
            await plain(SLOW)
            return await plain(query)

        store._fetch = slow_then  # type: ignore[method-assign]
        return store

    return factory


def test_unknown_area_and_unknown_route_are_404_problems(small: Settings) -> None:
    with client(small) as c:
        area = assert_problem(c.get("/api/areas/XX99999"), 404, "/api/areas/XX99999")
        route = assert_problem(c.get("/api/no/such/route"), 404, "/api/no/such/route")
        found = c.get(f"/api/areas/{next(iter(AREAS))}")
    assert "XX99999" in area["detail"]
    assert area["type"].endswith("not-found") and route["type"] == "about:blank"
    assert found.status_code == 200 and found.headers["content-type"] == "application/json"


def test_wrong_method_is_a_405_problem_with_allow(small: Settings) -> None:
    with client(small) as c:
        r = c.post("/api/levels")
    assert_problem(r, 405, "/api/levels")
    assert r.headers["allow"] == "GET"


def test_validation_errors_are_422_problems_listing_the_fields(small: Settings) -> None:
    with client(small) as c:
        body = assert_problem(c.get("/api/areas?limit=0&level=county"), 422, "/api/areas")
    fields = {tuple(e["loc"]) for e in body["errors"]}
    assert fields == {("query", "limit"), ("query", "level")}
    assert all(e["msg"] and e["type"] for e in body["errors"])
    assert "query.limit" in body["detail"]


def test_domain_errors_map_through_the_table(small: Settings) -> None:
    with client(small) as c:
        body = assert_problem(c.get("/api/areas?limit=1000000"), 400, "/api/areas")
    assert "maximum page size" in body["detail"]
    assert body["type"].endswith("limit-exceeded") and body["title"] == "Bad Request"


def test_request_id_is_echoed_when_sane_and_replaced_when_not(small: Settings) -> None:
    with client(small) as c:
        kept = c.get("/api/levels", headers={"X-Request-ID": "trace-42.a"})
        replaced = c.get("/api/levels", headers={"X-Request-ID": "bad id\twith spaces"})
        fresh = c.get("/api/levels")
    assert kept.status_code == 200 and kept.headers["x-request-id"] == "trace-42.a"
    assert replaced.headers["x-request-id"] not in ("", "bad id\twith spaces")
    assert len(fresh.headers["x-request-id"]) == 32


@pytest.mark.parametrize("error", [StoreUnavailable("connection refused"), StoreTimeout("too slow")])
def test_store_outage_and_timeout_answer_503_with_retry_after(small: Settings, error: StoreError) -> None:
    with client(small, failing(error)) as c:
        r = c.get("/api/levels")
    body = assert_problem(r, 503, "/api/levels")
    assert r.headers["retry-after"] == "7"  # the setting, not a constant
    assert body["detail"] == str(error)


def test_unexpected_error_is_a_500_problem_logged_with_its_request_id(
    small: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="insight"), client(small, failing(KeyError("boom"))) as c:
        r = c.get("/api/levels", headers={"X-Request-ID": "req-500"})
    body = assert_problem(r, 500, "/api/levels")
    assert body["request_id"] == "req-500" and "req-500" in body["detail"]
    assert "boom" not in r.text  # internals stay in the log
    logged = [rec for rec in caplog.records if "req-500" in rec.getMessage()]
    assert logged and logged[0].exc_info and logged[0].exc_info[0] is KeyError


def test_slow_statement_is_cancelled_and_answers_503(small: Settings) -> None:
    """A real statement past ``statement_timeout_ms`` (PostgreSQL's own statement_timeout; on
    DuckDB the reader's interrupt) becomes StoreTimeout, then a 503 problem."""
    settings = small.model_copy(update={"statement_timeout_ms": 200})
    with client(settings, slow_first()) as c:
        started = time.monotonic()
        r = c.get("/api/levels")
        elapsed = time.monotonic() - started
    body = assert_problem(r, 503, "/api/levels")
    assert r.headers["retry-after"] == "7"
    assert body["type"].endswith("store-timeout")
    assert elapsed < 4  # cancelled, not run to its end (5 s, or minutes on DuckDB)


async def test_reader_raises_store_timeout_and_stays_usable(small: Settings) -> None:
    store = await open_reader(small.model_copy(update={"statement_timeout_ms": 150}))
    try:
        with pytest.raises(StoreTimeout):
            await store.fetch(SLOW)
        rows = await store.fetch(Query("SELECT code FROM area ORDER BY code"))
    finally:
        await store.close()
    assert [r["code"] for r in rows] == sorted(AREAS)


async def test_closed_store_is_unavailable_not_a_driver_error(small: Settings) -> None:
    store = await open_reader(small)
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.fetch(Query("SELECT 1 AS one"))


async def test_refused_connection_is_unavailable(small: Settings) -> None:
    if small.backend != "postgis":
        pytest.skip("an embedded store has no server to refuse")
    settings = small.model_copy(update={"database_url": "postgresql://insight:x@127.0.0.1:9/insight"})
    with pytest.raises(StoreUnavailable, match="cannot connect"):
        await open_reader(settings)
