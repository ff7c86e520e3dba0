"""prepctl's graph commands on a 50,000-module synthetic monorepo: cold, warm and peak memory.

    .venv/bin/python benchmarks/scale_bench.py [--modules 50000] [--repeat 3] [--cache DIR]
    .venv/bin/python benchmarks/scale_bench.py --only "importers --transitive" --warm-only --repeat 5

The monorepo (``scale_repo.py``: seeded, ~10 imports per module, so ~500,000 edges at 50,000
modules, a few hub modules imported by thousands) is generated once into CACHE/scale-N and reused.
A phases.yaml beside it declares 5 `imports` contracts (forbidden, layers, independence, acyclic,
facade; some are broken on purpose, so there is something to report). Each command runs as the
real CLI in its own process: cold = the plan's .prepctl folder removed first (so the run
includes the whole scan), warm = run again with the cache that left.

- scan: `graph imports HUB` (builds the graph, answers a one-module question)
- importers: `graph importers --transitive HUB --format json` (HUB = the most-imported module)
- check: `graph check --format json` with the 5 contracts
- cycles: `graph cycles --format json`
- report: `graph report HUB --out DIR` (collapsed picture: prepctl collapses above 80 nodes)

Peak memory is the child's ru_maxrss (the largest of the process and its descendants). Targets
(issue 16): cold scan <= 30 s, warm transitive importers <= 2 s, peak <= 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from scale_repo import PlannedRepo, generate
from whole_process import Sample, Summary, run_process

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ("scan", "importers --transitive", "check (5 contracts)", "cycles", "report")
TARGETS = {("scan", "cold"): 30.0, ("importers --transitive", "warm"): 2.0}
PEAK_TARGET_MB = 2048


def contracts_yaml(repo: PlannedRepo) -> str:
    contracts = [
        ("hubs-stay-clean", "forbidden", "{type: forbidden, source: [mono.core], forbidden: [mono.p00]}"),
        ("layered", "layers", "{type: layers, layers: [mono.p02, mono.p01, mono.p00, mono.core], missing_ok: true}"),
        ("sub-packages-independent", "independence", "{type: independence, modules: [mono.p00.s00, mono.p00.s01]}"),
        ("no-cycles-in-p00", "acyclic", "{type: acyclic, modules: [mono.p00]}"),
        ("last-hub-behind-facade", "facade", f"{{type: facade, modules: [{repo.hubs[-1]}], facade: [mono.p00.*]}}"),
    ]
    return "".join(f"      - id: {cid}\n        kind: imports\n        title: {title} contract\n"
                   f"        contract: {body}\n        baseline: false\n" for cid, title, body in contracts)


def prepare(cache: Path, modules: int, seed: int) -> tuple[Path, PlannedRepo]:
    """The generated monorepo (reused when the same size and seed were generated before) and a
    plan folder beside it; returns the plan's path."""
    root = cache / f"scale-{modules}-{seed}"
    marker = root / "GENERATED.json"
    from scale_repo import plan as plan_imports

    if marker.is_file():
        repo = plan_imports(modules, seed)
        repo.root = root / "code"
    else:
        shutil.rmtree(root, ignore_errors=True)
        print(f"generating {modules:,} modules into {root} ...", file=sys.stderr, flush=True)
        repo = generate(root / "code", modules, seed)
        marker.write_text(json.dumps({"modules": modules, "seed": seed, "edges": repo.edges}))
    plan = root / "plan" / "phases.yaml"
    plan.parent.mkdir(parents=True, exist_ok=True)
    plan.write_text(
        "version: 1\nname: scale benchmark\n"
        f"root: {json.dumps(str(repo.root))}\n"
        "graph:\n  include: ['.']\n"
        "phases:\n  - id: phase-0\n    title: Scale\n    weeks: 0-1\n    owners: [benchmark]\n"
        "    criteria:\n" + contracts_yaml(repo))
    return plan, repo


