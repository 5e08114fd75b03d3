"""Council uploads through the HTTP API and the CLI, on the generated store of both backends.

A council uploads CSV or XLSX records; only aggregates are stored (checked by reading every
table afterwards); each bad upload answers a clear 4xx and leaves the stored data as it was;
the same file twice is refused; an upload can be deleted with its aggregates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.main import create_app
from cli.main import cli
from core.settings import Settings
from core.store import council_scope
from core.store.queries import uploads as q
from tests.conftest import settings_variant

TRAFFORD, MANCHESTER = "E08000009", "E08000003"
TOKEN = re.compile(r"ci_[a-z0-9]{12}_[A-Za-z0-9_\-]{32,64}")
SERVICE, OTHER_SERVICE, UNKNOWN_SERVICE = 1614, 1152, 4242
HEADER = "postcode,service,channel,date\n"


def insight(settings: Settings, *args: str) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INSIGHT_DATABASE_URL", settings.database_url)
        mp.setenv("INSIGHT_WORKSPACE_PATH", str(settings.workspace_file))
        result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def create_council(settings: Settings, *districts: str) -> tuple[str, str]:
    council_id = f"council-{uuid.uuid4().hex[:8]}"
    areas = [a for d in districts for a in ("--area", d)]
    code, out = insight(settings, "council", "create", council_id.title(), *areas, "--id", council_id)
    assert code == 0, out
    return council_id, TOKEN.findall(out)[0]


@dataclass
class World:
    settings: Settings
    client: TestClient
    council: str
    token: str
    other: str
    other_token: str
    live: list[tuple[str, str]]  # (pcds, oa) in Trafford
    terminated: list[tuple[str, str]]
    outside: list[str]  # Manchester postcodes

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, body: bytes, content_type: str = "text/csv", **params: Any) -> Any:
        return self.client.post(
            f"/api/councils/{self.council}/uploads",
            content=body,
            headers={**self.auth, "Content-Type": content_type},
            params=params,
        )

    def fetch(self, query: Any) -> list[dict[str, Any]]:
        store = self.client.app.state.store  # type: ignore[attr-defined]
        return self.client.portal.call(store.fetch, query)  # type: ignore[union-attr]

    def snapshot(self) -> tuple[Any, ...]:
        """What a failed upload must leave as it was: uploads, aggregates, data version."""
        totals = self.fetch(q.council_totals(self.council))[0]
        store = self.client.app.state.store  # type: ignore[attr-defined]
        version = self.client.portal.call(store.data_version, council_scope(self.council))  # type: ignore[union-attr]
        return (int(totals["uploads"]), int(totals["cells"]), int(totals["contacts"]), version)


@pytest.fixture(scope="module")
def world(synthetic_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A store of this module's own (embedded: a copy; PostGIS: shared) with a generated
    postcode lookup for Trafford and Manchester and two councils."""
    tmp = tmp_path_factory.mktemp("uploads")
    settings = settings_variant(synthetic_settings, tmp)
    lookup = tmp / "postcodes.csv"
    code, out = insight(
        settings, "demo-postcodes", str(lookup), "--area", TRAFFORD, "--area", MANCHESTER, "--load"
    )
    assert code == 0, out
    assert "SYNTHETIC" in out and "terminated" in out
    rows = list(csv.DictReader(lookup.open()))
    live = [(r["pcds"], r["oa21cd"]) for r in rows if r["ladcd"] == TRAFFORD and not r["doterm"]]
    ended = [(r["pcds"], r["oa21cd"]) for r in rows if r["ladcd"] == TRAFFORD and r["doterm"]]
    outside = [r["pcds"] for r in rows if r["ladcd"] == MANCHESTER]
    assert live and ended and outside
    council, token = create_council(settings, TRAFFORD)
    other, other_token = create_council(settings, MANCHESTER)
    with TestClient(create_app(settings)) as client:
        yield World(settings, client, council, token, other, other_token, live, ended, outside)


