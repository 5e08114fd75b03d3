"""Settings, one class per concern, all read from ``INSIGHT_*`` environment variables.

Each concern (store, sources, server, model, limits, tiles, web page) is its own settings class, so a
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

    @property
    def build_progress_file(self) -> Path | None:
        """Where a background build of the embedded store (``insight demo``'s England and
        Wales) reports its progress: ``<store>.progress.json``; None on PostGIS."""
        if self.backend != "duckdb":
            return None
        return self.duckdb_path.with_name(self.duckdb_path.name + ".progress.json")


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
    public_base_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The server's public root URL (https://maps.example.org); links in TileJSON "
        "and OGC answers are written from it instead of the request's Host header.",
    )
    trusted_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the server answers for (JSON list); any other Host header is "
        "refused with 400. Empty accepts any host.",
    )
    forwarded_allow_ips: str = Field(
        "",
        description="Comma list of proxy addresses whose X-Forwarded-For/-Proto are trusted; "
        "empty trusts none (not even a local peer).",
    )
    max_header_bytes: int = Field(
        16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Largest request line plus headers accepted; larger requests are refused.",
    )
    keep_alive_s: int = Field(5, ge=1, le=300, description="Idle keep-alive connections close after this.")
    max_connections: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Concurrent connections plus tasks before new requests get 503.",
    )
    graceful_shutdown_s: int = Field(
        5,
        ge=0,
        le=60,
        description="On SIGTERM, how long running requests may finish before they are cut.",
    )


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
    max_services_per_request: int = Field(
        100, ge=1, le=10_000, description="Most `service=` parameters one /api/data request may name."
    )

    @model_validator(mode="after")
    def _page_ordered(self) -> LimitSettings:
        if self.default_page_size > self.max_page_size:
            raise ValueError("INSIGHT_DEFAULT_PAGE_SIZE must not exceed INSIGHT_MAX_PAGE_SIZE")
        return self


class UploadSettings(BaseSettings):
    """Council uploads: how large a file may be and how much of it may be rejected."""

    model_config = _CONFIG

    upload_max_bytes: int = Field(
        100 * 1024 * 1024, ge=1, description="Largest upload file in bytes (413 beyond)."
    )
    upload_max_rows: int = Field(2_000_000, ge=1, description="Most data rows in one upload (422 beyond).")
    upload_max_rejected_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="An upload whose rejected rows exceed this share of its rows is refused whole "
        "(422 with the report); a request may lower or raise it with max_rejected.",
    )


class PoolingSettings(BaseSettings):
    """Councils' evidence: when councils are compared, and when their pooled records replace
    the modelled propensities and channel mix of the public maps."""

    model_config = _CONFIG

    benchmark_min_others: int = Field(
        3, ge=1, description="A council sees its benchmark only when this many other councils contribute."
    )
    pooling_min_councils: int = Field(
        3, ge=1, description="Councils whose records a service needs before observed figures are used."
    )
    pooling_min_records: int = Field(
        1_000,
        ge=1,
        description="Contacts a service needs, over those councils, before observed figures are used.",
    )


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


OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


class WebSettings(BaseSettings):
    """The web page: its basemap and where the map opens.

    No basemap by default: the page then fetches nothing from another site, works offline and
    sends no visitor's address to a tile provider. ``INSIGHT_BASEMAP_URL=osm`` is the
    documented choice for a deployment with a network (OpenStreetMap's standard tiles, whose
    usage policy suits light use; a busy site should use its own or a commercial tile server).
    """

    model_config = _CONFIG

    basemap_url: str = Field(
        "",
        description="Raster XYZ tiles drawn under the areas ({z}/{x}/{y}, optional {s} and {r}); "
        "'osm' for OpenStreetMap's standard tiles; empty for no basemap (the default).",
    )
    basemap_attribution: str = Field(
        "",
        description="Attribution of the basemap (HTML links allowed); required with a URL of "
        "your own, filled in for 'osm'.",
    )
    basemap_labels_url: str = Field(
        "",
        description="Optional raster XYZ tiles of place labels only, drawn above the areas.",
    )
    basemap_max_zoom: int = Field(19, ge=0, le=24, description="Deepest zoom the basemap has tiles for.")
    basemap_opacity: float = Field(
        0.7,
        ge=0.1,
        le=1.0,
        description="Initial opacity of the area colours over a basemap (the page has a slider).",
    )
    initial_view: Literal["europe", "uk"] = Field(
        "europe", description="Where the map opens: 'europe' (NUTS regions) or 'uk' (local authorities)."
    )
    pmtiles_url: str = Field(
        "",
        description="A PMTiles archive made by `insight export pmtiles` (http(s) URL or same-site "
        "path) that the map reads its public tiles from instead of this server; the host must "
        "answer HTTP Range requests (and CORS from this page's origin). Empty: tiles come from "
        "this server.",
    )

    @field_validator("pmtiles_url")
    @classmethod
    def _archive(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("https://", "http://", "/")):
            raise ValueError(f"INSIGHT_PMTILES_URL must be an http(s) URL or a same-site path; got {value!r}")
        return value

    @field_validator("basemap_url", "basemap_labels_url")
    @classmethod
    def _xyz(cls, value: str) -> str:
        value = value.strip()
        if value in ("", "osm"):
            return value
        if not value.startswith(("https://", "http://", "/")) or not all(
            part in value for part in ("{z}", "{x}", "{y}")
        ):
            raise ValueError(
                "a basemap URL must be an http(s) or same-site path with {z}, {x} and {y}, "
                f"or 'osm'; got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _attributed(self) -> WebSettings:
        if self.basemap_url not in ("", "osm") and not self.basemap_attribution.strip():
            raise ValueError("INSIGHT_BASEMAP_ATTRIBUTION is required with INSIGHT_BASEMAP_URL")
        return self

    @property
    def basemap_tiles(self) -> str:
        """The basemap's tile URL template ('' when there is none)."""
        return OSM_TILES if self.basemap_url == "osm" else self.basemap_url

    @property
    def basemap_credit(self) -> str:
        """The basemap's attribution (OpenStreetMap's own for 'osm' unless one is set)."""
        if self.basemap_url == "osm" and not self.basemap_attribution.strip():
            return OSM_ATTRIBUTION
        return self.basemap_attribution


class Settings(
    StoreSettings,
    SourceSettings,
    ServerSettings,
    ModelSettings,
    LimitSettings,
    UploadSettings,
    PoolingSettings,
    TileSettings,
    WebSettings,
):
    """Every concern's settings together: what the app and the CLI are configured with."""

    model_config = _CONFIG


@lru_cache
def get_settings() -> Settings:
    return Settings()
