"""Where prepctl's reading of an import-linter configuration differs from lint-imports, one test
each (docs/importlinter.md lists them)."""

from __future__ import annotations

from pathlib import Path

from prepctl.graph.contracts import run_contract
from prepctl.graph.contracts.importlinter_config import check, read_config
from prepctl.graph.importlinter import check_config
from prepctl.graph.load import GraphSettings, build_graph
from prepctl.graph.model import ImportGraph
from prepctl.graph.scan.config import ScanConfig
from tests.graph.importlinter.test_differential import BASE, FORBIDDEN, LAYERS, SIBLINGS, contract
from tests.support.importlinter import lint_imports, prepctl_verdicts
from tests.support.trees import write


def graph_of(root: Path) -> ImportGraph:
    return build_graph(GraphSettings(root=root, scan=ScanConfig(include=(".",), packages=("pkg",))))


def test_an_erroring_contract_leaves_the_others_judged(tmp_path: Path) -> None:
    """lint-imports stops the whole run on an unmatched ignore; prepctl errors that contract only."""
    write(tmp_path, BASE)
    config = tmp_path / ".importlinter"
    config.write_text(contract(LAYERS + "ignore_imports =\n    pkg.low -> pkg.nowhere\n", name="Bad")
                      + "\n[importlinter:contract:d]\nname = Good\n" + FORBIDDEN)
    assert lint_imports(tmp_path, config) == {"": "error"}
    assert prepctl_verdicts(tmp_path, config) == {"Bad": "error", "Good": "broken"}
    bad, _ = check_config(config, tmp_path)
    assert bad.error == f"{config}:4: Bad: ignore_imports pkg.low -> pkg.nowhere match no import " \
                        "(remove them, or set unmatched_ignore_imports_alerting)"


def test_translated_options_alone_read_ignores_as_packages(tmp_path: Path) -> None:
    """check() ignores exactly the named modules; the prepctl options, used on their own (e.g.
    copied into phases.yaml), ignore everything below them too."""
    write(tmp_path, {**BASE, "pkg/mid/service.py": "", "pkg/mid/deep/__init__.py": "",
                     "pkg/mid/deep/inner.py": "import pkg.low.store\n",
                     "pkg/high/api.py": "import pkg.mid.deep.inner\n"})
    config = tmp_path / ".importlinter"
    config.write_text(contract(FORBIDDEN + "ignore_imports =\n    pkg.mid.deep -> pkg.low\n"
                               "unmatched_ignore_imports_alerting = none\n"))
    [translated] = read_config(config).contracts
    graph = graph_of(tmp_path)
    assert lint_imports(tmp_path, config) == {"Checked": "broken"}
    assert not check(translated, graph).kept
    assert run_contract(translated.contracts[0], graph).kept


def test_acyclic_siblings_reports_a_cousin_cycle_at_each_level(tmp_path: Path) -> None:
    """import-linter names the cycle once, between the siblings pkg.feat and pkg.high; prepctl
    checks every level on its own and also names the cycle one level down, through the cousins.
    The verdict is the same: a cycle across parents is always one between the parents too."""
    write(tmp_path, {**BASE, "pkg/feat/one/core.py": "import pkg.high.api\n",
                     "pkg/high/api.py": "import pkg.feat.two\n", "pkg/feat/two/core.py": "import pkg.feat.one\n"})
    config = tmp_path / ".importlinter"
    config.write_text(contract(SIBLINGS))
    [translated] = read_config(config).contracts
    result = check(translated, graph_of(tmp_path))
    assert lint_imports(tmp_path, config) == {"Checked": "broken"}
    assert sorted(v.key for v in result.violations) == [
        "package cycle: pkg.feat, pkg.high",
        "package cycle: pkg.feat.one, pkg.feat.two, pkg.high.api",
    ]


def test_broken_contract_guidance_is_a_note_of_a_broken_contract(tmp_path: Path) -> None:
    write(tmp_path, BASE)
    config = tmp_path / ".importlinter"
    config.write_text(contract(FORBIDDEN + "broken_contract_guidance = Go through pkg.mid's facade.\n"))
    [translated] = read_config(config).contracts
    result = check(translated, graph_of(tmp_path))
    assert not result.kept
    assert result.notes == ["Go through pkg.mid's facade."]
