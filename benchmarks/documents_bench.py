"""The document commands beside one `prepctl gate --all`, on the example plan (issue 16, item 4).

    .venv/bin/python benchmarks/documents_bench.py [-c phases.yaml] [--repeat 5]

Each command evaluates every criterion at most once per invocation (prepctl.evaluate.Evaluation),
so `report`, `status` and `render rfc --all` should cost about one `gate --all`; with
`--from-history` they reuse the run `gate --all` just recorded and evaluate nothing. Target:
`report` <= 1.2x one warm `gate --all`.

The checkout holding the plan is copied to a temporary folder and committed there as a fresh git
repository (`.prepctl/` ignored), so the tree is clean and `--from-history` finds the run. Every
run is the real CLI in its own process; each figure is the median of REPEAT warm runs, taken in
rounds (gate, then each document command) so that load on the machine hits all of them alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from whole_process import Sample, Summary, run_process

REPO = Path(__file__).resolve().parent.parent
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "dist", ".prepctl", "__pycache__", "*.so",
                                    "prepctl", "tests", "benchmarks", ".ruff_cache", ".pytest_cache")

GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def default_plan() -> Path:
    for candidate in (REPO / "phases.yaml", REPO / "examples" / "prep-plan" / "phases.yaml"):
        if candidate.is_file():
            return candidate
    raise SystemExit("no example plan found: pass -c PATH/phases.yaml")


def committed_copy(plan: Path, workdir: Path) -> Path:
    base = REPO if plan.is_relative_to(REPO) else plan.parent
    copy = workdir / "plan"
    shutil.copytree(base, copy, ignore=NOT_COPIED, symlinks=True)
    with open(copy / ".gitignore", "a", encoding="utf-8") as ignore:
        ignore.write("\n.prepctl/\n")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=copy, env=env, check=True, capture_output=True)
    return copy / plan.relative_to(base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", type=Path, default=None, help="the plan (default: the example's)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    plan = (args.config or default_plan()).resolve()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workdir = Path(tempfile.mkdtemp(prefix="documents-bench-"))
    out = workdir / "out"  # outside the copy: the tree stays clean for --from-history
    try:
        prepctl = [sys.executable, "-m", "prepctl", "-c", str(committed_copy(plan, workdir))]
        commands = {
            "gate --all": [*prepctl, "gate", "--all"],
            "report": [*prepctl, "report", "--out", str(out / "dashboard")],
            "status": [*prepctl, "status"],
            "render rfc --all": [*prepctl, "render", "rfc", "--all", "--out", str(out / "rfc")],
            "report --from-history": [*prepctl, "report", "--out", str(out / "d2"), "--from-history"],
            "status --from-history": [*prepctl, "status", "--from-history"],
            "render rfc --all --from-history": [*prepctl, "render", "rfc", "--all", "--out", str(out / "r2"),
                                                "--from-history"],
        }
        (out / "rfc").mkdir(parents=True)
        (out / "r2").mkdir()
        codes = (0, 1, 2)  # the example has failing and erroring criteria today
        run_process(commands["gate --all"], env=env, ok_codes=codes)  # first run: fills the caches
        samples: dict[str, list[Sample]] = {name: [] for name in commands}
        for round_ in range(args.repeat):
            for name, command in commands.items():
                samples[name].append(run_process(command, env=env, ok_codes=codes))
            print(f"  round {round_ + 1}: " + ", ".join(f"{n} {s[-1].wall:.2f} s" for n, s in samples.items()),
                  file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    summaries = {name: Summary.of(found) for name, found in samples.items()}
    gate = summaries["gate --all"]
    print(f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}, "
          f"plan {plan.relative_to(REPO) if plan.is_relative_to(REPO) else plan}, median of {args.repeat} warm runs\n")
    # CPU too: on a shared machine wall time swings with the load, CPU time much less.
    print("| command | wall s | CPU s | × gate --all (wall) | × gate --all (CPU) |\n|---|---:|---:|---:|---:|")
    for name, summary in summaries.items():
        print(f"| {name} | {summary.wall:.2f} | {summary.cpu:.2f} | {summary.wall / gate.wall:.2f} "
              f"| {summary.cpu / gate.cpu:.2f} |")
    report = summaries["report"]
    print(f"\nreport / gate --all: {report.wall / gate.wall:.2f}× wall, {report.cpu / gate.cpu:.2f}× CPU "
          "(target <= 1.2×)")


if __name__ == "__main__":
    main()