def records(rows: list[tuple[Any, ...]], header: str = HEADER) -> bytes:
    return (header + "".join(",".join(str(v) for v in row) + "\n" for row in rows)).encode()


def test_an_upload_is_aggregated_and_reported(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from records import upload as upload_module

    monkeypatch.setattr(upload_module, "INSERT_ROWS", 3)  # the aggregates in several statements
    (p1, oa1), (p2, oa2) = world.live[0], world.live[5]
    t, oat = world.terminated[0]
    rows = [
        (p1, SERVICE, "Telephone", "2025-03-04"),
        (p1.lower().replace(" ", ""), SERVICE, "phone", "14/03/2025"),  # the same cell, typed differently
        (p1, SERVICE, "web", "2025-03-31T23:59:00"),
        (p2, OTHER_SERVICE, "Face to face", "2025-04-01 09:00"),
        (t, SERVICE, "e-mail", "2025-04-02"),  # terminated: still matched, counted apart
    ]
    before = world.snapshot()
    answer = world.post(records(rows), name="march.csv")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    report = body["report"]
    assert (body["rows_read"], body["rows_matched"], body["rows_rejected"]) == (5, 5, 0)
    assert report["match_rate"] == 1.0 and report["terminated_postcodes"] == 1
    assert (body["date_from"], body["date_to"]) == ("2025-03-04", "2025-04-02")
    assert body["source_name"] == "march.csv" and body["synthetic"] is False
    counts = world.fetch(q.upload_counts(world.council, body["upload_id"]))
    cells = {
        (r["area_code"], r["service_code"], r["channel"], str(r["month"]), r["interaction_id"]): r["contacts"]
        for r in counts
    }
    expected: dict[tuple[Any, ...], int] = {}
    for key in [
        (oa1, SERVICE, "telephone", "2025-03-01", -1),
        (oa1, SERVICE, "telephone", "2025-03-01", -1),
        (oa1, SERVICE, "web", "2025-03-01", -1),
        (oa2, OTHER_SERVICE, "face-to-face", "2025-04-01", -1),
        (oat, SERVICE, "e-mail", "2025-04-01", -1),
    ]:
        expected[key] = expected.get(key, 0) + 1
    assert cells == expected
    assert {r["level"] for r in counts} == {"oa"}
    after = world.snapshot()
    assert after[:3] == (before[0] + 1, before[1] + len(counts), before[2] + 5)
    assert after[3] != before[3]  # the council's data version moved
    listed = world.client.get(f"/api/councils/{world.council}/uploads", headers=world.auth).json()
    assert body["upload_id"] in [u["upload_id"] for u in listed["uploads"]]
    audit = world.client.get(f"/api/councils/{world.council}/audit", headers=world.auth).json()
    assert any(r["action"] == "upload" and r["row_count"] == 5 for r in audit["records"])


def test_semicolons_a_bom_area_codes_counts_and_a_mapping(world: World) -> None:
    areas = world.fetch(q.council_areas([TRAFFORD]))
    oa = next(a["code"] for a in areas if a["level"] == "oa")
    lsoa = next(a["code"] for a in areas if a["level"] == "lsoa")
    text = (
        "\ufeffWhere;LGSL;How;When;Count;LGIL\n"
        + f"{oa};{SERVICE};Telephone;2025-05-02;3;4\n{lsoa};{SERVICE};2;2025-05-03;2;\n"
    )
    answer = world.post(text.encode(), map=["area=Where", "channel=How", "date=When"])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["report"]["delimiter"] == ";" and body["report"]["rows_by_level"] == {"lsoa": 1, "oa": 1}
    counts = world.fetch(q.upload_counts(world.council, body["upload_id"]))
    assert {
        (r["level"], r["area_code"], r["channel"], r["interaction_id"], r["contacts"]) for r in counts
    } == {
        ("oa", oa, "telephone", 4, 3),
        ("lsoa", lsoa, "telephone", -1, 2),  # LGChL id 2 is the telephone
    }


def test_an_xlsx_workbook_is_read(world: World) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Postcode", "Service", "Channel", "Date"])
    sheet.append([world.live[1][0], SERVICE, "Web", dt.datetime(2025, 6, 3, 10, 30)])
    sheet.append([world.live[2][0], float(SERVICE), "Web", dt.date(2025, 6, 4)])
    data = io.BytesIO()
    book.save(data)
    answer = world.post(data.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert answer.status_code == 201, answer.text
    assert answer.json()["report"]["kind"] == "xlsx"
    assert answer.json()["rows_matched"] == 2


def test_multipart_and_the_same_file_twice(world: World) -> None:
    body = records([(world.live[3][0], SERVICE, "web", "2025-07-01")])
    files = {"file": ("july.csv", body, "text/csv")}
    first = world.client.post(f"/api/councils/{world.council}/uploads", files=files, headers=world.auth)
    assert first.status_code == 201, first.text
    assert first.json()["source_name"] == "july.csv"
    before = world.snapshot()
    again = world.post(body)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "already uploaded" in again.json()["detail"]
    assert again.json()["upload_id"] == first.json()["upload_id"]
    assert world.snapshot() == before


def test_delete_takes_the_aggregates_with_it(world: World) -> None:
    answer = world.post(records([(world.live[4][0], SERVICE, "post", "2025-08-01")]))
    assert answer.status_code == 201
    upload_id = answer.json()["upload_id"]
    before = world.snapshot()
    gone = world.client.delete(f"/api/councils/{world.council}/uploads/{upload_id}", headers=world.auth)
    assert gone.status_code == 204
    assert world.fetch(q.upload_counts(world.council, upload_id)) == []
    after = world.snapshot()
    assert after[:3] == (before[0] - 1, before[1] - 1, before[2] - 1) and after[3] != before[3]
    assert (
        world.client.get(f"/api/councils/{world.council}/uploads/{upload_id}", headers=world.auth).status_code
        == 404
    )
    again = world.client.delete(f"/api/councils/{world.council}/uploads/{upload_id}", headers=world.auth)
    assert again.status_code == 404
    # the file can be uploaded again once its upload is gone
    assert world.post(records([(world.live[4][0], SERVICE, "post", "2025-08-01")])).status_code == 201


def test_upload_routes_need_the_councils_own_token(world: World) -> None:
    path = f"/api/councils/{world.council}/uploads"
    body = records([(world.live[0][0], SERVICE, "web", "2025-01-01")])
    before = world.snapshot()
    assert world.client.post(path, content=body).status_code == 401
    other = {"Authorization": f"Bearer {world.other_token}"}
    assert world.client.post(path, content=body, headers=other).status_code == 403
    assert world.client.get(path, headers=other).status_code == 403
    assert world.client.get(path).status_code == 401
    assert world.client.delete(f"{path}/{uuid.uuid4().hex}", headers=other).status_code == 403
    assert world.snapshot() == before


FUTURE = (dt.date.today() + dt.timedelta(days=40)).isoformat()


def bad_uploads(world: World) -> dict[str, tuple[bytes, int, str]]:
    """name → (body, status, words the answer's detail must hold)."""
    pc = world.live[0][0]
    ten = lambda value: [(value, SERVICE, "web", "2025-02-01")] * 10  # noqa: E731
    return {
        "empty": (b"", 422, "empty"),
        "header only": (HEADER.encode(), 422, "no data rows"),
        "wrong columns": (b"name,address\nA,B\n", 422, "no column for postcode"),
        "binary": (bytes(range(256)) * 8, 422, "binary"),
        "an old excel file": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, 422, "97-2003"),
        "wrong encoding": (
            records([("Caf\xe9", SERVICE, "web", "2025-02-01")]).replace(b"\xc3\xa9", b"\xe9"),
            422,
            "not UTF-8",
        ),
        "bad dates": (records([(pc, SERVICE, "web", "31/02/2025")] * 3), 422, "rejected"),
        "future dates": (records([(pc, SERVICE, "web", FUTURE)] * 3), 422, "rejected"),
        "unknown service": (records([(pc, UNKNOWN_SERVICE, "web", "2025-02-01")] * 3), 422, "rejected"),
        "unknown channel": (records([(pc, SERVICE, "pigeon", "2025-02-01")] * 3), 422, "rejected"),
        "postcode not in the lookup": (records(ten("ZZ9 9ZZ")), 422, "rejected"),
        "postcode outside the districts": (records(ten(world.outside[0])), 422, "rejected"),
        "formula cells": (
            records(
                [(pc, SERVICE, '"=HYPERLINK(""http://x.invalid"",""click"")"', "2025-02-01")] * 2
                + [(pc, "=1+2", "@SUM(A1)", "+2025-01-01")] * 2
            ),
            422,
            "rejected",
        ),
    }


REASONS = {
    "bad dates": ("date", "not a date (use YYYY-MM-DD or DD/MM/YYYY)"),
    "future dates": ("date", "in the future"),
    "unknown service": ("service", "unknown LGSL service code"),
    "unknown channel": ("channel", "unknown channel"),
    "postcode not in the lookup": ("postcode", "postcode not in the postcode lookup"),
    "postcode outside the districts": ("postcode", "outside the council's districts"),
}


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "header only",
        "wrong columns",
        "binary",
        "an old excel file",
        "wrong encoding",
        "bad dates",
        "future dates",
        "unknown service",
        "unknown channel",
        "postcode not in the lookup",
        "postcode outside the districts",
        "formula cells",
    ],
)
def test_each_bad_upload_is_refused_and_changes_nothing(world: World, case: str) -> None:
    body, status, words = bad_uploads(world)[case]
    before = world.snapshot()
    answer = world.post(body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert words in problem["detail"], problem["detail"]
    assert world.snapshot() == before
    if case in REASONS:
        field, reason = REASONS[case]
        report = problem["report"]
        assert report["rows_matched"] == 0 and report["rows_rejected"] == report["rows_read"]
        assert {"field": field, "reason": reason, "rows": report["rows_read"]} in report["rejections"]
        listed = report["rejected_rows"]
        assert listed[0]["row"] == 2 and listed[0]["field"] == field and listed[0]["reason"] == reason
    if case == "unknown service":
        assert problem["report"]["unknown_services"] == [{"code": str(UNKNOWN_SERVICE), "rows": 3}]
    if case == "unknown channel":
        assert problem["report"]["unknown_channels"] == [{"code": "pigeon", "rows": 3}]
    if case == "formula cells":
        echoed = [r["value"] for r in problem["report"]["rejected_rows"]] + [
            c["code"] for c in problem["report"]["unknown_services"] + problem["report"]["unknown_channels"]
        ]
        assert echoed and all(not v.startswith(("=", "+", "-", "@")) for v in echoed), echoed
        assert any(v.startswith("'=HYPERLINK") for v in echoed)


def test_size_and_row_limits_are_named(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    body = records([(world.live[0][0], SERVICE, "web", "2025-02-01")] * 50)
    before = world.snapshot()
    monkeypatch.setattr(settings, "upload_max_bytes", 200)
    large = world.post(body)
    assert large.status_code == 413 and "INSIGHT_UPLOAD_MAX_BYTES" in large.json()["detail"]
    monkeypatch.setattr(settings, "upload_max_bytes", 10_000_000)
    monkeypatch.setattr(settings, "upload_max_rows", 20)
    many = world.post(body)
    assert many.status_code == 422 and "INSIGHT_UPLOAD_MAX_ROWS" in many.json()["detail"]
    assert world.snapshot() == before


def test_a_few_rejected_rows_are_reported_and_the_rest_taken(world: World) -> None:
    good = [(world.live[6][0], SERVICE, "web", f"2025-09-{d:02d}") for d in range(1, 29)]
    bad = [(world.outside[1], SERVICE, "web", "2025-09-01"), (world.live[6][0], SERVICE, "web", "2025-13-01")]
    refused = world.post(records(good + bad))  # 2 of 30 rejected: above the 5 % allowed
    assert refused.status_code == 422 and "INSIGHT_UPLOAD_MAX_REJECTED_SHARE" in refused.json()["detail"]
    taken = world.post(records(good + bad), max_rejected=0.1)
    assert taken.status_code == 201, taken.text
    report = taken.json()["report"]
    assert (report["rows_read"], report["rows_matched"], report["rows_rejected"]) == (30, 28, 2)
    assert [(r["row"], r["field"]) for r in report["rejected_rows"]] == [(30, "postcode"), (31, "date")]
    assert report["rejected_rows"][0]["value"] == world.outside[1].split()[0] + " ***"  # never the postcode
    upload_id = taken.json()["upload_id"]
    rejected = world.client.get(
        f"/api/councils/{world.council}/uploads/{upload_id}/rejected.csv", headers=world.auth
    )
    assert rejected.status_code == 200 and rejected.headers["content-type"].startswith("text/csv")
    assert rejected.text.splitlines()[0] == "row,field,reason,value"


def test_no_row_level_record_postcode_or_file_is_stored(world: World) -> None:
    """After an upload, every table of the store is read: no uploaded postcode, case
    reference or line of the file is anywhere, only aggregates."""
    refs = [f"CASE-{uuid.uuid4().hex[:10]}" for _ in range(6)]
    postcodes = [world.live[i][0] for i in (10, 11, 12)]
    rows = [(refs[i], postcodes[i % 3], SERVICE, "web", f"2025-10-{i + 1:02d}") for i in range(6)]
    rejected = world.outside[2]  # a neighbour's postcode: rejected, and not kept in the report either
    rows.append((f"CASE-{uuid.uuid4().hex[:10]}", rejected, SERVICE, "web", "2025-10-09"))
    body = records(rows, header="case_ref,postcode,service,channel,date\n")
    answer = world.post(body, max_rejected=0.5)
    assert answer.status_code == 201, answer.text
    assert answer.json()["report"]["rejected_rows"][0]["value"] == rejected.split()[0] + " ***"
    postcodes.append(rejected)
    refs.append(rows[-1][0])
    needles = refs + postcodes + [p.replace(" ", "") for p in postcodes] + [body.decode().splitlines()[1]]
    lookup_tables = {'"postcode"', "public.postcode"}  # the national lookup holds postcodes by design
    seen = 0
    for table in [r["qualified"] for r in world.fetch(q.stored_tables())]:
        if any(table.endswith(t) or table == t for t in lookup_tables) or table.endswith('"main"."postcode"'):
            continue
        text = repr(world.fetch(q.whole_table(table)))
        seen += 1
        found = [n for n in needles if n in text]
        assert not found, f"{table} holds {found}"
    assert seen >= 10


def test_the_cli_uploads_synthetic_records(
    synthetic_settings: Settings, world: World, tmp_path: Path
) -> None:
    """`insight demo-records` writes a labelled synthetic file; `insight upload` takes it and
    marks the upload synthetic; the same file again is refused."""
    settings = (
        settings_variant(world.settings, tmp_path) if world.settings.backend == "duckdb" else world.settings
    )
    council, _ = create_council(settings, TRAFFORD)
    out = tmp_path / "records.csv"
    code, text = insight(
        settings,
        "demo-records",
        council,
        "--rows",
        "2000",
        "--seed",
        "7",
        "--out",
        str(out),
        "--end",
        "2025-11",
    )
    assert code == 0, text
    assert "SYNTHETIC" in text
    lines = out.read_text().splitlines()
    assert lines[0] == '"case_ref","postcode","service","channel","date","interaction","synthetic"' or lines[
        0
    ].startswith("case_ref")
    assert len(lines) == 2001 and all(
        line.endswith("synthetic") or line.endswith('"synthetic"') for line in lines[1:]
    )
    code, text = insight(settings, "upload", council, str(out))
    assert code == 0, text
    assert "(synthetic)" in text and "rows matched" not in text.lower() or "synthetic" in text
    code, text = insight(settings, "upload", council, str(out))
    assert code == 1 and "already uploaded" in text
    code, text = insight(settings, "uploads", council)
    assert code == 0 and "[synthetic]" in text and "records.csv" in text


def test_two_racing_uploads_of_one_file_count_once(world: World, tmp_path: Path) -> None:
    """Both pass the early duplicate check; the unit of work lets only one in."""
    import anyio

    from records import access
    from records.upload import take_upload

    store = world.client.app.state.store  # type: ignore[attr-defined]
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    path = tmp_path / "race.csv"
    path.write_bytes(records([(world.live[7][0], SERVICE, "kiosk", "2025-11-03")] * 4))
    before = world.snapshot()
    outcomes: list[str] = []

    async def race() -> None:
        council = await access.council(store, world.council)

        async def one() -> None:
            try:
                await take_upload(store, settings, council, "cli", path, source_name="race.csv")
                outcomes.append("taken")
            except Exception as exc:
                outcomes.append(type(exc).__name__)

        async with anyio.create_task_group() as group:
            group.start_soon(one)
            group.start_soon(one)

    world.client.portal.call(race)  # type: ignore[union-attr]
    assert sorted(outcomes) == ["Conflict", "taken"]
    after = world.snapshot()
    assert after[0] == before[0] + 1 and after[2] == before[2] + 4


def test_a_multipart_body_needs_its_file_part_and_stays_within_the_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"/api/councils/{world.council}/uploads"
    before = world.snapshot()
    no_file = world.client.post(path, files={"other": ("x.csv", b"a,b\n", "text/csv")}, headers=world.auth)
    assert no_file.status_code == 400 and "'file'" in no_file.json()["detail"]
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "upload_max_bytes", 1000)
    padded = world.client.post(
        path,
        files={"file": ("x.csv", records([(world.live[0][0], SERVICE, "web", "2025-01-01")]), "text/csv")},
        data={"note": "x" * 200_000},
        headers=world.auth,
    )
    assert padded.status_code == 413
    assert world.snapshot() == before


def test_rows_after_a_ragged_line_keep_their_file_row_numbers(world: World) -> None:
    """A line with too many fields is skipped by the reader; the rows after it are still named
    by the row a spreadsheet shows, and the ragged line by its own row."""
    good = [(world.live[6][0], SERVICE, "web", f"2025-10-{d:02d}") for d in range(1, 29)]
    body = (
        records(good[:3])
        + b"too,many,fields,here,and,more\n"
        + records([*good[3:], (world.live[6][0], SERVICE, "web", "2025-13-01")], header="")
    )
    answer = world.post(body, max_rejected=0.1)
    assert answer.status_code == 201, answer.text
    report = answer.json()["report"]
    assert (report["rows_read"], report["rows_matched"], report["rows_rejected"]) == (30, 28, 2)
    # header = row 1, three good rows = 2..4, the ragged line = 5, 25 good rows = 6..30, bad date = 31
    assert [(r["row"], r["field"]) for r in report["rejected_rows"]] == [(5, "row"), (31, "date")]
    world.client.delete(
        f"/api/councils/{world.council}/uploads/{answer.json()['upload_id']}", headers=world.auth
    )


def test_a_narrowed_area_cannot_be_subtracted_from_the_districts(world: World) -> None:
    """40 customers in one output area and 3 in another of the same supergroup: the districts'
    profile shows 43; the first area's would show 40, giving away the 3 by subtraction, so the
    class is suppressed there."""
    from core.store.queries import profiles as pq

    def supergroup(oa: str) -> str | None:
        rows = world.fetch(
            pq.base_by_class(classification_id="oac2021", tier="supergroup", level="oa", codes=[oa])
        )
        return rows[0]["class_code"] if rows else None

    used = {SERVICE, OTHER_SERVICE, UNKNOWN_SERVICE}
    service = max(int(r["lgsl"]) for r in world.fetch(q.service_codes()) if int(r["lgsl"]) not in used)
    (pc, oa), cls = world.live[0], supergroup(world.live[0][1])
    other = next(p for p, o in world.live if o != oa and supergroup(o) == cls)
    body = records([(pc, service, "web", "2025-04-01")] * 40 + [(other, service, "web", "2025-04-02")] * 3)
    taken = world.post(body)
    assert taken.status_code == 201, taken.text
    try:
        path = f"/api/councils/{world.council}/profile?service={service}"
        everyone = {r["code"]: r for r in world.client.get(path, headers=world.auth).json()["classes"]}
        assert everyone[cls]["customers"] == 43 and not everyone[cls]["suppressed"]
        narrowed = world.client.get(f"{path}&area=oa:{oa}", headers=world.auth).json()
        rows = {r["code"]: r for r in narrowed["classes"]}
        assert rows[cls]["suppressed"] and rows[cls]["customers"] is None
        assert narrowed["customers"]["classified"] is None  # 40 of 43 too: the total goes with it
    finally:
        world.client.delete(
            f"/api/councils/{world.council}/uploads/{taken.json()['upload_id']}", headers=world.auth
        )


def test_an_output_area_cannot_be_subtracted_from_its_lsoa(world: World) -> None:
    """40 customers in one output area, 3 in another of the same LSOA and supergroup, 10 in a
    third of the same supergroup elsewhere: the districts show 53 (13 more than the output area:
    safe), the LSOA 43 — only 3 more, so the output area's class is suppressed."""
    from core.store.queries import profiles as pq

    def supergroup(oa: str) -> str | None:
        rows = world.fetch(
            pq.base_by_class(classification_id="oac2021", tier="supergroup", level="oa", codes=[oa])
        )
        return rows[0]["class_code"] if rows else None

    lsoa_of = {
        r["child_code"]: r["parent_code"]
        for r in world.fetch(pq.links("oa", "lsoa", [o for _, o in world.live]))
    }
    cls_of = {o: supergroup(o) for o in lsoa_of}
    triple = None
    for pc, oa in world.live:
        mate = next(
            (
                p
                for p, o in world.live
                if o != oa and lsoa_of.get(o) == lsoa_of.get(oa) and cls_of.get(o) == cls_of.get(oa)
            ),
            None,
        )
        away = next(
            (
                p
                for p, o in world.live
                if lsoa_of.get(o) != lsoa_of.get(oa) and cls_of.get(o) == cls_of.get(oa)
            ),
            None,
        )
        if mate and away and cls_of.get(oa):
            triple = (pc, oa, mate, away)
            break
    assert triple, "the generated world has two output areas of one class in one LSOA"
    pc, oa, mate, away = triple
    used = {SERVICE, OTHER_SERVICE, UNKNOWN_SERVICE}
    service = sorted(int(r["lgsl"]) for r in world.fetch(q.service_codes()) if int(r["lgsl"]) not in used)[1]
    rows = (
        [(pc, service, "web", "2025-04-01")] * 40
        + [(mate, service, "web", "2025-04-02")] * 3
        + [(away, service, "web", "2025-04-03")] * 10
    )
    taken = world.post(records(rows))
    assert taken.status_code == 201, taken.text
    try:
        path = f"/api/councils/{world.council}/profile?service={service}"
        cls = cls_of[oa]
        lsoa = world.client.get(f"{path}&area=lsoa:{lsoa_of[oa]}", headers=world.auth).json()
        assert {r["code"]: r for r in lsoa["classes"]}[cls]["customers"] == 43
        narrowed = world.client.get(f"{path}&area=oa:{oa}", headers=world.auth).json()
        assert {r["code"]: r for r in narrowed["classes"]}[cls]["suppressed"] is True
    finally:
        world.client.delete(
            f"/api/councils/{world.council}/uploads/{taken.json()['upload_id']}", headers=world.auth
        )
