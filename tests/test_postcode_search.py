"""Place search by postcode and postcode district, through a loaded postcode lookup (the
generated one, in the ONS Postcode Directory layout), on both backends."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.main import create_app
from cli.main import cli
from core.settings import Settings
from tests.conftest import settings_variant


@pytest.fixture
def with_postcodes(synthetic_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:
    settings = settings_variant(synthetic_settings, tmp_path)
    monkeypatch.setenv("INSIGHT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INSIGHT_PROGRESS", "0")
    out = tmp_path / "postcodes.csv"
    result = CliRunner().invoke(cli, ["demo-postcodes", str(out), "--area", "E08000009", "--load"])
    assert result.exit_code == 0, result.output
    return settings, pd.read_csv(out, dtype=str, keep_default_na=False)


def test_a_postcode_finds_its_output_area_and_ward(with_postcodes: tuple) -> None:
    settings, directory = with_postcodes
    row = directory.iloc[0]
    with TestClient(create_app(settings)) as client:
        for typed in (row["pcds"], row["pcds"].lower(), row["pcds"].replace(" ", ""), f"  {row['pcds']} "):
            found = client.get("/api/areas", params={"q": typed}).json()
            assert found["items"][0]["code"] == row["oa21cd"], typed
            assert found["items"][0]["level"] == "oa"
        levels = [i["level"] for i in client.get("/api/areas", params={"q": row["pcds"]}).json()["items"]]
        assert levels[:2] == ["oa", "ward"]
        only_wards = client.get("/api/areas", params={"q": row["pcds"], "level": "ward"}).json()["items"]
        assert [i["level"] for i in only_wards] == ["ward"]


def test_a_postcode_district_finds_the_wards_holding_its_postcodes(with_postcodes: tuple) -> None:
    settings, directory = with_postcodes
    district = directory.iloc[0]["pcds"].split(" ")[0]
    with TestClient(create_app(settings)) as client:
        items = client.get("/api/areas", params={"q": district}).json()["items"]
        assert items and {i["level"] for i in items} == {"ward"}
        oas = set(directory.loc[directory["pcds"].str.split(" ").str[0] == district, "oa21cd"])
        for item in items[:3]:
            children = client.get(
                "/api/areas", params={"level": "oa", "parent": item["code"], "limit": 1000}
            ).json()
            assert oas & {c["code"] for c in children["items"]}, item["code"]
        # a text that is no postcode still searches names and codes
        assert client.get("/api/areas", params={"q": "Trafford"}).json()["total"] >= 1
        assert client.get("/api/areas", params={"q": "ZZ9 9ZZ"}).json()["total"] == 0
