"""``insight export pmtiles``: the public maps as one static archive, on both backends.

Every archive tile must be the served tile byte for byte; the archive must open in the
``pmtiles`` reader and GDAL's PMTiles driver; a capped tile fails the export and leaves no file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import pyogrio
import pytest
from fastapi.testclient import TestClient
from pmtiles.reader import MmapSource, Reader, all_tiles
from typer.testing import CliRunner

from app.main import create_app
from cli.main import cli
from core.settings import Settings
from tests.conftest import settings_variant

MAX_ZOOM = 9


@pytest.fixture
def settings(synthetic_settings: Settings, tmp_path: Path) -> Settings:
    return settings_variant(synthetic_settings, tmp_path)


def export(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("INSIGHT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INSIGHT_PROGRESS", "0")
    result = CliRunner().invoke(cli, ["export", "pmtiles", *args])
    return result.exit_code, result.output


def archive_tiles(path: Path) -> Iterator[tuple[tuple[int, int, int], bytes]]:
    with path.open("rb") as f:
        yield from all_tiles(MmapSource(f))


def test_archive_tiles_are_the_served_tiles(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "maps" / "areas.pmtiles"
    code, text = export(settings, monkeypatch, str(out), "--max-zoom", str(MAX_ZOOM))
    assert code == 0, text
    assert f"wrote {out}" in text
    tiles = dict(archive_tiles(out))
    assert len(tiles) > 10
    assert {z for z, _, _ in tiles} == set(range(MAX_ZOOM + 1))
    with TestClient(create_app(settings)) as client:
        for (z, x, y), body in tiles.items():
            served = client.get(f"/tiles/auto/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
            assert served.status_code == 200, (z, x, y)
            assert served.content == body, f"tile {z}/{x}/{y} differs from the served one"
        # a tile next to the drawn ones is empty when served too (nothing left out)
        (z, x, y) = max(tiles)
        neighbours = [(z, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        for zxy in neighbours:
            if zxy not in tiles:
                assert client.get("/tiles/auto/{}/{}/{}.mvt".format(*zxy)).status_code == 204
    decoded = mapbox_vector_tile.decode(tiles[max(tiles)])
    assert decoded["auto"]["features"][0]["properties"]["class_code"]

    with out.open("rb") as f:
        reader = Reader(MmapSource(f))
        header, metadata = reader.header(), reader.metadata()
    assert header["min_zoom"] == 0 and header["max_zoom"] == MAX_ZOOM
    assert metadata["vector_layers"][0]["id"] == "auto"
    assert "class_code" in metadata["vector_layers"][0]["fields"]
    assert metadata["levels_by_zoom"][str(MAX_ZOOM)] == "lad"
    assert metadata["attribution"]


def test_gdal_reads_the_archive(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "areas.pmtiles"
    assert export(settings, monkeypatch, str(out), "--layer", "lad", "--max-zoom", "8")[0] == 0
    layers = [name for name, _ in pyogrio.list_layers(out)]
    assert layers == ["lad"]
    frame = pyogrio.read_dataframe(out, layer="lad")
    assert {"code", "class_code", "households"} <= set(frame.columns)
    assert frame["code"].str.startswith("E08").all() and len(frame) > 0


def test_service_archive_carries_the_bands(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with TestClient(create_app(settings)) as client:
        service = client.get("/api/services").json()
    lgsl = next(s["lgsl"] for s in (service["services"] if isinstance(service, dict) else service))
    out = tmp_path / "demand.pmtiles"
    code, text = export(
        settings, monkeypatch, str(out), "--layer", "ward", "--service", str(lgsl), "--max-zoom", "10"
    )
    assert code == 0, text
    bands = {
        f["properties"]["band"]
        for _, body in archive_tiles(out)
        for f in mapbox_vector_tile.decode(body)["ward"]["features"]
    }
    assert bands <= {"low", "medium", "high"} and bands


def test_a_capped_tile_fails_the_export_and_leaves_no_file(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INSIGHT_MAX_FEATURES_PER_TILE", "1")
    out = tmp_path / "capped.pmtiles"
    code, text = export(
        settings, monkeypatch, str(out), "--layer", "oa", "--min-zoom", "10", "--max-zoom", "12"
    )
    assert code == 1
    assert "more than 1 features" in text and "capped" in text
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_bad_zooms_and_layers_are_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "x.pmtiles"
    code, text = export(settings, monkeypatch, str(out), "--min-zoom", "5", "--max-zoom", "3")
    assert code == 1 and "must lie within" in text
    code, text = export(settings, monkeypatch, str(out), "--layer", "nowhere")
    assert code == 1 and "unknown tile layer" in text
    assert not out.exists()
