#!/usr/bin/env bash
# One command: install everything the tests need (PostgreSQL 15 + PostGIS 3, Chromium, GDAL,
# Python and npm packages), start a throwaway PostGIS cluster, run lint and the whole suite
# against both backends, stop the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
export INSIGHT_DATA_DIR="${INSIGHT_DATA_DIR:-data}"

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
pkgs=(postgresql-15 postgresql-15-postgis-3 chromium gdal-bin nginx-light libreoffice-calc-nogui)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash scripts/setup.sh --test

pgdir="$(mktemp -d /tmp/insight-pg.XXXXXX)"
port="${INSIGHT_TEST_PG_PORT:-55439}"
url="$(bash scripts/pg-throwaway.sh start "$pgdir" "$port")"
trap 'bash scripts/pg-throwaway.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
export INSIGHT_TEST_PG_URL="$url"

.venv/bin/ruff check core geo boundaries derive records app cli migrations tests bench
.venv/bin/ruff format --check core geo boundaries derive records app cli migrations tests bench
.venv/bin/mypy core geo boundaries derive records app cli
.venv/bin/lint-imports
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
