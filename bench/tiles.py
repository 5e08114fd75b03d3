"""Tile benchmark: our server against TiPg and MapServer on the same PostGIS, the same polygons,
the same tiles.

    python bench/tiles.py load --db postgresql://.../insight_bench   # generate and load (minutes)
    python bench/tiles.py run  --db postgresql://.../insight_bench   # measure and print the table
    python bench/tiles.py all  --db ...                              # both

``load`` generates ~230,000 output-area-sized polygons over the UK (a Voronoi tessellation of
population-like points, clipped to the UK's NUTS 1 outline, edges segmentised every 40 m and
displaced by one smooth noise field, so neighbours keep shared borders), keys them by real
output area codes from the OAC 2021 file with their real supergroups, and loads them through
the project's own path: ``boundaries.geometry.area_rows`` (repair, EPSG:3857, generalised
copy) and ``Transaction.insert_frame``, plus the NUTS levels for the ``auto`` layer. TiPg gets
the same OA rows as a plain table (``bench_oa``: EPSG:4326, GiST index) - what a TiPg user
would publish.

``run`` starts the servers (ours with ``--workers`` processes, TiPg with each of
``--tipg-workers``; one ``SO_REUSEPORT`` socket per process, so TCP_NODELAY is kept; ours
with the uvicorn options ``insight serve`` uses, TiPg with uvicorn's defaults), drives
them with ``wrk`` over the same tile lists at z6, z10 and z14, cold (our tile cache off) and
warm (cache on, after one pass), and prints tiles/s, p50, p99 and ours against each peer.
With ``--mapserver-procs`` it also measures MapServer (Debian ``cgi-mapserver``, MVT output)
as that many FastCGI processes behind ``lighttpd``, reading the same ``bench_oa`` table.
Needs ``wrk`` (Debian package) and TiPg (``pip install tipg``). Loopback only, bounded runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STATE = Path(os.environ.get("INSIGHT_BENCH_STATE", "/tmp/insight-bench"))
ZOOMS = (6, 10, 14)
OURS_PORT, TIPG_PORT, MAPSERVER_PORT = 8811, 8812, 8813

# (lon, lat, weight, sigma km): population clusters
CITIES = [
    (-0.12, 51.50, 9.0, 15),
    (-1.90, 52.48, 2.9, 12),
    (-2.24, 53.48, 2.8, 12),
    (-1.60, 53.80, 2.3, 12),
    (-4.25, 55.86, 1.8, 10),
    (-2.98, 53.41, 1.4, 8),
    (-1.60, 54.97, 1.1, 9),
    (-1.47, 53.38, 1.3, 9),
    (-2.59, 51.45, 1.0, 7),
    (-1.15, 52.95, 0.9, 7),
    (-1.13, 52.64, 0.6, 6),
    (-3.19, 55.95, 0.9, 7),
    (-3.18, 51.48, 0.8, 8),
    (-5.93, 54.60, 0.7, 7),
    (-1.25, 50.85, 1.0, 10),
    (-0.14, 50.83, 0.5, 5),
    (-4.14, 50.37, 0.3, 5),
    (-0.33, 53.74, 0.4, 5),
    (-2.18, 53.00, 0.5, 6),
    (-1.51, 52.41, 0.4, 5),
    (-2.10, 57.15, 0.25, 5),
    (1.29, 52.63, 0.25, 4),
    (-1.23, 54.57, 0.5, 6),
    (-0.97, 51.45, 0.4, 6),
]
RURAL_SHARE = 0.35
SEGMENT_M = 40.0


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --- data ---------------------------------------------------------------------------------------
def uk_land_bng(data_dir: Path):
    """The UK outline (NUTS 1, 1:20M) in British National Grid metres."""
    import geopandas as gpd
    import shapely

    nuts1 = gpd.read_file(data_dir / "gisco-nuts" / "2021-20M" / "NUTS_RG_20M_2021_4326_LEVL_1.geojson")
    uk = nuts1[nuts1["CNTR_CODE"] == "UK"].to_crs(27700)
    return shapely.make_valid(shapely.union_all(uk.geometry.to_numpy()))


def sample_points(n: int, land, rng: np.random.Generator) -> np.ndarray:
    import shapely
    from pyproj import Transformer

    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    shapely.prepare(land)
    minx, miny, maxx, maxy = land.bounds
    cities = np.array(CITIES)
    cx, cy = to_bng.transform(cities[:, 0], cities[:, 1])
    weights = cities[:, 2] / cities[:, 2].sum()
    out, need = [], n - int(n * RURAL_SHARE)
    while need > 0:
        k = int(need * 1.3) + 100
        idx = rng.choice(len(cities), size=k, p=weights)
        pts = np.c_[cx[idx], cy[idx]] + rng.standard_normal((k, 2)) * (cities[idx, 3:4] * 1000.0)
        pts = pts[shapely.contains_xy(land, pts[:, 0], pts[:, 1])][:need]
        out.append(pts)
        need -= len(pts)
    need = int(n * RURAL_SHARE)
    while need > 0:
        k = need * 3 + 100
        pts = np.c_[rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)]
        pts = pts[shapely.contains_xy(land, pts[:, 0], pts[:, 1])][:need]
        out.append(pts)
        need -= len(pts)
    return np.concatenate(out) + rng.uniform(-0.5, 0.5, (n, 2))


def tessellate(n: int, land, rng: np.random.Generator, segment_m: float = SEGMENT_M) -> np.ndarray:
    """Gap-free OA-sized cells in BNG metres with wiggly, shared edges (~80 vertices each)."""
    import shapely

    pts = sample_points(n, land, rng)
    cells = shapely.voronoi_polygons(
        shapely.multipoints(pts), extend_to=shapely.box(*land.buffer(20_000).bounds), ordered=True
    )
    cells = np.asarray(shapely.get_parts(cells))
    cells = shapely.intersection(cells, land)
    cells = cells[~shapely.is_empty(cells) & (shapely.area(cells) > 1.0)]
    cells = shapely.segmentize(cells, segment_m)
    amp, wl = segment_m * 0.25, segment_m * 3.5
    k = 2 * np.pi / wl

    def wiggle(c: np.ndarray) -> np.ndarray:
        x, y = c[:, 0], c[:, 1]
        dx = amp * (0.5 * np.sin(k * y + 1.3) + 0.25 * np.sin(2.1 * k * (x + y) + 0.7))
        dy = amp * (0.5 * np.sin(k * x + 0.4) + 0.25 * np.sin(1.7 * k * (x - y) + 2.1))
        return c + np.c_[dx, dy]

    return shapely.transform(cells, wiggle)


def load_wards(db: str, data_dir: Path, n: int, seed: int) -> None:
    """Ward-sized cells (what ``auto`` draws at city zooms), edges every 100 m, with a class each."""
    import geopandas as gpd
    import pandas as pd

    from boundaries.geometry import area_rows
    from core.settings import Settings
    from core.store import open_writer

    rng = np.random.default_rng(seed + 1)
    cells = tessellate(n, uk_land_bng(data_dir), rng, segment_m=100.0)
    codes = [f"E05{i:06d}" for i in range(len(cells))]
    frame = gpd.GeoDataFrame({"code": codes, "name": codes, "parent_code": None}, geometry=cells, crs=27700)
    rows = area_rows(frame, "ward").assign(source_id="bench-ward", country="UK")
    pred = pd.DataFrame(
        {
            "classification_id": "oac2021",
            "level": "ward",
            "code": codes,
            "tier": "supergroup",
            "class_code": rng.integers(1, 9, len(codes)).astype(str),
            "households": rng.integers(2000, 9000, len(codes)).astype(float),
            "share": 0.4,
            "margin": 0.1,
            "mixed": False,
        }
    )
    with open_writer(Settings(database_url=db, data_dir=data_dir)) as writer, writer.transaction() as tx:
        tx.execute("DELETE FROM area WHERE level = 'ward'")
        tx.execute("DELETE FROM predominant_area WHERE level = 'ward'")
        tx.insert_frame("area", rows)
        tx.insert_frame("predominant_area", pred)
        tx.bump_data_version()
    log(f"loaded {len(rows)} wards")


def load(db: str, data_dir: Path, n: int, seed: int) -> None:
    """Generate the polygons and load them, the NUTS levels and their classes into ``db``."""
    import geopandas as gpd
    import pandas as pd

    from boundaries.geometry import area_rows
    from boundaries.readers import read_boundaries
    from core.settings import Settings
    from core.store import open_writer

    rng = np.random.default_rng(seed)
    t0 = time.time()
    land = uk_land_bng(data_dir)
    cells = tessellate(n, land, rng)
    log(f"{len(cells)} cells in {time.time() - t0:.0f}s")
    oac = pd.read_parquet(data_dir / "uk-oac2021" / "UK_OAC_Final.parquet")
    oac = oac.sample(n=len(cells), random_state=seed).reset_index(drop=True)
    frame = gpd.GeoDataFrame(
        {"code": oac["Geography_Code"], "name": oac["Geography_Code"], "parent_code": None},
        geometry=cells,
        crs=27700,
    )
    t0 = time.time()
    oa_rows = area_rows(frame, "oa")
    log(f"area_rows (repair, reproject, generalise) in {time.time() - t0:.0f}s")
    frames = [oa_rows.assign(source_id="bench-oa", country="UK")]
    for lv in range(4):
        nuts = read_boundaries(
            data_dir / "gisco-nuts" / "2021-20M" / f"NUTS_RG_20M_2021_4326_LEVL_{lv}.geojson",
            code_col="NUTS_ID",
            name_col="NAME_LATN",
        )
        nuts["parent_code"] = nuts["code"].str[:-1] if lv else None
        rows = area_rows(nuts, f"nuts{lv}")
        frames.append(rows.assign(source_id="bench-nuts", country=nuts["code"].str[:2].to_numpy()))
    areas = pd.concat(frames, ignore_index=True)

    names = pd.read_csv(data_dir / "uk-oac2021" / "classification_codes_and_names.csv", encoding="utf-8-sig")
    names = names[names["Level Code"] == "sg"]
    palette = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
    classes = pd.DataFrame(
        {
            "classification_id": "oac2021",
            "code": names["Classification Code"].astype(str).to_numpy(),
            "tier": "supergroup",
            "name": names["Classification Name"].str.strip().to_numpy(),
            "colour": palette[: len(names)],
            "sort": range(len(names)),
        }
    )
    households = rng.integers(100, 350, len(oac)).astype(float)
    pred = pd.DataFrame(
        {
            "classification_id": "oac2021",
            "level": "oa",
            "code": oac["Geography_Code"],
            "tier": "supergroup",
            "class_code": oac["Supergroup"].astype(str),
            "households": households,
            "share": 1.0,
            "margin": 1.0,
            "mixed": False,
        }
    )
    classification = pd.DataFrame(
        [
            {
                "classification_id": "oac2021",
                "name": "Output Area Classification 2021",
                "base_level": "oa",
                "tiers": "supergroup",
                "attribution": "ONS, OGL v3.0",
                "source_id": "bench-oa",
            }
        ]
    )
    settings = Settings(database_url=db, data_dir=data_dir)
    t0 = time.time()
    with open_writer(settings) as writer:
        with writer.transaction() as tx:
            for table in ("area", "predominant_area", "profile_class", "classification"):
                tx.execute(f"DELETE FROM {table}")
            tx.insert_frame("area", areas)
            tx.insert_frame("classification", classification)
            tx.insert_frame("profile_class", classes)
            tx.insert_frame("predominant_area", pred)
            tx.bump_data_version()
        with writer.transaction() as tx:
            tx.execute("DROP TABLE IF EXISTS bench_oa")
            tx.execute(
                "CREATE TABLE bench_oa AS SELECT row_number() OVER ()::integer AS id, a.code, a.name, "
                "p.class_code, p.households, a.geom::geometry(MultiPolygon, 4326) AS geom "
                "FROM area a JOIN predominant p ON p.level = a.level AND p.code = a.code "
                "WHERE a.level = 'oa'"
            )
            tx.execute("ALTER TABLE bench_oa ADD PRIMARY KEY (id)")
            tx.execute("CREATE INDEX bench_oa_geom_gist ON bench_oa USING gist (geom)")
    import psycopg

    with psycopg.connect(db.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("CLUSTER area USING area_geom_3857_gist")
        conn.execute("CLUSTER bench_oa USING bench_oa_geom_gist")
        conn.execute("VACUUM ANALYZE")
    log(f"loaded {len(areas)} areas in {time.time() - t0:.0f}s")
    load_wards(db, data_dir, 9000, seed)
    load_tile_areas(db, data_dir)


def prepare_real(db: str) -> None:
    """TiPg's table from the real output areas of a national store (``bench/national.py
    --backend postgis --keep DB``): the same polygons our ``oa`` layer serves, as a plain table."""
    import psycopg

    t0 = time.time()
    with psycopg.connect(db.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_oa")
        conn.execute(
            "CREATE TABLE bench_oa AS SELECT row_number() OVER ()::integer AS id, a.code, a.name, "
            "p.class_code, p.households, ST_Multi(a.geom)::geometry(MultiPolygon, 4326) AS geom "
            "FROM area a LEFT JOIN predominant p ON p.level = a.level AND p.code = a.code "
            "AND p.classification_id = 'oac2021' AND p.tier = 'supergroup' WHERE a.level = 'oa'"
        )
        conn.execute("ALTER TABLE bench_oa ADD PRIMARY KEY (id)")
        conn.execute("CREATE INDEX bench_oa_geom_gist ON bench_oa USING gist (geom)")
        conn.execute("CLUSTER bench_oa USING bench_oa_geom_gist")
        conn.execute("VACUUM ANALYZE bench_oa")
        n = conn.execute("SELECT count(*) FROM bench_oa").fetchone()[0]
    log(f"bench_oa: {n:,} real output areas in {time.time() - t0:.0f}s")


def load_tile_areas(db: str, data_dir: Path) -> None:
    """Write the tile serving table, as ``insight build`` does after the model."""
    import psycopg

    from core.settings import Settings
    from core.store import open_writer
    from derive.serving import write_tile_areas

    t0 = time.time()
    with open_writer(Settings(database_url=db, data_dir=data_dir)) as writer, writer.transaction() as tx:
        rows = write_tile_areas(tx)
    with psycopg.connect(db.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE tile_area, tile_area_piece")
    log(f"tile_area: {rows} rows in {time.time() - t0:.0f}s")


# --- tiles -------------------------------------------------------------------------------------------
def tile_lists(db: str, seed: int) -> dict[int, list[str]]:
    """z6: every tile over the UK; z10, z14: up to 400 distinct tiles each holding a random OA."""
    import psycopg

    from core.tiling import lonlat_to_tile

    with psycopg.connect(db) as conn:
        points = conn.execute("SELECT lon, lat FROM area WHERE level = 'oa' ORDER BY code").fetchall()
        box = conn.execute(
            "SELECT min(minx), min(miny), max(maxx), max(maxy) FROM area WHERE level='oa'"
        ).fetchone()
    rnd = random.Random(seed)
    lists: dict[int, list[str]] = {}
    x0, y1 = lonlat_to_tile(box[0], box[1], 6)
    x1, y0 = lonlat_to_tile(box[2], box[3], 6)
    lists[6] = [f"6/{x}/{y}" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    for z in (10, 14):
        seen: dict[str, None] = {}
        for lon, lat in rnd.sample(points, 5000):
            x, y = lonlat_to_tile(lon, lat, z)
            seen[f"{z}/{x}/{y}"] = None
            if len(seen) == 400:
                break
        lists[z] = list(seen)
    return lists


WRK_LUA = r"""
local paths, counter = {}, 0
function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do if #line > 0 then paths[#paths + 1] = line end end
  wrk.headers["Accept-Encoding"] = "gzip"
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(port: int, paths: list[str], seconds: int, connections: int) -> dict:
    lua = STATE / "paths.lua"
    lua.write_text(WRK_LUA)
    paths_file = STATE / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout=30s",
        "-s",
        str(lua),
        f"http://127.0.0.1:{port}",
    ]
    out = subprocess.run(
        cmd,
        env=dict(os.environ, BENCH_PATHS=str(paths_file)),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            res = json.loads(line[len("BENCH_JSON ") :])
            secs = res["duration_us"] / 1e6
            return {
                "tiles_s": res["requests"] / secs if secs else 0.0,
                "p50_ms": res["p50_us"] / 1000,
                "p99_ms": res["p99_us"] / 1000,
                "n": res["requests"],
                "errors": res["errors"],
            }
    raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")


# --- servers ------------------------------------------------------------------------------------
SERVE = r"""
import os, socket, sys, uvicorn
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
sock.bind(("127.0.0.1", int(sys.argv[2])))
sock.listen(2048)
options = {"log_level": "warning", "access_log": False}  # a peer: uvicorn as its own docs run it
if sys.argv[1] == "app.asgi:app":  # ours: uvicorn as `insight serve` runs it (protocol, limits)
    from app.serve import server_config
    from core.settings import Settings
    options = server_config(Settings()) | {"log_level": "warning"}
uvicorn.Server(uvicorn.Config(sys.argv[1], **options)).run(sockets=[sock])
"""


def start_server(app: str, port: int, env: dict[str, str], workers: int) -> list[subprocess.Popen]:
    """``workers`` uvicorn processes, each with its own SO_REUSEPORT socket (TCP_NODELAY kept).

    TiPg runs under ``BENCH_TIPG_PYTHON`` when set (a virtual environment of its own, so its
    pinned packages never touch the project's)."""
    python = os.environ.get("BENCH_TIPG_PYTHON", sys.executable) if app.startswith("tipg") else sys.executable
    with open(STATE / f"server-{port}.log", "a") as log_file:  # each child keeps its own copy
        procs = [
            subprocess.Popen(
                [python, "-c", SERVE, app, str(port)],
                env=dict(os.environ, **env),
                cwd=STATE,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
            for _ in range(workers)
        ]
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                pass
            return procs
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP answer: the server is up
                return procs
            time.sleep(0.5)
    stop(procs)
    raise RuntimeError(f"server on port {port} did not start; see {STATE}/server-{port}.log")


MAPFILE = """MAP
  NAME "bench"
  EXTENT -20037508.34 -20037508.34 20037508.34 20037508.34
  SIZE 256 256
  UNITS METERS
  PROJECTION "init=epsg:3857" END
  OUTPUTFORMAT
    NAME "mvt"
    DRIVER MVT
    FORMATOPTION "EXTENT=4096"
    FORMATOPTION "EDGE_BUFFER=64"
  END
  LAYER
    NAME "oa"
    TYPE POLYGON
    STATUS ON
    CONNECTIONTYPE POSTGIS
    CONNECTION "{connection}"
    DATA "geom FROM (SELECT id, code, name, class_code, households, geom FROM public.bench_oa) AS t USING UNIQUE id USING SRID=4326"
    PROCESSING "CLOSE_CONNECTION=DEFER"
    PROJECTION "init=epsg:4326" END
    METADATA
      "gml_include_items" "all"
      "gml_types" "auto"
    END
    CLASS STYLE END END
  END
END
"""
MAPSERVER_CONFIG = """CONFIG
  ENV
    MS_MAP_PATTERN "^{state}/"
  END
  MAPS
    "bench" "{state}/bench.map"
  END
END
"""
LIGHTTPD_CONF = """server.document-root = "{state}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{state}/lighttpd-error.log"
server.modules += ( "mod_fastcgi" )
server.max-connections = 1024
fastcgi.server = ( "/mapserv" => ((
  "bin-path" => "{mapserv}",
  "socket" => "{state}/mapserv.fcgi.sock",
  "max-procs" => {procs},
  "check-local" => "disable",
  "bin-environment" => ( "MAPSERVER_CONFIG_FILE" => "{state}/mapserver.conf" )
)))
"""


def start_mapserver(db: str, port: int, procs: int) -> list[subprocess.Popen]:
    """MapServer as ``procs`` FastCGI processes behind one ``lighttpd`` (in the foreground, so
    stopping it stops them), the same ``bench_oa`` table as TiPg's; needs the Debian packages
    ``cgi-mapserver`` and ``lighttpd``."""
    from psycopg.conninfo import conninfo_to_dict

    mapserv = Path("/usr/lib/cgi-bin/mapserv")
    if not mapserv.exists() or not shutil.which("lighttpd"):
        raise SystemExit("MapServer needs the Debian packages cgi-mapserver and lighttpd")
    parts = conninfo_to_dict(db.replace("postgres://", "postgresql://"))
    connection = " ".join(
        f"{k}={parts[k]}" for k in ("host", "port", "dbname", "user", "password") if k in parts
    )
    state = STATE / "mapserver"
    state.mkdir(parents=True, exist_ok=True)
    (state / "bench.map").write_text(MAPFILE.format(connection=connection))
    (state / "mapserver.conf").write_text(MAPSERVER_CONFIG.format(state=state))
    conf = state / "lighttpd.conf"
    conf.write_text(LIGHTTPD_CONF.format(state=state, port=port, mapserv=mapserv, procs=procs))
    with open(STATE / f"server-{port}.log", "a") as log_file:
        proc = subprocess.Popen(
            ["lighttpd", "-D", "-f", str(conf)], stdout=subprocess.DEVNULL, stderr=log_file
        )
    probe = f"http://127.0.0.1:{port}{MAPSERVER_TILE.format(z=0, x=0, y=0)}"
    for _ in range(60):
        try:
            with urllib.request.urlopen(probe, timeout=60):
                return [proc]
        except OSError:
            time.sleep(0.5)
    stop_mapserver([proc])
    raise RuntimeError(f"MapServer did not start; see {state}/lighttpd-error.log")


def stop_mapserver(procs: list[subprocess.Popen]) -> None:
    """Stop lighttpd and its FastCGI processes (lighttpd leaves them running when stopped)."""
    for p in procs:
        subprocess.run(["pkill", "-TERM", "-P", str(p.pid)], check=False)
    stop(procs)


MAPSERVER_TILE = "/mapserv?map=bench&mode=tile&tilemode=gmap&tile={x}+{y}+{z}&layers=oa&map.imagetype=mvt"


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_db_idle(db: str, limit_s: float = 180.0) -> float:
    """Wait until no query runs on the benchmark database: a stopped server's abandoned tile
    queries keep running until they finish and would slow the next run down."""
    import psycopg

    t0 = time.time()
    with psycopg.connect(db, autocommit=True) as conn:
        while time.time() - t0 < limit_s:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid()"
            ).fetchone()[0]
            if not busy:
                break
            time.sleep(0.5)
    return time.time() - t0


def measure(
    db: str,
    seconds: int,
    connections: int,
    workers: int,
    tipg_workers: list[int],
    seed: int,
    mapserver_procs: list[int] | None = None,
) -> list[dict]:
    lists = tile_lists(db, seed)
    for z, tiles in lists.items():
        log(f"z{z}: {len(tiles)} tiles")
    ours_env = {
        "INSIGHT_DATABASE_URL": db,
        "INSIGHT_LOG_LEVEL": "warning",
        "INSIGHT_MAX_FEATURES_PER_TILE": "1000000",
    }
    tipg_env = {
        "DATABASE_URL": db,
        "TIPG_DB_TABLES": '["public.bench_oa"]',
        "TIPG_MAX_FEATURES_PER_TILE": "1000000",
        "TIPG_DEBUG": "false",
    }
    rows: list[dict] = []

    def paths(tpl: str, z: int) -> list[str]:
        return [tpl.format(z=a, x=b, y=c) for a, b, c in (t.split("/") for t in lists[z])]

    ours_oa = "/tiles/oa/{z}/{x}/{y}.mvt"
    ours_auto = "/tiles/auto/{z}/{x}/{y}.mvt"
    tipg = "/collections/public.bench_oa/tiles/WebMercatorQuad/{z}/{x}/{y}"

    def bench(label: str, port: int, tpl: str, z: int, secs: int, conns: int, warmup: int = 2) -> None:
        ps = paths(tpl, z)
        if warmup:
            run_wrk(port, ps, warmup, conns)
        wait_db_idle(db)
        load = os.getloadavg()[0]
        r = run_wrk(port, ps, secs, conns)
        r.update(server=label, zoom=z, path=tpl, connections=conns, load1=load)
        log(
            f"{label} z{z}: {r['tiles_s']:.1f} tiles/s p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms "
            f"n={r['n']} errors={r['errors']} (load average before: {load:.1f})"
        )
        rows.append(r)

    for port in (OURS_PORT, TIPG_PORT, MAPSERVER_PORT):
        if not port_free(port):
            raise SystemExit(f"port {port} is in use")
    heavy = max(seconds, 15)  # z6 over raw OAs: seconds per tile, so a longer, narrower run

    def measure_peer(label: str, port: int, tpl: str, start, stop_peer) -> None:
        """One peer configuration, cold (peers keep no tile cache): z14 and z10, then z6 narrower."""
        procs = start()
        try:
            for z in (14, 10):
                bench(label, port, tpl, z, seconds, connections)
            bench(label, port, tpl, 6, heavy, 2, warmup=0)
        finally:
            stop_peer(procs)
        wait_db_idle(db)

    for n in tipg_workers:
        measure_peer(
            f"TiPg oa, {n} proc",
            TIPG_PORT,
            tipg,
            lambda n=n: start_server("tipg.main:app", TIPG_PORT, tipg_env, n),
            stop,
        )
    # MapServer: FastCGI processes behind lighttpd's one event loop
    for n in mapserver_procs or []:
        measure_peer(
            f"MapServer oa, {n} proc",
            MAPSERVER_PORT,
            MAPSERVER_TILE,
            lambda n=n: start_mapserver(db, MAPSERVER_PORT, n),
            stop_mapserver,
        )
    # ours, cold: the tile cache off, every request makes its tile in SQL
    procs = start_server("app.asgi:app", OURS_PORT, ours_env | {"INSIGHT_TILE_CACHE_BYTES": "0"}, workers)
    try:
        for z in (14, 10):
            bench("ours oa, cold", OURS_PORT, ours_oa, z, seconds, connections)
        for z in (10, 6):  # auto: wards at z10, NUTS 3 at z6
            bench("ours auto, cold", OURS_PORT, ours_auto, z, seconds, connections)
        bench("ours oa, cold", OURS_PORT, ours_oa, 6, heavy, 2, warmup=0)
    finally:
        stop(procs)
    wait_db_idle(db)
    # ours, warm: the cache on, filled by one pass over each list first
    procs = start_server(
        "app.asgi:app", OURS_PORT, ours_env | {"INSIGHT_TILE_CACHE_BYTES": str(4 << 30)}, workers
    )
    try:
        for label, tpl, z in (
            ("ours oa, warm", ours_oa, 14),
            ("ours oa, warm", ours_oa, 10),
            ("ours auto, warm", ours_auto, 10),
            ("ours auto, warm", ours_auto, 6),
        ):
            for p in paths(tpl, z):  # several passes so that every process has every tile
                for _ in range(workers * 2):
                    urllib.request.urlopen(f"http://127.0.0.1:{OURS_PORT}{p}", timeout=120).read()
            bench(label, OURS_PORT, tpl, z, seconds, connections)
    finally:
        stop(procs)
    return rows


def table(rows: list[dict]) -> str:
    """Markdown table; ours against each peer configuration measured (server and process count)."""
    peers: dict[str, dict[int, dict]] = {}
    for r in rows:
        if not r["server"].startswith("ours"):
            name, procs = r["server"].split(", ")
            peers.setdefault(f"{name.split()[0]} {procs}", {})[r["zoom"]] = r
    heads = [f"ours/{k}" for k in peers]
    lines = [
        "| server / layer | zoom | conns | tiles/s | p50 ms | p99 ms | requests | errors | load avg | "
        + " | ".join(heads)
        + " |",
        "|" + "---|" * (9 + len(heads)),
    ]
    for r in rows:
        ratios = []
        for by_zoom in peers.values():
            base = by_zoom.get(r["zoom"])
            ok = r["server"].startswith("ours") and base and base["tiles_s"]
            ratios.append(f"{r['tiles_s'] / base['tiles_s']:.1f}x" if ok else "")
        lines.append(
            f"| {r['server']} | z{r['zoom']} | {r['connections']} | {r['tiles_s']:.1f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['n']} | {r['errors']} | {r['load1']:.1f} | " + " | ".join(ratios) + " |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["load", "tile-areas", "real", "run", "all"])
    ap.add_argument("--db", required=True, help="postgresql:// URL of the benchmark database (PostGIS)")
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("INSIGHT_DATA_DIR", "data")))
    ap.add_argument("--n", type=int, default=230_000, help="number of generated output areas")
    ap.add_argument("--seconds", type=int, default=10, help="measured seconds per run (max 30)")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2, help="processes of our server")
    ap.add_argument("--tipg-workers", default="1,2", help="TiPg process counts to measure, comma list")
    ap.add_argument(
        "--mapserver-procs", default="", help="MapServer FastCGI process counts to measure, comma list"
    )
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    host = a.db.split("@")[-1].split("/")[0].split(":")[0]
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the benchmark only runs against a loopback database")
    STATE.mkdir(parents=True, exist_ok=True)
    if a.command in ("load", "all"):
        load(a.db, a.data_dir.resolve(), a.n, a.seed)
    if a.command == "tile-areas":  # the serving table only, over an already loaded database
        load_tile_areas(a.db, a.data_dir.resolve())
    if a.command == "real":  # TiPg's table from a kept national store's real output areas
        prepare_real(a.db)
    if a.command in ("run", "all"):
        tipg_workers = [int(n) for n in a.tipg_workers.split(",") if n.strip()]
        mapserver_procs = [int(n) for n in a.mapserver_procs.split(",") if n.strip()]
        rows = measure(
            a.db, min(a.seconds, 30), a.connections, a.workers, tipg_workers, a.seed, mapserver_procs
        )
        (STATE / "results.json").write_text(json.dumps(rows, indent=1))
        print(
            f"\nbench_oa against our oa and auto layers, {a.workers} processes of ours, wrk {a.connections} connections, "
            f"{a.seconds} s per run, Accept-Encoding: gzip\n"
        )
        print(table(rows))


if __name__ == "__main__":
    main()
