"""The import lexer in C against the pure-Python lexer, side by side in one run.

    .venv/bin/python benchmarks/lexer_bench.py [--repeat 5] [--files DIR ...] [--tree DIR]

1. **Lexer only**: ``lex_imports`` over every decoded ``.py`` file of the standard library (or
   ``--files`` folders), once with the C hot path and once in pure Python, in one process,
   interleaved; the median of the repeats and the ratio. Then the CPU per stage of one pass of
   each path (string/comment lexing, the import-keyword loop, block context of indented imports,
   dynamic-import fragments parsed with ``ast``), measured by wrapping each stage.
2. **Whole cold scan**: ``scan_tree`` of ``--tree`` (default: this interpreter's site-packages)
   with an empty cache, in a fresh interpreter per run, with ``PREPCTL_PURE_PYTHON=1`` and
   without, in default mode (whole-file syntax check by ruff) and fast mode; wall and CPU (the
   process and its children: forked parsers, ruff). Both must find the same edges.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prepctl.graph.scan import lexer, parse  # noqa: E402 - after the path fix above


def load_texts(roots: list[Path]) -> list[str]:
    texts = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            try:
                texts.append(parse.decode_source(path.read_bytes()))
            except (parse.DecodeProblem, OSError):
                continue
    return texts


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def one_pass(texts: list[str], native: bool) -> float:
    started = time.process_time()
    for text in texts:
        lexer.lex_imports(text, native=native)
    return time.process_time() - started


def stages(texts: list[str], native: bool) -> dict[str, float]:
    """CPU seconds per stage of one pass; nested stages are counted once, in the inner one."""
    spent: dict[str, float] = {}
    stack: list[float] = []  # time of inner stages, to subtract from the outer one

    def timed(name: str, function: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            stack.append(0.0)
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.process_time() - started
                inner = stack.pop()
                spent[name] = spent.get(name, 0.0) + elapsed - inner
                if stack:
                    stack[-1] += elapsed
        return wrapper

    patches = [(lexer.Source, "lex"), (lexer.NativeSource, "lex"), (lexer, "context_flags"),
               (lexer, "_dynamic_imports"), (lexer, "_import_at")]
    if lexer.NATIVE:
        from prepctl.graph.scan import native_lexer

        patches.append((native_lexer, "scan_imports"))
    saved = [(owner, name, owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name))
             for owner, name in patches]
    labels = {"lex": "strings/comments", "context_flags": "block context (blocks.py)",
              "_dynamic_imports": "dynamic-import fragments (ast)",
              "_import_at": "statements handled in Python", "scan_imports": "import-keyword loop (C)"}
    try:
        for owner, name, function in saved:
            setattr(owner, name, timed(labels[name], function))
        total = one_pass(texts, native)
    finally:
        for owner, name, function in saved:
            setattr(owner, name, function)
    spent["rest (keyword loop in Python, glue)"] = total - sum(spent.values())
    spent["total"] = total
    return spent


def lexer_only(texts: list[str], repeat: int) -> dict:
    pure, native = [], []
    for _ in range(repeat):
        pure.append(one_pass(texts, native=False))
        native.append(one_pass(texts, native=True))
    return {"files": len(texts), "mb": sum(map(len, texts)) / 1e6, "pure": statistics.median(pure),
            "native": statistics.median(native),
            "stages": {"pure": stages(texts, False), "native": stages(texts, True)}}


def scan_child(tree: str, cache: str, verify: bool) -> None:
    from prepctl.graph.scan.cache import ParseCache
    from prepctl.graph.scan.config import ScanConfig
    from prepctl.graph.scan.scanner import scan_tree
    from prepctl.sources.tree import WorkTree

    cpu = cpu_seconds()
    started = time.perf_counter()
    result = scan_tree(WorkTree(Path(tree)), ScanConfig(verify_syntax=verify), ParseCache(cache))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "cpu": cpu_seconds() - cpu, "native": lexer.NATIVE,
                      "edges": len(result.edges), "files": len(result.modules),
                      "edge_hash": hash(frozenset((e.importer, e.imported, e.line) for e in result.edges))}))


def cold_scans(tree: Path, repeat: int) -> dict:
    samples: dict[tuple[str, bool], list[dict]] = {}
    for _ in range(repeat):
        for mode in ("pure", "native"):
            for verify in (True, False):
                with tempfile.TemporaryDirectory(prefix="lexer-bench-") as cache:
                    env = {**os.environ, "PYTHONHASHSEED": "0",
                           "PREPCTL_PURE_PYTHON": "1" if mode == "pure" else "0"}
                    proc = subprocess.run([sys.executable, __file__, "--child", str(tree), cache,
                                           "1" if verify else "0"], env=env, capture_output=True,
                                          text=True, check=False, timeout=1800)
                    if proc.returncode != 0:
                        raise SystemExit(f"scan failed ({mode}): {proc.stderr[-3000:]}")
                    sample = json.loads(proc.stdout.strip().splitlines()[-1])
                    if sample["native"] != (mode == "native"):
                        raise SystemExit(f"{mode} run had NATIVE={sample['native']}: is the extension built?")
                    samples.setdefault((mode, verify), []).append(sample)
    hashes = {s["edge_hash"] for runs in samples.values() for s in runs}
    if len(hashes) != 1:
        raise SystemExit("the C and Python lexers found different edges")
    return {f"{mode} {'default' if verify else 'fast'}": {
        "seconds": statistics.median(s["seconds"] for s in runs),
        "cpu": statistics.median(s["cpu"] for s in runs),
        "files": runs[0]["files"], "edges": runs[0]["edges"]} for (mode, verify), runs in samples.items()}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        scan_child(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=Path, nargs="*", default=[Path(sysconfig.get_paths()["stdlib"])])
    parser.add_argument("--tree", type=Path, default=Path(sysconfig.get_paths()["purelib"]))
    parser.add_argument("--skip-scan", action="store_true", help="only the lexer-only part")
    args = parser.parse_args()
    if not lexer.NATIVE:
        raise SystemExit("the C lexer is not built (python setup.py build_ext --inplace)")
    texts = load_texts(args.files)
    lexed = lexer_only(texts, args.repeat)
    print(f"lexer only: {lexed['files']:,} files, {lexed['mb']:.0f} M characters; median of {args.repeat}, CPU s")
    print(f"  pure Python {lexed['pure']:.2f} s, C {lexed['native']:.2f} s: "
          f"{lexed['pure'] / lexed['native']:.2f}x")
    names = sorted(set(lexed["stages"]["pure"]) | set(lexed["stages"]["native"]), key=lambda n: n == "total")
    print("  | stage | pure Python s | C s |\n  |---|---:|---:|")
    for name in names:
        print(f"  | {name} | {lexed['stages']['pure'].get(name, 0.0):.2f} "
              f"| {lexed['stages']['native'].get(name, 0.0):.2f} |")
    if args.skip_scan:
        return
    scans = cold_scans(args.tree, args.repeat)
    first = next(iter(scans.values()))
    print(f"whole cold scan of {args.tree} ({first['files']:,} modules, {first['edges']:,} edges); "
          f"median of {args.repeat}")
    print("  | lexer | mode | wall s | CPU s (process + children) |\n  |---|---|---:|---:|")
    for name, run in sorted(scans.items()):
        mode, verify = name.split()
        print(f"  | {mode} | {verify} | {run['seconds']:.2f} | {run['cpu']:.2f} |")


if __name__ == "__main__":
    main()
