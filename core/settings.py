"""Settings, one class per concern, all read from ``INSIGHT_*`` environment variables.

Each concern (store, sources, server, model, limits, tiles) is its own settings class, so a
component can say which settings it depends on and be configured alone (``TileSettings()``);
:class:`Settings` combines them for the app and the CLI. Invalid values fail at start-up
(pydantic validation) with a message naming the variable.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STORE = "duckdb:///var/insight.duckdb"

_CONFIG = SettingsConfigDict(env_prefix="INSIGHT_", env_file=".env", extra="ignore")


class StoreSettings(BaseSettings):
    """Where the data lives and how the server talks to it."""

    model_config = _CONFIG

    database_url: str = Field(
        DEFAULT_STORE,
        description="postgresql://user:pass@host/db for PostGIS, duckdb:///path/file.duckdb "
        "for the embedded store (the default).",
    )
    statement_timeout_ms: int = Field(10_000, ge=100, le=600_000)
    pool_min_size: int = Field(2, ge=1, le=64)
    pool_max_size: int = Field(10, ge=1, le=256)
    pool_acquire_timeout_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="How long a request waits for a pooled PostGIS connection (or for the "
        "embedded workspace's writer) before the store counts as unavailable (503).",
    )
    workspace_path: Path | None = Field(
        None,
        description="Read-write workspace file of the embedded store, beside the read-only "
        "national file (default: <national stem>.workspace.duckdb in the same folder).",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://", "duckdb://")):
            raise ValueError(
                "INSIGHT_DATABASE_URL must start with postgresql:// (PostGIS) or duckdb:/// "
                f"(embedded store); got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StoreSettings:
        if self.pool_min_size > self.pool_max_size:
            raise ValueError("INSIGHT_POOL_MIN_SIZE must not exceed INSIGHT_POOL_MAX_SIZE")
        if self.backend == "duckdb" and self.workspace_file.resolve() == self.duckdb_path.resolve():
            raise ValueError("INSIGHT_WORKSPACE_PATH must not be the national store file")
        return self

    @property
    def backend(self) -> Literal["postgis", "duckdb"]:
        return "duckdb" if self.database_url.startswith("duckdb://") else "postgis"

    @property
    def duckdb_path(self) -> Path:
        """Filesystem path of the embedded store (``duckdb:///rel`` or ``duckdb:////abs``)."""
        return Path(self.database_url.removeprefix("duckdb:///"))

    @property
    def workspace_file(self) -> Path:
        """The embedded store's read-write workspace file (``INSIGHT_WORKSPACE_PATH`` or beside
        the national file as ``<stem>.workspace.duckdb``)."""
        if self.workspace_path is not None:
            return self.workspace_path
        national = self.duckdb_path
        return national.with_name(f"{national.stem}.workspace.duckdb")


class SourceSettings(BaseSettings):
    """Where source files are read from (loads, `insight demo`, `insight fetch`)."""

    model_config = _CONFIG

    data_dir: Path = Field(Path("data"), description="Where source files are read from.")


class ServerSettings(BaseSettings):
    """The HTTP server."""

    model_config = _CONFIG

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # Origins whose pages may read the public read-only routes: ["*"] any (no credentials),
    # a list to narrow it, [] for none. Council routes are never readable cross-origin.
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    retry_after_s: int = Field(
        5,
        ge=0,
        le=3600,
        description="Retry-After (seconds) sent with a 503 when the store is unavailable or slow.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class ModelSettings(BaseSettings):
    """The model: mixed areas, demand bands, the Europe classification, known usage rates."""

    model_config = _CONFIG

    mixed_margin: float = Field(
        0.05, ge=0, le=1, description="Areas whose predominant class leads by less are mixed."
    )
    band_high: float = Field(110.0, description="Demand index at or above this is 'high'.")
    band_low: float = Field(90.0, description="Demand index at or below this is 'low'.")
    europe_seed: int = 2021
    europe_starts: int = Field(200, ge=1, le=10_000)
    service_rates: dict[int, float] = Field(
        default_factory=dict,
        description="Known overall uses per household per year by LGSL code (JSON); without one, "
        "expected demand is in relative units (households weighted by propensity).",
    )

    @model_validator(mode="after")
    def _bands_ordered(self) -> ModelSettings:
        if self.band_low >= self.band_high:
            raise ValueError("INSIGHT_BAND_LOW must be below INSIGHT_BAND_HIGH")
        return self


class LimitSettings(BaseSettings):
    """Bounds on what one request may ask for."""

    model_config = _CONFIG

    max_page_size: int = Field(1000, ge=1, le=100_000)
    default_page_size: int = Field(100, ge=1, le=100_000)
    max_similar: int = Field(50, ge=1, le=1000)
    max_zoom: int = Field(16, ge=0, le=24)
    max_features_per_tile: int = Field(20_000, ge=1)
    max_export_features: int = Field(50_000, ge=1)

    @model_validator(mode="after")
    def _page_ordered(self) -> LimitSettings:
        if self.default_page_size > self.max_page_size:
            raise ValueError("INSIGHT_DEFAULT_PAGE_SIZE must not exceed INSIGHT_MAX_PAGE_SIZE")
        return self


class TileSettings(BaseSettings):
    """Vector tiles: the cache, HTTP caching and which level ``auto`` draws at each zoom."""

    model_config = _CONFIG

    tile_cache_bytes: int = Field(
        64 * 1024 * 1024,
        ge=0,
        description="Bytes of tiles (body and gzip copy) kept in the in-process LRU; 0 keeps none.",
    )
    tile_cache_control: str = "public, max-age=3600"
    auto_nuts_max_zoom: int = Field(7, ge=0, le=24, description="'auto' shows NUTS up to here.")
    auto_lad_max_zoom: int = Field(9, ge=0, le=24, description="then LADs up to here.")
    auto_ward_max_zoom: int = Field(12, ge=0, le=24, description="then wards; OAs beyond.")
    tile_version_ttl_s: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="How often tiles re-check the data version (a reload drops the cache).",
    )

    @model_validator(mode="after")
    def _auto_ordered(self) -> TileSettings:
        if not (self.auto_nuts_max_zoom <= self.auto_lad_max_zoom <= self.auto_ward_max_zoom):
            raise ValueError("auto layer switch zooms must be ordered: NUTS <= LAD <= ward")
        return self


class Settings(StoreSettings, SourceSettings, ServerSettings, ModelSettings, LimitSettings, TileSettings):
    """Every concern's settings together: what the app and the CLI are configured with."""

    model_config = _CONFIG


@lru_cache
def get_settings() -> Settings:
    return Settings()
