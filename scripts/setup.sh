#!/usr/bin/env bash
# Shared set-up: a Python virtual environment with the package, and the front-end packages.
# Usage: scripts/setup.sh [--test]   (--test adds the test extras)
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
need_apt=()
python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || { echo "Python 3.11+ is required" >&2; exit 1; }
python3 -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v npm >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
(cd frontend && npm ci --no-audit --no-fund --loglevel=error)
