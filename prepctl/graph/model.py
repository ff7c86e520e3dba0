"""The import graph on networkx: one node per module, one edge per importing module pair.

Each edge keeps every import statement behind it (``ImportEdge``: file, line, names, tags), so
any answer can point at ``path:line``.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prepctl.errors import PrepctlError
from prepctl.graph.scan.model import ImportEdge, ScanResult
from prepctl.graph.stages import stage

if TYPE_CHECKING:
    import networkx as nx

#: Tags a caller may leave out of a graph (see ``EdgeFilter``).
TAGS = ("type-checking", "dynamic", "guarded")


@dataclass(frozen=True)
class EdgeFilter:
    """Which tagged imports count. By default all do: a boundary is crossed by any import."""

    type_checking: bool = True
    dynamic: bool = True
    guarded: bool = True

    @classmethod
    def ignoring(cls, tags: Iterable[str]) -> EdgeFilter:
        tags = set(tags)
        unknown = tags - set(TAGS)
        if unknown:
            raise ValueError(f"unknown import tag(s) {', '.join(sorted(unknown))}; "
                             f"use {', '.join(TAGS)}")
        return cls(type_checking="type-checking" not in tags, dynamic="dynamic" not in tags,
                   guarded="guarded" not in tags)

    @property
    def everything(self) -> bool:
        return self.type_checking and self.dynamic and self.guarded

    def allows(self, edge: ImportEdge) -> bool:
        return ((self.type_checking or not edge.type_checking) and (self.dynamic or not edge.dynamic)
                and (self.guarded or not edge.guarded))


@dataclass(frozen=True)
class Hop:
    """One step of an import chain, with where it is written."""

    importer: str
    imported: str
    path: str
    line: int

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict:
        return {"importer": self.importer, "imported": self.imported, "path": self.path, "line": self.line}


class ImportGraph:
    """Modules and who imports whom, built from a scan.

    Adjacency is kept as plain dicts of lists (``predecessors``/``successors``), which is all the
    common queries need; the networkx ``DiGraph`` (``.graph``) is built on first use only, by the
    algorithms that want it (cycles, contracts, pictures). On 50,000 modules and 500,000 edges
    networkx's ``add_edges_from`` alone costs ~1 s, more than the adjacency and the query together.
    """

    def __init__(self, scan: ScanResult, edge_filter: EdgeFilter | None = None):
        from prepctl.graph.scan.scanner import gc_paused

        with gc_paused(), stage("graph: build"):
            self._build(scan, edge_filter)

    def _build(self, scan: ScanResult, edge_filter: EdgeFilter | None) -> None:
        self.scan = scan
        self.edge_filter = edge_filter or EdgeFilter()
        self.modules: dict[str, str] = scan.modules
        allows = self.edge_filter.allows
        #: The import statements that count, in scan order.
        self.edges: list[ImportEdge] = (scan.edges if self.edge_filter.everything
                                        else [e for e in scan.edges if allows(e)])
        self._statements: dict[tuple[str, str], list[ImportEdge]] | None = None
        self._index()

    def _index(self) -> None:
        """Who imports whom, from ``edges``; the statements per pair, successors and networkx
        graph follow on demand.

        One append per statement, so an importer appears once per statement, not per pair:
        grouping the 500,000 statements of a 50,000-module tree per pair first (a tuple key
        each) cost 0.45 s of CPU against 0.15 s, and the breadth-first search, the only
        hot reader, skips repeats anyway. ``predecessors()`` removes them."""
        preds: defaultdict[str, list[str]] = defaultdict(list)
        for edge in self.edges:
            preds[edge[1]].append(edge[0])
        self._preds = preds
        self._succs: dict[str, list[str]] | None = None
        self._nx: nx.DiGraph | None = None

    @property
    def statements(self) -> dict[tuple[str, str], list[ImportEdge]]:
        """Every (importer, imported) pair, in first-statement order, with its statements in
        scan order; built on first use (the importers and imports queries do without)."""
        if self._statements is None:
            statements: dict[tuple[str, str], list[ImportEdge]] = {}
            for edge in self.edges:
                key = (edge.importer, edge.imported)
                found = statements.get(key)
                if found is None:
                    statements[key] = [edge]
                else:
                    found.append(edge)
            self._statements = statements
        return self._statements

    @property
    def graph(self) -> nx.DiGraph:
        """The networkx view (nodes in module order, edges in statement order), built once."""
        if self._nx is None:
            import networkx as nx

            from prepctl.graph.scan.scanner import gc_paused

            with gc_paused(), stage("graph: networkx view"):
                built = nx.DiGraph()
                built.add_nodes_from(self.modules)
                built.add_edges_from(self.statements)
            self._nx = built
        return self._nx

    def predecessors(self, module: str) -> list[str]:
        """Modules that import ``module`` directly, each once (unsorted)."""
        return list(dict.fromkeys(self._preds.get(module, ())))

    def successors(self, module: str) -> list[str]:
        """Modules ``module`` imports directly (unsorted; do not modify)."""
        if self._succs is None:
            succs: defaultdict[str, list[str]] = defaultdict(list)
            for importer, imported in self.statements:
                succs[importer].append(imported)
            self._succs = succs
        return self._succs.get(module, [])

    def filtered(self, edge_filter: EdgeFilter) -> ImportGraph:
        if edge_filter == self.edge_filter:
            return self
        return ImportGraph(self.scan, edge_filter)

    def without(self, pairs: Iterable[tuple[str, str]]) -> ImportGraph:
        """A copy without the given (importer, imported) edges, e.g. a contract's ignores."""
        pairs = set(pairs) & set(self.statements)
        if not pairs:
            return self
        copy = object.__new__(ImportGraph)
        copy.scan, copy.edge_filter, copy.modules = self.scan, self.edge_filter, self.modules
        copy.edges = [e for e in self.edges if (e[0], e[1]) not in pairs]
        copy._statements = {k: v for k, v in self.statements.items() if k not in pairs}
        copy._index()
        return copy

    # ------------------------------------------------------------------ lookups

    def __contains__(self, module: str) -> bool:
        return module in self.modules

    def __len__(self) -> int:
        return len(self.modules)

    def path_of(self, module: str) -> str:
        return self.modules[module]

    def imports_between(self, importer: str, imported: str) -> list[ImportEdge]:
        return self.statements.get((importer, imported), [])

    def hop(self, importer: str, imported: str) -> Hop:
        """The first statement by which ``importer`` imports ``imported``."""
        found = self.statements[(importer, imported)]
        first = found[0] if len(found) == 1 else min(found, key=lambda e: e.line)
        return Hop(importer, imported, first.path, first.line)

    def hops(self, chain: list[str]) -> list[Hop]:
        return [self.hop(a, b) for a, b in zip(chain, chain[1:], strict=False)]

    def importers(self, module: str) -> list[str]:
        return sorted(self.predecessors(module))

    def imported_by(self, module: str) -> list[str]:
        return sorted(self.successors(module))

    def package_members(self, name: str) -> set[str]:
        """``name`` and every module below it."""
        prefix = name + "."
        return {m for m in self.modules if m == name or m.startswith(prefix)}

    def suggest(self, name: str) -> str | None:
        found = difflib.get_close_matches(name, list(self.modules), n=1, cutoff=0.6)
        return found[0] if found else None

    def shortest_steps_to(self, targets: set[str], avoid: set[str] | None = None) -> dict[str, str]:
        """Every shortest import chain to ``targets`` at once: for each module that reaches
        them, the next module on its chain (a breadth-first tree over importers, in discovery
        order). Chains never pass through ``avoid``. Between equally short chains the search's
        order decides: the targets sorted, then each frontier module in the order it was found,
        taking its new importers sorted; so the same graph always gives the same chains."""
        avoid = avoid or set()
        successor: dict[str, str] = {}
        frontier = sorted(targets)
        seen = set(targets)
        preds = self._preds
        while frontier:
            following: list[str] = []
            for node in frontier:
                importers = preds.get(node)
                if not importers:
                    continue
                # Set operations stay in C; only the importers seen for the first time are
                # sorted (sorting every importer list cost more than the rest of the search).
                # (``difference`` walks the small set; ``-=`` would walk all of ``seen``.)
                new = set(importers).difference(seen)
                if not new:
                    continue
                seen |= new
                found = sorted(new)
                successor.update(dict.fromkeys(found, node))
                following += [m for m in found if m not in avoid] if avoid else found
            frontier = following
        return successor

    def shortest_chains_to(self, targets: set[str], avoid: set[str] | None = None) -> dict[str, list[str]]:
        """For every module that reaches ``targets``, its shortest import chain (module first,
        a target last); see ``shortest_steps_to``."""
        successor = self.shortest_steps_to(targets, avoid)
        chains: dict[str, list[str]] = {}
        for start, step in successor.items():
            # Discovery order: the rest of the chain is known already (or ``step`` is a target).
            rest = chains.get(step)
            chains[start] = [start, *rest] if rest is not None else [start, step]
        return chains

    def first_statements(self, successor: dict[str, str], targets: set[str]
                         ) -> tuple[dict[str, ImportEdge], dict[str, list[ImportEdge]]]:
        """For each module of ``successor`` (a ``shortest_steps_to(targets)``), the first
        statement (lowest line, then scan order) by which it imports its successor: the ``hop``
        of every step at once. Also, as ``statements_into(targets)``, every statement that
        imports a target. One pass over the statements, instead of grouping them all per pair
        (0.45 s) or two passes."""
        found: dict[str, ImportEdge] = {}
        if self._statements is not None:
            for module, step in successor.items():
                statements = self._statements[(module, step)]
                found[module] = min(statements, key=_line) if len(statements) > 1 else statements[0]
            return found, self.statements_into(targets)
        into: defaultdict[str, list[ImportEdge]] = defaultdict(list)
        step_of = successor.get
        best = found.get
        for edge in self.edges:
            step = step_of(edge[0])
            if step is None:  # reaches no target (or is one): neither a hop nor a direct import
                continue
            if edge[1] == step:
                kept = best(edge[0])
                if kept is None or edge[3] < kept[3]:
                    found[edge[0]] = edge
            if edge[1] in targets:
                into[edge[0]].append(edge)
        return found, into

    def statements_into(self, members: set[str]) -> dict[str, list[ImportEdge]]:
        """Importer -> its statements that import any of ``members``, in scan order, for the
        importers outside ``members``."""
        found: defaultdict[str, list[ImportEdge]] = defaultdict(list)
        for edge in self.edges:
            if edge[1] in members and edge[0] not in members:
                found[edge[0]].append(edge)
        return found

    def statements_from(self, module: str) -> list[ImportEdge]:
        """``module``'s statements that import scanned modules, in scan order."""
        return [edge for edge in self.edges if edge[0] == module]


def _line(edge: ImportEdge) -> int:
    return edge.line


class GraphError(PrepctlError):
    """A graph question that cannot be answered honestly (no modules found, unknown module).

    A PrepctlError, so the CLI prints it and exits 2; gates turn it into an `error` verdict.
    """
