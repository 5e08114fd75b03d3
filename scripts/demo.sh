#!/usr/bin/env bash
# One command: install, build the embedded demo store from INSIGHT_DATA_DIR, serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export INSIGHT_DATA_DIR="${INSIGHT_DATA_DIR:-data}"
exec .venv/bin/insight demo "$@"
