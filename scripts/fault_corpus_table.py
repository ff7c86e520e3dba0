"""Count the fault corpus's cases per category, for docs/reliability.md.

Usage: .venv/bin/python scripts/fault_corpus_table.py [--run]
Without --run it counts the collected cases; with --run it runs them and counts the outcomes.
A case module is ``tests/faults/test_<category>_<area>.py``; its category is the word after
``test_``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NODE = re.compile(r"^tests/faults/test_(?P<category>[a-z]+)_?[^:]*\.py::(?P<test>\S+)")


def collect() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/faults"],
                         cwd=REPO, capture_output=True, text=True, check=False).stdout
    return [line for line in out.splitlines() if NODE.match(line)]


def main() -> int:
    run = "--run" in sys.argv[1:]
    cases = Counter(NODE.match(n)["category"] for n in collect())  # type: ignore[index]
    outcomes: dict[str, Counter[str]] = {c: Counter() for c in cases}
    if run:
        out = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-q", "-p", "no:cacheprovider",
                              "tests/faults"], cwd=REPO, capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            parts = line.split(" ", 1)
            if len(parts) == 2 and parts[0] in {"PASSED", "FAILED", "ERROR", "SKIPPED"}:
                match = NODE.match(parts[1])
                if match:
                    outcomes[match["category"]][parts[0]] += 1
    print("| category | cases |" + (" passed | failed |" if run else ""))
    print("|---|---|" + ("---|---|" if run else ""))
    for category in sorted(cases):
        row = f"| {category} | {cases[category]} |"
        if run:
            done = outcomes[category]
            row += f" {done['PASSED']} | {done['FAILED'] + done['ERROR'] + done['SKIPPED']} |"
        print(row)
    print(f"| **all** | {sum(cases.values())} |" + (" | |" if run else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
