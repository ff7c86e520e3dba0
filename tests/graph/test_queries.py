"""Graph queries: importers with chains (against the example's ground truth), imports, cycles,
orphans, roll-ups, the symbol matrix and module patterns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prepctl import patterns
from prepctl.graph import queries
from prepctl.graph.load import GraphSettings, build_graph
from prepctl.graph.model import EdgeFilter, GraphError
from prepctl.graph.scan.config import ScanConfig
from prepctl.sources.tree import WorkTree
from tests.support.paths import EXAMPLE, REPO
from tests.support.trees import write

TRUTH = json.loads((REPO / "tests" / "data" / "example_orm_importers.json").read_text())
GROUPS = {"analytics": ["prep.analytics", "services.analytics_api"], "bookings": ["prep.bookings"]}


@pytest.fixture(scope="module")
def example_graph():
    settings = GraphSettings(root=EXAMPLE, scan=ScanConfig(exclude=tuple(TRUTH["excluded_globs"])))
    return build_graph(settings)


def test_orm_importers_match_the_ground_truth(example_graph):
    result = queries.importers(example_graph, TRUTH["target"], transitive=True, groups=GROUPS)
    assert {d.module: list(d.names) for d in result.direct} == TRUTH["direct"]
    assert [t.module for t in result.transitive] == TRUTH["transitive_only"]
    for item in result.transitive:
        chain = list(item.chain)
        assert chain[0] == item.module and chain[-1] == TRUTH["target"] and len(chain) >= 3
        # Every hop is a real import, written at the file:line given.
        for hop in item.hops:
            assert (hop.importer, hop.imported) in example_graph.statements
            source = (EXAMPLE / hop.path).read_text().splitlines()[hop.line - 1]
            assert "import" in source
    shortest = {t.module: len(t.chain) for t in result.transitive}
    assert shortest["jobs.nightly_rollup"] == 3 and shortest["prep.api.main"] == 4
    assert result.by_group()["analytics"]["direct"] == ["prep.analytics.queries"]


def test_importers_of_a_package_count_its_modules_and_ignore_inside_imports(example_graph):
    result = queries.importers(example_graph, "prep.analytics")
    assert result.target_modules == ["prep.analytics", "prep.analytics.host_routes", "prep.analytics.queries",
                                     "prep.analytics.routers"]
    assert [d.module for d in result.direct] == ["jobs.nightly_rollup", "prep.api.main"]


def test_unknown_target_is_an_error_with_a_suggestion(example_graph):
    with pytest.raises(GraphError, match="did you mean 'prep.models.orm'"):
        queries.importers(example_graph, "prep.models.orn")


def test_ignoring_tags_changes_what_counts(example_graph):
    everything = queries.importers(example_graph, "prep.reviews.service")
    assert [d.module for d in everything.direct] == ["prep.utils.optional"]
    static = example_graph.filtered(EdgeFilter.ignoring(["dynamic"]))
    assert queries.importers(static, "prep.reviews.service").direct == []
    runtime = example_graph.filtered(EdgeFilter.ignoring(["type-checking"]))
    assert "prep.payments.service" not in runtime.imported_by("prep.api.main")
    assert "prep.payments.service" in example_graph.imported_by("prep.api.main")
    with pytest.raises(ValueError, match="unknown import tag"):
        EdgeFilter.ignoring(["typechecking"])


def test_imports_of_lists_internal_and_external(example_graph):
    result = queries.imports_of(example_graph, "prep.api.main")
    assert [e.imported for e in result.internal] == ["prep.analytics.routers", "prep.analytics.host_routes",
                                                     "prep.bookings.api", "prep.settings", "prep.payments.service"]
    assert result.internal[-1].type_checking
    assert {e.imported for e in result.external} >= {"fastapi", "sqlalchemy", "typing"}


def test_cycles_are_found_with_file_and_line_per_hop(tmp_path: Path):
    root = write(tmp_path, {"app/__init__.py": "", "app/a.py": "import app.b\n", "app/b.py": "\nfrom app import c\n",
                            "app/c.py": "from . import a\n", "app/d.py": "import app.a\n",
                            "app/e.py": "import app.f\n", "app/f.py": "import app.e\n"})
    graph = build_graph(GraphSettings(root=root))
    found = queries.cycles(graph)
    assert [c.members for c in found] == [("app.a", "app.b", "app.c"), ("app.e", "app.f")]
    hops = found[0].hops
    assert [(h.importer, h.imported, h.location) for h in hops] == [
        ("app.a", "app.b", "app/a.py:1"), ("app.b", "app.c", "app/b.py:2"), ("app.c", "app.a", "app/c.py:1")]


def test_orphans_skip_entry_points_tests_and_used_packages(example_graph):
    assert queries.orphans(example_graph, ["prep.api.main", "services.analytics_api.app", "jobs.*", "scripts.*"]) == [
        "prep.compliance.fire_safety_compliance_engine",  # imports only its own engine: still dead
        "prep.compliance.health_permit_compliance_engine",
        "prep.monitoring", "prep.utils", "prep.utils.optional"]
    assert "jobs.nightly_rollup" in queries.orphans(example_graph)
    assert queries.is_test_module("app.tests.test_x") and queries.is_test_module("conftest")
    assert not queries.is_test_module("app.testimony")


def test_rollup_by_group_and_depth(example_graph):
    by_group = queries.rollup(example_graph, queries.group_key(GROUPS))
    assert by_group.edges[("bookings", "prep")] >= 1
    assert ("analytics", "analytics") not in by_group.edges
    by_top = queries.rollup(example_graph, queries.depth_key(1))
    assert set(by_top.members) == {"jobs", "prep", "scripts", "services"}
    assert by_top.edges == {("jobs", "prep"): 2, ("scripts", "prep"): 2}


def test_usage_matrix_follows_module_imports_into_attributes(example_graph):
    matrix = queries.usage(example_graph, "prep.models.orm", WorkTree(EXAMPLE), GROUPS)
    assert matrix.by_module["prep.kitchens.service"] == ["Kitchen"]  # from `from prep.models import orm`
    assert matrix.by_module["prep.reviews.service"] == ["Review", "User"]
    assert matrix.symbols == ["Booking", "ComplianceCheck", "Kitchen", "Review", "User"]
    assert matrix.cells["analytics"] == {"Booking": ["prep.analytics.queries"], "Kitchen": ["prep.analytics.queries"],
                                         "Review": ["prep.analytics.queries"]}
    assert matrix.cells["bookings"]["Booking"] == ["prep.bookings.service"]


def test_usage_matrix_follows_aliased_module_imports(tmp_path: Path):
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/models/__init__.py": "",
        "app/models/orm.py": "class Booking: ...\nclass Kitchen: ...\nclass Review: ...\n",
        "app/a.py": "import app.models.orm as db\n\ndef f():\n    return db.Booking, app_models_orm.Review\n",
        "app/b.py": "from app.models import (\n    orm as m,\n)\nx = m.Kitchen\n",
        "app/c.py": "import app.models.orm\ny = app.models.orm.Review\n",
        "app/tasks/__init__.py": "",
        "app/tasks/load.py": "import importlib\nplugins = importlib.import_module('.plugins', __package__)\n",
        "app/tasks/plugins.py": "",
    })
    graph = build_graph(GraphSettings(root=root, scan=ScanConfig()))
    matrix = queries.usage(graph, "app.models.orm", WorkTree(root))
    assert matrix.by_module == {"app.a": ["Booking"], "app.b": ["Kitchen"], "app.c": ["Review"]}
    # A relative import_module(..., __package__) is an edge like `from . import plugins`.
    assert queries.importers(graph, "app.tasks.plugins").direct[0].module == "app.tasks.load"


@pytest.mark.parametrize(("pattern", "module", "root"), [
    ("prep.analytics", "prep.analytics.queries", "prep.analytics"),
    ("prep.analytics", "prep.analyticsx", None),
    ("prep.models.domains.*", "prep.models.domains.bookings.repo", "prep.models.domains.bookings"),
    ("prep.models.domains.*", "prep.models.domains", None),
    ("prep.compliance.*_compliance_engine", "prep.compliance.dol_reg_compliance_engine.engine",
     "prep.compliance.dol_reg_compliance_engine"),
    ("**.tests", "app.sub.tests.test_a", "app.sub.tests"),
    ("**.engine", "engine", "engine"),
])
def test_module_patterns(pattern: str, module: str, root: str | None):
    assert patterns.match_root(pattern, module) == root


def test_pattern_validation():
    assert patterns.validate("prep.models.orm") is None
    assert "empty segment" in patterns.validate("prep..orm")
    assert "whole segment" in patterns.validate("prep.a**")
    assert "not a Python name" in patterns.validate("prep.my-module")


def test_importers_say_when_a_skipped_file_may_hide_one(tmp_path: Path):
    from prepctl.graph import output

    root = tmp_path / "mono"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "target.py").write_text("")
    (root / "pkg" / "user.py").write_text("import pkg.target\n")
    (root / "pkg" / "broken.py").write_text("import pkg.target\ndef f(:\n")
    (root / "pkg" / "bad name.py").write_text("import pkg.target\n")
    result = queries.importers(build_graph(GraphSettings(root=root)), "pkg.target", transitive=True)
    assert [d.module for d in result.direct] == ["pkg.user"]
    assert [(p.path, p.line) for p in result.unknown] == [("pkg/bad name.py", None), ("pkg/broken.py", 2)]
    data = result.to_dict()
    assert data["complete"] is False and data["unknown"][1]["module"] == "pkg.broken"
    assert "incomplete: 2 skipped file(s) or computed dynamic import(s) may also import it: " \
           "pkg/bad name.py, pkg/broken.py:2" in output.importers_text(result)
    assert "## Transitive only (shortest chain)" in output.importers_markdown(result)


def test_adjacency_agrees_with_the_networkx_view_and_follows_without(example_graph):
    """The plain adjacency the queries walk and the networkx graph the algorithms use are the
    same graph, also after a contract's ignores take edges out."""
    nx_graph = example_graph.graph
    for module in example_graph.modules:
        assert sorted(example_graph.predecessors(module)) == sorted(nx_graph.predecessors(module))
        assert sorted(example_graph.successors(module)) == sorted(nx_graph.successors(module))
    assert set(nx_graph.nodes) == set(example_graph.modules)
    assert set(nx_graph.edges) == set(example_graph.statements)
    pair = next(iter(example_graph.statements))
    smaller = example_graph.without([pair])
    assert pair[0] not in smaller.predecessors(pair[1]) and pair[1] not in smaller.successors(pair[0])
    assert not smaller.graph.has_edge(*pair) and example_graph.graph.has_edge(*pair)
    assert len(smaller.graph.edges) == len(nx_graph.edges) - 1


def test_a_warm_graph_follows_every_file_change(tmp_path: Path):
    """The warm path reuses the last scan's snapshot: an edit, a new file and a deletion must each
    show in the next graph built, with the cache in place."""
    write(tmp_path, {"app/__init__.py": "", "app/core.py": "", "app/a.py": "from app import core\n",
                     "app/b.py": "x = 12345678901\n"})
    settings = GraphSettings(root=tmp_path, cache_dir=tmp_path / ".cache")

    def importers_of_core() -> list[str]:
        graph = build_graph(settings)
        return [d.module for d in queries.importers(graph, "app.core", transitive=True).direct]

    assert importers_of_core() == ["app.a"]
    assert importers_of_core() == ["app.a"]  # warm: from the snapshot
    write(tmp_path, {"app/b.py": "import app.core\n"})  # same size, likely the same mtime second
    assert importers_of_core() == ["app.a", "app.b"]
    write(tmp_path, {"app/c.py": "from . import core\n"})
    assert importers_of_core() == ["app.a", "app.b", "app.c"]
    (tmp_path / "app" / "a.py").unlink()
    assert importers_of_core() == ["app.b", "app.c"]