def command_args(name: str, plan: Path, hub: str, out: Path) -> list[str]:
    base = [sys.executable, "-m", "prepctl", "-c", str(plan), "graph"]
    return base + {
        "scan": ["imports", hub, "--format", "json", "-o", str(out / "imports.json")],
        "importers --transitive": ["importers", "--transitive", hub, "--format", "json",
                                   "-o", str(out / "importers.json")],
        "check (5 contracts)": ["check", "--format", "json", "-o", str(out / "check.json")],
        "cycles": ["cycles", "--format", "json", "-o", str(out / "cycles.json")],
        "report": ["report", hub, "--out", str(out / "report")],
    }[name]


def measure(plan: Path, hub: str, repeat: int, only: list[str],
            warm_only: bool = False) -> dict[str, dict[str, Summary]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    state = plan.parent / ".prepctl"
    out = Path(tempfile.mkdtemp(prefix="scale-bench-out-"))
    samples: dict[str, dict[str, list[Sample]]] = {c: {"cold": [], "warm": []} for c in only}
    try:
        for round_ in range(repeat):
            for name in only:
                args = command_args(name, plan, hub, out)
                if not warm_only or round_ == 0:
                    shutil.rmtree(state, ignore_errors=True)
                # graph check exits 1 when a contract is broken (some are, on purpose); 2 is an error.
                # --warm-only: the "cold" column of later rounds is just one more warm run.
                cold = run_process(args, env=env, ok_codes=(0, 1))
                warm = run_process(args, env=env, ok_codes=(0, 1))
                samples[name]["cold"].append(cold)
                samples[name]["warm"].append(warm)
                print(f"  round {round_ + 1}: {name:24s} cold {cold.wall:7.2f} s (CPU {cold.cpu:7.2f}, "
                      f"{cold.peak_mb:5.0f} MB)  warm {warm.wall:6.2f} s (CPU {warm.cpu:6.2f}, "
                      f"{warm.peak_mb:5.0f} MB)", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {name: {mode: Summary.of(runs) for mode, runs in modes.items()} for name, modes in samples.items()}


def table(results: dict[str, dict[str, Summary]]) -> str:
    lines = ["| command | cold wall s | cold CPU s | cold peak MB | warm wall s | warm CPU s | warm peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, modes in results.items():
        cold, warm = modes["cold"], modes["warm"]
        lines.append(f"| {name} | {cold.wall:.2f} | {cold.cpu:.2f} | {cold.peak_mb:.0f} "
                     f"| {warm.wall:.2f} | {warm.cpu:.2f} | {warm.peak_mb:.0f} |")
    return "\n".join(lines)


def verdicts(results: dict[str, dict[str, Summary]]) -> list[str]:
    lines = []
    for (name, mode), limit in TARGETS.items():
        if name in results:
            got = results[name][mode]
            lines.append(f"- {mode} {name} (target <= {limit:.0f} s): {got.wall:.2f} s wall "
                         f"({'met' if got.wall <= limit else 'NOT met'}), {got.cpu:.2f} s CPU "
                         f"({'met' if got.cpu <= limit else 'NOT met'})")
    peak = max(s.peak_mb for modes in results.values() for s in modes.values())
    lines.append(f"- peak memory: {peak:.0f} MB (target <= {PEAK_TARGET_MB} MB): "
                 f"{'met' if peak <= PEAK_TARGET_MB else 'NOT met'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "prepctl-bench")
    parser.add_argument("--only", choices=COMMANDS, action="append", help="measure only these commands")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--warm-only", action="store_true",
                        help="cold run in the first round only: REPEAT warm runs for the warm median")
    args = parser.parse_args()
    plan, repo = prepare(args.cache, args.modules, args.seed)
    counts = repo.importer_counts()
    hub = repo.most_imported
    print(f"{len(repo.modules):,} modules, {repo.edges:,} planned edges; {hub} has {counts[hub]:,} direct "
          f"importers; {sum(1 for c in counts.values() if c >= 1000)} modules have >= 1,000", file=sys.stderr)
    results = measure(plan, hub, args.repeat, list(args.only or COMMANDS), args.warm_only)
    print(f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}, "
          f"{len(repo.modules):,} modules, {repo.edges:,} edges, median of {args.repeat}\n")
    print(table(results))
    print()
    print("\n".join(verdicts(results)))
    if args.json:
        args.json.write_text(json.dumps({n: {m: s.__dict__ for m, s in modes.items()}
                                         for n, modes in results.items()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
