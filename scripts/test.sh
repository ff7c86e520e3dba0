#!/usr/bin/env bash
# The whole test suite: install what it needs (Debian packages included), then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
exec .venv/bin/python -m pytest -q "$@"
