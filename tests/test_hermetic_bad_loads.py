"""Bad files through ``insight load``: each refused with a non-zero exit and a message naming
the problem, and the stored data unchanged (row counts per table and the data version)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from boundaries.catalogue import CATALOGUE
from boundaries.store import SOURCED_TABLES
from cli.main import cli
from core.settings import Settings
from core.store import open_writer
from core.store.queries.loads import source_rows
from core.store.versions import NATIONAL, read_version
from tests.conftest import BACKENDS, new_store_url
from tests.synthetic import World

LOOKUP = "gm-lookup-statistical-2021"
WARDS = "wards-under-test"
WARD_ARGS = ["--level", "ward", "--code-col", "area_code", "--name-col", "area_name", "--source-id", WARDS]


@pytest.fixture(scope="module", params=BACKENDS)
def store_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A new store of each backend, shared by the module: every refusal leaves it unchanged."""
    admin = request.getfixturevalue("pg_admin_url") if request.param == "postgis" else None
    url = new_store_url(request.param, tmp_path_factory.mktemp("bad-loads"), admin)
    return Settings(database_url=url)


@pytest.fixture(scope="module")
def loaded(store_settings: Settings, synthetic: World) -> Iterator[Callable[..., tuple[int, str]]]:
    """The store holding the generated OA lookup and GM wards; yields ``run(*args) -> (exit
    code, output)`` for ``insight`` on it."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("INSIGHT_PROGRESS", "0")
        env.setenv("INSIGHT_DATABASE_URL", store_settings.database_url)
        env.setenv("INSIGHT_DATA_DIR", str(synthetic.root))

        def run(*args: str) -> tuple[int, str]:
            result = CliRunner().invoke(cli, list(args))
            return result.exit_code, result.output

        code, out = run("load", "lookup")
        assert code == 0, out
        code, out = run("load", "boundaries", str(_wards(synthetic)), *WARD_ARGS)
        assert code == 0, out
        yield run


def _wards(world: World) -> Path:
    return CATALOGUE["ons-ward-2023-gm"].path(world.root)


def _lookup(world: World) -> Path:
    return CATALOGUE[LOOKUP].path(world.root)


def state(settings: Settings) -> dict[str, object]:
    """Rows per table of both sources, and the national data version."""
    with open_writer(settings) as writer:
        out: dict[str, object] = {"version": writer.read_frame(read_version(NATIONAL))["value"].tolist()}
        for sid in (LOOKUP, WARDS):
            frame = writer.read_frame(source_rows(sid, SOURCED_TABLES))
            out[sid] = {t: int(n) for t, n in zip(frame["tbl"], frame["n"], strict=True) if n}
    return out


def _refused(run: Callable, settings: Settings, args: list[str], *words: str) -> None:
    before = state(settings)
    code, out = run(*args)
    assert code != 0, out
    for word in words:
        assert word in out, out
    assert state(settings) == before


def test_the_fixture_holds_both_sources(loaded, store_settings: Settings) -> None:
    held = state(store_settings)
    assert set(held[LOOKUP]) == {"area_link"}  # type: ignore[arg-type]
    assert held[LOOKUP]["area_link"] > 100 and held[WARDS]["area"] == 8  # type: ignore[index]


# --- lookups ---------------------------------------------------------------------------------


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


LOOKUP_CASES = {
    "empty": ("", ["cannot read as CSV"]),
    "header only": ("oa21cd,lsoa21cd,lsoa21nm,msoa21cd,msoa21nm,lad22cd,lad22nm\n", ["holds no rows"]),
    "all rows short": (None, ["lack a code", "line(s) 2, 3", "--allow-shrink"]),
    "missing column": ("oa21cd,lsoa21cd\nE00000001,E01000001\n", ["missing column(s) 'lad22cd'"]),
    "wrong encoding": (None, ["cannot read as CSV"]),
    "truncated": (None, ["lack a code", "--allow-shrink"]),
    "duplicated codes": (None, ["have more than one lsoa"]),
    "fewer rows": (None, ["by fewer", "area_link", "--allow-shrink"]),
}


def _lookup_text(case: str, world: World) -> str | bytes:
    text, _ = LOOKUP_CASES[case]
    if text is not None:
        return text
    lines = _lookup(world).read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    if case == "all rows short":
        return "\n".join([header, *(r.split(",")[0] for r in rows)]) + "\n"
    if case == "wrong encoding":
        return ("\n".join(lines) + "\n").encode("utf-16")
    if case == "truncated":
        return "\n".join([header, *rows[:-1], rows[-1][:12]])
    if case == "duplicated codes":
        first = rows[0].split(",")
        clash = ",".join([first[0], "E01999999", *first[2:]])
        return "\n".join([header, *rows, clash]) + "\n"
    assert case == "fewer rows"
    return "\n".join([header, *rows[: len(rows) // 2]]) + "\n"


@pytest.mark.parametrize("case", list(LOOKUP_CASES))
def test_a_bad_lookup_is_refused_and_changes_nothing(
    loaded, store_settings: Settings, synthetic: World, tmp_path: Path, case: str
) -> None:
    file = _write(tmp_path / "lookup.csv", _lookup_text(case, synthetic))
    _refused(
        loaded, store_settings, ["load", "lookup", str(file), "--source-id", LOOKUP], *LOOKUP_CASES[case][1]
    )


# --- boundaries ------------------------------------------------------------------------------


def _geojson(world: World, case: str) -> str:
    if case == "metres given as a far CRS":  # British National Grid metres, declared as nothing
        return gpd.read_file(_wards(world)).to_crs("EPSG:27700").to_json()
    doc = json.loads(_wards(world).read_text(encoding="utf-8"))
    if case == "declares BNG, holds lon/lat":
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    elif case == "unknown CRS":
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}
    elif case == "duplicated codes":
        doc["features"].append(doc["features"][0])
    elif case == "missing column":
        for f in doc["features"]:
            f["properties"].pop("area_code")
    elif case == "fewer areas":
        doc["features"] = doc["features"][:5]
    elif case == "no features":
        doc["features"] = []
    return json.dumps(doc)


BOUNDARY_CASES: dict[str, tuple[list[str], list[str]]] = {
    "declares BNG, holds lon/lat": ([], ["EPSG:27700", "look like longitude/latitude"]),
    "unknown CRS": ([], ["EPSG::999999", "unknown or cannot be parsed"]),
    "lon/lat given as BNG": (["--crs", "EPSG:27700"], ["EPSG:27700", "look like longitude/latitude"]),
    "metres given as a far CRS": (["--crs", "EPSG:2193"], ["outside the area of use", "EPSG:2193"]),
    "unparseable --crs": (["--crs", "EPSG:nonsense"], ["unknown CRS 'EPSG:nonsense'"]),
    "duplicated codes": ([], ["duplicate codes"]),
    "missing column": ([], ["missing code column 'area_code'"]),
    "fewer areas": ([], ["by fewer", "area 8 → 5", "--allow-shrink"]),
    "no features": ([], ["wards.geojson"]),
}


@pytest.mark.parametrize("case", list(BOUNDARY_CASES))
def test_a_bad_boundary_file_is_refused_and_changes_nothing(
    loaded, store_settings: Settings, synthetic: World, tmp_path: Path, case: str
) -> None:
    file = _write(tmp_path / "wards.geojson", _geojson(synthetic, case))
    extra, words = BOUNDARY_CASES[case]
    _refused(loaded, store_settings, ["load", "boundaries", str(file), *WARD_ARGS, *extra], *words)


@pytest.mark.parametrize(
    "content", [b"", b'{"type": "FeatureCollection", "features": [{"type": "Fea', b"\xff\xfe\x00junk"]
)
def test_an_unreadable_boundary_file_is_refused(
    loaded, store_settings: Settings, tmp_path: Path, content: bytes
) -> None:
    file = _write(tmp_path / "wards.geojson", content)
    _refused(loaded, store_settings, ["load", "boundaries", str(file), *WARD_ARGS], "wards.geojson")


def test_allow_shrink_accepts_a_smaller_lookup(
    loaded, store_settings: Settings, synthetic: World, tmp_path: Path
) -> None:
    before = state(store_settings)
    file = _write(tmp_path / "lookup.csv", _lookup_text("fewer rows", synthetic))
    code, out = loaded("load", "lookup", str(file), "--source-id", LOOKUP, "--allow-shrink")
    assert code == 0, out
    after = state(store_settings)
    assert 0 < after[LOOKUP]["area_link"] < before[LOOKUP]["area_link"]  # type: ignore[index]
    assert after["version"] != before["version"]
    code, out = loaded("load", "lookup", "--source-id", LOOKUP)  # back to the whole file
    assert code == 0, out
    assert state(store_settings)[LOOKUP] == before[LOOKUP]
