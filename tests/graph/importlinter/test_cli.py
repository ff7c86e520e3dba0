"""import-linter contracts from the command line, compared with lint-imports.

Acceptance: a pyproject-only project (no phases.yaml) runs `prepctl graph check` with the
contracts of [tool.importlinter], and prepctl's verdicts equal lint-imports'. The same contracts
as `importlinter` criteria of a plan give the same verdicts through `prepctl gate`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.graph.importlinter.test_differential import BASE, MONOLITH_TOML
from tests.support.cli import run_cli
from tests.support.graph import git
from tests.support.importlinter import lint_imports
from tests.support.paths import EXAMPLE
from tests.support.plans import write_plan
from tests.support.trees import write

#: One contract of each type; only the first is broken (pkg.high reaches pkg.low via pkg.mid).
PYPROJECT = """\
[project]
name = "pkg"
version = "0"

[tool.importlinter]
root_packages = ["pkg"]

[[tool.importlinter.contracts]]
name = "high never reaches low"
type = "forbidden"
source_modules = ["pkg.high"]
forbidden_modules = ["pkg.low"]

[[tool.importlinter.contracts]]
name = "three layers"
type = "layers"
layers = ["pkg.high", "pkg.mid", "pkg.low"]

[[tool.importlinter.contracts]]
id = "features"
name = "features independent"
type = "independence"
modules = ["pkg.feat.*"]

[[tool.importlinter.contracts]]
name = "secret behind the gate"
type = "protected"
protected_modules = ["pkg.secret"]
allowed_importers = ["pkg.gate"]

