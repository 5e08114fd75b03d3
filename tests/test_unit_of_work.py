"""The server's write path and scoped data versions, on real stores of both backends.

A unit of work commits whole or changes nothing; on the embedded store it writes the
workspace file and never the national one; bumping a council's version leaves the national
version (and other councils') alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from pathlib import Path

import pytest

from core.errors import StoreError, StoreQueryError, StoreUnavailable
from core.settings import Settings
from core.store import Reader, council_scope, open_reader, open_writer
from core.store.sql import Binds, Dialects, Query
from tests._small_store import AREAS, make_small_store, small_store_url

# A probe table in the workspace: PostGIS keeps it in the main database, DuckDB in the
# attached workspace file (``workspace.``); both join national tables in one statement.
CREATE = Query(
    Dialects(
        postgis="CREATE TABLE uow_probe (code TEXT PRIMARY KEY, note TEXT)",
        duckdb="CREATE TABLE workspace.uow_probe (code TEXT PRIMARY KEY, note TEXT)",
    )
)
JOINED = Query(
    Dialects(
        postgis="SELECT a.name, p.note FROM area a JOIN uow_probe p ON p.code = a.code ORDER BY a.code",
        duckdb="SELECT a.name, p.note FROM area a JOIN workspace.uow_probe p ON p.code = a.code "
        "ORDER BY a.code",
    )
)


def insert(code: str, note: str) -> Query:
    b = Binds()
    values = f"({b(code)}, {b(note)})"
    return b.query(
        Dialects(
            postgis=f"INSERT INTO uow_probe (code, note) VALUES {values} RETURNING code",
            duckdb=f"INSERT INTO workspace.uow_probe (code, note) VALUES {values} RETURNING code",
        )
    )


@pytest.fixture
def small(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    admin = request.getfixturevalue("pg_admin_url") if backend == "postgis" else None
    return make_small_store(small_store_url(backend, tmp_path, admin), tmp_path)


async def probe_store(settings: Settings) -> Reader:
    store = await open_reader(settings)
    async with store.unit_of_work() as uow:
        await uow.execute(CREATE)
    return store


async def test_unit_of_work_commits_and_reads_join_national_tables(small: Settings) -> None:
    store = await probe_store(small)
    try:
        async with store.unit_of_work() as uow:
            returned = await uow.fetch(insert("E06000001", "first"))
            await uow.execute(insert("E06000002", "second"))
            inside = await uow.fetch(JOINED)  # the unit sees its own writes
        joined = await store.fetch(JOINED)
    finally:
        await store.close()
    assert returned == [{"code": "E06000001"}] and len(inside) == 2
    assert joined == [
        {"name": AREAS["E06000001"], "note": "first"},
        {"name": AREAS["E06000002"], "note": "second"},
    ]


async def test_failed_unit_of_work_changes_nothing(small: Settings) -> None:
    store = await probe_store(small)
    scope = council_scope("trafford")
    try:
        async with store.unit_of_work() as uow:
            await uow.execute(insert("E06000001", "kept"))
        before = await store.data_version(scope)
        with pytest.raises(RuntimeError, match="upload rejected"):
            async with store.unit_of_work() as uow:
                await uow.execute(insert("E06000002", "lost"))
                await uow.bump_data_version(scope)
                raise RuntimeError("upload rejected")
        with pytest.raises(StoreQueryError):  # the store refuses a statement: same outcome
            async with store.unit_of_work() as uow:
                await uow.execute(insert("E06000003", "lost too"))
                await uow.execute(insert("E06000001", "duplicate key"))
        async with store.unit_of_work() as uow:  # the write path is usable afterwards
            await uow.execute(insert("E06000003", "after"))
        with pytest.raises(StoreError, match="has ended"):  # nothing slips in after the block
            await uow.execute(insert("E06000002", "too late"))
        notes = [r["note"] for r in await store.fetch(JOINED)]
        after = await store.data_version(scope)
    finally:
        await store.close()
    assert notes == ["kept", "after"]
    assert after == before == "empty"


async def test_units_of_work_cancelled_at_any_step_leave_the_write_path_usable(small: Settings) -> None:
    """``Task.cancel()`` (not an anyio scope, so past the store's shields) at every moment of a
    unit of work, BEGIN included: each commits whole or not at all, and the next one works."""
    store = await probe_store(small)
    codes = list(AREAS)
    try:

        async def write(code: str) -> None:
            async with store.unit_of_work() as uow:
                await uow.execute(insert(code, "maybe"))

        for i in range(40):
            task = asyncio.create_task(write(codes[i % len(codes)]))
            await asyncio.sleep(i * 0.0002)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, StoreQueryError):  # or the code is in already
                await task
            async with store.unit_of_work() as uow:  # never "a transaction within a transaction"
                await uow.fetch(JOINED)
        notes = [r["note"] for r in await store.fetch(JOINED)]
    finally:
        await store.close()
    assert set(notes) <= {"maybe"} and len(notes) <= len(codes)


async def test_council_versions_are_scoped(small: Settings) -> None:
    store = await open_reader(small)
    trafford, wigan = council_scope("trafford"), council_scope("wigan")
    try:
        national = await store.data_version("national")
        async with store.unit_of_work() as uow:
            first = await uow.bump_data_version(trafford)
        seen = [await store.data_version(s) for s in ("national", trafford, wigan)]
        async with store.unit_of_work() as uow:
            second = await uow.bump_data_version(trafford)
        again = [await store.data_version(s) for s in ("national", trafford, wigan)]
        default = await store.data_version()
    finally:
        await store.close()
    assert national not in ("", "empty")  # the small store's load bumped it
    assert seen == [national, first, "empty"]
    assert again == [national, second, "empty"] and second != first
    assert default == national


async def test_loads_bump_the_national_version_only(small: Settings) -> None:
    store = await open_reader(small)
    trafford = council_scope("trafford")
    try:
        async with store.unit_of_work() as uow:
            council = await uow.bump_data_version(trafford)
        national = await store.data_version()
    finally:
        await store.close()
    with open_writer(small) as writer, writer.transaction() as tx:
        tx.bump_data_version()
    store = await open_reader(small)
    try:
        after = (await store.data_version(), await store.data_version(trafford))
    finally:
        await store.close()
    assert after[0] != national and after[1] == council


async def test_scopes_are_checked(small: Settings) -> None:
    store = await open_reader(small)
    try:
        for bad in ("council:", "county:x", "council:a b", "council:" + "x" * 65):
            with pytest.raises(ValueError, match="scope"):
                await store.data_version(bad)
        with pytest.raises(ValueError, match="national"):
            async with store.unit_of_work() as uow:
                await uow.bump_data_version("national")
    finally:
        await store.close()


async def test_concurrent_units_of_work_all_commit(small: Settings) -> None:
    store = await probe_store(small)

    async def write(code: str) -> None:
        async with store.unit_of_work() as uow:
            await uow.execute(insert(code, f"note {code}"))
            await asyncio.sleep(0.01)  # hold the unit open while others wait
            await uow.bump_data_version(council_scope("shared"))

    try:
        await asyncio.gather(*(write(code) for code in AREAS))
        rows = await store.fetch(JOINED)
    finally:
        await store.close()
    assert len(rows) == len(AREAS)


async def test_a_busy_write_path_is_unavailable_after_the_acquire_timeout(small: Settings) -> None:
    """A unit of work waits for a connection (PostGIS, a pool of one here) or for the workspace
    writer (DuckDB) at most ``pool_acquire_timeout_s``, then the store counts as unavailable."""
    update = {"pool_min_size": 1, "pool_max_size": 1, "pool_acquire_timeout_s": 0.3}
    store = await open_reader(small.model_copy(update=update))
    try:
        async with store.unit_of_work() as holder:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                async with store.unit_of_work():
                    pass
            waited = time.monotonic() - started
            await holder.bump_data_version(council_scope("trafford"))  # the holder carries on
        version = await store.data_version(council_scope("trafford"))
    finally:
        await store.close()
    assert 0.25 <= waited < 3
    assert version != "empty"


async def test_read_only_reader_has_no_write_path(small: Settings) -> None:
    store = await open_reader(small, writable=False)
    try:
        assert await store.data_version(council_scope("trafford")) == "empty"
        with pytest.raises(StoreError, match="without a write path|read-only"):
            async with store.unit_of_work():
                pass
    finally:
        await store.close()
    if small.backend == "duckdb":
        assert not small.workspace_file.exists()


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


async def test_embedded_writes_go_to_the_workspace_file_only(small: Settings) -> None:
    if small.backend != "duckdb":
        pytest.skip("the workspace file is the embedded store's")
    national = small.duckdb_path
    before = _fingerprint(national)
    store = await probe_store(small)
    try:
        async with store.unit_of_work() as uow:
            await uow.execute(insert("E06000001", "written"))
            await uow.bump_data_version(council_scope("trafford"))
        with pytest.raises(StoreQueryError, match="read-only"):  # the national file refuses
            async with store.unit_of_work() as uow:
                await uow.execute(Query("DELETE FROM area"))
    finally:
        await store.close()
    assert small.workspace_file == national.with_name(f"{national.stem}.workspace.duckdb")
    assert small.workspace_file.stat().st_size > 0
    assert _fingerprint(national) == before
    store = await open_reader(small)  # the workspace persists across server restarts
    try:
        assert [r["note"] for r in await store.fetch(JOINED)] == ["written"]
    finally:
        await store.close()


async def test_workspace_path_setting_moves_the_workspace(small: Settings, tmp_path: Path) -> None:
    if small.backend != "duckdb":
        pytest.skip("the workspace file is the embedded store's")
    elsewhere = tmp_path / "elsewhere" / "council.duckdb"
    store = await open_reader(small.model_copy(update={"workspace_path": elsewhere}))
    try:
        async with store.unit_of_work() as uow:
            await uow.bump_data_version(council_scope("trafford"))
    finally:
        await store.close()
    assert elsewhere.exists() and not small.workspace_file.exists()
