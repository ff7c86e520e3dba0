"""`graph trend` numbers on generated histories whose importer counts are known per commit.

The generator (tests/support/trend_history.py) keeps its own model of who imports whom, so the expected
numbers never come from prepctl's scanner. A second check compares the incremental graph with a
full scan of every commit (the scanner's own `scan_tree` on a GitRevisionTree).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from prepctl.errors import PrepctlError
from prepctl.graph.model import GraphError, ImportGraph
from prepctl.graph.queries import importers
from prepctl.graph.scan.cache import ParseCache
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.model import SKIPPED
from prepctl.graph.scan.scanner import scan_tree
from prepctl.graph.trend.history import compute_trend, walk_history
from prepctl.sources.git import GitRevisionTree
from tests.support.trend_history import GIT_ENV, TARGET, History, generate


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return generate(tmp_path_factory.mktemp("trend") / "repo", commits=150, packages=6, per_package=15,
                    seed=11)


def test_generated_history_covers_the_hard_cases(history: History):
    """The exact-count test below is only as good as the history: make sure it has every case."""
    expected = history.expected
    assert not expected[0].exists and not expected[-1].exists, "absent at both ends"
    assert sum(1 for e in expected if e.broken_files) >= 5, "commits with a syntax-error file"
    assert any(e.broken_files >= 2 for e in expected), "two broken files at once"
    rises = [b for a, b in zip(expected, expected[1:], strict=False) if b.direct > a.direct]
    falls = [b for a, b in zip(expected, expected[1:], strict=False) if b.direct < a.direct]
    assert len(rises) >= 10 and len(falls) >= 10
    assert any(e.transitive > e.direct for e in expected), "transitive-only importers exist"
    assert any("delete" in e.message for e in expected) and any(": add " in e.message for e in expected)
    assert any("docs only" in e.message for e in expected), "commits that touch no Python"


def test_trend_equals_known_counts_at_every_commit(history: History, tmp_path: Path):
    result = compute_trend(history.repo, TARGET, ScanConfig(), ParseCache(tmp_path / "cache"))
    got = [(p.commit, p.exists, p.direct, p.transitive, p.skipped_files) for p in result.points]
    want = [(sha, e.exists, e.direct, e.transitive, e.broken_files)
            for sha, e in zip(history.shas, history.expected, strict=True)]
    assert got == want
    # The skipped files are named, with the scanner's reason.
    broken = next(p for p in result.points if p.skipped_files)
    path, reason = broken.skipped[0]
    assert path.startswith("mono/") and path.endswith(".py") and "syntax error" in reason
    assert result.stats.blobs_parsed > 0 and result.stats.blobs_from_cache == 0


def test_rerun_parses_nothing_and_gives_the_same_numbers(history: History, tmp_path: Path):
    cache = tmp_path / "cache"
    cold = compute_trend(history.repo, TARGET, ScanConfig(), ParseCache(cache))
    warm = compute_trend(history.repo, TARGET, ScanConfig(), ParseCache(cache))
    assert warm.stats.blobs_parsed == 0
    assert warm.stats.blobs_from_cache == cold.stats.blobs_parsed
    assert warm.points == cold.points
    # Each distinct file content was parsed once, although most files exist in every commit.
    assert cold.stats.blobs_parsed < cold.stats.commits * 10


def test_incremental_graph_equals_a_full_scan_of_every_commit(history: History):
    """The graph kept from commit to commit must be the one a full scan of that commit gives.

    The scanner's fast path does not notice a syntax error away from the import lines, so for the
    files trend skipped we check they really do not compile, and compare the rest.
    """
    compared = 0
    for step in walk_history(history.repo, ScanConfig()):
        scan = scan_tree(GitRevisionTree.open(history.repo, step.info.sha, require_root=False), ScanConfig())
        skipped = {path for path, _ in step.graph.skipped()}
        tree = GitRevisionTree.open(history.repo, step.info.sha)
        for path in skipped:
            with pytest.raises(SyntaxError):
                compile(tree.read_text(path), path, "exec", dont_inherit=True)
        full = {(e.importer, e.imported) for e in scan.edges if e.path not in skipped}
        assert step.graph.edge_pairs() == full, step.info.subject
        assert step.graph.modules == set(scan.modules)
        if TARGET in scan.modules and not skipped:
            graph = ImportGraph(scan)
            answer = importers(graph, TARGET, transitive=True)
            direct, reach = step.graph.importers_of({TARGET})
            assert direct == {d.module for d in answer.direct}
            assert reach == direct | {t.module for t in answer.transitive}
        compared += 1
    assert compared == len(history.shas)


def test_package_target_counts_importers_of_any_member(history: History):
    """`mono.core` names the package and everything below it, like `graph importers` does."""
    result = compute_trend(history.repo, "mono.core", ScanConfig())
    by_module = compute_trend(history.repo, TARGET, ScanConfig())
    for package, module in zip(result.points, by_module.points, strict=True):
        assert package.direct == module.direct and package.transitive == module.transitive
    # mono/core/__init__.py exists in the commits the ORM exists in, and stays after its removal.
    assert [p.exists for p in result.points][1:] == [True] * (len(result.points) - 1)


def test_since_until_every_select_commits(history: History):
    shas = history.shas
    part = compute_trend(history.repo, TARGET, ScanConfig(), since=shas[40], until=shas[60])
    assert [p.commit for p in part.points] == shas[40:61]
    assert [p.direct for p in part.points] == [e.direct for e in history.expected[40:61]]
    sampled = compute_trend(history.repo, TARGET, ScanConfig(), every=7)
    indexes = [*range(0, len(shas), 7)]
    if indexes[-1] != len(shas) - 1:
        indexes.append(len(shas) - 1)
    assert [p.commit for p in sampled.points] == [shas[i] for i in indexes]
    # Skipping commits must not change the numbers of those kept.
    assert [(p.direct, p.transitive, p.skipped_files) for p in sampled.points] == [
        (history.expected[i].direct, history.expected[i].transitive, history.expected[i].broken_files)
        for i in indexes]


def test_module_absent_everywhere_is_an_input_error_with_a_suggestion(history: History):
    with pytest.raises(GraphError, match=r"does not exist at any of the 150 commit\(s\)") as info:
        compute_trend(history.repo, "mono.core.orn", ScanConfig())
    assert "did you mean" in str(info.value)


def test_bad_revision_is_an_input_error(history: History):
    with pytest.raises(PrepctlError, match="bad revision 'v9'"):
        compute_trend(history.repo, TARGET, ScanConfig(), until="v9")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env=GIT_ENV).stdout


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_sub_folder_root_first_parent_and_groups(tmp_path: Path):
    """The scanned root is a sub-folder that appears only in the second commit; a side branch
    adds an importer and is merged; groups count per downstream service."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo / "README.md", "top\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "before the monolith")
    mono = repo / "apps" / "mono"
    write(mono / "shop" / "__init__.py", "")
    write(mono / "shop" / "orm.py", "class Order: ...\n")
    write(mono / "shop" / "views.py", "from shop.orm import Order\n")
    write(mono / "billing" / "__init__.py", "")
    write(mono / "billing" / "invoices.py", "import shop.views\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "monolith")
    git(repo, "checkout", "-q", "-b", "side")
    write(mono / "billing" / "tax.py", "from shop import orm\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "side: tax uses the orm")
    git(repo, "checkout", "-q", "main")
    write(mono / "shop" / "cart.py", "from .orm import Order\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main: cart")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge side", "side")

    groups = {"billing": ["billing"], "storefront": ["shop.*"]}
    result = compute_trend(mono, "shop.orm", ScanConfig(), groups=groups)
    rows = [(p.exists, p.direct, p.transitive, p.groups) for p in result.points]
    subjects = [p.subject for p in result.points]
    by_subject = dict(zip(subjects, rows, strict=True))
    assert by_subject["before the monolith"] == (False, 0, 0, {"billing": 0, "storefront": 0})
    assert by_subject["monolith"] == (True, 1, 2, {"billing": 1, "storefront": 1})
    assert by_subject["side: tax uses the orm"] == (True, 2, 3, {"billing": 2, "storefront": 1})
    assert by_subject["main: cart"] == (True, 2, 3, {"billing": 1, "storefront": 2})
    assert by_subject["merge side"] == (True, 3, 4, {"billing": 2, "storefront": 2})

    mainline = compute_trend(mono, "shop.orm", ScanConfig(), first_parent=True)
    assert [p.subject for p in mainline.points] == ["before the monolith", "monolith", "main: cart",
                                                    "merge side"]
    assert [p.direct for p in mainline.points] == [0, 1, 2, 3]


def test_a_package_shadowing_a_module_is_followed_like_a_full_scan(tmp_path: Path):
    """`pkg/a.py` and `pkg/a/__init__.py` name the same module: the package wins and the file is
    skipped (and counted), commit by commit, exactly as a full scan decides."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")

    def commit(message: str) -> None:
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message)

    write(repo / "pkg" / "__init__.py", "")
    write(repo / "pkg" / "orm.py", "")
    write(repo / "pkg" / "a.py", "from pkg import orm\n")
    write(repo / "pkg" / "b.py", "import pkg.a\n")
    commit("module a")
    write(repo / "pkg" / "a" / "__init__.py", "")
    commit("package a shadows module a")
    write(repo / "pkg" / "a.py", "from pkg import orm\nimport pkg.b\n")
    commit("edit the shadowed module")
    write(repo / "pkg" / "a" / "__init__.py", "from .. import orm\n")
    commit("the package imports the orm")
    (repo / "pkg" / "a" / "__init__.py").unlink()
    (repo / "pkg" / "a").rmdir()
    commit("package gone, module a is back")

    rows = []
    for step in walk_history(repo, ScanConfig()):
        scan = scan_tree(GitRevisionTree.open(repo, step.info.sha), ScanConfig())
        assert step.graph.edge_pairs() == {(e.importer, e.imported) for e in scan.edges}, step.info.subject
        assert step.graph.modules == set(scan.modules)
        assert [path for path, _ in step.graph.skipped()] == sorted(
            p.path for p in scan.problems if "shadowed" in p.reason)
        direct, reach = step.graph.importers_of({"pkg.orm"})
        rows.append((step.info.subject, sorted(direct), len(step.graph.skipped())))
    assert rows == [
        ("module a", ["pkg.a"], 0),
        ("package a shadows module a", [], 1),
        ("edit the shadowed module", [], 1),
        ("the package imports the orm", ["pkg.a"], 1),
        ("package gone, module a is back", ["pkg.a"], 0),
    ]


def test_files_skipped_by_name_are_followed_like_a_full_scan(tmp_path: Path):
    """`bad name.py` (no module name) and `tool.pyw` (Python source, not .py) are skipped files
    for the scanner; trend counts and names them too, commit by commit, as they come and go."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")

    def commit(message: str) -> None:
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message)

    write(repo / "pkg" / "__init__.py", "")
    write(repo / "pkg" / "orm.py", "")
    write(repo / "pkg" / "a.py", "from pkg import orm\n")
    write(repo / "README.md", "not python\n")
    commit("plain")
    write(repo / "pkg" / "bad name.py", "from pkg import orm\n")
    commit("a file with no module name")
    write(repo / "pkg" / "tool.pyw", "from pkg import orm\n")
    write(repo / "pkg" / "bad name.py", "from pkg import orm\nimport pkg.a\n")
    commit("a .pyw script; the unnamed file edited")
    (repo / "pkg" / "bad name.py").unlink()
    commit("unnamed file gone")
    (repo / "pkg" / "tool.pyw").unlink()
    commit("pyw gone")

    counted = []
    for step in walk_history(repo, ScanConfig(), keep_edges=True):
        scan = scan_tree(GitRevisionTree.open(repo, step.info.sha), ScanConfig())
        expected = sorted(p.path for p in scan.problems if p.kind == SKIPPED)
        assert [path for path, _ in step.graph.skipped()] == expected, step.info.subject
        assert [(p.path, p.reason, p.kind) for p in step.graph.scan_result(step.info.sha).problems] == [
            (p.path, p.reason, p.kind) for p in scan.problems], step.info.subject
        assert step.graph.edge_pairs() == {(e.importer, e.imported) for e in scan.edges}
        counted.append(len(step.graph.skipped()))
    assert counted == [0, 1, 2, 1, 0]
