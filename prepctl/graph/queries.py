"""Questions about an import graph: who imports a module, what it imports, cycles, orphans,
roll-ups by package or group, and which symbols each downstream group uses."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from prepctl import patterns
from prepctl.errors import Problem
from prepctl.graph.chains import ChainTree
from prepctl.graph.model import GraphError, Hop, ImportGraph
from prepctl.graph.scan.model import DYNAMIC as DYNAMIC_PROBLEM
from prepctl.graph.scan.model import SKIPPED, ImportEdge, ScanProblem
from prepctl.graph.stages import timed

if TYPE_CHECKING:
    from prepctl.sources.tree import Tree


def resolve_target(graph: ImportGraph, target: str) -> set[str]:
    """The modules a target names: the module, or a package and everything below it."""
    members = graph.package_members(target)
    if members:
        return members
    guess = graph.suggest(target)
    raise GraphError(Problem(
        file=graph.scan.label or "scan", message=f"no module {target!r} among {len(graph):,} modules scanned",
        hint=f"did you mean {guess!r}?" if guess else "list modules with `prepctl graph orphans` "
        "or check the graph: include/exclude settings"))


def group_of(module: str, groups: dict[str, list[str]]) -> str:
    """The first configured group whose patterns match, else the module's top-level package."""
    for name, group_patterns in groups.items():
        if patterns.matches(group_patterns, module):
            return name
    return module.partition(".")[0]


# ----------------------------------------------------------------------------- importers


@dataclass(frozen=True)
class DirectImporter:
    module: str
    path: str
    line: int  # the first import of the target
    names: tuple[str, ...]  # every name taken, from all its imports of the target
    group: str
    statements: tuple[ImportEdge, ...]

    def to_dict(self) -> dict:
        return {"module": self.module, "path": self.path, "line": self.line, "names": list(self.names),
                "group": self.group,
                "imports": [{"imported": e.imported, "line": e.line, "names": list(e.names),
                             "type_checking": e.type_checking, "guarded": e.guarded,
                             "dynamic": e.dynamic} for e in self.statements]}


@dataclass(frozen=True)
class TransitiveImporter:
    module: str
    path: str
    chain: tuple[str, ...]  # the module first, the target last: the shortest explanation
    hops: tuple[Hop, ...]
    group: str

    def to_dict(self) -> dict:
        return {"module": self.module, "path": self.path, "chain": list(self.chain), "group": self.group,
                "hops": [h.to_dict() for h in self.hops]}


@dataclass
class ImportersResult:
    target: str
    target_modules: list[str]
    direct: list[DirectImporter]
    transitive_asked: bool = False
    #: Skipped files (imports unknown), or computed dynamic imports, that might import the
    #: target too: the answer is complete only when this is empty.
    unknown: list[ScanProblem] = field(default_factory=list)
    #: The transitive-only importers (sorted) and their groups; their chains are in ``chains``.
    transitive_modules: list[str] = field(default_factory=list)
    transitive_groups: list[str] = field(default_factory=list)
    chains: ChainTree | None = None
    #: Module -> its file (the graph's), for the transitive importers' paths.
    paths: dict[str, str] = field(default_factory=dict)

    @cached_property
    def transitive(self) -> list[TransitiveImporter]:
        """The transitive-only importers as objects, built on first use (renderers of a huge
        answer walk ``chains`` instead)."""
        tree = self.chains
        if tree is None:
            return []
        return [TransitiveImporter(m, self.paths[m], tree.chain(m), tree.hops(m), g)
                for m, g in zip(self.transitive_modules, self.transitive_groups, strict=True)]

    def by_group(self) -> dict[str, dict[str, list[str]]]:
        out: dict[str, dict[str, list[str]]] = {}
        for item in self.direct:
            out.setdefault(item.group, {"direct": [], "transitive": []})["direct"].append(item.module)
        for module, group in zip(self.transitive_modules, self.transitive_groups, strict=True):
            out.setdefault(group, {"direct": [], "transitive": []})["transitive"].append(module)
        return dict(sorted(out.items()))

    def to_dict(self) -> dict:
        data: dict = {"target": self.target, "target_modules": self.target_modules,
                      "direct": [d.to_dict() for d in self.direct]}
        if self.transitive_asked:
            data["transitive"] = [t.to_dict() for t in self.transitive]
        data["by_group"] = self.by_group()
        data["complete"] = not self.unknown
        data["unknown"] = [{"path": p.path, "line": p.line, "module": p.module, "reason": p.reason}
                           for p in self.unknown]
        return data


