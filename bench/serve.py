"""Mixed load on a running store: tiles, API calls and OGC pages under ``wrk``.

Starts the server as ``insight serve`` does (the same uvicorn limits, N worker processes),
drives it with ``wrk`` at 64 connections for 60 s over a mix of requests read from the store
itself (tiles at z6/z10/z14 over its wards, area details, similar areas, data pages, OGC
pages), and prints requests per second, p50/p99 latency, answers by status and the server's
resident memory (all its processes) before and after. ``--http`` compares uvicorn's protocol
implementations (the server runs h11 for its header limit); ``--restart-pg`` restarts
PostgreSQL during the run and then checks that the server answers again without a restart and
that no statement of the run is still executing in the database one second after ``wrk`` ends.

    INSIGHT_DATABASE_URL=postgresql://... PYTHONPATH=. .venv/bin/python bench/serve.py --workers 1 2
    INSIGHT_DATABASE_URL=duckdb:///demo.duckdb PYTHONPATH=. .venv/bin/python bench/serve.py --http h11 httptools
    ... bench/serve.py --restart-pg /path/to/pgdata --duration 60

Loopback only; every run is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"
WRK_LUA = r"""
local paths, counter = {}, 0
statuses = {}  -- global: done() reads each thread's table with thread:get
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do if #line > 0 then paths[#paths + 1] = line end end
  counter = math.random(#paths)
  wrk.headers["Accept-Encoding"] = "gzip"
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end
function done(summary, latency, requests)
  local e = summary.errors
  local parts = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"statuses":[{%s}]}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(parts, "},{")))
end
"""


def _serve(http: str, workers: int, port: int) -> None:
    """The server, as ``insight serve`` runs it, with the protocol implementation chosen."""
    import uvicorn

    from app.main import create_app
    from app.serve import server_config
    from app.workers import run_workers
    from core.settings import Settings

    settings = Settings()
    config = server_config(settings)
    if http == "httptools":
        config["http"] = "httptools"
        config.pop("h11_max_incomplete_event_size", None)
    if workers == 1:
        uvicorn.run(create_app(settings), host="127.0.0.1", port=port, **config)
    else:
        run_workers(settings, "127.0.0.1", port, workers, config)


def _tree(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    pids = [pid]
    for child in out:
        pids += _tree(int(child))
    return pids


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (MB)."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def request_mix(base: str, seed: int = 7) -> list[str]:
    """A shuffled list of paths: half tiles, a third API calls, the rest OGC pages."""
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=60) as client:
        wards = client.get("/api/areas", params={"level": "ward", "limit": 200}).json()["items"]
        details = [client.get(f"/api/areas/{w['code']}").json() for w in wards[:60]]
        districts = client.get("/api/areas", params={"level": "lad", "limit": 50}).json()["items"]
    tiles = []
    for d in details:
        for z in (10, 14):
            x, y = _tile(d["lon"], d["lat"], z)
            tiles.append(f"/tiles/auto/{z}/{x}/{y}.mvt")
    tiles += [f"/tiles/auto/6/{x}/{y}.mvt" for x in range(30, 33) for y in range(19, 22)]
    api = ["/api/levels"]
    api += [f"/api/areas/{d['code']}" for d in details[:30]]
    api += [f"/api/areas/{d['code']}/similar?k=5" for d in details[:15]]
    api += [f"/api/data?level=ward&parent={d['code']}&limit=50" for d in districts[:10]]
    ogc = [f"/ogc/collections/ward/items?limit=50&offset={50 * i}" for i in range(10)]
    ogc += [f"/ogc/collections/oa/items?limit=100&offset={100 * i}" for i in range(10)]
    mix = tiles * 3 + api * 3 + ogc * 2
    rng.shuffle(mix)
    return mix


def run_wrk(base: str, paths: list[str], seconds: int, connections: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        lua, listing = Path(tmp, "mix.lua"), Path(tmp, "paths.txt")
        lua.write_text(WRK_LUA)
        listing.write_text("\n".join(paths) + "\n")
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout=30s",
                "-s",
                str(lua),
                base,
            ],
            env=dict(os.environ, BENCH_PATHS=str(listing)),
            capture_output=True,
            text=True,
            timeout=seconds + 90,
        )
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            res = json.loads(line[len("BENCH_JSON ") :])
            statuses: dict[str, int] = {}
            for part in res.pop("statuses"):
                for k, v in part.items():
                    statuses[k] = statuses.get(k, 0) + v
            res["statuses"] = dict(sorted(statuses.items()))
            return res
    raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/levels", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _active_statements(database_url: str) -> int | None:
    """Statements of other sessions still executing (PostGIS), or None on the embedded store."""
    if not database_url.startswith("postgres"):
        return None
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
            "AND datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def _restart_later(pgdata: str, after_s: float, log: list[str]) -> threading.Thread:
    def restart() -> None:
        time.sleep(after_s)
        started = time.monotonic()
        cmd = [PG_CTL, "-D", pgdata, "-m", "fast", "-w", "restart", "-l", f"{pgdata}/server.log"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, capture_output=True, check=True, timeout=120)
        log.append(f"PostgreSQL restarted at {after_s:.0f} s, down for {time.monotonic() - started:.1f} s")

    thread = threading.Thread(target=restart, daemon=True)
    thread.start()
    return thread


def one_run(args: argparse.Namespace, http: str, workers: int) -> dict:
    port = 18000 + random.randrange(2000)
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, INSIGHT_LOG_LEVEL="warning", INSIGHT_PROGRESS="0", PYTHONPATH=".")
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", http, str(workers), str(port)], env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not _ready(base):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.3)
        paths = request_mix(base)
        run_wrk(base, paths, 5, args.connections, args.threads)  # warm-up: caches, pools, workers
        before = rss_mb(server.pid)
        events: list[str] = []
        restart = _restart_later(args.restart_pg, args.duration / 3, events) if args.restart_pg else None
        result = run_wrk(base, paths, args.duration, args.connections, args.threads)
        if restart:
            restart.join(timeout=120)
        after = rss_mb(server.pid)
        time.sleep(1.0)
        result |= {
            "http": http,
            "workers": workers,
            "rss_before_mb": round(before, 1),
            "rss_after_mb": round(after, 1),
            "still_executing_1s_after": _active_statements(os.environ.get("INSIGHT_DATABASE_URL", "")),
            "answers_after": _ready(base),
            "events": events,
            "load_average": os.getloadavg()[0],
        }
        return result
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        _serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--http", nargs="+", default=["h11"], choices=["h11", "httptools"])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--restart-pg", metavar="PGDATA", help="restart this PostgreSQL cluster a third in")
    args = parser.parse_args()
    if "INSIGHT_DATABASE_URL" not in os.environ:
        parser.error("set INSIGHT_DATABASE_URL to the store to serve")
    print(
        "http       workers  req/s    p50 ms  p99 ms  statuses                          RSS MB before→after"
    )
    for http in args.http:
        for workers in args.workers:
            r = one_run(args, http, workers)
            secs = r["duration_us"] / 1e6
            print(
                f"{http:<10} {workers:<8} {r['requests'] / secs:7.0f}  {r['p50_us'] / 1000:6.1f}  "
                f"{r['p99_us'] / 1000:6.1f}  {json.dumps(r['statuses']):<33} "
                f"{r['rss_before_mb']:.0f}→{r['rss_after_mb']:.0f}"
            )
            print("  " + json.dumps({k: v for k, v in r.items() if k not in ("statuses",)}))


if __name__ == "__main__":
    main()
