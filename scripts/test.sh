#!/usr/bin/env bash
# The whole suite: unit, integration (SQLite and PostgreSQL) and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
exec .venv/bin/pytest -q "$@"
