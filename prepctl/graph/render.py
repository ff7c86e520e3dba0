"""Pictures of import graphs: DOT via pydot, SVG and PNG via Graphviz's `dot`.

Readable at any size: modules are clustered by package, the target is highlighted, violations
are red, and a graph with more nodes than ``MAX_NODES`` is collapsed to packages (the smallest
``--depth`` that fits; or the one asked for), so a 3,000-module graph still fits on a page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field

from prepctl.errors import PrepctlError, Problem
from prepctl.graph.model import ImportGraph

MAX_NODES = 80
#: Above this many edges Graphviz takes minutes and the picture is a hairball.
MAX_EDGES = 150
#: Edge counts are written on edges only in pictures this small.
MAX_LABELLED_EDGES = 80
GRAPHVIZ_HINT = ("install Graphviz for SVG/PNG (Debian/Ubuntu: `sudo apt-get install graphviz`, "
                 "macOS: `brew install graphviz`), or render the DOT file with any Graphviz viewer")
HIGHLIGHT = "#ffd54f"
NODE_FILL = "#e8f0fe"
CLUSTER_FILL = "#f7f7f7"
VIOLATION = "#d32f2f"


class GraphvizMissing(PrepctlError):
    """`dot` is not installed: the DOT text is still there, only the rendering is not."""


@dataclass
class Picture:
    """What to draw: nodes (modules, or packages once collapsed) and counted edges."""

    nodes: list[str]
    edges: dict[tuple[str, str], int]
    highlight: set[str] = field(default_factory=set)
    violations: set[tuple[str, str]] = field(default_factory=set)
    #: edges that exist only through dynamic or TYPE_CHECKING imports: drawn dashed
    soft: set[tuple[str, str]] = field(default_factory=set)
    depth: int | None = None  # set when modules were collapsed to packages of this depth
    title: str = ""
    dropped_edges: int = 0  # lighter edges left out to keep the picture readable
    #: edges left out because they lead no closer to the target (pictures drawn ``toward`` one)
    off_chain_edges: int = 0


def collapse(name: str, depth: int | None) -> str:
    return name if depth is None else ".".join(name.split(".")[:depth])


def _collapsed_edges(graph: ImportGraph, chosen: set[str], depth: int | None
                     ) -> tuple[dict[tuple[str, str], int], set[tuple[str, str]]]:
    edges: dict[tuple[str, str], int] = {}
    hard: set[tuple[str, str]] = set()
    for (a, b), statements in graph.statements.items():
        if a in chosen and b in chosen:
            key = (collapse(a, depth), collapse(b, depth))
            if key[0] != key[1]:
                edges[key] = edges.get(key, 0) + 1
                if any(not (e.dynamic or e.type_checking) for e in statements):
                    hard.add(key)
    return edges, hard


def _chain_edges(edges: Iterable[tuple[str, str]], targets: set[str]) -> set[tuple[str, str]]:
    """The edges a -> b where b is one import closer to a target than a: the shortest chains."""
    importers_of: dict[str, list[str]] = {}
    for a, b in edges:
        importers_of.setdefault(b, []).append(a)
    distance = dict.fromkeys(targets, 0)
    frontier = list(targets)
    while frontier:
        following: list[str] = []
        for node in frontier:
            for importer in importers_of.get(node, ()):
                if importer not in distance:
                    distance[importer] = distance[node] + 1
                    following.append(importer)
        frontier = following
    return {(a, b) for a, b in edges
            if a in distance and b in distance and distance[b] == distance[a] - 1}


def picture(graph: ImportGraph, modules: Iterable[str], *, highlight: Iterable[str] = (),
            violations: Iterable[tuple[str, str]] = (), depth: int | None = None,
            max_nodes: int = MAX_NODES, max_edges: int = MAX_EDGES, title: str = "",
            toward: Iterable[str] = ()) -> Picture:
    """The subgraph of ``modules`` (edges among them), collapsed when it is too big to read.

    With ``toward`` (the target of an importers picture), only edges on a shortest chain to it
    are drawn, plus violations: an edge between two importers that leads no closer to the target
    explains nothing and, in a big graph, is most of the ink.

    Without ``depth``, the deepest package level whose picture has at most ``max_nodes`` nodes
    and ``max_edges`` edges is used. If even top-level packages have too many edges, only the
    heaviest are drawn (edges touching the highlighted modules and violations always are).
    """
    chosen = set(modules)
    targets = set(toward)

    def drawn(at_depth: int | None) -> tuple[dict[tuple[str, str], int], set[tuple[str, str]], int]:
        edges, hard = _collapsed_edges(graph, chosen, at_depth)
        if not targets:
            return edges, hard, 0
        red = {(collapse(a, at_depth), collapse(b, at_depth)) for a, b in violations}
        keep = _chain_edges(edges, {collapse(t, at_depth) for t in targets}) | (red & set(edges))
        return {k: v for k, v in edges.items() if k in keep}, hard, len(edges) - len(keep)

    edges, hard, off_chain = drawn(depth)
    if depth is None and (len(chosen) > max_nodes or len(edges) > max_edges):
        deepest = max(m.count(".") + 1 for m in chosen)
        for candidate in range(deepest, 0, -1):
            depth = candidate
            if len({collapse(m, candidate) for m in chosen}) > max_nodes:
                continue
            edges, hard, off_chain = drawn(candidate)
            if len(edges) <= max_edges:
                break
        edges, hard, off_chain = drawn(depth)
    nodes = sorted({collapse(m, depth) for m in chosen})
    marked = {collapse(m, depth) for m in highlight}
    red = {(collapse(a, depth), collapse(b, depth)) for a, b in violations}
    dropped = 0
    if len(edges) > max_edges:
        keep = {k for k in edges if k in red or k[0] in marked or k[1] in marked}
        for key in sorted(edges, key=lambda k: (-edges[k], k)):
            if len(keep) >= max_edges:
                break
            keep.add(key)
        dropped = len(edges) - len(keep)
        edges = {k: v for k, v in edges.items() if k in keep}
    return Picture(nodes, edges, marked, red, set(edges) - hard, depth, title, dropped, off_chain)


def _cluster_id(name: str) -> str:
    return "cluster_" + re.sub(r"\W", "_", name)


def to_dot(pic: Picture, clusters: bool = True) -> str:
    import pydot

    # newrank: Graphviz's older ranking fails on some clustered graphs ("trouble in init_rank").
    dot = pydot.Dot("imports", graph_type="digraph", rankdir="LR", fontname="Helvetica",
                    fontsize="12", labelloc="t", nodesep="0.25", ranksep="0.6", newrank="true")
    if pic.title:
        label = pic.title + (f" (collapsed to packages of depth {pic.depth})" if pic.depth else "")
        if pic.off_chain_edges:
            label += (f"; only edges on a shortest chain to the target, {pic.off_chain_edges} "
                      "others not drawn")
        if pic.dropped_edges:
            label += f"; {pic.dropped_edges} lighter edges not drawn"
        dot.set("label", label)
    dot.set_node_defaults(shape="box", style="rounded,filled", fillcolor=NODE_FILL, fontname="Helvetica",
                          fontsize="10", color="#5f6b7a")
    dot.set_edge_defaults(color="#7a8593", arrowsize="0.6")
    clusters: dict[str, pydot.Cluster] = {}
    for node in pic.nodes:
        package, _, short = node.rpartition(".")
        attrs = {"label": short or node, "tooltip": node}
        if node in pic.highlight:
            attrs.update(fillcolor=HIGHLIGHT, penwidth="2", color="#a36b00")
        if not clusters:
            attrs["label"] = node
        item = pydot.Node(node, **attrs)
        if package and clusters:
            cluster = clusters.get(package)
            if cluster is None:
                cluster = pydot.Cluster(_cluster_id(package), label=package, style="rounded,filled",
                                        fillcolor=CLUSTER_FILL, color="#c9ced6", fontsize="10")
                clusters[package] = cluster
            cluster.add_node(item)
        else:
            dot.add_node(item)
    for cluster in clusters.values():
        dot.add_subgraph(cluster)
    labelled = len(pic.edges) <= MAX_LABELLED_EDGES
    for (a, b), count in sorted(pic.edges.items()):
        attrs: dict[str, str] = {}
        if count > 1 and labelled:
            attrs["label"] = str(count)
            attrs["fontsize"] = "8"
        if (a, b) in pic.soft:
            attrs["style"] = "dashed"
        if (a, b) in pic.violations:
            attrs.update(color=VIOLATION, penwidth="2.2", fontcolor=VIOLATION)
        dot.add_edge(pydot.Edge(a, b, **attrs))
    return dot.to_string()


def graphviz_available() -> bool:
    return shutil.which("dot") is not None


def render(dot_text: str, fmt: str, timeout: float = 120) -> bytes:
    """Render DOT to ``svg`` or ``png`` with Graphviz. Raises GraphvizMissing without it."""
    if fmt not in ("svg", "png"):
        raise ValueError(fmt)
    binary = shutil.which("dot")
    if binary is None:
        raise GraphvizMissing(Problem(file="dot", message="Graphviz is not installed", hint=GRAPHVIZ_HINT))
    try:
        proc = subprocess.run([binary, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PrepctlError(Problem(file="dot", message=f"Graphviz took over {timeout:.0f}s",
                                   hint="collapse the picture with --depth 1 or 2")) from None
    if proc.returncode != 0:
        raise PrepctlError(Problem(file="dot", message="Graphviz failed: "
                                   + proc.stderr.decode("utf-8", "replace").strip()[:500]))
    return proc.stdout


def render_picture(pic: Picture, fmt: str) -> tuple[str, bytes]:
    """(DOT text, rendered bytes). If Graphviz cannot lay out the clusters, draw it flat."""
    dot_text = to_dot(pic)
    try:
        return dot_text, render(dot_text, fmt)
    except GraphvizMissing:
        raise
    except PrepctlError:
        flat = to_dot(pic, clusters=False)
        return flat, render(flat, fmt)


def svg_for_html(svg: bytes) -> str:
    """The <svg> element alone (no XML prolog or DOCTYPE), for embedding in a page."""
    text = svg.decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
