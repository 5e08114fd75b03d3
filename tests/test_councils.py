"""Councils and access to the workspace, on the generated store of both backends.

A council is made by the CLI (its token printed once, only a hash kept); every council route
answers 401 without a valid token and 403 to another council's; rotation and revocation take
effect at once; each use of a token leaves an audit record nobody can edit through the API.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.main import create_app
from cli.main import cli
from core.settings import Settings
from tests.conftest import settings_variant

TRAFFORD, MANCHESTER = "E08000009", "E08000003"
TOKEN = re.compile(r"ci_[a-z0-9]{12}_[A-Za-z0-9_\-]{32,64}")


@pytest.fixture
def settings(synthetic_settings: Settings, tmp_path: Path) -> Settings:
    """A store of its own: the embedded file copied (its workspace is new), PostGIS shared."""
    return settings_variant(synthetic_settings, tmp_path)


def insight(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("INSIGHT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INSIGHT_WORKSPACE_PATH", str(settings.workspace_file or ""))
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def create(settings: Settings, monkeypatch: pytest.MonkeyPatch, *districts: str) -> tuple[str, str]:
    """A new council (unique id) covering ``districts``: ``(council_id, token)``."""
    council_id = f"council-{uuid.uuid4().hex[:8]}"
    areas = [a for d in districts for a in ("--area", d)]
    code, out = insight(
        settings, monkeypatch, "council", "create", council_id.title(), *areas, "--id", council_id
    )
    assert code == 0, out
    tokens = TOKEN.findall(out)
    assert len(tokens) == 1, out
    return council_id, tokens[0]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_council_sees_itself_with_its_token_and_nobody_without(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    trafford, token = create(settings, monkeypatch, TRAFFORD)
    manchester, other = create(settings, monkeypatch, MANCHESTER, TRAFFORD)
    with TestClient(create_app(settings)) as client:
        ok = client.get(f"/api/councils/{trafford}", headers=bearer(token))
        assert ok.status_code == 200, ok.text
        assert ok.json()["districts"] == [{"code": TRAFFORD, "name": "Trafford"}]
        assert ok.headers["cache-control"] == "private, no-store"

        for path in (f"/api/councils/{trafford}", f"/api/councils/{trafford}/audit"):
            none = client.get(path)
            assert none.status_code == 401
            assert none.headers["content-type"] == "application/problem+json"
            assert none.headers["www-authenticate"].startswith("Bearer")
            assert "Authorization: Bearer" in none.json()["detail"]
            assert client.get(path, headers={"Authorization": f"Basic {token}"}).status_code == 401
            wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
            assert client.get(path, headers=bearer(wrong)).status_code == 401
            forbidden = client.get(path, headers=bearer(other))
            assert forbidden.status_code == 403
            assert forbidden.json()["title"] == "Forbidden"
        both = client.get(f"/api/councils/{manchester}", headers=bearer(other)).json()
        assert [d["code"] for d in both["districts"]] == [MANCHESTER, TRAFFORD]
        assert client.get("/api/councils/nobody", headers=bearer(token)).status_code == 403


def test_rotation_and_revocation_take_effect_at_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    council, old = create(settings, monkeypatch, TRAFFORD)
    code, out = insight(settings, monkeypatch, "council", "token", "rotate", council)
    assert code == 0, out
    (new,) = TOKEN.findall(out)
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/api/councils/{council}", headers=bearer(old)).status_code == 401
        assert client.get(f"/api/councils/{council}", headers=bearer(new)).status_code == 200
    code, out = insight(settings, monkeypatch, "council", "token", "revoke", council)
    assert code == 0 and "revoked 1 token" in out, out
    with TestClient(create_app(settings)) as client:
        revoked = client.get(f"/api/councils/{council}", headers=bearer(new))
        assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_each_use_of_a_token_is_audited_and_the_trail_cannot_be_edited(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    council, token = create(settings, monkeypatch, TRAFFORD)
    with TestClient(create_app(settings)) as client:
        client.get(f"/api/councils/{council}", headers=bearer(token))
        trail = client.get(f"/api/councils/{council}/audit", headers=bearer(token)).json()
        actions = [r["action"] for r in trail["records"]]
        token_id = token.split("_")[1]
        assert actions == [
            f"GET /api/councils/{council}/audit",
            f"GET /api/councils/{council}",
            "council.create",
        ]
        assert trail["total"] == 3
        assert trail["records"][0]["actor"] == f"token:{token_id}"
        assert trail["records"][-1]["actor"] == "cli"
        for method in ("post", "put", "patch", "delete"):
            answer = client.request(method, f"/api/councils/{council}/audit", headers=bearer(token))
            assert answer.status_code == 405
        again = client.get(
            f"/api/councils/{council}/audit", params={"limit": 1}, headers=bearer(token)
        ).json()
        assert again["total"] == 4 and len(again["records"]) == 1  # the 405s reached no route


def test_only_a_hash_of_the_token_is_stored(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from core.store import open_reader

    council, token = create(settings, monkeypatch, TRAFFORD)
    secret = token.split("_", 2)[2]

    async def stored() -> list[dict]:
        store = await open_reader(settings)
        try:
            return await store.fetch("SELECT * FROM workspace.council_token")
        finally:
            await store.close()

    rows = asyncio.run(stored())
    assert rows and all(secret not in str(value) for row in rows for value in row.values())
    assert any(str(row["secret_hash"]).startswith("scrypt$") for row in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "E08999999"], "districts not loaded: E08999999"),
        (["--area", "E00000001"], "not local authority district codes"),
        ([], "Missing option '--area'"),
        (["--area", TRAFFORD, "--id", "Bad Id!"], "use letters, digits"),
    ],
)
def test_a_council_needs_loaded_districts_and_a_sane_id(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    code, out = insight(settings, monkeypatch, "council", "create", f"Nowhere {uuid.uuid4().hex[:6]}", *args)
    assert code != 0
    assert message in out


def test_the_same_council_twice_is_refused(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    council, _ = create(settings, monkeypatch, TRAFFORD)
    code, out = insight(
        settings, monkeypatch, "council", "create", "Other", "--area", TRAFFORD, "--id", council
    )
    assert code == 1 and "exists already" in out
    code, out = insight(settings, monkeypatch, "council", "list")
    assert code == 0 and f"{council}\t" in out


def test_a_map_view_of_tiles_is_audited_once(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dozens of tiles of one view leave one audit record, not one each."""
    council, token = create(settings, monkeypatch, TRAFFORD)
    with TestClient(create_app(settings)) as client:
        for x in range(6):
            tile = client.get(
                f"/api/councils/{council}/takeup/tiles/10/{500 + x}/330.mvt", headers=bearer(token)
            )
            assert tile.status_code in (200, 204), tile.text
        trail = client.get(f"/api/councils/{council}/audit", headers=bearer(token)).json()
    tiles = [r for r in trail["records"] if r["action"].endswith(".mvt")]
    assert len(tiles) == 1
    assert tiles[0]["action"] == "GET /api/councils/{council_id}/takeup/tiles/{z}/{x}/{y}.mvt"
