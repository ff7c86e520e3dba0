"""The cold scan's pipeline, stage by stage: this checkout against a baseline checkout.

    .venv/bin/python benchmarks/pipeline_bench.py --baseline /tmp/base [--repeat 5] [--cache /tmp/hbench-cache]

BASELINE is another prepctl checkout (e.g. ``git archive main | tar -x -C /tmp/base``, plus the
built native lexer copied in). Both run the same whole-process command on the real-code corpus of
corpus_bench.py (CACHE/corpus), with an empty ``.prepctl`` cache each time (cold), in the default
mode (every whole file syntax-checked by ruff) and in fast mode (``verify_syntax: false``),
interleaved run by run so machine noise hits both alike. ``PREPCTL_SCAN_STATS=1`` gives each
stage's CPU (the process's own plus the children it waited for: ruff, the forked parsers); the
whole job's CPU comes from ``os.wait4``. Medians of REPEAT runs.

Before timing, each checkout scans the corpus once in-process and the script compares what they
produced, byte for byte: the scan result (modules, edges, problems) and every parse-cache row.
Different results abort the run: a faster pipeline that changes an answer is not faster.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from corpus_bench import build_corpus, write_plan
from whole_process import Sample, run_process

REPO = Path(__file__).resolve().parent.parent

#: Run in each checkout: scan the corpus cold into a fresh cache; print a digest of the result
#: and of the cache's rows (the rows are what the next run reads).
DIGEST = """
import dataclasses, hashlib, json, sqlite3, sys, tempfile
from pathlib import Path
from prepctl.graph.scan.cache import ParseCache, SCANNER_VERSION
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.scanner import scan_tree
from prepctl.sources.tree import WorkTree
with tempfile.TemporaryDirectory() as folder:
    config = ScanConfig(include=('.',), packages=tuple(json.loads(sys.argv[2])), verify_syntax=sys.argv[3] == '1')
    result = scan_tree(WorkTree(Path(sys.argv[1])), config, ParseCache(folder))
    rows = sqlite3.connect(f'{folder}/imports-v{SCANNER_VERSION}.sqlite').execute(
        'SELECT blob, data FROM parsed ORDER BY blob').fetchall()
    text = repr([sorted(result.modules.items()), [tuple(e) for e in result.edges],
                 [tuple(e) for e in result.external], [dataclasses.astuple(p) for p in result.problems], rows])
    print(hashlib.sha256(text.encode()).hexdigest(), len(result.edges), len(result.problems), len(rows))
"""


def stage_times(output: str) -> dict[str, tuple[float, float]]:
    """Each stage's (wall, CPU own + children) from the PREPCTL_SCAN_STATS table in OUTPUT."""
    found: dict[str, tuple[float, float]] = {}
    for line in output.splitlines():
        parts = line.split()
        if not line.startswith(("scan:", "graph:", "output:")) or len(parts) < 5:
            continue
        # Rows are "name (28 wide) calls wall cpu children_cpu": the name may hold spaces.
        found[line[:28].strip()] = float(parts[-3]), float(parts[-2]) + float(parts[-1])
    if not found:
        raise SystemExit(f"no PREPCTL_SCAN_STATS table in the output:\n{output[-2000:]}")
    return found


def digest(checkout: Path, corpus: Path, packages: list[str], verify: bool) -> str:
    proc = subprocess.run([sys.executable, "-c", DIGEST, str(corpus), json.dumps(packages),
                           "1" if verify else "0"], env={**os.environ, "PYTHONPATH": str(checkout)},
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"digest in {checkout} failed:\n{proc.stderr[-3000:]}")
    return proc.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="another prepctl checkout")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "prepctl-bench")
    args = parser.parse_args()
    from corpus_bench import PACKAGES

    corpus = build_corpus(args.cache)
    variants = {"baseline": args.baseline.resolve(), "this": REPO}
    for verify in (True, False):
        digests = {name: digest(path, corpus, PACKAGES, verify) for name, path in variants.items()}
        print(f"verify_syntax={verify}: " + "; ".join(f"{n} {d}" for n, d in digests.items()))
        if len({d.split()[0] for d in digests.values()}) != 1:
            raise SystemExit("the checkouts disagree on the scan result or the cache rows: not comparable")
    workdir = Path(tempfile.mkdtemp(prefix="prepctl-pipeline-bench-"))
    try:
        samples: dict[tuple[str, str], list[Sample]] = {}
        for _ in range(args.repeat):
            for mode, verify in (("default", True), ("fast", False)):
                plan = write_plan(workdir / mode, corpus, verify)
                for name, path in variants.items():
                    shutil.rmtree(plan.parent / ".prepctl", ignore_errors=True)
                    env = {**os.environ, "PYTHONPATH": str(path), "PREPCTL_SCAN_STATS": "1"}
                    env.pop("PYTHONDONTWRITEBYTECODE", None)
                    samples.setdefault((mode, name), []).append(run_process(
                        [sys.executable, "-m", "prepctl", "-c", str(plan), "graph", "imports", "django.db",
                         "--format", "json"], env=env))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nmedian of {args.repeat} cold runs each (wall and CPU of the whole process, s)")
    print("| mode | checkout | wall | CPU | every run's wall / CPU |")
    print("|---|---|---:|---:|---|")
    for (mode, name), runs in samples.items():
        print(f"| {mode} | {name} | {statistics.median(s.wall for s in runs):.2f} | "
              f"{statistics.median(s.cpu for s in runs):.2f} | "
              f"{' '.join(f'{s.wall:.1f}/{s.cpu:.1f}' for s in runs)} |")
    for mode in ("default", "fast"):
        per = {name: [stage_times(s.output) for s in samples[(mode, name)]] for name in variants}
        stages = list(dict.fromkeys(k for runs in per.values() for run in runs for k in run))
        print(f"\n{mode} mode, per stage: median CPU (own + children) / median wall, s")
        print("| stage | " + " | ".join(variants) + " |")
        print("|---|" + "---:|" * len(variants))
        for stage in stages:
            cells = [f"{statistics.median(run.get(stage, (0.0, 0.0))[1] for run in per[name]):.2f} / "
                     f"{statistics.median(run.get(stage, (0.0, 0.0))[0] for run in per[name]):.2f}"
                     for name in variants]
            print(f"| {stage} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
