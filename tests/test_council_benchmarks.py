"""Benchmarks: a council placed among the others that uploaded the same service, by hand, with
3, 4 and 10 councils; never another council's name, id or counts."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from core.store import open_reader
from core.store.queries import profiles as q
from records import access
from tests.conftest import settings_variant
from tests.test_council_profiles import TRAFFORD, Scenario, bearer

USED_ELSEWHERE = {1, 2, 1614, 1152, 4242}


def counts_of(k: int, oas: list[str]) -> dict[str, int]:
    """Council k's contacts per output area: 6 to 16, a pattern of its own."""
    return {code: 6 + (i * (k + 1) + k) % 11 for i, code in enumerate(oas)}


async def add_councils(
    settings: Settings, suffix: str, first: int, last: int, oas: list[str], lgsl: int
) -> dict:
    store = await open_reader(settings)
    tokens = {}
    try:
        for k in range(first, last):
            council, token = await access.create_council(
                store, f"Bench {suffix} {k}", [TRAFFORD], f"bench-{suffix}-{k}"
            )
            tokens[k] = (council.council_id, token)
            upload_id = f"u-{uuid.uuid4().hex[:8]}"
            rows = [
                q.ServiceCountInsert(
                    upload_id, council.council_id, "oa", code, lgsl, "web", dt.date(2025, 3, 1), -1, n
                )
                for code, n in counts_of(k, oas).items()
            ]
            async with store.unit_of_work() as uow:
                await uow.execute(
                    q.insert_upload(
                        upload_id=upload_id,
                        council_id=council.council_id,
                        content_hash=upload_id,
                        source_name="records.csv",
                        synthetic=True,
                        rows=len(rows),
                    )
                )
                for statement in q.insert_service_counts(rows):
                    await uow.execute(statement)
        return tokens
    finally:
        await store.close()


def test_percentiles_with_3_4_and_10_councils(synthetic_settings: Settings, synthetic, tmp_path) -> None:
    settings = settings_variant(synthetic_settings, tmp_path)
    sc = Scenario(synthetic, uuid.uuid4().hex[:6])
    oas = list(sc.trafford_oas["code"])
    with TestClient(create_app(settings)) as client:
        modelled = [s["lgsl"] for s in client.get("/api/services").json() if s["modelled"]]
        lgsl = sorted(set(modelled) - USED_ELSEWHERE)[0]
    suffix = uuid.uuid4().hex[:6]
    tokens = asyncio.run(add_councils(settings, suffix, 0, 3, oas, lgsl))
    mine, token = tokens[0]

    def ask(client: TestClient) -> dict:
        answer = client.get(f"/api/councils/{mine}/benchmarks?service={lgsl}", headers=bearer(token))
        assert answer.status_code == 200, answer.text
        return answer.json()

    with TestClient(create_app(settings)) as client:
        doc = ask(client)
    assert doc["enough"] is False and doc["other_councils"] == 2 and "not enough councils" in doc["reason"]
    assert "takeup" not in doc and "classes" not in doc

    for have, more in ((4, 1), (10, 6)):
        tokens |= asyncio.run(add_councils(settings, suffix, have - more, have, oas, lgsl))
        with TestClient(create_app(settings)) as client:
            doc = ask(client)
            text = client.get(
                f"/api/councils/{mine}/benchmarks?service={lgsl}&format=csv", headers=bearer(token)
            ).text
        assert doc["enough"] is True and doc["other_councils"] == have - 1
        # every council covers Trafford, so expected demand is the same: take-up index = 100 O_k / mean O
        observed = np.array([sum(counts_of(k, oas).values()) for k in range(have)], dtype=float)
        index = 100 * observed / observed.mean()
        theirs = index[1:]
        below, tied = (theirs < index[0]).sum(), (theirs == index[0]).sum()
        takeup = doc["takeup"]
        assert takeup["value"] == pytest.approx(index[0], abs=0.05)
        assert takeup["percentile"] == pytest.approx(100 * (below + tied / 2) / len(theirs), abs=0.05)
        assert takeup["median"] == pytest.approx(np.median(theirs), abs=0.05)
        assert (takeup["q1"], takeup["q3"]) == pytest.approx(tuple(np.percentile(theirs, [25, 75])), abs=0.05)
        assert takeup["others"] == have - 1
        placed = [c for c in doc["classes"] if c["placing"]]
        assert placed and all(c["others"] >= 3 for c in placed)
        for c in placed:
            assert c["placing"]["value"] == c["index"] and 0 <= c["placing"]["percentile"] <= 100
        # no other council named or counted anywhere
        others = [tokens[k][0] for k in range(1, have)]
        assert not any(o in str(doc) or o in text for o in others)
        assert f"Bench {suffix} 1" not in str(doc) + text
        assert text.splitlines()[0].startswith("council_id,service_lgsl")


def test_benchmarks_need_a_service_and_the_councils_token(synthetic_settings: Settings, tmp_path) -> None:
    settings = settings_variant(synthetic_settings, tmp_path)
    store_tokens = asyncio.run(add_councils(settings, uuid.uuid4().hex[:6], 0, 1, [], 1))
    mine, token = store_tokens[0]
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/api/councils/{mine}/benchmarks?service=1").status_code == 401
        assert client.get(f"/api/councils/{mine}/benchmarks", headers=bearer(token)).status_code == 400
        doc = client.get(f"/api/councils/{mine}/benchmarks?service=1", headers=bearer(token)).json()
        assert doc["enough"] is False
