"""PREPCTL_SCAN_STATS=1: a per-stage table of wall and CPU time on stderr, nothing otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prepctl.graph.stages import StageClock
from tests.support.paths import REPO
from tests.support.trees import write


def run(root: Path, stats: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PREPCTL_SCAN_STATS"}
    env["PYTHONPATH"] = str(REPO)
    if stats is not None:
        env["PREPCTL_SCAN_STATS"] = stats
    return subprocess.run([sys.executable, "-m", "prepctl", "--root", str(root), "graph", "importers",
                           "app.core", "--transitive", "--format", "json"],
                          capture_output=True, text=True, env=env, check=True)


def test_stats_on_stderr_per_stage_cold_and_warm(tmp_path: Path):
    write(tmp_path, {"app/__init__.py": "", "app/core.py": "", "app/a.py": "from app import core\n"})
    cold = run(tmp_path, "1")
    assert '"module": "app.a"' in cold.stdout and "prepctl scan stats" not in cold.stdout
    for stage in ("scan: list files", "scan: parse + ruff check", "scan: resolve", "graph: build",
                  "query: importers", "output: json"):
        assert stage in cold.stderr, stage
    warm = run(tmp_path, "1")
    assert "scan: decode snapshot" in warm.stderr and "scan: parse + ruff check" not in warm.stderr
    assert warm.stdout == cold.stdout
    for off in (None, "0", ""):
        assert "prepctl scan stats" not in run(tmp_path, off).stderr


def test_the_clock_charges_each_stage_and_its_children():
    clock = StageClock()
    clock.enabled = True
    laps = clock.laps()
    subprocess.run([sys.executable, "-c", "sum(range(3_000_000))"], check=True)
    laps.done("child")
    with clock.stage("nothing"):
        pass
    child = clock.stages["child"]
    assert child.calls == 1 and child.children_cpu > 0 and child.wall >= child.cpu
    assert clock.stages["nothing"].calls == 1
    report = clock.report()
    assert "child" in report and "nothing" in report and "max rss" in report
    off = StageClock()
    with off.stage("x"):
        pass
    off.laps().done("y")
    assert off.stages == {}
