"""`prepctl gate --all` on the example plan, first run and warm, beside `prepctl report`.

    .venv/bin/python benchmarks/gate_bench.py [-c phases.yaml] [--repeat 5]

The checkout holding the plan is copied to a temporary folder first (without .git, the venv,
build output and any .prepctl state), so the runs start from no cache and record their gate history there,
not in the checkout. Every run is the real CLI in its own process. First = no .prepctl yet
(import-scan cache, validation caches and history all empty); warm = the following runs on the
unchanged tree (median of REPEAT). `report` then writes the dashboard from the same warm state:
issue 16 wants it at most 1.2x one `gate --all`. Live sources the example points at and that are
not running (its Alertmanager on 127.0.0.1:19093 unless scripts/live-stack.sh started it) fail
fast as connection refused, the same on every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from whole_process import Sample, Summary, run_process

REPO = Path(__file__).resolve().parent.parent
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "dist", ".prepctl", "__pycache__", "*.so",
                                    "prepctl", "tests", "benchmarks", ".ruff_cache", ".pytest_cache")


def default_plan() -> Path:
    for candidate in (REPO / "phases.yaml", REPO / "examples" / "prep-plan" / "phases.yaml"):
        if candidate.is_file():
            return candidate
    raise SystemExit("no example plan found: pass -c PATH/phases.yaml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", type=Path, default=None, help="the plan (default: the example's)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    plan = (args.config or default_plan()).resolve()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workdir = Path(tempfile.mkdtemp(prefix="gate-bench-"))
    try:
        # The plan may name files beside it or above it (root: ../prep-monolith): copy the checkout
        # it lives in, or its folder when it lives elsewhere.
        base = REPO if plan.is_relative_to(REPO) else plan.parent
        copy = workdir / "plan"
        shutil.copytree(base, copy, ignore=NOT_COPIED, symlinks=True)
        copied_plan = copy / plan.relative_to(base)
        prepctl = [sys.executable, "-m", "prepctl", "-c", str(copied_plan)]
        gate = [*prepctl, "gate", "--all"]
        report = [*prepctl, "report", "--out", str(workdir / "dashboard")]
        # gate exits 1 when a criterion fails and 2 when one errors: the example has both today.
        codes = (0, 1, 2)
        first = run_process(gate, env=env, ok_codes=codes)
        print(f"  first gate --all: {first.wall:.2f} s (CPU {first.cpu:.2f}), exit {first.returncode}",
              file=sys.stderr, flush=True)
        warm: list[Sample] = []
        reports: list[Sample] = []
        for round_ in range(args.repeat):
            warm.append(run_process(gate, env=env, ok_codes=codes))
            reports.append(run_process(report, env=env, ok_codes=codes))
            print(f"  round {round_ + 1}: gate --all {warm[-1].wall:.2f} s (CPU {warm[-1].cpu:.2f}), "
                  f"report {reports[-1].wall:.2f} s (CPU {reports[-1].cpu:.2f})", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    gate_warm, report_warm = Summary.of(warm), Summary.of(reports)
    rows = [("gate --all, first run", Summary.of([first])), ("gate --all, warm", gate_warm),
            ("report, warm", report_warm)]
    print(f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}, "
          f"plan {plan.relative_to(REPO) if plan.is_relative_to(REPO) else plan}, median of {args.repeat}; "
          f"gate exit code {first.returncode}\n")
    print("| run | wall s | CPU s | peak MB |\n|---|---:|---:|---:|")
    for name, summary in rows:
        print(f"| {name} | {summary.wall:.2f} | {summary.cpu:.2f} | {summary.peak_mb:.0f} |")
    print(f"\nfirst / warm gate --all: {first.wall / gate_warm.wall:.2f}× wall, {first.cpu / gate_warm.cpu:.2f}× CPU")
    print(f"report / warm gate --all: {report_warm.wall / gate_warm.wall:.2f}× wall, "
          f"{report_warm.cpu / gate_warm.cpu:.2f}× CPU (target <= 1.2×)")
    if args.json:
        args.json.write_text(json.dumps({name: summary.__dict__ for name, summary in rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
