"""The `importlinter` contract type on hostile or missing configuration files: an `error`
(a PrepctlError with the file), never a pass and never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prepctl.errors import PrepctlError
from prepctl.graph.contracts import ContractContext, run_contract
from prepctl.graph.contracts.importlinter import ImportLinterOptions, load_source
from prepctl.graph.load import GraphSettings, build_graph
from prepctl.graph.scan.config import ScanConfig
from prepctl.sources.tree import WorkTree
from tests.graph.importlinter.test_cli import BASE, PYPROJECT
from tests.support.trees import write


def judge(root: Path, config: str | None, contract: str = "three layers"):
    graph = build_graph(GraphSettings(root=root, scan=ScanConfig(packages=("pkg",))))
    options = ImportLinterOptions(type="importlinter", config=config, contract=contract)
    return run_contract(options, graph, ContractContext(WorkTree(root)))


def test_kept_and_broken_by_name_or_id(tmp_path: Path) -> None:
    write(tmp_path, {**BASE, "pyproject.toml": PYPROJECT})
    assert judge(tmp_path, None).kept
    assert judge(tmp_path, "pyproject.toml", "features").kept  # by id
    broken = judge(tmp_path, None, "high never reaches low")
    assert not broken.kept and broken.violations[0].hops[0].location == "pkg/high/api.py:1"
    assert broken.headline.startswith("1 module(s) import pkg.low")  # the summary line says how big


@pytest.mark.parametrize("hostile", ["directory", "fifo", "not-utf8", "outside"])
def test_an_unreadable_configuration_is_an_error(tmp_path: Path, hostile: str) -> None:
    write(tmp_path, BASE)
    target = tmp_path / "lint.toml"
    if hostile == "directory":
        target.mkdir()
    elif hostile == "fifo":
        os.mkfifo(target)
    elif hostile == "not-utf8":
        target.write_bytes(b"[tool.importlinter]\nroot_packages = [\"\xff\"]\n")
    else:
        (tmp_path.parent / "outside.toml").write_text(PYPROJECT)
        target.symlink_to(tmp_path.parent / "outside.toml")
    with pytest.raises(PrepctlError, match="lint.toml: cannot read"):
        judge(tmp_path, "lint.toml")


def test_a_configuration_that_names_no_contract_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {**BASE, ".importlinter": "[importlinter]\nroot_package = pkg\n"})
    with pytest.raises(PrepctlError, match=r"\.importlinter:1: \[importlinter\]: no contracts"):
        load_source(WorkTree(tmp_path), None)
    with pytest.raises(PrepctlError, match="no contracts"):
        judge(tmp_path, None)



def test_a_computed_dynamic_import_neither_counts_nor_warns(tmp_path: Path) -> None:
    """lint-imports sees import statements only: importlib.import_module(name) is no import to it,
    so the criterion passes where lint-imports keeps the contract (a warning would say otherwise)."""
    from prepctl.graph.check import evaluate_contract

    write(tmp_path, {**BASE, "pyproject.toml": PYPROJECT,
                     "pkg/low/store.py": "import importlib\nimportlib.import_module('pkg.high.api')\n"
                                         "importlib.import_module(NAME)\n"})
    graph = build_graph(GraphSettings(root=tmp_path, scan=ScanConfig(packages=("pkg",))))
    assert any(p.kind == "dynamic" for p in graph.scan.problems)
    options = ImportLinterOptions(type="importlinter", contract="three layers")
    outcome = evaluate_contract("c", options, graph, ContractContext(WorkTree(tmp_path)), None)
    assert outcome.status.value == "pass", outcome.summary()


def test_two_contracts_of_one_name_need_an_id(tmp_path: Path) -> None:
    twice = PYPROJECT.replace('name = "three layers"', 'name = "high never reaches low"')
    write(tmp_path, {**BASE, "pyproject.toml": twice})
    with pytest.raises(PrepctlError, match="pyproject.toml:8: 2 contracts are named 'high never reaches low'"):
        load_source(WorkTree(tmp_path), None)
    with_ids = twice.replace('name = "high never reaches low"\ntype = "forbidden"',
                             'id = "forbidden"\nname = "high never reaches low"\ntype = "forbidden"')
    (tmp_path / "pyproject.toml").write_text(with_ids.replace(
        'name = "high never reaches low"\ntype = "layers"', 'id = "layered"\nname = "high never reaches low"\n'
        'type = "layers"'))
    source = load_source(WorkTree(tmp_path), None)
    assert source is not None
    assert [cid for cid, _ in source.contracts][:2] == ["importlinter/forbidden", "importlinter/layered"]
    assert judge(tmp_path, None, "layered").kept and not judge(tmp_path, None, "forbidden").kept
    with pytest.raises(PrepctlError, match="2 import-linter contracts are named 'high never reaches low'"):
        judge(tmp_path, None, "high never reaches low")
