"""Correctness oracle: the module-level edge set equals grimp's, on the example and generated trees.

The documented differences are tested explicitly: grimp only sees packages (folders with
__init__.py), so script folders like `scripts/` are ours alone; and grimp ignores dynamic
imports (`importlib.import_module("x")`), which prepctl records, tagged `dynamic`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.scanner import scan_tree
from prepctl.sources.tree import WorkTree
from tests.support.graph import generate_tree, grimp_graph
from tests.support.paths import EXAMPLE

GRIMP_PACKAGES = ["prep", "jobs", "services"]  # the example's packages (folders with __init__.py)


def static_edges(result) -> set[tuple[str, str]]:
    return {(e.importer, e.imported) for e in result.edges if not e.dynamic}


def test_example_edges_equal_grimps_apart_from_the_documented_differences():
    ours = scan_tree(WorkTree(EXAMPLE), ScanConfig(exclude=("tests/*", "migrations/*")))
    modules, grimp_edges = grimp_graph(EXAMPLE, GRIMP_PACKAGES)
    grimp_visible = {m for m in ours.modules if m.partition(".")[0] in GRIMP_PACKAGES}
    assert grimp_visible == modules
    mine = {(a, b) for a, b in static_edges(ours) if a in grimp_visible}
    assert mine == grimp_edges
    assert len(grimp_edges) > 20  # the comparison is about something

    # Difference 1: the scripts/ folder has no __init__.py; grimp cannot see it, prepctl can.
    scripts = {m for m in ours.modules if m.startswith("scripts.")}
    assert scripts == {"scripts.backfill_reviews", "scripts.export_kitchens"}
    assert ("scripts.backfill_reviews", "prep.models.orm") in static_edges(ours)
    # Difference 2: the literal importlib.import_module("prep.reviews.service") is an edge for
    # prepctl (tagged dynamic) and nothing for grimp.
    dynamic = {(e.importer, e.imported) for e in ours.edges if e.dynamic}
    assert dynamic == {("prep.utils.optional", "prep.reviews.service")}
    assert ("prep.utils.optional", "prep.reviews.service") not in grimp_edges


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_trees_have_grimps_edge_set(tmp_path: Path, seed: int):
    tree = generate_tree(tmp_path, packages=3, subpackages=3, modules=8, imports_per_module=6, seed=seed)
    ours = scan_tree(WorkTree(tmp_path), ScanConfig())
    modules, grimp_edges = grimp_graph(tmp_path, tree.packages)
    assert set(ours.modules) == modules
    assert static_edges(ours) == grimp_edges
    assert len(grimp_edges) > 200
    assert {(e.importer, e.imported) for e in ours.edges if e.dynamic} == tree.dynamic
    assert not ours.problems


def test_generated_tree_in_fast_mode_has_the_same_edges(tmp_path: Path):
    """verify_syntax only changes what is reported about broken files, never the edges."""
    generate_tree(tmp_path, packages=2, subpackages=3, modules=6, seed=9)
    verified = scan_tree(WorkTree(tmp_path), ScanConfig())
    fast = scan_tree(WorkTree(tmp_path), ScanConfig(verify_syntax=False))
    assert fast.edges == verified.edges and fast.modules == verified.modules


def test_a_hyphenated_file_is_a_module_as_for_grimp(tmp_path: Path):
    """rich's `_unicode_data/unicode10-0-0.py` is loaded with import_module(); grimp counts such a
    file as a module, and so does prepctl. A folder or stem that importlib cannot name is not one."""
    (tmp_path / "pkg" / "data").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "core.py").write_text("")
    (tmp_path / "pkg" / "data" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "data" / "table-10-0.py").write_text("from pkg import core\n")
    (tmp_path / "pkg" / "data" / "odd.name.py").write_text("from pkg import core\n")
    ours = scan_tree(WorkTree(tmp_path), ScanConfig())
    modules, grimp_edges = grimp_graph(tmp_path, ["pkg"])
    assert "pkg.data.table-10-0" in ours.modules and "pkg.data.table-10-0" in modules
    assert static_edges(ours) == grimp_edges == {("pkg.data.table-10-0", "pkg.core")}
    assert not any("odd" in m for m in ours.modules)


@pytest.mark.parametrize("package", ["jinja2", "httpx", "rich", "networkx", "pydantic", "_pytest"])
def test_installed_packages_have_grimps_edge_set(package: str):
    """Real code from PyPI (prepctl's own dependencies), found without importing it. Differences
    allowed, both documented: a module importing itself is no edge for prepctl, and a folder
    without __init__.py inside a package (networkx's tests) is seen by prepctl only."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin
    site = Path(spec.origin).parent.parent
    ours = scan_tree(WorkTree(site), ScanConfig(packages=(package,)))
    modules, grimp_edges = grimp_graph(site, [package])
    # Computed importlib calls are reported (kind "dynamic"); nothing is skipped.
    assert modules <= set(ours.modules) and not [p for p in ours.problems if p.kind != "dynamic"]
    assert all(".tests." in m or m.endswith(".tests") for m in set(ours.modules) - modules)
    mine = {(a, b) for a, b in static_edges(ours) if a in modules}
    assert mine == {(a, b) for a, b in grimp_edges if a != b}
    assert len(mine) > 80
