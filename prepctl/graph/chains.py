"""Every shortest import chain to a target, kept as one breadth-first tree.

A transitive importers answer on a 50,000-module tree holds 36,000 chains of 2-6 modules each;
as one list of modules and one ``Hop`` object per step, that is ~110,000 objects built and then
turned into as many dicts for JSON. The chains of one search share their tails (each module's
chain is the module, then its successor's chain), so the tree stores one successor and one
statement per module; renderers walk it, and ``Hop`` objects are made only when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from prepctl.graph.model import Hop, ImportGraph
from prepctl.graph.scan.model import ImportEdge


@dataclass(frozen=True)
class ChainTree:
    """The shortest chains from every module that reaches ``targets``."""

    targets: frozenset[str]
    #: Module -> the next module on its shortest chain, in the order the search found them
    #: (so a module's successor always comes before it, or is a target).
    successor: dict[str, str]
    #: Module -> the first statement (lowest line) by which it imports its successor.
    first: dict[str, ImportEdge]
    #: Direct importer -> its statements that import a target, in scan order.
    into: dict[str, list[ImportEdge]]

    @classmethod
    def search(cls, graph: ImportGraph, targets: set[str]) -> ChainTree:
        successor = graph.shortest_steps_to(targets)
        return cls(frozenset(targets), successor, *graph.first_statements(successor, targets))

    def __contains__(self, module: str) -> bool:
        return module in self.successor

    def chain(self, module: str) -> tuple[str, ...]:
        """``module`` first, a target last."""
        chain = [module]
        while chain[-1] not in self.targets:
            chain.append(self.successor[chain[-1]])
        return tuple(chain)

    def hop(self, module: str) -> Hop:
        """The step from ``module`` to its successor, with the statement's file:line."""
        edge = self.first[module]
        return Hop(module, self.successor[module], edge.path, edge.line)

    def hops(self, module: str) -> tuple[Hop, ...]:
        return tuple(self.hop(m) for m in self.chain(module)[:-1])