[[tool.importlinter.contracts]]
name = "no sibling cycles"
type = "acyclic_siblings"
ancestors = ["pkg"]
"""

#: Outside root_packages: a test module that imports low from high's side would break the layers
#: for prepctl if it scanned everything; import-linter never sees it.
OUTSIDE = {"tests/test_pkg.py": "import pkg.high.api\nimport pkg.low.store\n",
           "scripts/tool.py": "import pkg.secret.inner\n"}

EXPECTED = {"high never reaches low": "broken", "three layers": "kept", "features independent": "kept",
            "secret behind the gate": "kept", "no sibling cycles": "kept"}
WORDS = {"fail": "broken", "pass": "kept"}


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(root, {**BASE, **OUTSIDE, "pyproject.toml": PYPROJECT})
    return root


def test_pyproject_only_graph_check_agrees_with_lint_imports(tmp_path: Path) -> None:
    root = project(tmp_path)
    expected = lint_imports(root, root / "pyproject.toml")
    assert expected == EXPECTED
    result = run_cli("graph", "check", "-f", "json", cwd=root)
    assert result.code == 1, result.stderr
    assert "import-linter contracts from pyproject.toml [tool.importlinter]" in result.stderr
    data = json.loads(result.stdout)
    assert data["importlinter"] == "pyproject.toml [tool.importlinter]" and data["errors"] == []
    found = {c["contract"].removeprefix("importlinter/"): WORDS[c["status"]] for c in data["contracts"]}
    assert found == expected
    [broken] = [c for c in data["contracts"] if c["status"] == "fail"]
    chain = broken["new"][0]["chain"]
    assert (chain[0]["importer"], chain[0]["path"], chain[0]["line"]) == ("pkg.high.api", "pkg/high/api.py", 1)


def test_the_baseline_ratchets_import_linter_contracts(tmp_path: Path) -> None:
    root = project(tmp_path)
    recorded = run_cli("graph", "check", "--update-baseline", cwd=root)
    assert recorded.code == 0, recorded.stdout + recorded.stderr
    baseline = json.loads((root / "imports-baseline.json").read_text())
    assert "pkg.high.api -> pkg.low.store" in json.dumps(baseline)
    again = run_cli("graph", "check", "-f", "json", cwd=root)
    assert again.code == 0, again.stderr
    statuses = {c["contract"]: c["status"] for c in json.loads(again.stdout)["contracts"]}
    assert statuses["importlinter/high never reaches low"] == "warn"
    # A new violation of a contract that was kept fails again.
    (root / "pkg" / "feat" / "one" / "core.py").write_text("import pkg.feat.two.core\n")
    worse = run_cli("graph", "check", "-f", "json", cwd=root)
    assert worse.code == 1
    statuses = {c["contract"]: c["status"] for c in json.loads(worse.stdout)["contracts"]}
    assert statuses["importlinter/features independent"] == "fail"


def test_importlinter_criteria_through_the_gate_agree(tmp_path: Path) -> None:
    root = project(tmp_path)
    criteria = "".join(f"""
        - id: c{i}
          title: {name}
          kind: imports
          contract: {{type: importlinter, contract: "{'features' if name.startswith('features') else name}"}}
        """ for i, name in enumerate(EXPECTED))
    plan = write_plan(root, criteria)
    result = run_cli("-c", plan, "gate", "p", "-f", "json", cwd=root)
    assert result.code == 1, result.stdout + result.stderr
    found = {c["title"]: WORDS[c["status"]] for c in json.loads(result.stdout)["criteria"]}
    assert found == lint_imports(root, root / "pyproject.toml") == EXPECTED


def test_graph_importlinter_setting_adds_the_contracts_to_graph_check(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "pyproject.toml").rename(root / "lint.toml")
    plan = write_plan(root, """
        - id: native
          title: low stays low
          kind: imports
          contract: {type: forbidden, source: [pkg.low], forbidden: [pkg.high]}
        """, extra="graph: {importlinter: lint.toml}")
    result = run_cli("-c", plan, "graph", "check", "-f", "json", cwd=root)
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["importlinter"] == "lint.toml [tool.importlinter]"
    assert [c["contract"] for c in data["contracts"]][:2] == ["p/native", "importlinter/high never reaches low"]
    assert len(data["contracts"]) == 6


def test_an_unknown_contract_name_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    root = project(tmp_path)
    plan = write_plan(root, """
        - id: typo
          title: typo
          kind: imports
          contract: {type: importlinter, contract: three layer}
        """)
    result = run_cli("-c", plan, "gate", "p", "-f", "json", cwd=root)
    assert result.code == 2, result.stdout + result.stderr
    [criterion] = json.loads(result.stdout)["criteria"]
    assert criterion["status"] == "error"
    assert "no import-linter contract named 'three layer'" in criterion["summary"]
    assert "did you mean 'three layers'?" in criterion["summary"]


def test_no_contract_anywhere_is_not_a_pass(tmp_path: Path) -> None:
    write(tmp_path, BASE)
    result = run_cli("graph", "check", cwd=tmp_path)
    assert result.code == 2
    assert ("no contracts: no config (phases.yaml, or pyproject.toml with [tool.prepctl]) and no "
            "import-linter configuration") in result.stderr


def test_discovery_order_and_which_file_was_used(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    (root / "setup.cfg").write_text("[importlinter]\nroot_package = pkg\n\n[importlinter:contract:x]\n"
                                    "name = from setup.cfg\ntype = independence\nmodules =\n    pkg.feat.*\n")
    result = run_cli("graph", "check", cwd=root)
    assert result.code == 0, result.stdout + result.stderr
    assert "import-linter contracts from setup.cfg [importlinter]" in result.stderr
    (root / ".importlinter").write_text((root / "setup.cfg").read_text().replace("setup.cfg", ".importlinter"))
    result = run_cli("graph", "check", "-f", "json", cwd=root)
    assert [c["contract"] for c in json.loads(result.stdout)["contracts"]] == ["importlinter/from .importlinter"]


def test_a_config_prepctl_cannot_honour_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    root = project(tmp_path)
    text = PYPROJECT.replace('root_packages = ["pkg"]\n', 'root_packages = ["pkg"]\ninclude_external_packages = true\n')
    (root / "pyproject.toml").write_text(text)
    result = run_cli("graph", "check", cwd=root)
    assert result.code == 2 and "Traceback" not in result.stderr
    assert "pyproject.toml:7: [tool.importlinter]: include_external_packages = true" in result.stderr
    text = PYPROJECT.replace('ancestors = ["pkg"]\n', 'ancestors = ["pkg"]\nskip_descendants = ["pkg.x"]\n')
    (root / "pyproject.toml").write_text(text)
    result = run_cli("graph", "check", cwd=root)
    assert result.code == 2 and "Traceback" not in result.stderr
    assert "pyproject.toml:35: [[tool.importlinter.contracts]] #5: skip_descendants is not supported" in result.stderr


def test_graph_lint_imports_prints_like_lint_imports(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run_cli("--root", root, "graph", "lint-imports", cwd=tmp_path)
    assert result.code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:5] == [f"{name} {verdict.upper()}" for name, verdict in EXPECTED.items()]
    assert "- pkg.high.api imports pkg.low.store via pkg.mid.service (forbidden) (pkg/high/api.py:1)" in lines
    assert lines[-1] == "Contracts: 4 kept, 1 broken."
    (root / "pyproject.toml").rename(root / "other.toml")
    assert run_cli("--root", root, "graph", "lint-imports", cwd=tmp_path).code == 2
    kept = run_cli("graph", "lint-imports", "--config", "other.toml", cwd=root)
    assert kept.code == 1 and kept.stdout.splitlines()[0] == "high never reaches low BROKEN"


def committed_project(tmp_path: Path) -> Path:
    root = project(tmp_path)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    return root


def test_graph_diff_reports_new_violations_of_import_linter_contracts(tmp_path: Path) -> None:
    root = committed_project(tmp_path)
    (root / "pkg" / "feat" / "one" / "core.py").write_text("import pkg.feat.two.core\n")
    result = run_cli("graph", "diff", "--base", "main", "-f", "json", cwd=root)
    assert result.code == 1, result.stderr
    new = {c["contract"]: [v["key"] for v in c["new"]] for c in json.loads(result.stdout)["contracts"]}
    assert new["importlinter/features independent"] == ["pkg.feat.one.core -> pkg.feat.two.core"]
    assert new["importlinter/high never reaches low"] == []  # broken on main already: not new


def test_gate_at_a_revision_reads_that_revisions_configuration(tmp_path: Path) -> None:
    root = committed_project(tmp_path)
    plan = write_plan(root, """
        - id: layers
          title: layers
          kind: imports
          contract: {type: importlinter, contract: three layers}
        """)
    # The work tree no longer has the contract; main does.
    (root / "pyproject.toml").write_text(PYPROJECT.replace("three layers", "renamed"))
    assert run_cli("-c", plan, "gate", "p", cwd=root).code == 2
    at_main = run_cli("-c", plan, "gate", "p", "--at", "main", "-f", "json", cwd=root)
    assert at_main.code == 0, at_main.stdout + at_main.stderr
    assert json.loads(at_main.stdout)["criteria"][0]["status"] == "pass"


def criterion_summary(root: Path, contract: str) -> tuple[int, str, str]:
    plan = write_plan(root, f"""
        - id: c
          title: c
          kind: imports
          contract: {contract}
        """)
    result = run_cli("-c", plan, "gate", "p", "-f", "json", cwd=root)
    [criterion] = json.loads(result.stdout)["criteria"]
    return result.code, criterion["status"], criterion["summary"]


def test_a_criterion_without_evidence_is_an_error_never_a_pass(tmp_path: Path) -> None:
    root = project(tmp_path)
    code, status, summary = criterion_summary(root, "{type: importlinter, config: missing.toml, contract: x}")
    assert (code, status) == (2, "error") and "missing.toml: cannot read" in summary
    # A misspelt root package would leave no import between the root packages: nothing could break.
    (root / "pyproject.toml").write_text(PYPROJECT.replace('root_packages = ["pkg"]', 'root_packages = ["pkgg"]'))
    code, status, summary = criterion_summary(root, '{type: importlinter, contract: "high never reaches low"}')
    assert (code, status) == (2, "error") and "root package pkgg matched none" in summary
    (root / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    code, status, summary = criterion_summary(root, "{type: importlinter, contract: x}")
    assert (code, status) == (2, "error") and "no import-linter configuration in the root" in summary


def test_config_paths_stay_below_the_root(tmp_path: Path) -> None:
    root = project(tmp_path)
    plan = write_plan(root, """
        - id: c
          title: c
          kind: imports
          contract: {type: importlinter, config: ../elsewhere.toml, contract: x}
        """)
    result = run_cli("-c", plan, "validate", cwd=root)
    assert result.code == 2 and "must be a file below the root" in result.stderr
    plan = write_plan(root, """
        - id: c
          title: c
          kind: imports
          contract: {type: forbidden, source: [pkg.low], forbidden: [pkg.high]}
        """, extra="graph: {importlinter: /etc/importlinter}")
    result = run_cli("-c", plan, "validate", cwd=root)
    assert result.code == 2 and "must be a file below root:" in result.stderr


def test_the_gate_baseline_warns_for_a_recorded_importlinter_violation(tmp_path: Path) -> None:
    root = project(tmp_path)
    plan = write_plan(root, """
        - id: forbidden
          title: forbidden
          kind: imports
          contract: {type: importlinter, contract: high never reaches low}
        """)
    assert run_cli("-c", plan, "gate", "p", cwd=root).code == 1
    assert run_cli("-c", plan, "graph", "check", "--update-baseline", cwd=root).code == 0
    gate = run_cli("-c", plan, "gate", "p", "-f", "json", cwd=root)
    assert gate.code == 0, gate.stdout
    [criterion] = json.loads(gate.stdout)["criteria"]
    assert criterion["status"] == "warn" and "1 known violation(s) in the baseline" in criterion["summary"]


def test_a_plan_without_imports_criteria_checks_the_import_linter_contracts(tmp_path: Path) -> None:
    root = project(tmp_path)
    plan = write_plan(root, """
        - id: there
          title: the package exists
          kind: paths
          exists: [pkg/__init__.py]
        """)
    result = run_cli("-c", plan, "graph", "check", "-f", "json", cwd=root)
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["importlinter"] == "pyproject.toml [tool.importlinter]" and len(data["contracts"]) == 5
    # --phase: the import-linter contracts belong to no phase, and the phase has no contract.
    phase = run_cli("-c", plan, "graph", "check", "--phase", "p", cwd=root)
    assert phase.code == 2 and "no contracts: no `imports` criteria in p; the import-linter contracts of " \
        "pyproject.toml [tool.importlinter] belong to no phase (leave out --phase" in phase.stderr


def test_example_monolith_graph_check_agrees_with_lint_imports(tmp_path: Path) -> None:
    """The same acceptance on the bundled monolith, where the contracts keep and break for real."""
    shutil.copytree(EXAMPLE, tmp_path / "mono")
    root = tmp_path / "mono"
    (root / "pyproject.toml").write_text(MONOLITH_TOML)
    expected = lint_imports(root, root / "pyproject.toml")
    assert len(expected) == 6 and set(expected.values()) == {"kept", "broken"}, expected
    result = run_cli("graph", "check", "-f", "json", cwd=root)
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["errors"] == []
    assert {c["contract"].removeprefix("importlinter/"): WORDS[c["status"]] for c in data["contracts"]} == expected
