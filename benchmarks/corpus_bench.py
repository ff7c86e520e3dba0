"""Cold and warm whole-process import-graph builds on real code: prepctl against grimp.

    .venv/bin/python benchmarks/corpus_bench.py [--repeat 5] [--cache ~/.cache/prepctl-bench]

The corpus is 8 popular PyPI packages (django, sympy, networkx, pandas, scipy, matplotlib,
sqlalchemy, numpy), pinned by version and sha256 (CPython 3.11 x86-64 Linux wheels), fetched with
`pip download --no-deps` and unpacked side by side into CACHE/corpus (``--build-only`` stops
there). A download whose sha256 differs from the pin aborts the run.

Three engines, each a whole process (interpreter start-up and imports included, as a user sees
it): grimp (`grimp.build_graph(*packages, cache_dir=...)`), prepctl in its default mode
(`prepctl graph imports`, every whole file syntax-checked) and prepctl in fast mode
(`verify_syntax: false`). Cold = the engine's cache folder removed; warm = the next run. The
engines are interleaved so machine noise hits each alike; medians of REPEAT runs; ratios are
prepctl / grimp. CPU is the whole job's (process and descendants), so it is the figure to
compare when the machine is shared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from whole_process import Sample, Summary, run_process

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Pin:
    """One corpus package: the wheel pip must deliver, byte for byte."""

    package: str
    version: str
    wheel: str
    sha256: str


PINS = (
    Pin("django", "5.2.8", "django-5.2.8-py3-none-any.whl",
        "37e687f7bd73ddf043e2b6b97cfe02fcbb11f2dbb3adccc6a2b18c6daa054d7f"),
    Pin("sympy", "1.14.0", "sympy-1.14.0-py3-none-any.whl",
        "e091cc3e99d2141a0ba2847328f5479b05d94a6635cb96148ccb3f34671bd8f5"),
    Pin("networkx", "3.5", "networkx-3.5-py3-none-any.whl",
        "0030d386a9a06dee3565298b4a734b68589749a544acbb6c412dc9e2489ec6ec"),
    Pin("pandas", "2.3.3", "pandas-2.3.3-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        "b98560e98cb334799c0b07ca7967ac361a47326e9b4e5a7dfb5ab2b1c9d35a1b"),
    Pin("scipy", "1.16.3", "scipy-1.16.3-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        "0151a0749efeaaab78711c78422d413c583b8cdd2011a3c1d6c794938ee9fdb2"),
    Pin("matplotlib", "3.10.7",
        "matplotlib-3.10.7-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        "2222c7ba2cbde7fe63032769f6eb7e83ab3227f47d997a8453377709b7fe3a5a"),
    Pin("sqlalchemy", "2.0.44",
        "sqlalchemy-2.0.44-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "3cf6872a23601672d61a68f390e44703442639a12ee9dd5a88bbce52a695e46e"),
    Pin("numpy", "2.3.4", "numpy-2.3.4-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        "a7b2f9a18b5ff9824a6af80de4f37f4ec3c2aab05ef08f51c77a093f5b89adda"),
)
PACKAGES = [pin.package for pin in PINS]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_corpus(cache: Path) -> Path:
    """Download the pinned wheels (once), check their sha256 and unpack them side by side into
    CACHE/corpus; return that folder. A finished corpus is reused as it is."""
    corpus = cache / "corpus"
    manifest = corpus / "MANIFEST.json"
    wanted = [[pin.wheel, pin.sha256] for pin in PINS]
    if manifest.is_file() and json.loads(manifest.read_text()) == wanted:
        return corpus
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    missing = [pin for pin in PINS if not (wheels / pin.wheel).is_file()]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
                        "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
                        "--platform", "any", "-d", str(wheels),
                        *[f"{pin.package}=={pin.version}" for pin in missing]], check=True)
    for pin in PINS:
        path = wheels / pin.wheel
        if not path.is_file():
            raise SystemExit(f"pip did not deliver {pin.wheel}")
        actual = sha256_of(path)
        if actual != pin.sha256:
            raise SystemExit(f"{pin.wheel}: sha256 {actual}, pinned {pin.sha256}: refusing to benchmark it")
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    for pin in PINS:
        with zipfile.ZipFile(wheels / pin.wheel) as wheel:
            wheel.extractall(corpus)  # wheels hold relative paths only; zipfile refuses '..'
    manifest.write_text(json.dumps(wanted))
    return corpus


def corpus_size(corpus: Path) -> tuple[int, int]:
    files = size = 0
    for package in PACKAGES:
        for path in (corpus / package).rglob("*.py"):
            files += 1
            size += path.stat().st_size
    return files, size


def write_plan(folder: Path, corpus: Path, verify_syntax: bool) -> Path:
    """A phases.yaml that scans the corpus's 8 packages; its .prepctl cache lives beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "phases.yaml"
    plan.write_text(
        "version: 1\nname: corpus benchmark\n"
        f"root: {json.dumps(str(corpus))}\n"
        "graph:\n  include: ['.']\n"
        f"  packages: {json.dumps(PACKAGES)}\n"
        f"  verify_syntax: {'true' if verify_syntax else 'false'}\n"
        "phases:\n  - id: phase-0\n    title: Corpus\n    weeks: 0-1\n    owners: [benchmark]\n    criteria:\n"
        "      - id: audit\n        kind: imports\n        title: who imports django.db\n"
        "        contract: {type: audit, target: django.db}\n")
    return plan


