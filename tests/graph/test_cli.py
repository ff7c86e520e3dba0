"""`prepctl graph ...` end to end, as a user runs it: real processes, git, Graphviz, Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.graph import git
from tests.support.paths import EXAMPLE, PHASES, REPO
from tests.support.plans import write_plan

TRUTH = json.loads((REPO / "tests" / "data" / "example_orm_importers.json").read_text())


def test_acceptance_orm_importers_json():
    result = run_cli("-c", PHASES, "graph", "importers", "prep.models.orm", "--transitive", "--format", "json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["target"] == "prep.models.orm"
    assert {d["module"]: d["names"] for d in data["direct"]} == TRUTH["direct"]
    assert [t["module"] for t in data["transitive"]] == TRUTH["transitive_only"]
    for item in data["direct"]:
        assert set(item) >= {"module", "path", "line", "names"}
        assert "import" in (EXAMPLE / item["path"]).read_text().splitlines()[item["line"] - 1]
    chains = {t["module"]: t["chain"] for t in data["transitive"]}
    assert chains["jobs.reconcile_payments"] == ["jobs.reconcile_payments", "prep.payments.service",
                                                 "prep.bookings.service", "prep.models.orm"]
    assert data["by_group"]["analytics"]["direct"] == ["prep.analytics.queries"]


def test_without_phases_yaml_every_python_file_under_root_counts(tmp_path: Path):
    copy = shutil.copytree(EXAMPLE, tmp_path / "checkout")
    result = run_cli("--root", copy, "graph", "importers", "prep.models.orm", "-f", "json", cwd=tmp_path)
    assert result.code == 0, result.stderr
    direct = {d["module"] for d in json.loads(result.stdout)["direct"]}
    # Nothing is excluded without configuration: tests and migrations import the ORM too.
    assert direct == set(TRUTH["direct"]) | {"tests.test_bookings", "migrations.env"}
    assert (copy / ".prepctl" / "cache" / ".gitignore").is_file()
    # The current folder is the default root.
    here = run_cli("graph", "imports", "prep.api.main", cwd=copy)
    assert here.code == 0 and "prep.bookings.api" in here.stdout


def test_bad_input_exits_2_with_a_hint_and_no_traceback(tmp_path: Path):
    unknown = run_cli("-c", PHASES, "graph", "importers", "prep.models.orn")
    assert unknown.code == 2 and "did you mean 'prep.models.orm'?" in unknown.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_cli("--root", empty, "graph", "cycles", cwd=tmp_path)
    assert nothing.code == 2 and "no Python modules found" in nothing.stderr
    png = run_cli("-c", PHASES, "graph", "importers", "prep.models.orm", "-f", "png")
    assert png.code == 2 and "--out" in png.stderr
    tag = run_cli("-c", PHASES, "graph", "orphans", "--ignore", "typechecking")
    assert tag.code == 2 and "unknown import tag" in tag.stderr
    for result in (unknown, nothing, png, tag):
        assert "Traceback" not in result.stderr


@pytest.mark.graphviz
def test_a_file_with_a_syntax_error_is_reported_and_skipped(tmp_path: Path):
    copy = shutil.copytree(EXAMPLE, tmp_path / "mono")
    (copy / "prep" / "broken.py").write_text("from prep.models.orm import Booking\n\ndef oops(:\n    pass\n")
    plan = write_plan(tmp_path, "- {id: a, kind: paths, title: t, exists: [prep]}", root="mono",
                      extra="graph: {exclude: [tests/*, migrations/*]}")
    result = run_cli("-c", plan, "graph", "importers", "prep.models.orm", "-f", "json")
    assert result.code == 0
    assert "prep/broken.py:3: syntax error" in result.stderr
    data = json.loads(result.stdout)
    direct = {d["module"]: d["names"] for d in data["direct"]}
    assert direct == TRUTH["direct"]  # the rest still counts; the broken file is skipped
    # ... but the answer says it may be incomplete: the broken file's imports are unknown.
    assert data["complete"] is False and [u["path"] for u in data["unknown"]] == ["prep/broken.py"]
    report = run_cli("-c", plan, "graph", "report", "prep.models.orm", "--out", tmp_path / "rep")
    assert report.code == 0, report.stderr
    assert "**Incomplete**: 1 skipped file(s)" in (tmp_path / "rep" / "dependency-report.md").read_text()
    assert json.loads((tmp_path / "rep" / "dependency-report.json").read_text())["complete"] is False


def test_cycles_orphans_usage_and_rollup_commands():
    orphans = run_cli("-c", PHASES, "graph", "orphans", "-f", "json")
    assert orphans.code == 0
    assert "prep.utils.optional" in {o["module"] for o in json.loads(orphans.stdout)["orphans"]}
    cycles = run_cli("-c", PHASES, "graph", "cycles")
    assert cycles.code == 0 and cycles.stdout == "no import cycles\n"
    usage = run_cli("-c", PHASES, "graph", "usage", "prep.models.orm", "-f", "markdown")
    assert usage.code == 0 and "| Kitchen |" in usage.stdout
    rollup = run_cli("-c", PHASES, "graph", "rollup", "--by", "group", "-f", "json")
    assert rollup.code == 0
    edges = {(e["importer"], e["imported"]) for e in json.loads(rollup.stdout)["edges"]}
    assert ("bookings", "compliance") in edges


# ----------------------------------------------------------------------------- pictures + report


@pytest.mark.graphviz
def test_report_has_a_graphviz_svg_embedded_in_html_and_markdown(tmp_path: Path):
    out = tmp_path / "report"
    result = run_cli("-c", PHASES, "graph", "report", "prep.models.orm", "--out", out)
    assert result.code == 0, result.stderr
    svg = (out / "dependency-graph.svg").read_text()
    assert "Generated by graphviz" in svg and "<svg" in svg  # rendered by Graphviz's dot
    assert svg.count('class="node"') == 17  # the target, 6 direct and 10 transitive importers
    html = (out / "dependency-report.html").read_text()
    assert "<svg" in html and "Generated by graphviz" not in html.split("<svg", 1)[0][-200:]
    assert "jobs/reconcile_payments.py:8" in html and "ComplianceCheck" in html
    markdown = (out / "dependency-report.md").read_text()
    assert "![Who imports prep.models.orm](dependency-graph.svg)" in markdown
    assert "`prep/bookings/service.py:10`" in markdown
    data = json.loads((out / "dependency-report.json").read_text())
    assert {d["module"] for d in data["direct"]} == set(TRUTH["direct"])
    # Violations of the plan's contracts are drawn in red.
    assert "#d32f2f" in svg and data["contract_violations"]
    # A hand-written file of the same name is never overwritten.
    other = tmp_path / "mine"
    other.mkdir()
    (other / "dependency-report.md").write_text("# my notes\n")
    refused = run_cli("-c", PHASES, "graph", "report", "prep.models.orm", "--out", other)
    assert refused.code == 2 and "not overwriting" in refused.stderr
    assert (other / "dependency-report.md").read_text() == "# my notes\n"


@pytest.mark.browser
@pytest.mark.graphviz
def test_report_page_renders_in_chromium(tmp_path: Path):
    from tests.support.documents import open_in_chromium

    out = tmp_path / "report"
    assert run_cli("-c", PHASES, "graph", "report", "prep.models.orm", "--out", out).code == 0
    page = open_in_chromium(out / "dependency-report.html", tmp_path, {
        "nodes": "document.querySelectorAll('.graph svg g.node').length",
        "rows": "document.querySelectorAll('table tr').length",
        "width": "document.querySelector('.graph svg').getBoundingClientRect().width",
    })
    assert page.exceptions == [] and [c for c in page.console if c.get("type") == "error"] == []
    assert page.evaluations["nodes"] == 17 and page.evaluations["rows"] > 20
    assert page.evaluations["width"] > 300


@pytest.mark.graphviz
def test_svg_png_and_dot_outputs(tmp_path: Path):
    png = tmp_path / "orm.png"
    assert run_cli("-c", PHASES, "graph", "importers", "prep.models.orm", "-t", "-f", "png", "-o", png).code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dot = run_cli("-c", PHASES, "graph", "importers", "prep.models.orm", "-f", "dot")
    assert dot.stdout.startswith("digraph imports {") and '"prep.models.orm"' in dot.stdout
    assert "fillcolor=\"#ffd54f\"" in dot.stdout  # the target is highlighted
    # phase-2 forbids prep.bookings -> prep.models.orm: that edge is red, a legal one is not.
    assert 'prep.bookings.service" -> "prep.models.orm" [color="#d32f2f"' in dot.stdout
    assert '"prep.reviews.service" -> "prep.models.orm";' in dot.stdout
    collapsed = run_cli("-c", PHASES, "graph", "importers", "prep.models.orm", "-t", "-f", "dot", "--depth", "1")
    assert "cluster" not in collapsed.stdout and "prep -> prep" not in collapsed.stdout
    assert "jobs -> prep [label=2" in collapsed.stdout and "scripts -> prep [label=2" in collapsed.stdout


def test_without_graphviz_the_dot_file_is_written_and_the_message_says_how(tmp_path: Path):
    no_dot = {"PATH": str(tmp_path / "empty-bin")}
    svg = tmp_path / "orm.svg"
    result = run_cli("-c", PHASES, "graph", "importers", "prep.models.orm", "-f", "svg", "-o", svg, env=no_dot)
    assert result.code == 0
    assert not svg.exists() and (tmp_path / "orm.dot").read_text().startswith("digraph")
    assert "Graphviz is not installed" in result.stderr and "apt-get install graphviz" in result.stderr
    report = run_cli("-c", PHASES, "graph", "report", "prep.models.orm", "--out", tmp_path / "r", env=no_dot)
    assert report.code == 0 and "no SVG" in report.stderr
    assert not (tmp_path / "r" / "dependency-graph.svg").exists()
    assert "No picture" in (tmp_path / "r" / "dependency-report.html").read_text()


@pytest.mark.graphviz
def test_big_graphs_collapse_to_packages_and_stay_drawable(tmp_path: Path):
    from prepctl.graph import render
    from prepctl.graph.load import GraphSettings, build_graph
    from tests.support.graph import generate_tree

    generate_tree(tmp_path / "big", packages=8, subpackages=8, modules=12, imports_per_module=1, seed=4)
    graph = build_graph(GraphSettings(root=tmp_path / "big"))
    assert len(graph) > 800
    pic = render.picture(graph, graph.modules, highlight=["pkg0.sub0.mod0"], title="big")
    assert pic.depth in (1, 2) and len(pic.nodes) <= render.MAX_NODES and len(pic.edges) <= render.MAX_EDGES
    _, svg = render.render_picture(pic, "svg")
    assert svg.startswith(b"<?xml") and b"collapsed to packages of depth" in svg

    # A flat, dense graph cannot collapse: only the heaviest edges are drawn, and it says so.
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(60):
        (flat / f"m{i}.py").write_text("".join(f"import m{(i + k) % 60}\n" for k in range(1, 6)))
    dense = render.picture(build_graph(GraphSettings(root=flat)), [f"m{i}" for i in range(60)], highlight=["m0"],
                           title="dense")
    assert dense.dropped_edges == 300 - render.MAX_EDGES and len(dense.edges) == render.MAX_EDGES
    assert {("m0", f"m{k}") for k in range(1, 6)} <= set(dense.edges)  # the target's edges are kept
    assert "150 lighter edges not drawn" in render.to_dot(dense)


def test_importers_picture_draws_only_the_chains_to_the_target(tmp_path: Path):
    from prepctl.graph import queries, render
    from prepctl.graph.load import GraphSettings, build_graph
    from prepctl.graph.report import importers_picture

    tree = tmp_path / "chains"
    tree.mkdir()
    sources = {"orm": "", "repo": "import orm\n", "service": "import repo\nimport util\n",
               "api": "import service\nimport repo\n", "util": "import api\n",  # util -> api: a cycle
               "admin": "import orm\nimport api\n"}
    for name, text in sources.items():
        (tree / f"{name}.py").write_text(text)
    graph = build_graph(GraphSettings(root=tree))
    found = queries.importers(graph, "orm", transitive=True)
    pic = importers_picture(graph, found, [], depth=None)
    # One import closer to orm at every step: repo and admin 1, service and api 2, util 3 (via api).
    assert set(pic.edges) == {("repo", "orm"), ("admin", "orm"), ("service", "repo"), ("api", "repo"),
                              ("util", "api")}
    # Left out: api -> service, service -> util and admin -> api lead no closer to orm.
    assert pic.off_chain_edges == 3
    assert "only edges on a shortest chain to the target, 3 others not drawn" in render.to_dot(pic)
    # A violation is drawn even when it is not on a shortest chain.
    red = importers_picture(graph, found, [("contract", "admin", "api")], depth=None)
    assert ("admin", "api") in red.edges and red.violations == {("admin", "api")} and red.off_chain_edges == 2


# ----------------------------------------------------------------------------- diff across revisions

DIFF_PLAN = """
- id: no-analytics
  kind: imports
  title: bookings and payments do not import analytics
  contract:
    type: forbidden
    source: [prep.bookings, prep.payments]
    forbidden: [prep.analytics]
