from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.plans import write_plan


def _run(tmp_path: Path, criteria: str) -> tuple[int, dict]:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    (root / "marker.txt").write_text("regression suite: 12 passed, 0 failed\n")
    plan = write_plan(tmp_path, criteria, root="root")
    result = run_cli("-c", plan, "gate", "p", "--format", "json")
    assert "Traceback" not in result.stderr
    return result.code, json.loads(result.stdout)["criteria"][0]


def test_command_passes_on_exit_zero_and_keeps_output_tail(tmp_path: Path):
    code, crit = _run(tmp_path, f"""
        - id: c
          kind: command
          title: suite passes
          run: [{sys.executable}, -c, "import pathlib; print('412 passed', pathlib.Path('marker.txt').read_text())"]
        """)
    assert code == 0 and crit["status"] == "pass"
    tail = next(e for e in crit["evidence"] if e["label"] == "output tail")["value"]
    assert "412 passed" in tail and "0 failed" in tail


def test_command_fails_on_nonzero_exit(tmp_path: Path):
    code, crit = _run(tmp_path, f"""
        - id: c
          kind: command
          title: suite passes
          run: "{sys.executable} -c 'import sys; print(\\"3 failed\\"); sys.exit(3)'"
        """)
    assert code == 1 and crit["status"] == "fail" and crit["summary"].startswith("exit 3")


def test_command_timeout_is_fail_with_reason(tmp_path: Path):
    code, crit = _run(tmp_path, f"""
        - id: c
          kind: command
          title: load test
          run: [{sys.executable}, -c, "import time; time.sleep(30)"]
          timeout: 0.5
        """)
    assert code == 1 and crit["status"] == "fail" and "timed out after 0.5s" in crit["summary"]


def test_command_that_cannot_start_is_error(tmp_path: Path):
    code, crit = _run(tmp_path, """
        - id: c
          kind: command
          title: missing tool
          run: [definitely-not-a-command-xyz]
        """)
    assert code == 2 and crit["status"] == "error" and "cannot run" in crit["summary"]


MANUAL = """
- id: replica
  kind: manual
  title: read replica
  role: dba
"""


def test_manual_fails_without_signoff(tmp_path: Path):
    code, crit = _run(tmp_path, MANUAL)
    assert code == 1 and crit["summary"] == "needs sign-off by dba"


def test_manual_passes_with_signoff_file_and_ignores_other_roles(tmp_path: Path):
    (tmp_path / "signoffs.yaml").write_text(
        "signoffs:\n  - {phase: p, criterion: replica, role: intern, name: Al, date: 2026-11-01}\n")
    code, crit = _run(tmp_path, MANUAL)
    assert code == 1
    (tmp_path / "signoffs.yaml").write_text(
        "signoffs:\n  - {phase: p, criterion: replica, role: dba, name: Marcus Obi, date: 2026-11-20}\n")
    code, crit = _run(tmp_path, MANUAL)
    assert code == 0 and "Marcus Obi" in crit["summary"]


def test_manual_passes_with_inline_signoff(tmp_path: Path):
    code, crit = _run(tmp_path, MANUAL + "  signoff: {name: Marcus Obi, role: dba, date: 2026-11-20}\n")
    assert code == 0 and crit["status"] == "pass"


def test_malformed_signoff_file_is_exit_2_with_location(tmp_path: Path):
    (tmp_path / "signoffs.yaml").write_text("signoffs:\n  - {phase: p, role: dba}\n")
    root = tmp_path / "root"
    root.mkdir()
    plan = write_plan(tmp_path, MANUAL, root="root")
    result = run_cli("-c", plan, "gate", "p")
    # The sign-off file is read inside the gate: unreadable evidence is an error verdict.
    assert result.code == 2 and "signoffs.yaml:2" in result.stdout


def test_advisory_failure_does_not_block(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.txt").write_text("x")
    plan = write_plan(tmp_path, MANUAL + "  advisory: true\n" + """
- id: a
  kind: paths
  title: a exists
  exists: [a.txt]
""", root="root")
    result = run_cli("-c", plan, "gate", "p", "--format", "json")
    report = json.loads(result.stdout)
    assert result.code == 0 and report["status"] == "pass"
    assert report["criteria"][0]["status"] == "fail" and report["criteria"][0]["advisory"] is True
