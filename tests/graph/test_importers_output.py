"""`graph importers` and `graph imports` written from the chain tree: the same bytes as the
object-by-object renderings they replaced, on a generated monorepo and on hand-made corner
cases (ties between equal chains, repeated imports, no importers, unsafe names)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from prepctl.graph import output, queries
from prepctl.graph.chains import ChainTree
from prepctl.graph.load import GraphSettings, build_graph
from prepctl.graph.model import EdgeFilter, GraphError, ImportGraph
from prepctl.inert import inert
from tests.support.cli import run_cli
from tests.support.paths import REPO
from tests.support.trees import write

GROUPS = {"core": ["mono.core"], "first": ["mono.p00.*"]}


def _scale_repo():
    spec = importlib.util.spec_from_file_location("scale_repo", REPO / "benchmarks" / "scale_repo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scale_repo", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mono(tmp_path_factory) -> ImportGraph:
    """1,200 modules of the scale benchmark's generator: hubs, clusters, cycles."""
    root = tmp_path_factory.mktemp("mono")
    _scale_repo().generate(root, 1200, seed=7)
    return build_graph(GraphSettings(root=root))


# ----------------------------------------------------------------------------- the old code
# What `graph importers --transitive` computed before the chain tree, kept here as the oracle:
# a chain list per module, sorted importer lists per node, one Hop per step, dicts for JSON and
# `inert` on every table cell.


def _old_chains(graph: ImportGraph, targets: set[str]) -> dict[str, list[str]]:
    successor: dict[str, str] = {}
    frontier = sorted(targets)
    seen = set(targets)
    while frontier:
        following: list[str] = []
        for node in frontier:
            for importer in sorted(graph.predecessors(node)):
                if importer in seen:
                    continue
                seen.add(importer)
                successor[importer] = node
                following.append(importer)
        frontier = following
    chains = {}
    for start in successor:
        chain = [start]
        while chain[-1] not in targets:
            chain.append(successor[chain[-1]])
        chains[start] = chain
    return chains


def _old_transitive(graph: ImportGraph, members: set[str], direct: set[str], groups) -> list[dict]:
    chains = _old_chains(graph, members)
    out = []
    for module in sorted(chains):
        if module in direct or module in members:
            continue
        chain = chains[module]
        hops = [graph.hop(a, b).to_dict() for a, b in zip(chain, chain[1:], strict=False)]
        out.append({"module": module, "path": graph.path_of(module), "chain": chain,
                    "group": queries.group_of(module, groups), "hops": hops})
    return out


def _old_table(headers, rows) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else inert(str(c)) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _old_text(result: queries.ImportersResult) -> str:
    rows: list[list[object]] = []
    for d in result.direct:
        rows.append([d.module, "direct", d.group, f"{d.path}:{d.line}", ", ".join(d.names) or "(module)"])
    for t in result.transitive:
        rows.append([t.module, f"via {len(t.chain) - 2}", t.group, t.hops[0].location, " -> ".join(t.chain[1:])])
    head = (f"{result.target}: {len(result.direct)} direct importer(s)"
            + (f", {len(result.transitive)} transitive only" if result.transitive_asked else "") + "\n")
    body = _old_table(["importer", "how", "group", "where", "names / chain"], rows) if rows else (
        "nothing imports it\n" if not result.unknown else "no importer found among the files read\n")
    return head + body + output.unknown_note(result)


def _assert_same_as_before(graph: ImportGraph, target: str, transitive: bool, groups=GROUPS) -> None:
    result = queries.importers(graph, target, transitive, groups)
    written = output.importers_json(result)
    assert written == output.to_json(result.to_dict())  # the generic encoder, byte for byte
    if transitive:
        members = queries.resolve_target(graph, target)
        old = _old_transitive(graph, members, {d.module for d in result.direct}, groups)
        assert json.loads(written)["transitive"] == old
    assert output.importers_text(result) == _old_text(result)


@pytest.mark.parametrize("target", ["mono.core.m000", "mono.core.m005", "mono.core", "mono.p00", "mono.p01.s03"])
@pytest.mark.parametrize("transitive", [False, True])
def test_importers_output_is_unchanged_on_a_generated_monorepo(mono: ImportGraph, target: str, transitive: bool):
    _assert_same_as_before(mono, target, transitive)


def test_the_most_imported_hub_has_long_chains_to_check(mono: ImportGraph):
    """The comparison above is worth something: chains of several hops, and many of them."""
    result = queries.importers(mono, "mono.core.m000", True, GROUPS)
    assert len(result.transitive_modules) > 300 and len(result.direct) > 50
    assert max(len(t.chain) for t in result.transitive) >= 4


def test_imports_of_is_unchanged(mono: ImportGraph):
    module = "mono.p01.s03.m34"
    result = queries.imports_of(mono, module)
    expected = sorted((e for b in sorted(mono.successors(module)) for e in mono.imports_between(module, b)),
                      key=lambda e: (e.line, e.imported))
    assert result.internal == expected and len(expected) >= 5


# ----------------------------------------------------------------------------- corner cases


