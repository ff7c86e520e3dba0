"""Benchmark: `prepctl graph trend` against the naive loop (checkout each commit + grimp.build_graph).

    .venv/bin/python benchmarks/trend_bench.py                 # 520 commits, ~2,100 modules
    .venv/bin/python benchmarks/trend_bench.py --commits 100   # quicker look
    .venv/bin/python benchmarks/trend_bench.py --example       # the bundled example's own git history

With --example, step 1 is replaced by a clone of this repository: the history is this checkout's
(every commit reachable from HEAD), the root `examples/prep-monolith` and the module
`prep.models.orm`. There is no generator to know the counts, so every prepctl run must agree
with the others and its last commit with a full `graph importers --transitive` scan at HEAD;
grimp builds the `prep`, `jobs` and `services` packages (prepctl also sees `scripts/` and
`tests/`, so grimp's counts are printed, not compared).

In one run it:

1. generates a repository (tests/support/trend_history.py) with >= 500 commits over >= 2,000 modules of
   ~150 lines each, where the ORM's importer count grows and burns down, and ~6% of the commits
   contain a file with a syntax error;
2. runs `prepctl --root REPO graph trend mono.core.orm --format json` with an empty cache (cold),
   then again (warm), each in its own process, timing the whole command;
3. runs the naive loop in its own process: `git checkout -f` of every commit in a clone, then
   `grimp.build_graph("mono", cache_dir=None)` and its importer counts (grimp's own cache was
   measured too: it saves ~10% here because checkout rewrites the changed files' mtimes);
4. checks prepctl's numbers against the generator's known counts for EVERY commit (and against
   grimp's where grimp did not abort), then prints commits/s, unique blobs parsed, peak memory
   (max RSS of each process) and the ratios.

Targets: >= 200x the naive loop's CPU (issue 16); warm <= 1 s per 500 commits. ``--naive-cpu S``
skips the naive loop and compares with a recorded CPU time instead (labelled so in the output).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from prepctl import workdir  # noqa: E402
from tests.support.trend_history import GIT_ENV, TARGET, generate  # noqa: E402


def child_naive(repo: Path, out: Path, subdir: str = "", target: str = TARGET,
                packages: tuple[str, ...] = ("mono",), rev: str = "main") -> None:
    """Runs in its own process: checkout + grimp per commit, the way one would script it."""
    import importlib

    import grimp

    work = Path(tempfile.mkdtemp(prefix="naive-")) / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True, env=GIT_ENV)
    shas = subprocess.run(["git", "rev-list", "--reverse", rev], cwd=work, check=True, env=GIT_ENV,
                          capture_output=True, text=True).stdout.split()
    sys.path.insert(0, str(work / subdir))
    rows = []
    started = time.perf_counter()
    for sha in shas:
        subprocess.run(["git", "checkout", "-q", "-f", sha], cwd=work, check=True, env=GIT_ENV)
        importlib.invalidate_caches()
        try:
            graph = grimp.build_graph(*packages, cache_dir=None)
        except Exception as exc:  # grimp aborts the whole graph on one bad file
            rows.append({"commit": sha, "error": type(exc).__name__})
            continue
        if target in graph.modules:
            rows.append({"commit": sha, "direct": len(graph.find_modules_that_directly_import(target)),
                         "transitive": len(graph.find_downstream_modules(target)), "exists": True})
        else:
            rows.append({"commit": sha, "direct": 0, "transitive": 0, "exists": False})
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out.write_text(json.dumps({"seconds": seconds, "peak_bytes": peak, "rows": rows}))
    shutil.rmtree(work.parent, ignore_errors=True)


def child_prepctl(repo: Path, out: Path, target: str = TARGET) -> None:
    """Runs in its own process: the CLI command, in-process so its stats and peak RSS are visible."""
    from prepctl.graph.trend import command

    captured: dict[str, object] = {}
    original = command.compute_trend

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        captured["stats"] = result.stats.__dict__
        return result

    command.compute_trend = spy
    sys.argv = ["prepctl", "--root", str(repo), "graph", "trend", target, "--format", "json",
                "--out", str(out.with_suffix(".points.json"))]
    from prepctl.cli import main

    try:
        main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out.write_text(json.dumps({"peak_bytes": peak, "stats": captured.get("stats")}))


def run_child(mode: str, repo: Path, scratch: Path, extra: tuple[str, ...] = ()) -> dict:
    """Run one measurement in a fresh process: wall time, and CPU time (the process and every
    process it waited for: git, parse workers), which a busy shared machine disturbs less."""
    out = scratch / f"{mode}.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # cwd: a folder with no phases.yaml above it, so the settings (and the cache, under
    # REPO/.prepctl) are the no-plan defaults and not those of whatever plan is around.
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", mode, "--repo", str(repo),
                    "--out", str(out), *extra], check=True, stdout=subprocess.DEVNULL, cwd=scratch)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    data = json.loads(out.read_text())
    data["wall"] = wall
    data["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    points = out.with_suffix(".points.json")
    if points.exists():
        data["points"] = json.loads(points.read_text())
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=520)
    parser.add_argument("--packages", type=int, default=40)
    parser.add_argument("--per-package", type=int, default=52)
    parser.add_argument("--body-lines", type=int, default=150,
                        help="average lines of ordinary code per module (default: like real code)")
    parser.add_argument("--repeat", type=int, default=3, help="cold/warm runs (the median is reported)")
    parser.add_argument("--keep", type=Path, help="generate the repository here and keep it")
    parser.add_argument("--naive-cpu", type=float, metavar="SECONDS",
                        help="skip the naive loop (minutes on a busy machine) and compare against this "
                             "recorded CPU time of it instead; the output says so")
    parser.add_argument("--child", choices=["naive", "prepctl"], help=argparse.SUPPRESS)
    parser.add_argument("--repo", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--example", action="store_true",
                        help="time the bundled example's own git history instead of a generated one")
    parser.add_argument("--subdir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--target", default=TARGET, help=argparse.SUPPRESS)
    parser.add_argument("--grimp-packages", default="mono", help=argparse.SUPPRESS)
    parser.add_argument("--rev", default="main", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "naive":
        child_naive(args.repo, args.out, args.subdir, args.target, tuple(args.grimp_packages.split(",")),
                    args.rev)
        return 0
    if args.child == "prepctl":
        child_prepctl(args.repo, args.out, args.target)
        return 0
    if args.example:
        return example_history(args.repeat)

    scratch = Path(tempfile.mkdtemp(prefix="trend-bench-"))
    repo = args.keep or scratch / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    print(f"generating {args.commits} commits in {repo} ...", flush=True)
    history = generate(repo, commits=args.commits, packages=args.packages, per_package=args.per_package,
                       body_lines=args.body_lines)
    py_files = [p for p in (repo / "mono").rglob("*.py")]
    lines = sum(p.read_text().count("\n") for p in py_files)
    broken = sum(1 for e in history.expected if e.broken_files)
    print(f"  {len(history.shas)} commits, up to {history.module_count_max} modules, "
          f"{lines / max(1, len(py_files)):.0f} lines per file at HEAD, {broken} commits with a syntax error")

    cache = workdir.state_dir(repo)
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    colds, warms = [], []
    for attempt in range(1, args.repeat + 1):
        shutil.rmtree(cache, ignore_errors=True)
        print(f"prepctl cold ({attempt}/{args.repeat}) ...", flush=True)
        colds.append(run_child("prepctl", repo, scratch))
        print(f"prepctl warm ({attempt}/{args.repeat}) ...", flush=True)
        warms.append(run_child("prepctl", repo, scratch))
    if any(not (r.get("stats") or {}).get("blobs_parsed") for r in colds):
        raise SystemExit(f"a cold run parsed nothing: the cache is not under {cache}")
    cold = sorted(colds, key=lambda r: r["wall"])[len(colds) // 2]
    warm = sorted(warms, key=lambda r: r["wall"])[len(warms) // 2]
    # CPU medians on their own: a shared machine disturbs CPU time far less than wall time.
    cold_cpu = sorted(r["cpu"] for r in colds)[len(colds) // 2]
    warm_cpu = sorted(r["cpu"] for r in warms)[len(warms) // 2]
    if args.naive_cpu is not None:
        naive = {"seconds": float("nan"), "cpu": args.naive_cpu, "peak_bytes": 0,
                 "rows": [{"error": "not run"}] * len(history.shas)}
    else:
        print("naive loop (checkout + grimp.build_graph per commit) ...", flush=True)
        naive = run_child("naive", repo, scratch)
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)

    # Correctness first: a fast wrong answer is worth nothing.
    mismatches = 0
    for run in (*colds, *warms):
        for point, want, sha in zip(run["points"], history.expected, history.shas, strict=True):
            got = (point["commit"], point["exists"], point["direct"], point["transitive"],
                   point["skipped_files"])
            if got != (sha, want.exists, want.direct, want.transitive, want.broken_files):
                mismatches += 1
    aborted = [r for r in naive["rows"] if "error" in r]
    for row, want in zip(naive["rows"], history.expected, strict=True):
        if "error" not in row and (row["direct"], row["transitive"]) != (want.direct, want.transitive):
            mismatches += 1
    n = len(history.shas)
    print()
    print(f"{'run':<36}{'wall s':>8}{'CPU s':>8}{'commits/s':>11}{'blobs parsed':>14}{'peak MB':>9}")
    rows = (("prepctl graph trend, cold (median)", cold, cold["wall"]),
            ("prepctl graph trend, warm (median)", warm, warm["wall"]),
            ("naive checkout + grimp (loop only)", naive, naive["seconds"]))
    if args.naive_cpu is not None:
        rows = rows[:2]
    for label, run, seconds in rows:
        parsed = (run.get("stats") or {}).get("blobs_parsed", "-")
        print(f"{label:<36}{seconds:>8.2f}{run['cpu']:>8.2f}{n / seconds:>11.1f}{parsed!s:>14}"
              f"{run['peak_bytes'] / 2**20:>9.0f}")
    print()
    fastest = min(colds, key=lambda r: r["wall"])
    source = "RECORDED (--naive-cpu, not run now)" if args.naive_cpu is not None else "this run"
    print(f"CPU, median of {len(colds)}: cold {cold_cpu:.2f} s, warm {warm_cpu:.2f} s; naive loop "
          f"{naive['cpu']:.2f} s ({source}): cold {naive['cpu'] / cold_cpu:.0f}x, "
          f"warm {naive['cpu'] / warm_cpu:.0f}x (target >= 200x)")
    print(f"cold speed-up vs naive: {naive['seconds'] / cold['wall']:.1f}x wall (median), "
          f"{naive['seconds'] / fastest['wall']:.1f}x wall (fastest), "
          f"{naive['cpu'] / cold['cpu']:.1f}x CPU (target >= 30x); cold runs: "
          + ", ".join(f"{r['wall']:.2f}s/{r['cpu']:.2f}s CPU" for r in colds))
    print(f"warm: {warm['wall'] / n * 500:.2f} s per 500 commits (target <= 1 s); warm runs: "
          + ", ".join(f"{r['wall']:.2f}s" for r in warms))
    if args.naive_cpu is None:
        print(f"naive aborted on {len(aborted)} of {n} commits (syntax errors); prepctl on 0")
    print(f"numbers checked against the generator's known counts: {mismatches} mismatches")
    print("prepctl times are whole CLI processes (interpreter start-up included); the naive time "
          "is its loop only (clone and start-up excluded)")
    shutil.rmtree(scratch, ignore_errors=True)
    return 1 if mismatches else 0


def example_history(repeat: int) -> int:
    """`--example`: trend over this repository's history of examples/prep-monolith (see the module
    docstring); the same children and the same timing as the generated history."""
    from example_trend import EXAMPLE_PACKAGES, EXAMPLE_ROOT, EXAMPLE_TARGET, check_example, print_rows

    scratch = Path(tempfile.mkdtemp(prefix="trend-bench-example-"))
    repo = scratch / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True, env=GIT_ENV)
    root = repo / EXAMPLE_ROOT
    target = ("--target", EXAMPLE_TARGET)
    colds, warms = [], []
    for attempt in range(1, repeat + 1):
        shutil.rmtree(workdir.state_dir(root), ignore_errors=True)
        print(f"prepctl cold ({attempt}/{repeat}) ...", flush=True)
        colds.append(run_child("prepctl", root, scratch, target))
        print(f"prepctl warm ({attempt}/{repeat}) ...", flush=True)
        warms.append(run_child("prepctl", root, scratch, target))
    print("naive loop (checkout + grimp.build_graph per commit) ...", flush=True)
    naive = run_child("naive", repo, scratch, (*target, "--subdir", EXAMPLE_ROOT,
                                               "--grimp-packages", ",".join(EXAMPLE_PACKAGES), "--rev", "HEAD"))
    mismatches = check_example(root, colds, warms)
    print_rows(colds, warms, naive)
    shutil.rmtree(scratch, ignore_errors=True)
    return 1 if mismatches else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
