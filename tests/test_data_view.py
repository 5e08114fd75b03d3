"""The data view agrees with the area detail it summarises."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings

TRAFFORD = "E08000009"


def test_data_view_households_are_each_wards_total(demo_settings: Settings) -> None:
    with TestClient(create_app(demo_settings)) as client:
        body = client.get("/api/data", params={"level": "ward", "parent": TRAFFORD, "service": 279}).json()
        assert body["total"] == 21
        for row in body["rows"][:5]:
            detail = client.get(f"/api/areas/{row['code']}").json()
            assert row["households"] == pytest.approx(detail["households"])
            assert (
                row["households"] > max(c["households"] for c in detail["mix"]["supergroup"])
                or len(detail["mix"]["supergroup"]) == 1
            )


def test_expected_demand_without_a_rate_is_labelled_relative(demo_settings: Settings) -> None:
    with TestClient(create_app(demo_settings)) as client:
        body = client.get("/api/data", params={"level": "lad", "service": 279}).json()
        (service,) = body["services"]
        assert service["rate"] is None
        assert service["expected_units"].startswith("relative units")
        meta = client.get("/api/data", params={"level": "lad", "service": 279, "format": "meta"}).json()
        column = next(c for c in meta["columns"] if c["name"] == "s279_expected")
        assert column["unit"].startswith("relative units")
