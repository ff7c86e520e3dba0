#!/usr/bin/env bash
# The main job: install what is needed, then run prepctl on the bundled example monolith.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh demo || exit 2
# The example plan lives beside the example monolith: examples/prep-plan/phases.yaml.
prepctl() { .venv/bin/prepctl -c examples/prep-plan/phases.yaml "$@"; }

echo "== prepctl status"
prepctl status || exit $?
echo
echo "== prepctl gate phase-0"
prepctl gate phase-0
code=$?
echo
# What engineers and managers get from the same plan: the ORM dependency report and the dashboard.
echo "== prepctl graph report prep.models.orm --out out/orm-report"
prepctl graph report prep.models.orm --out out/orm-report || echo "demo: graph report failed (exit $?)"
echo "== prepctl report --out out/dashboard"
prepctl report --out out/dashboard || echo "demo: dashboard failed (exit $?)"
echo
case "$code" in
  0) echo "demo: phase-0 passes (exit 0)";;
  1) echo "demo: phase-0 fails on the example (exit 1), as the evidence above shows";;
  *) echo "demo: prepctl could not evaluate phase-0 (exit $code)"; exit "$code";;
esac
