"""`graph diff`: what a branch changes in the import graph, read straight from git objects.

No checkout: the base (and head, if given) come from ``GitRevisionTree``; the default head is
the work tree, dirty or not. Unchanged files hit the parse cache by blob id, so diffing a
branch costs about one scan of what it changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prepctl.errors import PrepctlError
from prepctl.graph.check import scope_problems
from prepctl.graph.contracts import ContractContext, Violation, run_contract
from prepctl.graph.load import GraphSettings, discover_importlinter, plan_contracts, require_modules, scan
from prepctl.graph.model import ImportGraph

if TYPE_CHECKING:
    from prepctl.sources.tree import Tree


@dataclass(frozen=True)
class EdgeChange:
    importer: str
    imported: str
    path: str
    line: int
    names: tuple[str, ...]

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict:
        return {"importer": self.importer, "imported": self.imported, "path": self.path,
                "line": self.line, "names": list(self.names)}


@dataclass
class ContractDiff:
    contract_id: str
    new: list[Violation] = field(default_factory=list)
    #: Violations base already had: not this change's doing (listed, never annotated).
    known: list[Violation] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict:
        return {"contract": self.contract_id, "new": [v.to_dict() for v in self.new], "fixed": self.fixed,
                "error": self.error}


@dataclass
class GraphDiff:
    base_label: str
    head_label: str
    base_revision: str | None
    head_revision: str | None
    added: list[EdgeChange]
    removed: list[EdgeChange]
    modules_added: list[str]
    modules_removed: list[str]
    contracts: list[ContractDiff] = field(default_factory=list)

    @property
    def new_violations(self) -> int:
        return sum(len(c.new) for c in self.contracts)

    @property
    def exit_code(self) -> int:
        """2 when a contract could not be judged on head (its answer is unknown, e.g. a skipped
        file in its scope), else 1 on new violations, else 0."""
        if any(c.error for c in self.contracts):
            return 2
        return 1 if self.new_violations else 0

    def to_dict(self) -> dict:
        return {"base": {"label": self.base_label, "revision": self.base_revision},
                "head": {"label": self.head_label, "revision": self.head_revision},
                "added": [c.to_dict() for c in self.added], "removed": [c.to_dict() for c in self.removed],
                "modules_added": self.modules_added, "modules_removed": self.modules_removed,
                "contracts": [c.to_dict() for c in self.contracts],
                "new_violations": self.new_violations, "exit_code": self.exit_code}


def _edge_changes(graph: ImportGraph, pairs: set[tuple[str, str]]) -> list[EdgeChange]:
    out = []
    for a, b in sorted(pairs):
        first = min(graph.imports_between(a, b), key=lambda e: e.line)
        names = tuple(sorted({n for e in graph.imports_between(a, b) for n in e.names}))
        out.append(EdgeChange(a, b, first.path, first.line, names))
    return out


def open_trees(settings: GraphSettings, base: str, head: str | None) -> tuple[Tree, Tree]:
    from prepctl.sources.git import GitRevisionTree, TreeIndex, open_repo
    from prepctl.sources.tree import WorkTree

    repo = open_repo(settings.root)
    index = TreeIndex(repo)
    base_tree = GitRevisionTree.open(settings.root, base, index=index)
    head_tree: Tree = GitRevisionTree.open(settings.root, head, index=index) if head else WorkTree(settings.root)
    return base_tree, head_tree


def diff_graphs(settings: GraphSettings, base_tree: Tree, head_tree: Tree) -> GraphDiff:
    """The edges and modules that changed, and each contract's new and fixed violations (the
    plan's, and import-linter's: graph: importlinter:, or found in the root when nothing else
    configures a contract; a diff without contracts still lists the edges)."""
    discover_importlinter(settings)
    base_scan = scan(settings, base_tree)
    head_scan = scan(settings, head_tree)
    require_modules(head_scan, settings)
    require_modules(base_scan, settings)
    base_graph, head_graph = ImportGraph(base_scan), ImportGraph(head_scan)
    base_pairs, head_pairs = set(base_graph.statements), set(head_graph.statements)
    result = GraphDiff(
        base_label=base_tree.label, head_label=head_tree.label if head_tree.revision else "work tree",
        base_revision=base_tree.revision, head_revision=head_tree.revision,
        added=_edge_changes(head_graph, head_pairs - base_pairs),
        removed=_edge_changes(base_graph, base_pairs - head_pairs),
        modules_added=sorted(set(head_graph.modules) - set(base_graph.modules)),
        modules_removed=sorted(set(base_graph.modules) - set(head_graph.modules)),
    )
    for contract_id, options in plan_contracts(settings):
        item = ContractDiff(contract_id)
        try:
            head_violations = run_contract(options, head_graph, ContractContext(head_tree, settings.groups))
        except PrepctlError as exc:
            item.error = "; ".join(p.message for p in exc.problems)
            result.contracts.append(item)
            continue
        try:
            base_keys = {v.key for v in run_contract(options, base_graph,
                                                     ContractContext(base_tree, settings.groups)).violations}
        except PrepctlError:
            base_keys = set()  # not evaluable on base (e.g. its modules are new): all is new
        item.new = [v for v in head_violations.violations if v.key not in base_keys]
        item.known = [v for v in head_violations.violations if v.key in base_keys]
        item.fixed = sorted(base_keys - {v.key for v in head_violations.violations})
        _shown, blocking = scope_problems(options, head_graph, head_scan.problems)
        if blocking:
            # A new import in a file the head's scan skipped would be invisible: not "ok".
            item.error = (f"{len(blocking)} skipped file(s) in the contract's scope on head, imports "
                          f"unknown: {'; '.join(str(p) for p in blocking[:3])}"
                          + (f" (+{len(blocking) - 3} more)" if len(blocking) > 3 else ""))
        result.contracts.append(item)
    return result