"""


@pytest.fixture
def repo_with_branch(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "mono")
    write_plan(repo, DIFF_PLAN, root="mono", extra="graph: {exclude: [tests/*, migrations/*]}")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main")
    git(repo, "checkout", "-q", "-b", "feature")
    service = repo / "mono" / "prep" / "payments" / "service.py"
    service.write_text(service.read_text().replace(
        "from prep.bookings.service import BookingService\n",
        "from prep.analytics.queries import platform_summary\nfrom prep.bookings.service import BookingService\n"))
    git(repo, "commit", "-q", "-am", "feature: use analytics")
    return repo


def test_diff_catches_a_forbidden_import_added_on_a_branch(repo_with_branch: Path):
    repo = repo_with_branch
    (repo / "mono" / "untracked_notes.py").write_text("import prep\n")  # a dirty work tree is fine
    result = run_cli("graph", "diff", "--base", "main", "-f", "json", cwd=repo)
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["base"]["revision"] == git(repo, "rev-parse", "main").strip()
    assert data["head"]["revision"] is None  # the work tree
    added = {(e["importer"], e["imported"]): e for e in data["added"]}
    edge = added[("prep.payments.service", "prep.analytics.queries")]
    assert (edge["path"], edge["line"], edge["names"]) == ("prep/payments/service.py", 9, ["platform_summary"])
    assert ("untracked_notes", "prep") in added
    assert data["removed"] == []
    [contract] = data["contracts"]
    assert [v["key"] for v in contract["new"]] == ["prep.payments.service -> prep.analytics.queries"]
    text = run_cli("graph", "diff", "--base", "main", cwd=repo)
    assert "NEW VIOLATIONS" in text.stdout and "prep/payments/service.py:9" in text.stdout

    # The same between two revisions, from a checkout of main: nothing is checked out.
    git(repo, "checkout", "-q", "main")
    between = run_cli("graph", "diff", "--base", "main", "--head", "feature", "-f", "json", cwd=repo)
    assert between.code == 1
    assert json.loads(between.stdout)["contracts"][0]["new"][0]["key"] == contract["new"][0]["key"]
    same = run_cli("graph", "diff", "--base", "feature", "--head", "feature", cwd=repo)
    assert same.code == 0 and "+0 / -0 edge(s)" in same.stdout


def test_the_gate_catches_the_same_import(repo_with_branch: Path):
    repo = repo_with_branch
    on_branch = run_cli("gate", "p", "-f", "json", cwd=repo)
    assert on_branch.code == 1
    [criterion] = json.loads(on_branch.stdout)["criteria"]
    assert criterion["status"] == "fail" and "prep.payments.service imports prep.analytics.queries" in \
        criterion["summary"]
    at_main = run_cli("gate", "p", "--at", "main", cwd=repo)
    assert at_main.code == 0, at_main.stdout


def test_diff_is_an_error_when_the_head_skips_a_file_in_scope(repo_with_branch: Path):
    """A branch that breaks a source file's syntax (or names it `bad name.py`) hides whatever it
    imports: the diff cannot say "no new violations", so it exits 2 naming the file."""
    repo = repo_with_branch
    git(repo, "checkout", "-q", "main")
    (repo / "mono" / "prep" / "bookings" / "bad name.py").write_text("import prep.analytics.queries\n")
    result = run_cli("graph", "diff", "--base", "main", "-f", "json", cwd=repo)
    assert result.code == 2, result.stdout
    [contract] = json.loads(result.stdout)["contracts"]
    assert contract["new"] == [] and "prep/bookings/bad name.py" in contract["error"]
    text = run_cli("graph", "diff", "--base", "main", cwd=repo)
    assert text.code == 2 and "skipped file(s) in the contract's scope on head" in text.stdout


def test_diff_with_a_bad_revision_is_a_clear_error(repo_with_branch: Path):
    result = run_cli("graph", "diff", "--base", "no-such-branch", cwd=repo_with_branch)
    assert result.code == 2 and "bad revision 'no-such-branch'" in result.stderr
    assert "Traceback" not in result.stderr


def _src_layout(root: Path) -> None:
    (root / "src" / "shop" / "models").mkdir(parents=True)
    (root / "src" / "shop" / "__init__.py").write_text("")
    (root / "src" / "shop" / "models" / "__init__.py").write_text("")
    (root / "src" / "shop" / "models" / "orm.py").write_text("")
    (root / "src" / "shop" / "billing.py").write_text("from shop.models import orm\n")
    (root / "manage.py").write_text("import shop.models.orm\n")


def test_a_src_layout_is_scanned_from_src_without_configuration(tmp_path: Path):
    _src_layout(tmp_path)
    result = run_cli("--root", tmp_path, "graph", "importers", "shop.models.orm", "--format", "json", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert [(d["module"], d["path"]) for d in json.loads(result.stdout)["direct"]] == [
        ("manage", "manage.py"), ("shop.billing", "src/shop/billing.py")]
    assert "scan problem" not in result.stderr


def test_overlapping_source_roots_list_each_file_once(tmp_path: Path):
    """include: [src, .] used to walk src/ twice and skip every file in it as a duplicate."""
    _src_layout(tmp_path)
    plan = write_plan(tmp_path, """
        - id: audit
          kind: paths
          title: the ORM exists
          exists: [src/shop/models/orm.py]
        """, extra='graph: {include: [src, "."]}')
    result = run_cli("-c", plan, "graph", "importers", "shop.models.orm", "--format", "json")
    assert result.code == 0, result.stderr
    assert {d["module"] for d in json.loads(result.stdout)["direct"]} == {"manage", "shop.billing"}
    assert "overlapping source roots" not in result.stderr


def test_chain_explains_why_one_module_depends_on_another():
    result = run_cli("-c", PHASES, "graph", "chain", "prep.api", "prep.models.orm", "--format", "json")
    assert result.code == 0, result.stderr
    found = json.loads(result.stdout)
    importers = json.loads(run_cli("-c", PHASES, "graph", "importers", "prep.models.orm", "--transitive",
                                   "--format", "json").stdout)
    # The same shortest chain the importers query gives prep.api.main.
    (api,) = [t for t in importers["transitive"] if t["module"] == "prep.api.main"]
    assert found["chain"] == api["chain"] and found["hops"] == api["hops"]
    assert [h["path"] for h in found["hops"]][0] == "prep/api/main.py"
    table = run_cli("-c", PHASES, "graph", "chain", "prep.api", "prep.models.orm").stdout
    assert f"through {len(api['chain']) - 2} other module(s)" in table and "prep/api/main.py:" in table
    none = run_cli("-c", PHASES, "graph", "chain", "prep.models", "prep.api", "--format", "json")
    assert none.code == 0 and json.loads(none.stdout)["chain"] is None
    assert "does not import prep.api" in run_cli("-c", PHASES, "graph", "chain", "prep.models", "prep.api").stdout
    inside = run_cli("-c", PHASES, "graph", "chain", "prep.models.orm", "prep.models")
    assert inside.code == 2 and "prep.models.orm is part of prep.models" in inside.stderr
    typo = run_cli("-c", PHASES, "graph", "chain", "prep.api", "prep.modls.orm")
    assert typo.code == 2 and "did you mean 'prep.models.orm'" in typo.stderr


def test_chain_from_a_package_takes_its_shortest_member_chain(tmp_path: Path):
    from prepctl.graph import queries
    from prepctl.graph.load import GraphSettings, build_graph

    (tmp_path / "app").mkdir()
    for name, text in {"app/__init__.py": "", "app/a.py": "import mid\n", "app/b.py": "import orm\n",
                       "mid.py": "import orm\n", "orm.py": "", "app/c.py": "import app.b\n"}.items():
        (tmp_path / name).write_text(text)
    graph = build_graph(GraphSettings(root=tmp_path))
    assert queries.chain(graph, "app", "orm").chain == ("app.b", "orm")
    assert queries.chain(graph, "app.a", "orm").chain == ("app.a", "mid", "orm")
    assert queries.chain(graph, "app.c", "orm").chain == ("app.c", "app.b", "orm")
    assert queries.chain(graph, "orm", "app").chain is None


def test_a_root_that_is_itself_a_package_is_called_out(tmp_path: Path):
    """--root pointed at the package (monolith/prep) instead of the checkout names modules
    models.orm while the code imports prep.models.orm: the answer would be "nothing imports it"."""
    package = tmp_path / "prep"
    shutil.copytree(EXAMPLE / "prep", package)
    result = run_cli("--root", package, "graph", "importers", "models.orm", cwd=tmp_path)
    assert result.code == 0
    assert ("__init__.py: the source root is itself the package 'prep' (it has __init__.py), so "
            in result.stderr)
    assert "scan from the folder that contains prep/ (--root, or graph: include:)" in result.stderr
    right = run_cli("--root", tmp_path, "graph", "importers", "prep.models.orm", cwd=tmp_path)
    assert right.code == 0 and "source root is itself" not in right.stderr
    assert "prep.bookings.service" in right.stdout


def _service_with_its_own_root(root: Path) -> None:
    (root / "services" / "billing" / "src" / "billing").mkdir(parents=True)
    (root / "services" / "api").mkdir(parents=True)
    (root / "services" / "billing" / "src" / "billing" / "__init__.py").write_text("")
    (root / "services" / "billing" / "src" / "billing" / "core.py").write_text("")
    (root / "services" / "api" / "app.py").write_text("from billing import core\n")


def test_an_unlisted_service_source_root_is_called_out(tmp_path: Path):
    _service_with_its_own_root(tmp_path)
    result = run_cli("--root", tmp_path, "graph", "orphans", cwd=tmp_path)
    assert result.code == 0
    assert ("1 import(s) of billing.* count as external, but services/billing/src/billing/ is a package "
            "here, named services.billing.src.billing: if services/billing/src/ is a source root, add it "
            "to graph: include") in result.stderr


def test_the_innermost_source_root_names_a_file_whatever_the_order(tmp_path: Path):
    _service_with_its_own_root(tmp_path)
    plan = write_plan(tmp_path, """
        - id: here
          kind: paths
          title: the service exists
          exists: [services]
        """, extra='graph: {include: [".", services/billing/src]}')
    result = run_cli("-c", plan, "graph", "importers", "billing.core", "--format", "json")
    assert result.code == 0, result.stderr
    assert [d["module"] for d in json.loads(result.stdout)["direct"]] == ["services.api.app"]
    assert "scan problem" not in result.stderr
