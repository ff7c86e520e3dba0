#!/usr/bin/env bash
# The main job: install what is needed, then run prepctl on the bundled example monolith.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh demo || exit 2
prepctl() { .venv/bin/prepctl "$@"; }

echo "== prepctl status"
prepctl status || exit $?
echo
echo "== prepctl gate phase-0"
prepctl gate phase-0
code=$?
echo
case "$code" in
  0) echo "demo: phase-0 passes (exit 0)";;
  1) echo "demo: phase-0 fails on the example (exit 1), as the evidence above shows";;
  *) echo "demo: prepctl could not evaluate phase-0 (exit $code)"; exit "$code";;
esac
