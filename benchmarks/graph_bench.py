"""Import-graph build time: prepctl's scanner against grimp's build_graph, side by side.

    .venv/bin/pip install -e '.[bench]'          # grimp and Django from PyPI
    .venv/bin/python benchmarks/graph_bench.py [--repeat 5] [--modules 10000] [--json out.json]
    .venv/bin/python benchmarks/graph_bench.py --corpus real [--cache DIR]     # the real-code corpus only

Four corpora: the example monolith, a generated monorepo of at least 10,000 modules (realistic
file sizes, every import form), Django as installed from PyPI, and the real-code corpus of issue
16 ("real": 8 PyPI packages pinned by version and sha256, about 6,400 files). The real corpus is
measured by corpus_bench.py's code (built there from the pinned wheels, timed as whole `prepctl
graph imports` and grimp processes, its own table below the others); `--corpus` is `--only`.
For the first three, both tools build a
graph cold (empty cache) and warm (second run, same cache), each run in a fresh interpreter so
nothing survives in memory; the OS file cache is warmed first so both read from memory. prepctl's
time is `scan_tree` plus building the networkx `ImportGraph` (what every command does); grimp's
is `build_graph(..., cache_dir=DIR)`. Reported: the median of the repeats, the ratio
prepctl/grimp, the CPU time of a cold build (process and children: prepctl's forked parsers and
ruff, grimp's Rust threads), and peak memory (max RSS of the process, plus its children).

prepctl runs in its default mode (`verify_syntax: true`: every whole file is syntax-checked, by
ruff beside the scan, so every syntax error is reported, as grimp's full parse does) and in fast
mode (`verify_syntax: false`: only import statements are parsed). Both modes produce the same
edges.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


@dataclass
class Corpus:
    name: str
    root: Path  # what would be on sys.path
    packages: list[str]  # grimp's arguments
    exclude: tuple[str, ...] = ()
    note: str = ""


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (forked parsers, ruff)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _child(tool: str, root: str, cache: str, packages: list[str], exclude: list[str], verify: bool) -> None:
    """Run once inside a fresh interpreter and print the measurement as JSON."""
    if tool == "grimp":
        sys.path.insert(0, root)
        import grimp

        cpu = _cpu_seconds()
        started = time.perf_counter()
        graph = grimp.build_graph(*packages, cache_dir=cache)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu
        modules = len(graph.modules)
        edges = sum(len(graph.find_modules_directly_imported_by(m)) for m in graph.modules)
    else:
        import networkx  # noqa: F401 - a library import, outside the timing like grimp's

        from prepctl.graph.model import ImportGraph
        from prepctl.graph.scan.cache import ParseCache
        from prepctl.graph.scan.config import ScanConfig
        from prepctl.graph.scan.scanner import scan_tree
        from prepctl.sources.tree import WorkTree

        config = ScanConfig(exclude=tuple(exclude), packages=tuple(packages) if packages else (),
                            verify_syntax=verify)
        cpu = _cpu_seconds()
        started = time.perf_counter()
        result = scan_tree(WorkTree(Path(root)), config, ParseCache(cache))
        graph = ImportGraph(result)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu
        modules, edges = len(graph.modules), graph.graph.number_of_edges()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_kb += resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "cpu": cpu, "modules": modules, "edges": edges,
                      "peak_mb": peak_kb / 1024}))


def run_once(tool: str, corpus: Corpus, cache: Path, verify: bool = True, packages: list[str] | None = None) -> dict:
    args = [sys.executable, __file__, "--child", tool, str(corpus.root), str(cache),
            json.dumps(packages if packages is not None else corpus.packages), json.dumps(list(corpus.exclude)),
            "1" if verify else "0"]
    proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed on {corpus.name}: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def warm_os_cache(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as handle:
                    handle.read()


def measure(corpus: Corpus, repeat: int) -> dict:
    warm_os_cache(corpus.root)
    # Which prepctl configuration to run: the example is scanned whole (scripts/ included, which
    # grimp cannot see), the others by package like grimp.
    ours_packages = [] if corpus.name == "example" else corpus.packages
    tools = [("grimp", True), ("prepctl", True), ("prepctl-fast", False)]
    samples: dict[str, dict[str, list]] = {t: {"cold": [], "warm": [], "mem": [], "cpu": []} for t, _ in tools}
    sizes: dict[str, tuple[int, int]] = {}
    for _ in range(repeat):
        for tool, verify in tools:  # interleaved, so machine noise hits every tool alike
            cache = Path(tempfile.mkdtemp(prefix="graph-bench-cache-"))
            try:
                name = "grimp" if tool == "grimp" else "prepctl"
                packages = corpus.packages if tool == "grimp" else ours_packages
                cold = run_once(name, corpus, cache, verify, packages)
                warm = run_once(name, corpus, cache, verify, packages)
            finally:
                shutil.rmtree(cache, ignore_errors=True)
            samples[tool]["cold"].append(cold["seconds"])
            samples[tool]["cpu"].append(cold["cpu"])
            samples[tool]["warm"].append(warm["seconds"])
            samples[tool]["mem"].append(max(cold["peak_mb"], warm["peak_mb"]))
            sizes[tool] = (cold["modules"], cold["edges"])
    out = {"corpus": corpus.name, "note": corpus.note, "repeat": repeat, "tools": {}}
    for tool, _ in tools:
        out["tools"][tool] = {"cold": statistics.median(samples[tool]["cold"]),
                              "cold_cpu": statistics.median(samples[tool]["cpu"]),
                              "warm": statistics.median(samples[tool]["warm"]),
                              "peak_mb": max(samples[tool]["mem"]),
                              "modules": sizes[tool][0], "edges": sizes[tool][1]}
    return out


#: In-process corpora (measured here), then "real" (corpus_bench.py's whole-process measurement).
IN_PROCESS = ("example", "synthetic", "django")
CORPORA = (*IN_PROCESS, "real")


def corpora(modules: int, workdir: Path, wanted: set[str]) -> list[Corpus]:
    """The in-process corpora in ``wanted``; only those are generated or located."""
    from tests.support.graph import REALISTIC_MIX, generate_tree

    found: list[Corpus] = []
    if "example" in wanted:
        found.append(Corpus("example", REPO / "examples" / "prep-monolith", ["prep", "jobs", "services"],
                            ("tests/*", "migrations/*"), "38 modules; prepctl also scans scripts/"))
    if "synthetic" not in wanted:
        return found + _django(wanted)
    per_package = 50
    subpackages = 20
    packages = max(1, -(-modules // (per_package * subpackages)))
    synthetic = workdir / "synthetic"
    tree = generate_tree(synthetic, packages=packages, subpackages=subpackages, modules=per_package,
                         imports_per_module=8, seed=2024, filler=3, mix=REALISTIC_MIX)
    found.append(Corpus("synthetic", synthetic, tree.packages,
                        note=f"{len(tree.modules):,} modules + __init__ files, ~6 KB each, generated "
                             "with a realistic mix of import forms"))
    return found + _django(wanted)


def _django(wanted: set[str]) -> list[Corpus]:
    if "django" not in wanted:
        return []
    spec = importlib.util.find_spec("django")  # locates Django without running it
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("Django is not installed: .venv/bin/pip install -e '.[bench]'")
    site = Path(list(spec.submodule_search_locations)[0]).parent
    import django

    return [Corpus("django", site, ["django"], note=f"Django {django.get_version()} from PyPI")]


def real_corpus(cache: Path, repeat: int) -> tuple[str, dict]:
    """The real-code corpus, measured by corpus_bench.py (the same code, not a copy): its heading
    and table, and its results for --json."""
    import corpus_bench  # benchmarks/ is sys.path[0] when this file runs as a script

    corpus = corpus_bench.build_corpus(cache)
    files, size = corpus_bench.corpus_size(corpus)
    print(f"measuring real ({files:,} files, {size / 1e6:.0f} MB, whole processes) x{repeat} ...",
          file=sys.stderr, flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="graph-bench-real-"))
    try:
        results = corpus_bench.measure(corpus, repeat, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    heading = (f"real-code corpus ({', '.join(f'{pin.package} {pin.version}' for pin in corpus_bench.PINS)}; "
               f"{files:,} files, {size / 1e6:.0f} MB), whole processes, load average {os.getloadavg()[0]:.1f}:")
    return f"{heading}\n\n{corpus_bench.table(results)}", {
        name: {mode: summary.__dict__ for mode, summary in modes.items()} for name, modes in results.items()}


def table(results: list[dict]) -> str:
    lines = ["| corpus | modules | edges | grimp cold | prepctl cold (ratio) | fast mode cold (ratio) "
             "| grimp warm | prepctl warm (ratio) | cold CPU s grimp / prepctl / fast "
             "| peak MB grimp / prepctl / fast |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        g, p, f = r["tools"]["grimp"], r["tools"]["prepctl"], r["tools"]["prepctl-fast"]
        lines.append(
            f"| {r['corpus']} | {p['modules']:,} | {p['edges']:,} | {g['cold']:.3f} s "
            f"| {p['cold']:.3f} s ({p['cold'] / g['cold']:.2f}×) | {f['cold']:.3f} s ({f['cold'] / g['cold']:.2f}×) "
            f"| {g['warm']:.3f} s | {p['warm']:.3f} s ({p['warm'] / g['warm']:.2f}×) "
            f"| {g['cold_cpu']:.3f} / {p['cold_cpu']:.3f} / {f['cold_cpu']:.3f} "
            f"| {g['peak_mb']:.0f} / {p['peak_mb']:.0f} / {f['peak_mb']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, tool, root, cache, packages, exclude, verify = sys.argv
        _child(tool, root, cache, json.loads(packages), json.loads(exclude), verify == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--modules", type=int, default=10_000, help="synthetic monorepo size")
    parser.add_argument("--only", "--corpus", dest="only", choices=CORPORA, action="append",
                        help="measure only this corpus (repeatable); default: all four")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "prepctl-bench",
                        help="where the real corpus's pinned wheels and unpacked files are kept (corpus_bench.py)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    wanted = set(args.only or CORPORA)
    workdir = Path(tempfile.mkdtemp(prefix="graph-bench-"))
    try:
        results = []
        for corpus in corpora(args.modules, workdir, wanted):
            print(f"measuring {corpus.name} ({corpus.note}) x{args.repeat} ...", file=sys.stderr, flush=True)
            results.append(measure(corpus, args.repeat))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    real, real_json = real_corpus(args.cache, args.repeat) if "real" in wanted else ("", None)
    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}, median of {args.repeat} runs each\n")
    if results:
        print(table(results))
    if real:
        print(("\n" if results else "") + real)
    if args.json:
        args.json.write_text(json.dumps({"in_process": results, "real": real_json}, indent=2) + "\n")


if __name__ == "__main__":
    main()
