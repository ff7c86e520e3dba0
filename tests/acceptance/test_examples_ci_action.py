"""The Action, SARIF upload and pre-commit examples (examples/ci/) use what exists: the action's
inputs, prepctl's options, the hooks' ids."""

from __future__ import annotations

import shlex

import yaml

from prepctl.commands.graph import ContractFormat
from prepctl.formats import FORMATS
from tests.support.paths import REPO

CI = REPO / "examples" / "ci"


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_action_example_passes_only_inputs_the_action_declares():
    declared = set(_load(REPO / "action.yml")["inputs"])
    workflow = _load(CI / "prepctl-action.yml")
    steps = workflow["jobs"]["prepctl"]["steps"]
    [action] = [s for s in steps if s.get("uses", "").split("@")[0].endswith("/prepctl")]
    assert set(action["with"]) <= declared
    assert workflow["permissions"]["security-events"] == "write"  # upload-sarif needs it


def test_the_sarif_upload_example_writes_the_file_it_uploads():
    steps = _load(CI / "prepctl-action.yml")["jobs"]["contracts-sarif"]["steps"]
    [command] = [shlex.split(s["run"], comments=True) for s in steps if s.get("run", "").startswith("prepctl ")]
    assert command[:2] == ["prepctl", "graph"] and command[command.index("--format") + 1] == ContractFormat.sarif
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    assert upload["with"]["sarif_file"] == command[command.index("--out") + 1]
    assert "sarif" in FORMATS  # gate --format sarif too


def test_the_pre_commit_example_names_the_hooks_prepctl_offers():
    offered = {hook["id"] for hook in _load(REPO / ".pre-commit-hooks.yaml")}
    [repo] = _load(CI / "pre-commit-config.yaml")["repos"]
    assert {hook["id"] for hook in repo["hooks"]} == offered


def _readme_ci_snippets() -> list:
    """The YAML blocks of the README's "In CI" section, parsed."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## In CI\n", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```yaml\n")[1:]
    return [yaml.safe_load(block.split("```", 1)[0]) for block in blocks]


def test_the_readme_ci_section_shows_the_action_sarif_upload_and_pre_commit():
    action_steps, sarif_steps, [hook_repo] = _readme_ci_snippets()
    declared = set(_load(REPO / "action.yml")["inputs"])
    [action] = [s for s in action_steps if s.get("uses", "").split("@")[0].endswith("/prepctl")]
    assert set(action["with"]) <= declared
    [command] = [shlex.split(s["run"], comments=True) for s in sarif_steps if "run" in s]
    assert command[:3] == ["prepctl", "graph", "check"] and command[command.index("--format") + 1] == "sarif"
    [upload] = [s for s in sarif_steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    assert upload["with"]["sarif_file"] == command[command.index("--out") + 1]
    offered = {hook["id"] for hook in _load(REPO / ".pre-commit-hooks.yaml")}
    assert {hook["id"] for hook in hook_repo["hooks"]} == offered
