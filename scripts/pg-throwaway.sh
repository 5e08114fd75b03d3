#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 + PostGIS cluster on localhost and print its URL.
# Usage: scripts/pg-throwaway.sh start|stop [DIR] [PORT]
# initdb/pg_ctl refuse to run as root, so the cluster runs as the `postgres` user.
set -euo pipefail
action=${1:-start}
dir=${2:-/tmp/insight-pg}
port=${3:-55432}
bin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$action" in
  start)
    if [ -f "$dir/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      echo "postgresql://insight:insight@127.0.0.1:$port/insight"; exit 0
    fi
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    as_pg "$bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --no-locale >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c max_connections=200" start >/dev/null
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt -c "CREATE ROLE insight LOGIN SUPERUSER PASSWORD 'insight'" -c "CREATE DATABASE insight OWNER insight" >/dev/null
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d insight -qAt -c "CREATE EXTENSION postgis" >/dev/null
    echo "postgresql://insight:insight@127.0.0.1:$port/insight"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop [DIR] [PORT]" >&2; exit 2;;
esac
