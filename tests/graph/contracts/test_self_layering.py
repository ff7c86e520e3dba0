"""prepctl's own shape, enforced with its own contract engine.

Data flows plan -> sources -> gates -> verdicts -> formats | documents, with graph/, shadow/,
slo/ and signoff/ beside the gates and a thin cli/commands on top. Every import counts: one made
inside a function or under ``if TYPE_CHECKING:`` is still a dependency (a lazy import is for
start-up time, never to hide a cycle), so no contract here exempts either.
"""

from __future__ import annotations

import dataclasses

import pytest

from prepctl.graph.contracts import run_contract
from prepctl.graph.load import GraphSettings, build_graph
from prepctl.graph.model import ImportGraph
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.model import ImportEdge
from tests.support.contracts import contract
from tests.support.paths import REPO

#: Top to bottom; a module may import the layers below its own, never those above. A list holds
#: siblings of one layer. ``prepctl`` itself (the version) sits outside, importable by all.
LAYERS: list[str | list[str]] = [
    "cli",
    "commands",
    ["api", "plugin", "reference"],
    ["documents", "scaffold"],
    "formats",
    "status",
    "evaluate",
    "gates",
    ["graph", "shadow", "slo", "signoff", "history"],
    "sources",
    "plan",
    ["verdicts", "errors", "fileio", "inert", "secrets", "registry", "patterns", "charts", "workdir",
     "sqlitedb", "contentcache"],
]
NOT_LAYERED = {"__init__", "__main__"}

CONTRACTS = {
    "every package keeps its layer": contract(type="layers", containers=["prepctl"], layers=LAYERS),
    "no import cycle between modules": contract(type="acyclic", modules=["prepctl"]),
    "no import cycle between packages": contract(type="acyclic", modules=["prepctl"], depth=2),
    "nothing below the commands imports them or the CLI": contract(
        type="forbidden", source=[f"prepctl.{name}" for layer in LAYERS[2:]
                                  for name in ([layer] if isinstance(layer, str) else layer)],
        forbidden=["prepctl.cli", "prepctl.commands"]),
    "the plan model is a leaf": contract(
        type="forbidden", source=["prepctl.plan.model"],
        forbidden=["prepctl.gates", "prepctl.sources", "prepctl.graph", "prepctl.formats", "prepctl.documents"]),
}


@pytest.fixture(scope="module")
def prepctl_graph() -> ImportGraph:
    return build_graph(GraphSettings(root=REPO, scan=ScanConfig(packages=("prepctl",))))


def test_every_top_level_module_has_a_layer():
    """A new package must be placed, or the layers contract would not see it."""
    layered = {name for layer in LAYERS for name in ([layer] if isinstance(layer, str) else layer)}
    top = {p.stem for p in (REPO / "prepctl").iterdir()
           if (p.suffix == ".py" or (p / "__init__.py").is_file())}
    assert top - NOT_LAYERED == layered


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_prepctl_keeps_its_shape(prepctl_graph: ImportGraph, name: str):
    # The registries import by computed name: reported as "dynamic", nothing skipped.
    assert len(prepctl_graph) > 150 and not [p for p in prepctl_graph.scan.problems if p.kind != "dynamic"]
    result = run_contract(CONTRACTS[name], prepctl_graph)
    assert result.kept, "\n".join(f"{v.message}: {v.chain_text} ({v.hops[0].location})" for v in result.violations)


def test_function_level_and_type_checking_imports_are_counted(prepctl_graph: ImportGraph):
    """The scan keeps imports made inside functions and under TYPE_CHECKING, so the contracts see them."""
    edges = {(e.importer, e.imported) for e in prepctl_graph.scan.edges}
    # commands/_session.py imports the graph loader inside a method, for start-up time.
    assert ("prepctl.commands._session", "prepctl.graph.load") in edges
    # sources/http.py names the context only in annotations.
    assert ("prepctl.sources.http", "prepctl.sources.context") in edges


def _planted(graph: ImportGraph, importer: str, imported: str, path: str) -> ImportGraph:
    edge = ImportEdge(importer, imported, path, 1, ("X",))
    return ImportGraph(dataclasses.replace(graph.scan, edges=[*graph.scan.edges, edge]))


def test_the_layers_would_catch_an_upward_import(prepctl_graph: ImportGraph):
    """Control: a source importing a gate, even lazily, breaks the layers."""
    broken = _planted(prepctl_graph, "prepctl.sources.tree", "prepctl.gates.base", "prepctl/sources/tree.py")
    result = run_contract(CONTRACTS["every package keeps its layer"], broken)
    assert any(v.key.startswith("prepctl.sources.tree -> prepctl.gates") for v in result.violations)


def test_acyclic_would_catch_a_hidden_cycle(prepctl_graph: ImportGraph):
    """Control: the registry importing a gate module back (as a function-level import would) is a cycle."""
    broken = _planted(prepctl_graph, "prepctl.plan.model", "prepctl.gates.registry", "prepctl/plan/model.py")
    assert not run_contract(CONTRACTS["no import cycle between modules"], broken).kept
    assert not run_contract(CONTRACTS["no import cycle between packages"], broken).kept


def test_the_forbidden_contract_would_catch_a_cli_import(prepctl_graph: ImportGraph):
    broken = _planted(prepctl_graph, "prepctl.sources.tree", "prepctl.cli", "prepctl/sources/tree.py")
    result = run_contract(CONTRACTS["nothing below the commands imports them or the CLI"], broken)
    assert [v.key for v in result.violations] == ["prepctl.sources.tree -> prepctl.cli"]
