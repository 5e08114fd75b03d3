"""Settings: defaults, validation at start-up, the CLI's message on a bad environment."""

from __future__ import annotations

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
