"""`insight demo`'s councils: a synthetic postcode lookup, one council per district with a year
of synthetic records, tokens shown once; a second run changes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import stat

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from cli.demo_councils import ensure_postcodes, seed_demo_councils, write_tokens
from tests.conftest import settings_variant


@pytest.mark.parametrize("synthetic_settings", ["duckdb"], indirect=True)
def test_demo_councils_are_made_once_with_synthetic_records(synthetic_settings, tmp_path) -> None:
    settings = settings_variant(synthetic_settings, tmp_path)
    loaded = ensure_postcodes(settings)
    assert loaded > 0
    assert ensure_postcodes(settings) == 0  # a lookup is there: left alone

    lines: list[str] = []
    made = asyncio.run(
        seed_demo_councils(settings, records=3_000, end=dt.date(2026, 1, 1), echo=lines.append)
    )
    assert made and all(c.council_id.startswith("demo-") and c.name.endswith("(demo)") for c in made)
    assert all(c.token and c.records > 2_900 for c in made), made  # nearly every postcode matches
    assert len(lines) == len(made) and all("SYNTHETIC" in line for line in lines)

    again = asyncio.run(seed_demo_councils(settings, records=3_000, echo=lines.append))
    assert sorted(c.council_id for c in again) == sorted(c.council_id for c in made)
    assert all(c.token is None for c in again)

    path = write_tokens(settings, made)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert {line.split("\t")[0] for line in path.read_text().splitlines()[1:]} == {c.council_id for c in made}

    first = made[0]
    with TestClient(create_app(settings)) as client:
        doc = client.get(
            f"/api/councils/{first.council_id}/profile", headers={"Authorization": f"Bearer {first.token}"}
        ).json()
    assert doc["source"]["synthetic"] is True and "synthetic" in doc["source"]["customers"]
    placed = doc["customers"]["classified"] + (doc["customers"]["unclassified"] or 0)
    assert placed + doc["customers"]["outside_area"] == pytest.approx(first.records, abs=0.5)
    assert doc["customers"]["classified"] > 0.9 * first.records


GM = [f"E0800000{i}" for i in range(1, 10)] + ["E08000010"]


@pytest.mark.parametrize("demo_settings", ["duckdb"], indirect=True)
def test_a_region_is_a_base(demo_settings, tmp_path) -> None:
    """Once districts are placed in NUTS3 regions, a council compares with its region: the
    base is the households of every district in it (the ten Greater Manchester districts make
    up North West's districts in the demo data; Leeds lies in Yorkshire)."""
    import duckdb

    from boundaries.catalogue import get_source
    from boundaries.loaders.hierarchy import link_hierarchy
    from core.store import open_writer
    from records import access

    settings = settings_variant(demo_settings, tmp_path)
    with open_writer(settings) as writer:
        link_hierarchy(writer, get_source("ew-hierarchy-spatial"))
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    by_hand = con.execute(
        "SELECT SUM(households) FROM composition WHERE classification_id = 'oac2021' AND level = 'lad' "
        "AND tier = 'supergroup' AND code IN (SELECT UNNEST(?::VARCHAR[]))",
        [GM],
    ).fetchone()[0]
    con.close()

    async def create() -> str:
        from core.store import open_reader

        store = await open_reader(settings)
        try:
            return (await access.create_council(store, "Trafford Council", ["E08000009"]))[1]
        finally:
            await store.close()

    token = asyncio.run(create())
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        who = client.get("/api/councils/trafford-council", headers=auth).json()
        bases = {r["base"]: r["name"] for r in who["regions"]}
        assert set(bases) == {"nuts1:UKD", "nuts2:UKD3", "nuts3:UKD34"}, bases
        doc = client.get("/api/councils/trafford-council/profile?base=nuts1:UKD", headers=auth).json()
        assert doc["base"]["kind"] == "region" and doc["base"]["codes"] == GM
        assert doc["base"]["households"] == pytest.approx(by_hand)
        assert doc["base"]["label"] == f"{bases['nuts1:UKD']} (UKD)"
        assert (
            client.get("/api/councils/trafford-council/profile?base=nuts1:UKX", headers=auth).status_code
            == 404
        )
        bad = client.get("/api/councils/trafford-council/profile?base=nuts2:UK", headers=auth)
        assert bad.status_code == 400 and "nuts2" in bad.json()["detail"]
