"""`trend_bench.py --example`: what differs from the generated history (the check and the table).

The history is this repository's own (every commit reachable from HEAD), the root
examples/prep-monolith and the module prep.models.orm. No generator knows the counts, so the
check is: every prepctl run (cold and warm) gives the same points, and the last commit's counts
equal a full `prepctl graph importers --transitive` scan of the clone at HEAD. grimp builds the
`prep`, `jobs` and `services` packages; prepctl with no phases.yaml scans every `.py` file under
the root (`scripts/`, `tests/`, `migrations/` too), so grimp's counts are shown beside prepctl's
at HEAD, not compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLE_ROOT = "examples/prep-monolith"
EXAMPLE_TARGET = "prep.models.orm"
EXAMPLE_PACKAGES = ("prep", "jobs", "services")
REPO = Path(__file__).resolve().parent.parent


def point_key(point: dict) -> tuple:
    return point["commit"], point["exists"], point["direct"], point["transitive"], point["skipped_files"]


def check_example(root: Path, colds: list[dict], warms: list[dict]) -> int:
    """Mismatches: runs that disagree with the first run, plus 1 if HEAD disagrees with a full scan."""
    first = [point_key(p) for p in colds[0]["points"]]
    mismatches = sum(1 for run in (*colds, *warms) for got, want in
                     zip([point_key(p) for p in run["points"]], first, strict=True) if got != want)
    # cwd: a folder with no phases.yaml above it, as for the trend runs (the no-plan defaults).
    scan = subprocess.run([sys.executable, "-m", "prepctl", "--root", str(root), "graph", "importers",
                           EXAMPLE_TARGET, "--transitive", "--format", "json"], cwd=root.parent.parent.parent,
                          capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    full = json.loads(scan.stdout)
    head = colds[0]["points"][-1]
    expected = (len(full["direct"]), len(full["direct"]) + len(full["transitive"]))
    if (head["direct"], head["transitive"]) != expected:
        mismatches += 1
        print(f"HEAD: trend says {head['direct']}/{head['transitive']}, a full scan {expected[0]}/{expected[1]}")
    print(f"checked: {len(colds) + len(warms)} prepctl runs agree point by point; HEAD "
          f"{head['direct']} direct / {head['transitive']} transitive, a full scan says "
          f"{expected[0]} / {expected[1]}: {mismatches} mismatches")
    return mismatches


def print_rows(colds: list[dict], warms: list[dict], naive: dict) -> None:
    cold = sorted(colds, key=lambda r: r["cpu"])[len(colds) // 2]
    warm = sorted(warms, key=lambda r: r["cpu"])[len(warms) // 2]
    n = len(cold["points"])
    present = sum(1 for p in cold["points"] if p["exists"])
    print(f"\nexample history: {n} commits ({present} with {EXAMPLE_TARGET})")
    print(f"{'run':<36}{'wall s':>8}{'CPU s':>8}{'commits/s':>11}{'blobs parsed':>14}{'peak MB':>9}")
    for label, run, seconds in (("prepctl graph trend, cold (median)", cold, cold["wall"]),
                                ("prepctl graph trend, warm (median)", warm, warm["wall"]),
                                ("naive checkout + grimp (loop only)", naive, naive["seconds"])):
        parsed = (run.get("stats") or {}).get("blobs_parsed", "-")
        print(f"{label:<36}{seconds:>8.2f}{run['cpu']:>8.2f}{n / seconds:>11.1f}{parsed!s:>14}"
              f"{run['peak_bytes'] / 2**20:>9.0f}")
    print(f"\ncold vs naive: {naive['cpu'] / cold['cpu']:.1f}x CPU, {naive['seconds'] / cold['wall']:.1f}x wall; "
          f"warm vs naive: {naive['cpu'] / warm['cpu']:.1f}x CPU")
    rows = naive["rows"]
    built = [r for r in rows if "error" not in r]
    last = rows[-1] if rows else {}
    print(f"naive: grimp built {len(built)} of {len(rows)} commits (it raises where the packages do not "
          f"exist yet); at HEAD grimp counts {last.get('direct', '-')} direct / {last.get('transitive', '-')} "
          f"transitive in {', '.join(EXAMPLE_PACKAGES)} (prepctl also counts scripts/, tests/, migrations/)")