@dataclass(frozen=True)
class Engine:
    name: str
    args: list[str]
    cache: Path  # removed for a cold run


def engines(corpus: Path, workdir: Path) -> list[Engine]:
    grimp_cache = workdir / "grimp-cache"
    grimp_code = ("import sys; sys.path.insert(0, sys.argv[1]); import grimp; "
                  "g = grimp.build_graph(*sys.argv[3:], cache_dir=sys.argv[2]); "
                  "print(len(g.modules), 'modules')")
    found = [Engine("grimp", [sys.executable, "-c", grimp_code, str(corpus), str(grimp_cache), *PACKAGES],
                    grimp_cache)]
    for name, verify in (("prepctl", True), ("prepctl fast", False)):
        plan = write_plan(workdir / name.replace(" ", "-"), corpus, verify)
        found.append(Engine(name, [sys.executable, "-m", "prepctl", "-c", str(plan), "graph", "imports",
                                   "django.db", "--format", "json"], plan.parent / ".prepctl"))
    return found


def measure(corpus: Path, repeat: int, workdir: Path) -> dict[str, dict[str, Summary]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    found = engines(corpus, workdir)
    samples: dict[str, dict[str, list[Sample]]] = {e.name: {"cold": [], "warm": []} for e in found}
    for round_ in range(repeat):
        for engine in found:
            shutil.rmtree(engine.cache, ignore_errors=True)
            samples[engine.name]["cold"].append(run_process(engine.args, env=env))
            samples[engine.name]["warm"].append(run_process(engine.args, env=env))
            cold, warm = samples[engine.name]["cold"][-1], samples[engine.name]["warm"][-1]
            print(f"  round {round_ + 1}: {engine.name:13s} cold {cold.wall:6.2f} s (CPU {cold.cpu:6.2f}) "
                  f"warm {warm.wall:6.2f} s (CPU {warm.cpu:6.2f})", file=sys.stderr, flush=True)
    return {name: {mode: Summary.of(runs) for mode, runs in modes.items()} for name, modes in samples.items()}


def table(results: dict[str, dict[str, Summary]]) -> str:
    grimp = results["grimp"]
    lines = ["| engine | cold wall s | cold CPU s | warm wall s | warm CPU s | peak MB "
             "| cold ratio wall / CPU | warm ratio wall / CPU |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, modes in results.items():
        cold, warm = modes["cold"], modes["warm"]
        lines.append(
            f"| {name} | {cold.wall:.2f} | {cold.cpu:.2f} | {warm.wall:.2f} | {warm.cpu:.2f} "
            f"| {max(cold.peak_mb, warm.peak_mb):.0f} "
            f"| {cold.wall / grimp['cold'].wall:.2f}× / {cold.cpu / grimp['cold'].cpu:.2f}× "
            f"| {warm.wall / grimp['warm'].wall:.2f}× / {warm.cpu / grimp['warm'].cpu:.2f}× |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "prepctl-bench",
                        help="where the wheels and the unpacked corpus are kept between runs")
    parser.add_argument("--build-only", action="store_true", help="build the corpus and stop")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    corpus = build_corpus(args.cache)
    files, size = corpus_size(corpus)
    print(f"corpus: {corpus} ({files:,} .py files, {size / 1e6:.0f} MB of Python)", file=sys.stderr)
    if args.build_only:
        return
    workdir = Path(tempfile.mkdtemp(prefix="corpus-bench-"))
    try:
        results = measure(corpus, args.repeat, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    import grimp  # noqa: PLC0415 - only for its version in the heading

    print(f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}, "
          f"grimp {getattr(grimp, '__version__', '?')}, {files:,} files, {size / 1e6:.0f} MB; "
          f"median of {args.repeat}\n")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps({n: {m: s.__dict__ for m, s in modes.items()}
                                         for n, modes in results.items()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
