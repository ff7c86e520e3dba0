"""The foundation issue's acceptance, checked on the repository's own plan and example."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.paths import EXAMPLE, PHASES, REPO

NO_HISTORY = {"PREPCTL_NO_HISTORY": "1"}


def test_phase_0_fails_and_names_the_open_p1_with_file_line():
    result = run_cli("-c", PHASES, "gate", "phase-0", "--format", "json", env=NO_HISTORY)
    report = json.loads(result.stdout)
    assert result.code == 1 and report["status"] == "fail" and report["phase"] == "phase-0"
    lines = (EXAMPLE / "REMAINING_ISSUES_REPORT.md").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "PREP-412" in text)
    bugs = next(c for c in report["criteria"] if c["id"] == "no-open-p0-p1")
    assert bugs["status"] == "fail"
    open_items = [e for e in bugs["evidence"] if e["label"].startswith("open P1")]
    assert [(e["path"], e["line"]) for e in open_items] == [("REMAINING_ISSUES_REPORT.md", line)]


def test_phase_1_shows_pass_fail_and_error():
    result = run_cli("-c", PHASES, "--root", EXAMPLE, "gate", "phase-1", "--format", "json", env=NO_HISTORY)
    statuses = {c["id"]: c["status"] for c in json.loads(result.stdout)["criteria"]}
    assert result.code == 1
    assert statuses["analytics-flag-off"] == "pass"
    assert statuses["analytics-api-contract"] == "pass"
    assert statuses["routers-moved-out"] == "fail"
    assert {"pass", "fail"} <= set(statuses.values())


def test_phase_1_error_when_a_source_is_unavailable(tmp_path: Path):
    """Another checkout where the openapi document is gone: error, not pass, for that criterion."""
    other = tmp_path / "other-checkout"
    shutil.copytree(EXAMPLE, other)
    (other / "openapi.yaml").unlink()
    result = run_cli("-c", PHASES, "--root", other, "gate", "phase-1", "--format", "json", env=NO_HISTORY)
    report = json.loads(result.stdout)
    statuses = {c["id"]: c["status"] for c in report["criteria"]}
    assert report["root"] == str(other.resolve())
    assert statuses["analytics-api-contract"] == "error"
    assert {"pass", "fail", "error"} <= set(statuses.values())


def test_root_override_sees_the_other_checkouts_state(tmp_path: Path):
    other = tmp_path / "other-checkout"
    shutil.copytree(EXAMPLE, other)
    (other / "prep" / "analytics" / "routers.py").unlink()
    (other / "prep" / "analytics" / "host_routes.py").unlink()
    result = run_cli("-c", PHASES, "--root", other, "gate", "phase-1", "--format", "json", env=NO_HISTORY)
    statuses = {c["id"]: c["status"] for c in json.loads(result.stdout)["criteria"]}
    assert statuses["routers-moved-out"] == "pass"


def test_removing_the_settings_file_turns_the_flag_into_error(tmp_path: Path):
    other = tmp_path / "other-checkout"
    shutil.copytree(EXAMPLE, other)
    (other / "prep" / "settings.py").unlink()
    result = run_cli("-c", PHASES, "--root", other, "gate", "phase-1", "--format", "json", env=NO_HISTORY)
    flag = next(c for c in json.loads(result.stdout)["criteria"] if c["id"] == "analytics-flag-off")
    assert flag["status"] == "error"


def test_status_walks_the_phase_dag():
    result = run_cli("-c", PHASES, "status", "--format", "json", env=NO_HISTORY)
    rows = {r["phase"]: r for r in json.loads(result.stdout)["phases"]}
    assert result.code == 0
    assert rows["phase-0"]["state"] == "failing"
    assert rows["phase-1"]["state"] == "blocked by phase-0"
    assert rows["phase-4"]["blocked_by"] == ["phase-1", "phase-2", "phase-3"]


def test_committed_editor_schema_is_current():
    result = run_cli("schema")
    committed = (REPO / "phases.schema.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(result.stdout), "run: prepctl schema > phases.schema.json"


def test_readme_names_the_two_setup_commands_that_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/demo.sh" in readme and "bash scripts/test.sh" in readme
    assert "bash scripts/test.sh" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
