"""prepctl's own layering, enforced with its own `imports` contracts.

Data flows plan -> sources -> gates -> verdicts -> formats; the CLI sits on top. Nothing below
the CLI may import it (or the command modules), and sources must not know about gates. Imports
inside functions count: a lazy import is still a dependency.
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

BELOW_CLI = ["prepctl.sources", "prepctl.gates", "prepctl.formats", "prepctl.plan", "prepctl.verdicts",
             "prepctl.graph"]
CONTRACTS = {
    "nothing below the CLI imports it": contract(
        type="forbidden", source=BELOW_CLI, forbidden=["prepctl.cli", "prepctl.commands"]),
    # Sources may name GateContext in annotations (TYPE_CHECKING imports, never run); what is
    # forbidden is a source that itself depends on a gate at run time.
    "sources do not import gates": contract(type="forbidden", source=["prepctl.sources"], forbidden=["prepctl.gates"],
                                            transitive=False, type_checking=False),
    # Documents are rendered from verdicts; a gate that needed a renderer would invert the flow.
    "gates, sources and formats do not import documents": contract(
        type="forbidden", source=["prepctl.gates", "prepctl.sources", "prepctl.formats"],
        forbidden=["prepctl.documents"], transitive=False),
    # The app assembles the commands; a command reading state back from the app was a cycle.
    "commands do not import the CLI": contract(type="forbidden", source=["prepctl.commands"],
                                               forbidden=["prepctl.cli"]),
    "verdicts are a leaf": contract(type="forbidden", source=["prepctl.verdicts"],
                                    forbidden=["prepctl.gates", "prepctl.sources", "prepctl.formats"]),
}


@pytest.fixture(scope="module")
def prepctl_graph() -> ImportGraph:
    return build_graph(GraphSettings(root=REPO, scan=ScanConfig(packages=("prepctl",))))


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_prepctl_keeps_its_layers(prepctl_graph: ImportGraph, name: str):
    # The gate and format registries import by computed name: reported as "dynamic", nothing skipped.
    assert len(prepctl_graph) > 40 and not [p for p in prepctl_graph.scan.problems if p.kind != "dynamic"]
    result = run_contract(CONTRACTS[name], prepctl_graph)
    assert result.kept, "\n".join(f"{v.message}: {v.chain_text} ({v.hops[0].location})" for v in result.violations)


def test_the_contract_would_catch_a_violation(prepctl_graph: ImportGraph):
    """Control: the same contract fails once a source module imports the CLI, even lazily."""
    scan = prepctl_graph.scan
    planted = ImportEdge("prepctl.sources.tree", "prepctl.cli", "prepctl/sources/tree.py", 1, ("G",))
    broken = ImportGraph(dataclasses.replace(scan, edges=[*scan.edges, planted]))
    result = run_contract(CONTRACTS["nothing below the CLI imports it"], broken)
    assert [v.key for v in result.violations] == ["prepctl.sources.tree -> prepctl.cli"]
