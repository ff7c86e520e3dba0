"""Contract `importlinter`: one contract of an import-linter configuration, judged by prepctl.

The configuration (``.importlinter``, ``setup.cfg`` or ``pyproject.toml``, as lint-imports reads
it) is read from the checked tree, relative to the plan's root, so `gate --at REV` judges the
contract as that revision configured it. Omitted, it is found in the root: pyproject.toml with
[tool.importlinter], then .importlinter, then setup.cfg with [importlinter]. The contract is
kept when every prepctl contract it translates to is kept (see docs/importlinter.md), with
import-linter's meaning of ignore_imports and only the imports between the root_packages.
An unknown contract name, or an option prepctl cannot honour, is an `error` with file:line.

```yaml
contract:
  type: importlinter
  config: .importlinter          # omitted: pyproject.toml, .importlinter or setup.cfg in the root
  contract: Layered architecture  # the contract's name, or its id
```
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from prepctl.errors import ConfigError, Problem
from prepctl.graph.contracts.base import Contract, ContractContext, ContractOptions, ContractResult
from prepctl.graph.contracts.importlinter_config import DISCOVERY, check, discover, read_tree_config
from prepctl.graph.model import GraphError, ImportGraph

if TYPE_CHECKING:
    from prepctl.sources.tree import Tree


class ImportLinterOptions(ContractOptions):
    type: Literal["importlinter"]
    config: str | None = Field(None, description=(
        "The import-linter configuration, relative to the plan's root: .importlinter, setup.cfg "
        "or pyproject.toml. Omitted: the first of pyproject.toml ([tool.importlinter]), "
        ".importlinter and setup.cfg ([importlinter]) in the root."))
    dynamic: bool = Field(False, description=(
        "Count importlib.import_module('x') / __import__('x'). Off: lint-imports counts import "
        "statements only, and a computed import it cannot see is no warning either."))
    contract: str = Field(min_length=1, description=(
        "The import-linter contract: its `name`, or its id (`[importlinter:contract:ID]`, or "
        "`id` in pyproject.toml)."))

    @field_validator("config")
    @classmethod
    def _below_root(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith("/") or ".." in value.replace("\\", "/").split("/")):
            raise ValueError(f"config {value!r} must be a file below the root")
        return value


@dataclass
class ImportLinterSource:
    """An import-linter configuration as a set of prepctl contracts (for `graph check`)."""

    rel: str
    label: str
    root_packages: list[str]
    #: (contract id, options), ids ``importlinter/<name>``.
    contracts: list[tuple[str, ImportLinterOptions]]


def config_path(tree: Tree, config: str | None) -> str:
    """``config``, or the one found in the root; a GraphError when there is none."""
    rel = config or discover(tree)
    if rel is None:
        raise GraphError(Problem(
            file=tree.label, message="no import-linter configuration in the root "
            f"(looked for {', '.join(name for name, _ in DISCOVERY)})",
            hint="name it with config:, or add [tool.importlinter] to pyproject.toml"))
    return rel


def load_source(tree: Tree, config: str | None) -> ImportLinterSource | None:
    """Every contract of ``config`` (None: the one found in the root; None back when there is
    none), each as an `importlinter` contract. A ConfigError when it does not translate."""
    rel = config or discover(tree)
    if rel is None:
        return None
    read = read_tree_config(tree, rel)
    contracts: list[tuple[str, ImportLinterOptions]] = []
    names = Counter(item.name for item in read.contracts)
    for item in read.contracts:
        if names[item.name] > 1 and not item.id:
            # Two contracts of one name: only an id tells them apart (in the baseline too).
            raise ConfigError(Problem(file=item.location, message=f"{names[item.name]} contracts are named "
                                      f"{item.name!r}", hint="rename them, or give each an id"))
        contract_id = f"importlinter/{item.name if names[item.name] == 1 else item.id}"
        contracts.append((contract_id, ImportLinterOptions(type="importlinter", config=rel,
                                                           contract=item.id or item.name)))
    return ImportLinterSource(rel, read.label, read.root_packages, contracts)


class ImportLinterContract(Contract[ImportLinterOptions]):
    type = "importlinter"
    options = ImportLinterOptions

    def check(self, options: ImportLinterOptions, graph: ImportGraph, ctx: ContractContext) -> ContractResult:
        if ctx.tree is None:
            raise GraphError(Problem(file="importlinter", message="no tree to read the import-linter "
                                     "configuration from", hint="run it through prepctl gate or graph check"))
        config = read_tree_config(ctx.tree, config_path(ctx.tree, options.config))
        contract = config.find(options.contract)
        result = check(contract, graph, roots=config.root_packages)
        result.checked = f"import-linter {contract.type} contract {contract.name!r} ({contract.location}): " \
                         + result.checked
        return result
