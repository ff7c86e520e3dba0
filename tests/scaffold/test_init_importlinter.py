"""`prepctl init --from-importlinter`: the written plan's gate agrees with lint-imports."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.graph.importlinter.test_cli import EXPECTED, WORDS, project
from tests.graph.importlinter.test_differential import MONOLITH_TOML
from tests.support.cli import run_cli
from tests.support.importlinter import lint_imports
from tests.support.paths import EXAMPLE


def verdicts_by_contract(criteria: list[dict]) -> dict[str, str]:
    """import-linter contract name -> kept/broken: broken when any of its criteria fails."""
    found: dict[str, str] = {}
    for criterion in criteria:
        name = re.sub(r" \(\d+ of \d+\)$", "", criterion["title"])
        verdict = WORDS[criterion["status"]]
        found[name] = "broken" if "broken" in (verdict, found.get(name)) else verdict
    return found


def test_written_plan_validates_and_its_gate_agrees_with_lint_imports(tmp_path: Path) -> None:
    root = project(tmp_path)
    written = run_cli("init", "--from-importlinter", cwd=root)
    assert written.code == 0, written.stderr
    assert "wrote phases.yaml: 5 import-linter contract(s)" in written.stdout
    text = (root / "phases.yaml").read_text()
    assert 'packages: ["pkg"]' in text and '"type": "importlinter"' not in text
    assert run_cli("validate", cwd=root).code == 0
    gate = run_cli("gate", "--all", "-f", "json", cwd=root)
    assert gate.code == 1, gate.stdout + gate.stderr
    data = json.loads(gate.stdout)
    criteria = data["criteria"] if "criteria" in data else [c for p in data["phases"] for c in p["criteria"]]
    kinds = {c["kind"] for c in criteria}
    assert kinds == {"imports"} and len(criteria) > len(EXPECTED)  # layers and siblings became several
    assert verdicts_by_contract(criteria) == lint_imports(root, root / "pyproject.toml") == EXPECTED


def test_an_explicit_file_and_never_overwriting(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "pyproject.toml").rename(root / "contracts.toml")
    (root / "phases.yaml").write_text("# hand-written\n")
    refused = run_cli("init", "--from-importlinter", "contracts.toml", cwd=root)
    assert refused.code == 2 and "already exists" in refused.stderr
    assert (root / "phases.yaml").read_text() == "# hand-written\n"
    written = run_cli("init", "--from-importlinter", "contracts.toml", "-o", "il.yaml", cwd=root)
    assert written.code == 0, written.stderr
    assert run_cli("-c", "il.yaml", "validate", cwd=root).code == 0


def test_no_configuration_or_one_that_does_not_translate_is_exit_2(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    missing = run_cli("init", "--from-importlinter", cwd=root)
    assert missing.code == 2 and "no import-linter configuration" in missing.stderr
    (root / ".importlinter").write_text("[importlinter]\nroot_package = pkg\n\n[importlinter:contract:c]\n"
                                        "name = c\ntype = custom\n")
    bad = run_cli("init", "--from-importlinter", cwd=root)
    assert bad.code == 2 and ".importlinter:6: [importlinter:contract:c]: contract type 'custom'" in bad.stderr
    assert not (root / "phases.yaml").exists()


def test_example_monolith_plan_agrees_with_lint_imports(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    shutil.copytree(EXAMPLE, root)
    (root / "pyproject.toml").write_text(MONOLITH_TOML)
    assert run_cli("init", "--from-importlinter", cwd=root).code == 0
    gate = run_cli("gate", "--all", "-f", "json", cwd=root)
    assert gate.code == 1, gate.stdout + gate.stderr
    data = json.loads(gate.stdout)
    criteria = data["criteria"] if "criteria" in data else [c for p in data["phases"] for c in p["criteria"]]
    expected = lint_imports(root, root / "pyproject.toml")
    assert set(expected.values()) == {"kept", "broken"}
    assert verdicts_by_contract(criteria) == expected
