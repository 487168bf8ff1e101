#!/usr/bin/env bash
# Static checks that CI runs: ruff (lint + format) and mypy (strict) on the package.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy
