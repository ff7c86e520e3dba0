"""Contract `acyclic`: no import cycles, between modules or between packages.

```yaml
contract:
  type: acyclic
  modules: [prep]   # optional scope (default: every module)
  depth: 2          # optional: compare packages cut to 2 name segments (prep.bookings, ...)
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from prepctl.graph import queries
from prepctl.graph.contracts.base import (
    Contract,
    ContractContext,
    ContractOptions,
    ContractResult,
    ModulePatterns,
    Violation,
    members_text,
    require,
)
from prepctl.graph.model import Hop, ImportGraph


class AcyclicOptions(ContractOptions):
    type: Literal["acyclic"]
    modules: ModulePatterns = Field(default_factory=list, description="Scope (default: every module).")
    depth: int | None = Field(None, ge=1, description=(
        "Look for cycles between packages cut to this many name segments instead of modules."))

    def importer_scope(self) -> list[str] | None:
        return self.modules or None


def cycle_text(hops: tuple[Hop, ...]) -> str:
    return " -> ".join([h.importer for h in hops] + [hops[0].importer]) if hops else ""


class AcyclicContract(Contract[AcyclicOptions]):
    type = "acyclic"
    options = AcyclicOptions

    def check(self, options: AcyclicOptions, graph: ImportGraph, ctx: ContractContext) -> ContractResult:
        scope = require(graph, "scope", options.modules) if options.modules else set(graph.modules)
        if options.depth is None:
            found = queries.cycles(graph, scope)
            violations = [Violation("cycle: " + ", ".join(c.members),
                                    f"{len(c.members)} modules import each other in a cycle "
                                    f"({members_text(c.members)}); one cycle: {cycle_text(c.hops)}",
                                    c.hops, c.members) for c in found]
            return ContractResult(violations, f"{len(scope)} module(s) checked for import cycles")
        return _package_cycles(graph, scope, options.depth)


def _package_cycles(graph: ImportGraph, scope: set[str], depth: int) -> ContractResult:
    import networkx as nx

    key = queries.depth_key(depth)
    packages = nx.DiGraph()
    witness: dict[tuple[str, str], tuple[str, str]] = {}
    for a, b in sorted(graph.statements):
        if a not in scope or b not in scope:
            continue
        ka, kb = key(a), key(b)
        packages.add_node(ka)
        packages.add_node(kb)
        if ka != kb:
            packages.add_edge(ka, kb)
            witness.setdefault((ka, kb), (a, b))
    violations = []
    for component in sorted(sorted(c) for c in nx.strongly_connected_components(packages) if len(c) > 1):
        sub = packages.subgraph(component)
        start = component[0]
        best = min((nx.shortest_path(sub, s, start) for s in sorted(sub.successors(start))), key=len)
        chain = [start, *best]
        hops: list[Hop] = [graph.hop(*witness[(p, q)]) for p, q in zip(chain, chain[1:], strict=False)]
        violations.append(Violation("package cycle: " + ", ".join(component),
                                    f"{len(component)} packages at depth {depth} import each other in a cycle "
                                    f"({members_text(component)}); one cycle: {' -> '.join(chain)}",
                                    tuple(hops), tuple(component)))
    return ContractResult(violations, f"{packages.number_of_nodes()} package(s) at depth {depth} "
                          "checked for cycles")


