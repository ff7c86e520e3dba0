"""What extracting X takes: the import edges that cross the boundary around X.

- **inbound**: every module outside X that imports X, with the names it uses, aggregated into
  the API the new service must offer (symbol -> users);
- **outbound**: what X imports from the rest, the ORM (models used: the tables the service
  needs) apart from everything else;
- **crossing cycles**: strongly connected components with modules both inside and outside X;
- **cut size**: the importing module pairs to cut, per direction.

X is any mix of packages, ``graph.groups`` names and module globs. ``split`` proposes, for an
ORM module, which downstream group each class belongs to (used by that group alone), which are
shared and which no group uses: the input for splitting the ORM by domain.
The names used come from ``graph usage``'s symbol matrix (:func:`prepctl.graph.queries.usage`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prepctl import patterns
from prepctl.errors import Problem
from prepctl.graph.model import GraphError, ImportGraph
from prepctl.graph.queries import Cycle, cycles, group_of, resolve_target, usage
from prepctl.inert import inert

if TYPE_CHECKING:
    from prepctl.sources.tree import Tree

#: Module names that hold an ORM's models, when --orm does not say.
ORM_SEGMENTS = ("orm", "models")


@dataclass(frozen=True)
class Crossing:
    """One importing module pair across the boundary, with the names taken and where."""

    importer: str
    imported: str
    names: tuple[str, ...]
    path: str
    line: int

    def to_dict(self) -> dict:
        return {"importer": self.importer, "imported": self.imported, "names": list(self.names),
                "path": self.path, "line": self.line}


@dataclass
class Boundary:
    selectors: list[str]
    members: list[str]
    inbound: list[Crossing]
    outbound_orm: list[Crossing]
    outbound_other: list[Crossing]
    crossing_cycles: list[Cycle]
    #: Scan problems that could hide a crossing edge (skipped files, computed imports).
    unknown: list[str] = field(default_factory=list)

    @property
    def api(self) -> dict[str, list[str]]:
        """``module.Name`` of X -> the modules outside X that use it."""
        found: dict[str, set[str]] = {}
        for edge in self.inbound:
            for name in edge.names or ("(whole module)",):
                found.setdefault(f"{edge.imported}.{name}" if not name.startswith("(") else
                                 f"{edge.imported} {name}", set()).add(edge.importer)
        return {k: sorted(v) for k, v in sorted(found.items())}

    @property
    def orm_models(self) -> dict[str, list[str]]:
        """``module.Model`` of the ORM -> the modules of X that use it."""
        found: dict[str, set[str]] = {}
        for edge in self.outbound_orm:
            for name in edge.names or ("(whole module)",):
                found.setdefault(f"{edge.imported}.{name}", set()).add(edge.importer)
        return {k: sorted(v) for k, v in sorted(found.items())}

    @property
    def cut(self) -> dict[str, int]:
        return {"inbound": len(self.inbound), "outbound": len(self.outbound_orm) + len(self.outbound_other)}

    def to_dict(self) -> dict:
        return {"boundary": self.selectors, "members": self.members,
                "inbound": [e.to_dict() for e in self.inbound], "api": self.api,
                "outbound": {"orm": [e.to_dict() for e in self.outbound_orm], "orm_models": self.orm_models,
                             "other": [e.to_dict() for e in self.outbound_other]},
                "crossing_cycles": [c.to_dict() for c in self.crossing_cycles], "cut": self.cut,
                "complete": not self.unknown, "unknown": self.unknown}


def select(graph: ImportGraph, selectors: list[str], groups: dict[str, list[str]]) -> set[str]:
    """The modules X names: each selector a ``graph.groups`` name, a glob or a package."""
    members: set[str] = set()
    for selector in selectors:
        if selector in groups:
            found = {m for m in graph.modules if patterns.matches(groups[selector], m)}
            what = f"group {selector!r} ({', '.join(groups[selector])})"
        elif patterns.is_wild(selector):
            found = {m for m in graph.modules if patterns.matches([selector], m)}
            what = f"glob {selector!r}"
        else:
            found = resolve_target(graph, selector)  # an unknown package raises with a suggestion
            what = selector
        if not found:
            raise GraphError(Problem(file=graph.scan.label or "scan", message=f"{what} matches none of the "
                                     f"{len(graph):,} modules scanned", hint="name a package, a graph.groups "
                                     "group or a glob such as 'prep.analytics.*'"))
        members |= found
    if members == set(graph.modules):
        raise GraphError(Problem(file=graph.scan.label or "scan", message="the boundary takes in every module "
                                 "scanned: nothing is outside it", hint="name what is to be extracted"))
    return members


def is_orm(module: str, orm: list[str]) -> bool:
    if orm:
        return patterns.matches(orm, module)
    return any(segment in ORM_SEGMENTS for segment in module.split(".")[1:])


def _names(graph: ImportGraph, tree: Tree | None, imported: str, importers: set[str]) -> dict[str, list[str]]:
    """For each importer, the names of ``imported`` it uses (the symbol matrix, one module)."""
    matrix = usage(graph, imported, tree, members={imported})
    return {m: s for m, s in matrix.by_module.items() if m in importers}


def _crossings(graph: ImportGraph, tree: Tree | None, pairs: list[tuple[str, str]]) -> list[Crossing]:
    by_target: dict[str, set[str]] = {}
    for importer, imported in pairs:
        by_target.setdefault(imported, set()).add(importer)
    names = {t: _names(graph, tree, t, importers) for t, importers in by_target.items()}
    found: list[Crossing] = []
    for importer, imported in sorted(pairs):
        first = min(graph.imports_between(importer, imported), key=lambda e: e.line)
        found.append(Crossing(importer, imported, tuple(names[imported].get(importer, [])), first.path, first.line))
    return found


def boundary(graph: ImportGraph, selectors: list[str], groups: dict[str, list[str]] | None = None,
             tree: Tree | None = None, orm: list[str] | None = None) -> Boundary:
    from prepctl.graph.queries import unknown_importers

    groups = groups or {}
    members = select(graph, selectors, groups)
    inbound = [(a, b) for a, b in graph.graph.edges if a not in members and b in members]
    outbound = [(a, b) for a, b in graph.graph.edges if a in members and b not in members]
    out_edges = _crossings(graph, tree, outbound)
    crossing = [c for c in cycles(graph) if set(c.members) & members and set(c.members) - members]
    unknown = [f"{p.path}:{p.line or 1}: {p.reason}" for p in unknown_importers(graph, members)]
    return Boundary(list(selectors), sorted(members), _crossings(graph, tree, inbound),
                    [e for e in out_edges if is_orm(e.imported, orm or [])],
                    [e for e in out_edges if not is_orm(e.imported, orm or [])], crossing, unknown)


# ----------------------------------------------------------------------------- ORM split


@dataclass
class Split:
    orm: str
    #: group -> classes only that group uses
    assigned: dict[str, list[str]]
    #: class -> the groups that use it
    shared: dict[str, list[str]]
    #: classes no module outside the ORM uses by name
    unclaimed: list[str]
    #: importers whose use cannot be read (a whole-module import used opaquely, a computed
    #: import): any class may be theirs too, so the proposal is incomplete while this is not empty
    opaque: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"orm": self.orm, "assigned": self.assigned, "shared": self.shared, "unclaimed": self.unclaimed,
                "complete": not self.opaque, "opaque": self.opaque}


def orm_classes(source: str) -> list[str]:
    try:
        syntax = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    return [node.name for node in syntax.body if isinstance(node, ast.ClassDef)]


def split(graph: ImportGraph, orm: str, groups: dict[str, list[str]], tree: Tree) -> Split:
    """Each class of ``orm`` to the one downstream group that uses it; shared ones listed."""
    if orm not in graph:
        resolve_target(graph, orm)
        raise GraphError(Problem(file=graph.scan.label or "scan", message=f"{orm!r} is a package, not a module",
                                 hint="name the module that defines the models"))
    try:
        source = tree.read_bytes(graph.path_of(orm)).decode("utf-8", "replace")
    except OSError as exc:
        raise GraphError(Problem(file=graph.path_of(orm), message=f"cannot read it: {exc}")) from None
    classes = orm_classes(source)
    if not classes:
        raise GraphError(Problem(file=graph.path_of(orm), message="defines no class: nothing to split"))
    matrix = usage(graph, orm, tree, groups)
    users: dict[str, set[str]] = {c: set() for c in classes}
    opaque: list[str] = []
    for module, symbols in matrix.by_module.items():
        for symbol in symbols:
            if symbol in users:
                users[symbol].add(group_of(module, groups))
            elif symbol.startswith("("):
                opaque.append(f"{module} {symbol}")
    assigned: dict[str, list[str]] = {}
    shared: dict[str, list[str]] = {}
    for name in classes:
        if len(users[name]) == 1:
            assigned.setdefault(next(iter(users[name])), []).append(name)
        elif users[name]:
            shared[name] = sorted(users[name])
    return Split(orm, dict(sorted(assigned.items())), shared, [c for c in classes if not users[c]], opaque)


# ----------------------------------------------------------------------------- output


def _sections(found: Boundary) -> list[tuple[str, list[str], list[list[object]]]]:
    """(heading, headers, rows) of every part of the report, shared by table, Markdown and HTML."""
    def edges(items: list[Crossing]) -> list[list[object]]:
        return [[e.importer, e.imported, ", ".join(e.names) or "(whole module)", f"{e.path}:{e.line}"] for e in items]

    edge_headers = ["importer", "imported", "names used", "where"]
    return [
        (f"inbound: {len(found.inbound)} import(s) into the boundary", edge_headers, edges(found.inbound)),
        ("the API the service must offer (symbol -> users)", ["symbol", "used by"],
         [[k, ", ".join(v)] for k, v in found.api.items()]),
        (f"outbound to the ORM: {len(found.outbound_orm)} import(s)", edge_headers, edges(found.outbound_orm)),
        ("ORM models used (the tables the service needs)", ["model", "used by"],
         [[k, ", ".join(v)] for k, v in found.orm_models.items()]),
        (f"outbound, everything else: {len(found.outbound_other)} import(s)", edge_headers,
         edges(found.outbound_other)),
        (f"crossing cycles: {len(found.crossing_cycles)}", ["modules", "one cycle"],
         [[", ".join(c.members), " -> ".join([h.importer for h in c.hops] + [c.hops[0].importer])]
          for c in found.crossing_cycles]),
        ("cut size (importing module pairs to cut)", ["direction", "edges"],
         [[k, v] for k, v in found.cut.items()]),
    ]


def boundary_text(found: Boundary, markdown: bool = False) -> str:
    from prepctl.graph.output import md_table, table

    title = inert(f"boundary of {', '.join(found.selectors)}: {len(found.members)} module(s)")
    out = [f"# {title}\n" if markdown else f"{title}\n"]
    for heading, headers, rows in _sections(found):
        out.append(f"\n## {heading}\n\n" if markdown else f"\n{heading}\n")
        out.append((md_table if markdown else table)(headers, rows) if rows else "(none)\n")
    if found.unknown:
        out.append("\nincomplete: these could hide a crossing import:\n"
                   + "".join(f"  {inert(u)}\n" for u in found.unknown))
    return "".join(out)


def boundary_html(found: Boundary) -> str:
    from html import escape

    def cell(value: object) -> str:
        return escape(inert(str(value)))

    title = f"Boundary of {', '.join(found.selectors)}"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{cell(title)}</title></head><body>",
             f"<h1>{cell(title)}</h1><p>{len(found.members)} module(s): {cell(', '.join(found.members))}</p>"]
    for heading, headers, rows in _sections(found):
        parts.append(f"<h2>{cell(heading)}</h2>")
        if not rows:
            parts.append("<p>(none)</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{cell(h)}</th>" for h in headers) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    if found.unknown:
        parts.append("<h2>Incomplete</h2><ul>" + "".join(f"<li>{cell(u)}</li>" for u in found.unknown) + "</ul>")
    return "".join(parts) + "</body></html>\n"


def split_text(found: Split, markdown: bool = False) -> str:
    from prepctl.graph.output import md_table, table

    render = md_table if markdown else table
    rows: list[list[object]] = [[c, g] for g, names in found.assigned.items() for c in names]
    rows += [[c, "shared: " + ", ".join(g)] for c, g in found.shared.items()]
    rows += [[c, "unclaimed: no group uses it"] for c in found.unclaimed]
    out = f"proposed split of {found.orm} by group\n" + render(["class", "goes to"], rows)
    if found.opaque:
        out += "incomplete: these importers' use cannot be read, any class may be theirs too:\n"
        out += "".join(f"  {inert(o)}\n" for o in found.opaque)
    return out
