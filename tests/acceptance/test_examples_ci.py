"""The CI example (examples/ci/prepctl.yml) runs commands that exist, with options that exist."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from tests.support.cli import run_cli
from tests.support.paths import PHASES, REPO

WORKFLOW = REPO / "examples" / "ci" / "prepctl.yml"


def prepctl_steps() -> list[list[str]]:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["gates"]["steps"]
    commands = []
    for step in steps:
        run = step.get("run", "")
        if run.startswith("prepctl "):
            # A pull request's base branch becomes this checkout's HEAD.
            run = run.replace("origin/${{ github.base_ref }}", "HEAD")
            commands.append(shlex.split(run)[1:])
    return commands


@pytest.mark.graphviz
def test_every_prepctl_step_of_the_ci_example_runs(tmp_path: Path):
    commands = prepctl_steps()
    assert [c[:2] for c in commands] == [["graph", "diff"], ["graph", "check"], ["gate", "phase-1"],
                                         ["graph", "report"]]
    for args in commands:
        result = run_cli("-c", PHASES, *args, cwd=tmp_path, env={"GITHUB_STEP_SUMMARY": ""})
        # Pass, fail or an honest error are all verdicts; a usage error or a crash is a broken example.
        assert result.code in (0, 1, 2), (args, result.stderr)
        assert "Usage:" not in result.stderr and "No such option" not in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)
    assert (tmp_path / "contracts.md").read_text().strip()
    assert '"contracts"' in (tmp_path / "contracts.json").read_text()
    assert (tmp_path / "out" / "orm-report" / "dependency-report.html").is_file()
    gate = run_cli("-c", PHASES, "gate", "phase-1", "--format", "github", cwd=tmp_path,
                   env={"GITHUB_STEP_SUMMARY": ""})
    assert gate.code == 1 and "::error" in gate.stdout  # the example's phase-1 fails, as annotations
