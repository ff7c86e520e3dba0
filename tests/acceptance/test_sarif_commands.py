"""A SARIF file from each of `gate`, `graph check` and `graph diff` validates against the official
SARIF 2.1.0 schema; on a project with 31 baselined violations and one new one, exactly one result
is open and the 31 are suppressed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.paths import PHASES
from tests.support.sarif import (
    BASELINED,
    commit_all,
    location_of,
    open_results,
    plant_violation,
    ratchet_project,
    sarif_log,
    suppressed_results,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = ratchet_project(tmp_path / "repo")
    recorded = run_cli("graph", "check", "--update-baseline", cwd=root)
    assert recorded.code == 0, recorded.stderr  # all known now: kept against the baseline
    commit_all(root, "baseline the legacy views")
    plant_violation(root)
    return root


def _one_new_and_the_baselined(log: dict, rule: str, *, suppressed: int) -> None:
    [new] = open_results(log)
    assert new["ruleId"] == rule and new["level"] == "error"
    assert location_of(new) == ("app/ui/new_view.py", 3)
    assert len(suppressed_results(log)) == suppressed
    assert {location_of(r)[0] for r in suppressed_results(log)} == {
        f"app/ui/legacy_{n}.py" for n in range(suppressed)}


def test_graph_check_sarif(project: Path):
    result = run_cli("graph", "check", "--format", "sarif", "--out", "check.sarif", cwd=project,
                     env={"GITHUB_WORKSPACE": str(project)})
    assert result.code == 1, result.stderr
    log = sarif_log((project / "check.sarif").read_text(encoding="utf-8"))
    _one_new_and_the_baselined(log, "p/ui-not-db", suppressed=BASELINED)
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_gate_sarif(project: Path):
    result = run_cli("gate", "p", "--format", "sarif", cwd=project, env={"GITHUB_WORKSPACE": str(project)})
    assert result.code == 1, result.stderr
    _one_new_and_the_baselined(sarif_log(result.stdout), "p/ui-not-db", suppressed=BASELINED)


def test_graph_diff_sarif_reports_only_what_the_branch_adds(project: Path):
    result = run_cli("graph", "diff", "--base", "main", "--format", "sarif", cwd=project,
                     env={"GITHUB_WORKSPACE": str(project)})
    assert result.code == 1, result.stderr
    _one_new_and_the_baselined(sarif_log(result.stdout), "p/ui-not-db", suppressed=0)


def test_the_examples_sarif_validates_and_a_contract_in_error_is_not_clean(tmp_path: Path):
    """The repository's example: an unjudgeable contract is an error result and a failed execution."""
    result = run_cli("-c", PHASES, "graph", "check", "--format", "sarif", cwd=tmp_path)
    assert result.code in (1, 2), result.stderr
    log = sarif_log(result.stdout)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"]
    assert all(r["level"] == "error" for r in open_results(log))
    assert all(location_of(r)[0].endswith(".py") or location_of(r)[0].endswith("phases.yaml")
               for r in open_results(log))