def test_ties_between_equal_chains_follow_the_search_order_not_the_alphabet(tmp_path: Path):
    """x reaches t through m (via b) and through n (via a), both 3 hops. The search walks a
    before b, so n is found first, then m; x is found from n. That is what the old code said."""
    write(tmp_path, {"app/__init__.py": "", "app/t.py": "",
                     "app/a.py": "import app.t\n", "app/b.py": "import app.t\n",
                     "app/n.py": "import app.a\n", "app/m.py": "import app.b\n",
                     "app/x.py": "import app.m\nimport app.n\n"})
    graph = build_graph(GraphSettings(root=tmp_path))
    result = queries.importers(graph, "app.t", transitive=True)
    chains = {t.module: t.chain for t in result.transitive}
    assert chains["app.x"] == ("app.x", "app.n", "app.a", "app.t")
    assert [h.location for h in result.transitive[-1].hops] == ["app/x.py:2", "app/n.py:1", "app/a.py:1"]
    _assert_same_as_before(graph, "app.t", True, {})


def test_the_first_line_of_repeated_imports_is_the_hop(tmp_path: Path):
    """A module importing its successor twice: the hop names the lower line, as before,
    whether or not the statements were grouped per pair already."""
    write(tmp_path, {"app/__init__.py": "", "app/t.py": "",
                     "app/a.py": "import os\nfrom app import t\nfrom app.t import X\n",
                     "app/u.py": "def f():\n    import app.a\nimport app.a as again\n"})
    graph = build_graph(GraphSettings(root=tmp_path))
    assert graph.predecessors("app.a") == ["app.u"]  # once, though imported twice
    tree = ChainTree.search(graph, {"app.t"})
    assert tree.hop("app.u").location == "app/u.py:2"
    assert graph.statements[("app.u", "app.a")][0].line == 2  # now grouped: same answer
    assert ChainTree.search(graph, {"app.t"}).first == tree.first
    _assert_same_as_before(graph, "app.t", True, {})


def test_a_module_nothing_imports(tmp_path: Path):
    write(tmp_path, {"app/__init__.py": "", "app/lonely.py": "import app.other\n", "app/other.py": ""})
    graph = build_graph(GraphSettings(root=tmp_path))
    result = queries.importers(graph, "app.lonely", transitive=True)
    assert result.direct == [] and result.transitive == [] and result.transitive_modules == []
    assert output.importers_json(result) == output.to_json(result.to_dict())
    assert json.loads(output.importers_json(result))["transitive"] == []
    assert output.importers_text(result) == "app.lonely: 0 direct importer(s), 0 transitive only\nnothing imports it\n"


def test_a_target_that_is_not_a_module_is_refused(mono: ImportGraph, tmp_path: Path):
    with pytest.raises(GraphError, match="no module 'mono.core.m00O' among 1,2"):
        queries.importers(mono, "mono.core.m00O", transitive=True)
    write(tmp_path, {"app/__init__.py": "", "app/t.py": ""})
    result = run_cli("--root", tmp_path, "graph", "importers", "app.tt", "--transitive", "-f", "json",
                     cwd=tmp_path)
    assert result.code == 2 and result.stdout == ""
    assert "no module 'app.tt'" in result.stderr and "did you mean 'app.t'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_ignored_tags_change_the_chains_and_the_output_follows(tmp_path: Path):
    """With type-checking imports left out, the short chain through one is gone."""
    write(tmp_path, {"app/__init__.py": "", "app/t.py": "", "app/a.py": "import app.t\n",
                     "app/b.py": "import app.a\n",
                     "app/x.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import app.t\n"
                                 "import app.b\n"})
    everything = build_graph(GraphSettings(root=tmp_path))
    assert [d.module for d in queries.importers(everything, "app.t", True).direct] == ["app.a", "app.x"]
    runtime = everything.filtered(EdgeFilter.ignoring(["type-checking"]))
    result = queries.importers(runtime, "app.t", True)
    assert {t.module: t.chain for t in result.transitive} == {
        "app.b": ("app.b", "app.a", "app.t"), "app.x": ("app.x", "app.b", "app.a", "app.t")}
    _assert_same_as_before(runtime, "app.t", True, {})


def test_unsafe_names_in_a_table_are_still_made_inert():
    """The table skips ``inert`` only when no cell has anything it would change."""
    rows = [["app.a", "direct", "app", "app/a.py:1", "x"] for _ in range(50)]
    assert output.table(["h1", "h2", "h3", "h4", "h5"], rows) == _old_table(["h1", "h2", "h3", "h4", "h5"], rows)
    for odd in ([], [[None, 3, "", "x", 4.5]], [["ünï", None, "a b", "", "c"]] * 3):
        assert output.table(["h1", "h2", "h3", "h4", "h5"], odd) == _old_table(["h1", "h2", "h3", "h4", "h5"], odd)
    for bad in ("\x1b]0;title\x07name", "::error::x", "section_start:1:x", "a\rb", "##[group]", "\u202etxt"):
        unsafe = [*rows, ["app.b", "direct", "app", "app/b.py:1", bad]]
        written = output.table(["h1", "h2", "h3", "h4", "h5"], unsafe)
        assert written == _old_table(["h1", "h2", "h3", "h4", "h5"], unsafe)
        assert bad not in written


def test_json_strings_are_escaped_as_the_encoder_does(tmp_path: Path):
    """Names with characters JSON must escape go through the same encoder."""
    write(tmp_path, {"app/__init__.py": "", "app/t.py": "", "app/a.py": "import app.t\n",
                     "app/b.py": "import app.a\n"})
    graph = build_graph(GraphSettings(root=tmp_path))
    groups = {'we"ird\\group\u00e9': ["app.b"]}
    result = queries.importers(graph, "app.t", True, groups)
    assert '"group": "we\\"ird\\\\group\u00e9"' in output.importers_json(result)
    assert output.importers_json(result) == output.to_json(result.to_dict())
