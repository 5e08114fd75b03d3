"""The Byker worked example through the API, on both backends.

A small real store holds one district whose households reproduce the example's base (29,603 of
119,048 households in the class); an upload through the upload route reproduces its customers
(4,227 of 5,996). The profile must give index 284 (283.5) and penetration 14.28 %.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from core.store import open_writer
from records import access
from tests._small_store import small_store_url

NEWCASTLE = "E08000021"
OA_IN, OA_OUT = "E00042001", "E00042002"  # the class's households, everybody else's
LGSL = 1614


def _byker_store(url: str, directory: Path) -> Settings:
    settings = Settings(database_url=url, data_dir=directory)
    frames = {
        "source": pd.DataFrame({"source_id": ["test"], "kind": ["boundaries"], "title": ["Byker check"]}),
        "area": pd.DataFrame(
            {
                "level": ["lad", "oa", "oa"],
                "code": [NEWCASTLE, OA_IN, OA_OUT],
                "name": ["Newcastle upon Tyne", None, None],
                "country": "E",
                "parent_code": [None, NEWCASTLE, NEWCASTLE],
                "source_id": "test",
            }
        ),
        "area_link": pd.DataFrame(
            {
                "child_level": "oa",
                "child_code": [OA_IN, OA_OUT],
                "parent_level": "lad",
                "parent_code": NEWCASTLE,
                "source_id": "test",
            }
        ),
        "classification": pd.DataFrame(
            {
                "classification_id": ["check"],
                "name": ["Two classes"],
                "base_level": ["oa"],
                "tiers": ["supergroup"],
                "source_id": ["test"],
            }
        ),
        "profile_class": pd.DataFrame(
            {
                "classification_id": "check",
                "code": ["1", "2"],
                "tier": "supergroup",
                "name": ["The class", "Everybody else"],
                "sort": [1, 2],
            }
        ),
        "class_tier": pd.DataFrame(
            {
                "classification_id": "check",
                "position": [1, 2],
                "finest_code": ["1", "2"],
                "tier": "supergroup",
                "class_code": ["1", "2"],
            }
        ),
        "base_composition": pd.DataFrame(
            {
                "classification_id": "check",
                "level": "oa",
                "code": [OA_IN, OA_OUT],
                "class_code": ["1", "2"],
                "households": [29603.0, 119048.0 - 29603.0],
            }
        ),
        "composition_area": pd.DataFrame(
            {
                "classification_id": ["check"],
                "level": ["lad"],
                "code": [NEWCASTLE],
                "households": [119048.0],
                "mix": [[29603.0, 119048.0 - 29603.0]],
            }
        ),
        "service": pd.DataFrame({"lgsl": [LGSL], "label": ["A service"], "source_id": ["test"]}),
    }
    with open_writer(settings) as writer, writer.transaction() as tx:
        for table, frame in frames.items():
            tx.insert_frame(table, frame)
        tx.bump_data_version()
    return settings


@pytest.fixture
def byker(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[TestClient, str, str]]:
    admin = request.getfixturevalue("pg_admin_url") if backend == "postgis" else None
    settings = _byker_store(small_store_url(backend, tmp_path, admin), tmp_path)
    with TestClient(create_app(settings)) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        council_id = f"newcastle-{uuid.uuid4().hex[:6]}"
        _, token = client.portal.call(access.create_council, store, "Newcastle", [NEWCASTLE], council_id)  # type: ignore[union-attr]
        yield client, council_id, token


def test_byker_worked_example_through_the_api(byker: tuple[TestClient, str, str]) -> None:
    client, council_id, token = byker
    headers = {"Authorization": f"Bearer {token}"}
    body = f"area,service,channel,date,count\n{OA_IN},{LGSL},web,2025-01-15,4227\n{OA_OUT},{LGSL},web,2025-01-15,1769\n"
    posted = client.post(
        f"/api/councils/{council_id}/uploads",
        content=body.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert posted.status_code == 201, posted.text
    doc = client.get(f"/api/councils/{council_id}/profile", params={"service": LGSL}, headers=headers).json()
    row = next(r for r in doc["classes"] if r["code"] == "1")
    assert doc["customers"]["classified"] == 5996 and doc["base"]["households"] == 119048
    assert row["customers"] == 4227 and row["base_households"] == 29603
    assert row["index"] == 283.5 and round(row["index"]) == 284
    assert row["penetration"] == pytest.approx(14.28, abs=0.005)
    assert row["significant"] is True and row["wording"] == "2.8× more likely"
    assert row["index_low"] < 283.5 < row["index_high"]