@timed("query: importers")
def importers(graph: ImportGraph, target: str, transitive: bool = False,
              groups: dict[str, list[str]] | None = None, members: set[str] | None = None) -> ImportersResult:
    """Who imports ``target`` (a module, or a package and its modules) from outside it.

    ``transitive`` adds every module that reaches it only through others, each with its
    shortest chain (ties broken alphabetically). ``members`` gives the target's modules
    explicitly (a group or a glob, as ``graph boundary`` selects them) instead of resolving it.
    """
    groups = groups or {}
    members = members if members is not None else resolve_target(graph, target)
    direct: list[DirectImporter] = []
    tree = ChainTree.search(graph, members) if transitive else None
    into = tree.into if tree is not None else graph.statements_into(members)
    for importer in sorted(into):
        # (line, imported): the order of the statements as written; a stable sort keeps two
        # imports of one module on one line in scan order.
        statements = sorted(into[importer], key=_line_then_module)
        names = tuple(sorted({n for e in statements for n in e.names}))
        first = statements[0]
        direct.append(DirectImporter(importer, first.path, first.line, names,
                                     group_of(importer, groups), tuple(statements)))
    result = ImportersResult(target, sorted(members), direct, transitive_asked=transitive,
                             unknown=unknown_importers(graph, members), paths=graph.modules)
    if tree is not None:
        result.chains = tree
        result.transitive_modules = sorted(m for m, step in tree.successor.items() if step not in members)
        result.transitive_groups = [group_of(m, groups) for m in result.transitive_modules]
    return result


def _line_then_module(edge: ImportEdge) -> tuple[int, str]:
    return edge.line, edge.imported


def unknown_importers(graph: ImportGraph, members: set[str]) -> list[ScanProblem]:
    """Scan problems that could hide an importer of ``members``: any skipped file (its imports
    are unknown) and any computed dynamic import, outside the target itself."""
    return [p for p in graph.scan.problems if p.kind in (SKIPPED, DYNAMIC_PROBLEM) and p.module not in members]


# ----------------------------------------------------------------------------- chain


@dataclass(frozen=True)
class ChainResult:
    """Why ``source`` depends on ``target``: the shortest import chain, or None when it does not."""

    source: str
    target: str
    chain: tuple[str, ...] | None
    hops: tuple[Hop, ...] = ()

    def to_dict(self) -> dict:
        return {"source": self.source, "target": self.target,
                "chain": list(self.chain) if self.chain else None, "hops": [h.to_dict() for h in self.hops]}


def chain(graph: ImportGraph, source: str, target: str) -> ChainResult:
    """The shortest chain from ``source`` to ``target`` (each a module, or a package and its
    modules); from a package, the shortest over its modules outside the target, ties broken
    alphabetically."""
    starts = resolve_target(graph, source)
    targets = resolve_target(graph, target)
    if starts <= targets:
        raise GraphError(Problem(file=graph.scan.label or "scan", message=f"{source} is part of {target}",
                                 hint="name a module or package outside the target"))
    chains = graph.shortest_chains_to(targets)
    found = sorted((chains[m] for m in starts - targets if m in chains), key=lambda c: (len(c), c))
    if not found:
        return ChainResult(source, target, None)
    best = found[0]
    return ChainResult(source, target, tuple(best), tuple(graph.hops(best)))


# ----------------------------------------------------------------------------- imports


@dataclass
class ImportsResult:
    module: str
    path: str
    internal: list[ImportEdge]
    external: list[ImportEdge]

    def to_dict(self) -> dict:
        def row(e: ImportEdge) -> dict:
            return {"module": e.imported, "line": e.line, "names": list(e.names),
                    "type_checking": e.type_checking, "guarded": e.guarded, "dynamic": e.dynamic}

        return {"module": self.module, "path": self.path, "internal": [row(e) for e in self.internal],
                "external": [row(e) for e in self.external]}


