"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit (`pre-commit try-repo`) on a
temporary git repository: both pass on a clean tree; graph check fails on a planted forbidden
import and runbook check on a stale RUNBOOK.md.

pre-commit builds the hooks' environment from this repository (language: python): pip installs
prepctl and its dependencies from the package indexes pip is configured with.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.cli import run_cli
from tests.support.paths import REPO
from tests.support.sarif import commit_all, plant_violation, ratchet_project

HOOKS = REPO / ".pre-commit-hooks.yaml"


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook environment for the module: it is keyed by this repository's revision."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = ratchet_project(tmp_path / "repo")
    for args in (("graph", "check", "--update-baseline"), ("render", "runbook")):
        result = run_cli(*args, cwd=root)
        assert result.code == 0, (args, result.stderr)
    commit_all(root, "baseline and runbook")
    return root


def try_repo(hook: str, project: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    env.pop("PYTHONPATH", None)  # the hook runs the prepctl pre-commit installed, not this checkout
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), hook, "--all-files"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)


def test_the_hooks_file_offers_both_hooks_on_the_whole_tree():
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    assert set(hooks) == {"prepctl-graph-check", "prepctl-runbook-check"}
    assert hooks["prepctl-graph-check"]["entry"] == "prepctl graph check"
    assert hooks["prepctl-runbook-check"]["entry"] == "prepctl render runbook --check"
    assert all(h["pass_filenames"] is False for h in hooks.values())


def test_graph_check_hook_passes_clean_and_fails_on_a_planted_import(project: Path, pre_commit_home: Path):
    clean = try_repo("prepctl-graph-check", project, pre_commit_home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    plant_violation(project)
    commit_all(project, "a new view")
    planted = try_repo("prepctl-graph-check", project, pre_commit_home)
    assert planted.returncode == 1, planted.stdout + planted.stderr
    assert "Failed" in planted.stdout
    assert "app.ui.new_view imports app.db" in planted.stdout
    assert "app/ui/new_view.py:3" in planted.stdout


def test_runbook_hook_passes_clean_and_fails_when_stale(project: Path, pre_commit_home: Path):
    clean = try_repo("prepctl-runbook-check", project, pre_commit_home)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    plan = project / "phases.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("title: UI\n", "title: Web UI\n"), encoding="utf-8")
    commit_all(project, "rename the service")
    stale = try_repo("prepctl-runbook-check", project, pre_commit_home)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "Failed" in stale.stdout and "is stale" in stale.stdout
