"""Settings: defaults, validation at start-up, the CLI's message on a bad environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cli.main import cli
from core.settings import Settings


def test_embedded_store_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSIGHT_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.backend == "duckdb"
    assert settings.duckdb_path.name == "insight.duckdb"


def test_postgis_url_selects_postgis() -> None:
    assert Settings(database_url="postgresql://u:p@localhost/db").backend == "postgis"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("database_url", "mysql://x", "must start with postgresql://"),
        ("band_low", 120.0, "BAND_LOW must be below"),
        ("port", 70000, "less than or equal to 65535"),
    ],
)
def test_invalid_settings_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**{field: value})


def test_cli_names_the_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSIGHT_DATABASE_URL", "sqlite:///x.db")
    result = CliRunner().invoke(cli, ["info"])
    assert result.exit_code == 2
    assert "INSIGHT_DATABASE_URL" in result.output


def test_workspace_sits_beside_the_national_file_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSIGHT_WORKSPACE_PATH", raising=False)
    settings = Settings(database_url="duckdb:////srv/insight/national.duckdb")
    assert settings.workspace_file == Path("/srv/insight/national.workspace.duckdb")
    monkeypatch.setenv("INSIGHT_WORKSPACE_PATH", "/var/lib/insight/ws.duckdb")
    assert Settings(database_url="duckdb:////srv/x.duckdb").workspace_file == Path(
        "/var/lib/insight/ws.duckdb"
    )


def test_workspace_must_not_be_the_national_file() -> None:
    with pytest.raises(ValidationError, match="WORKSPACE_PATH must not be the national"):
        Settings(database_url="duckdb:////srv/x.duckdb", workspace_path=Path("/srv/x.duckdb"))


def test_fault_settings_have_defaults_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSIGHT_RETRY_AFTER_S", raising=False)
    assert Settings().retry_after_s == 5 and Settings().pool_acquire_timeout_s == 10.0
    monkeypatch.setenv("INSIGHT_RETRY_AFTER_S", "30")
    assert Settings().retry_after_s == 30
    with pytest.raises(ValidationError):
        Settings(pool_acquire_timeout_s=0)


def test_web_page_has_no_basemap_and_opens_on_europe_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.routers.web import page_config
    from core.settings import WebSettings

    for name in ("INSIGHT_BASEMAP_URL", "INSIGHT_BASEMAP_ATTRIBUTION", "INSIGHT_INITIAL_VIEW"):
        monkeypatch.delenv(name, raising=False)
    web = WebSettings()
    assert web.basemap_tiles == "" and web.initial_view == "europe"
    config = page_config(Settings())
    assert config["basemap"] is None and config["initial_view"] == "europe"
    assert config["zooms"]["nuts_max"] == Settings().auto_nuts_max_zoom


def test_osm_basemap_preset_brings_its_attribution(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.routers.web import page_config

    monkeypatch.setenv("INSIGHT_BASEMAP_URL", "osm")
    monkeypatch.setenv("INSIGHT_INITIAL_VIEW", "uk")
    config = page_config(Settings())
    assert config["basemap"]["url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in config["basemap"]["attribution"]
    assert config["initial_view"] == "uk"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"basemap_url": "https://tiles.example/{z}/{x}/{y}.png"}, "INSIGHT_BASEMAP_ATTRIBUTION is required"),
        ({"basemap_url": "https://tiles.example/tile.png", "basemap_attribution": "x"}, "{z}, {x} and {y}"),
        ({"basemap_url": "ftp://tiles/{z}/{x}/{y}", "basemap_attribution": "x"}, "http(s)"),
        ({"initial_view": "mars"}, "initial_view"),
        ({"basemap_opacity": 0.0}, "basemap_opacity"),
    ],
)
def test_bad_web_settings_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings(**changes)