def imports_of(graph: ImportGraph, module: str) -> ImportsResult:
    if module not in graph:
        resolve_target(graph, module)  # raises with a suggestion if nothing matches
        raise GraphError(Problem(file=graph.scan.label or "scan", message=f"{module!r} is a namespace "
                                 "folder, not a module", hint="name one of the modules below it"))
    internal = sorted(graph.statements_from(module), key=_line_then_module)
    external = sorted((e for e in graph.scan.external if e.importer == module
                       and graph.edge_filter.allows(e)), key=lambda e: (e.line, e.imported))
    return ImportsResult(module, graph.path_of(module), internal, external)


# ----------------------------------------------------------------------------- cycles


@dataclass(frozen=True)
class Cycle:
    members: tuple[str, ...]  # every module of the strongly connected component, sorted
    hops: tuple[Hop, ...]  # one cycle through the component, back to where it started

    def to_dict(self) -> dict:
        return {"members": list(self.members), "cycle": [h.importer for h in self.hops] + [self.hops[0].importer],
                "hops": [h.to_dict() for h in self.hops]}


@timed("query: cycles")
def cycles(graph: ImportGraph, scope: set[str] | None = None) -> list[Cycle]:
    """Import cycles: each strongly connected component of two or more modules, with one cycle
    through it (the shortest one through its alphabetically first module)."""
    import networkx as nx

    view = graph.graph if scope is None else graph.graph.subgraph(scope)
    found: list[Cycle] = []
    for component in nx.strongly_connected_components(view):
        if len(component) < 2:
            continue
        members = tuple(sorted(component))
        start = members[0]
        sub = view.subgraph(component)
        # Shortest way back to `start`: BFS from its successors.
        best: list[str] | None = None
        for successor in sorted(sub.successors(start)):
            path = nx.shortest_path(sub, successor, start)
            if best is None or len(path) < len(best):
                best = path
        assert best is not None
        chain = [start, *best]
        found.append(Cycle(members, tuple(graph.hops(chain))))
    return sorted(found, key=lambda c: c.members)


# ----------------------------------------------------------------------------- orphans

_TEST_NAME = re.compile(r"(^|\.)(tests?|testing)(\.|$)|(^|\.)(test_[^.]*|[^.]*_tests?|conftest)$")


def is_test_module(module: str) -> bool:
    return _TEST_NAME.search(module) is not None


def orphans(graph: ImportGraph, entry_points: Iterable[str] = ()) -> list[str]:
    """Modules nothing imports: candidates for deletion.

    A package counts as imported when a module outside it imports it or anything below it
    (importing `a.b.c` runs `a` and `a.b` too); its own `__init__` importing its submodules does
    not count, so a self-contained dead package is still reported. Never orphans: entry points
    (configured patterns, and the packages that hold them), `__main__` modules and tests.
    """
    entry_points = list(entry_points)
    used: set[str] = set()
    for importer, imported in graph.graph.edges:
        parts = imported.split(".")
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            if importer == prefix or importer.startswith(prefix + "."):
                break  # imports from inside this package say nothing about the package itself
            used.add(prefix)
    for module in graph.modules:
        if patterns.matches(entry_points, module):
            parts = module.split(".")
            used.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(m for m in graph.modules if m not in used and not is_test_module(m)
                  and not m.endswith(".__main__") and m != "__main__")


# ----------------------------------------------------------------------------- roll-up


@dataclass
class Rollup:
    """A coarser graph: modules merged into packages or groups, edges counted."""

    members: dict[str, list[str]]
    edges: dict[tuple[str, str], int]

    def to_dict(self) -> dict:
        return {"nodes": {k: len(v) for k, v in sorted(self.members.items())},
                "edges": [{"importer": a, "imported": b, "imports": n}
                          for (a, b), n in sorted(self.edges.items())]}


def rollup(graph: ImportGraph, key: Callable[[str], str]) -> Rollup:
    members: dict[str, list[str]] = {}
    for module in sorted(graph.modules):
        members.setdefault(key(module), []).append(module)
    edges: dict[tuple[str, str], int] = {}
    for a, b in graph.graph.edges:
        ka, kb = key(a), key(b)
        if ka != kb:
            edges[(ka, kb)] = edges.get((ka, kb), 0) + 1
    return Rollup(members, edges)


def depth_key(depth: int) -> Callable[[str], str]:
    def key(module: str) -> str:
        return ".".join(module.split(".")[:depth])

    return key


def group_key(groups: dict[str, list[str]]) -> Callable[[str], str]:
    return lambda module: group_of(module, groups)


# ----------------------------------------------------------------------------- usage matrix


@dataclass
class UsageMatrix:
    """Which of the target's symbols each downstream group uses, and through which modules."""

    target: str
    symbols: list[str]
    #: group -> symbol -> importing modules
    cells: dict[str, dict[str, list[str]]]
    #: module -> symbols it uses
    by_module: dict[str, list[str]]

    def to_dict(self) -> dict:
        return {"target": self.target, "symbols": self.symbols,
                "groups": {g: {s: mods for s, mods in row.items()} for g, row in self.cells.items()},
                "modules": self.by_module}


MODULE_ONLY = "(whole module)"
DYNAMIC = "(dynamic import)"


def usage(graph: ImportGraph, target: str, tree: Tree | None = None,
          groups: dict[str, list[str]] | None = None, members: set[str] | None = None) -> UsageMatrix:
    """The symbol matrix: for each importer of ``target``, the names it takes from it.

    ``from prep.models.orm import Booking`` uses Booking. A module imported whole
    (``from prep.models import orm``, ``import prep.models.orm``) is followed into the importer's
    source: each ``orm.Kitchen`` there counts as a use of Kitchen (when ``tree`` is given).
    """
    groups = groups or {}
    found = importers(graph, target, transitive=False, groups=groups, members=members)
    members = set(found.target_modules)
    qualify = len(members) > 1
    by_module: dict[str, set[str]] = {}
    for direct in found.direct:
        used: set[str] = set()
        source: str | None = None
        syntax: ast.Module | None = None
        for edge in direct.statements:
            prefix = f"{edge.imported.rpartition('.')[2]}." if qualify and edge.imported != target else ""
            if edge.dynamic:
                used.add(DYNAMIC)
                continue
            # `from prep.models import orm` names the module itself; `import a.b` has no names.
            module_name = edge.imported.rpartition(".")[2]
            aliases = [n for n in edge.names if n == module_name] if edge.names else [edge.imported]
            used.update(prefix + n for n in edge.names if n != module_name)
            if not aliases:
                continue
            if source is None:
                source = _read(tree, direct.path)
                syntax = _syntax_tree(source) if source is not None else None
            if syntax is not None:
                aliases = _bound_names(syntax, edge.line, edge.imported) or aliases
            attrs = _attributes(source, aliases) if source is not None else set()
            if attrs:
                used.update(prefix + a for a in attrs)
            else:
                used.add(prefix + MODULE_ONLY)
        by_module[direct.module] = used
    symbols = sorted({s for used in by_module.values() for s in used})
    cells: dict[str, dict[str, list[str]]] = {}
    for direct in found.direct:
        row = cells.setdefault(direct.group, {})
        for symbol in sorted(by_module[direct.module]):
            row.setdefault(symbol, []).append(direct.module)
    return UsageMatrix(target, symbols, dict(sorted(cells.items())),
                       {m: sorted(s) for m, s in sorted(by_module.items())})


def _read(tree: Tree | None, path: str) -> str | None:
    if tree is None:
        return None
    try:
        return tree.read_bytes(path).decode("utf-8", "replace")
    except OSError:
        return None


def _syntax_tree(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _bound_names(syntax: ast.Module, line: int, imported: str) -> list[str]:
    """The names the import statement at ``line`` binds the module to: ``import a.b as m`` and
    ``from a import b as m`` bind ``m``, not ``a.b`` or ``b``. Read from the importer's AST
    because a statement may span several lines."""
    leaf = imported.rpartition(".")[2]
    bound: list[str] = []
    for node in ast.walk(syntax):
        if isinstance(node, ast.Import) and node.lineno == line:
            bound += [a.asname or a.name for a in node.names if a.name == imported]
        elif isinstance(node, ast.ImportFrom) and node.lineno == line:
            bound += [a.asname or a.name for a in node.names if a.name == leaf]
    return bound


def _attributes(source: str, aliases: list[str]) -> set[str]:
    found: set[str] = set()
    for alias in aliases:
        pattern = re.compile(r"(?<![\w.])" + re.escape(alias) + r"\s*\.\s*([A-Za-z_]\w*)")
        found.update(m.group(1) for m in pattern.finditer(source))
    return found
