"""The import scanner: what it finds, how it tags it, bad files, module naming, the cache."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from prepctl.graph.load import GraphSettings, build_graph
from prepctl.graph.model import GraphError
from prepctl.graph.scan import lexer, model, parse
from prepctl.graph.scan.ast_imports import parse_imports_full
from prepctl.graph.scan.cache import SCANNER_VERSION, ParseCache
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.parse import parse_imports
from prepctl.graph.scan.scanner import scan_tree
from prepctl.sources.tree import WorkTree
from tests.support.paths import EXAMPLE, REPO
from tests.support.trees import write


def fast(source: str) -> list[model.RawImport] | None:
    """The fast lexer's answer; None when it declined (the full parse then runs)."""
    return lexer.lex_imports(textwrap.dedent(source))


def full(source: str) -> list[model.RawImport]:
    parsed = parse_imports_full(textwrap.dedent(source))
    assert parsed.problem is None, parsed.problem
    return list(parsed.imports)


def edges(result: model.ScanResult) -> set[tuple[str, str]]:
    return {(e.importer, e.imported) for e in result.edges}


# ----------------------------------------------------------------------------- parsing

TRICKY = {
    "plain": "import os, a.b as c\nfrom x.y import (p,  # why\n  q as r,\n)\n",
    "relative": "from . import a\nfrom .. import b\nfrom ...c.d import e\nfrom .f import *\n",
    "docstring_decoy": '"""\nfrom fake import thing\n    import ghost\n"""\nimport real\n',
    "string_decoy": 'x = "import nope"\ny = \'\'\'\nimport nope2\n\'\'\'\nimport yes  # import no\n',
    "function_level": "def f():\n    import inner\n    return inner\n\nclass C:\n    def m(self):\n"
                      "        from pkg import deep\n",
    "type_checking": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from a import T\nelse:\n"
                     "    from b import U\nimport typing\nif typing.TYPE_CHECKING:\n    import c\n",
    "guarded": "try:\n    import orjson as json\nexcept ImportError:\n    import json\n"
               "try:\n    import x\nexcept (ValueError, ModuleNotFoundError):\n    pass\n"
               "try:\n    import y\nexcept ValueError:\n    pass\n",
    "continued": "from a import b, \\\n    c\nimport d\n",
    "semicolon": "import a; import b\n",
    "one_line_compound": "if True: import a\n",
    "multiline_header": "def f(\n    a: int,\n    b: int,\n) -> None:\n    import inner\n",
    "aligned_header": "class K:\n    def f(self, a,\n          b):\n        import inner\n",
    "dynamic": "import importlib\n\ndef f():\n    return importlib.import_module('pkg.mod')\n\n"
               "def g(name):\n    return __import__(name)\n\nh = __import__(\n    'other.mod')\n",
    "dynamic_in_try": "try:\n    m = importlib.import_module('opt.mod')\nexcept ImportError:\n    m = None\n",
    "dynamic_relative": "import importlib\n\ndef load(name):\n"
                        "    a = importlib.import_module('.plugins', __package__)\n"
                        "    b = importlib.import_module('..x.y', package='app.sub')\n"
                        "    c = importlib.import_module('.nope')\n    return importlib.import_module('.z', name)\n",
    "crlf": "import a\r\nfrom b import c\r\n",
    "tabs": "if x:\n\timport a\n",
    "fstring_quotes": "x = f\"{d['import']}\"\nimport ok\n",
    "nested_tc_guard": "if TYPE_CHECKING:\n    try:\n        import a\n    except ImportError:\n        pass\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_fast_path_agrees_with_full_parse(name: str):
    source = TRICKY[name]
    expected = full(source)
    got = fast(source)  # the fast path may decline (None), never disagree
    if got is not None:
        assert got == expected
    # Whatever path runs, parse_imports returns exactly the full parse's statements.
    assert list(parse_imports(source.encode()).imports) == expected


def test_fast_path_handles_common_forms_itself():
    """The speed claim rests on the fast path being used for ordinary code."""
    for name in ("plain", "relative", "dynamic_relative", "docstring_decoy", "string_decoy", "function_level",
                 "type_checking", "guarded", "continued", "multiline_header", "aligned_header", "crlf",
                 "fstring_quotes"):
        assert fast(TRICKY[name]) is not None, f"the fast path gave up on {name}"


def test_decoys_are_not_imports_and_tags_are_right():
    modules = {r.module for r in parse_imports(TRICKY["docstring_decoy"].encode()).imports}
    assert modules == {"real"}
    tc = {r.module: r.flags for r in parse_imports(TRICKY["type_checking"].encode()).imports}
    assert tc["a"] & model.TYPE_CHECKING_FLAG and tc["c"] & model.TYPE_CHECKING_FLAG
    assert not tc["b"] & model.TYPE_CHECKING_FLAG
    guarded = {r.module: r.flags for r in parse_imports(TRICKY["guarded"].encode()).imports}
    assert all(guarded[name] & model.GUARDED_FLAG for name in ("orjson", "json", "x"))
    assert not guarded["y"] & model.GUARDED_FLAG
    dynamic = [r for r in parse_imports(TRICKY["dynamic"].encode()).imports if r.flags & model.DYNAMIC_FLAG]
    # A computed name (`__import__(name)`) is kept as an opaque dynamic import: reported, not dropped.
    assert [(r.module, r.line, bool(r.flags & model.OPAQUE_FLAG)) for r in dynamic] == [
        ("pkg.mod", 4, False), ("", 7, True), ("other.mod", 9, False)]
    relative = [r for r in parse_imports(TRICKY["dynamic_relative"].encode()).imports if r.flags & model.DYNAMIC_FLAG]
    # `.plugins` against __package__ is a level-1 relative import; against a literal package it
    # is resolved like importlib does; without a package (a TypeError) or a variable: unknown.
    assert [(r.level, r.module, r.line, bool(r.flags & model.OPAQUE_FLAG)) for r in relative] == [
        (1, "plugins", 4, False), (0, "app.x.y", 5, False), (0, "", 6, True), (0, "", 7, True)]
    in_try = parse_imports(TRICKY["dynamic_in_try"].encode()).imports
    assert [(r.module, bool(r.flags & model.GUARDED_FLAG)) for r in in_try] == [("opt.mod", True)]


def test_fast_and_full_agree_on_a_standard_library_sample():
    """A large, varied corpus: every 10th file of the standard library."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)[::10]
    assert len(files) > 100, "standard library sources not found"
    checked = declined = 0
    for path in files:
        data = path.read_bytes()
        try:
            text = parse.decode_source(data)
        except parse.DecodeProblem:
            continue
        reference = parse_imports_full(text)
        if reference.problem is not None:
            continue  # test data with deliberate syntax errors
        got = lexer.lex_imports(text)
        if got is None:
            declined += 1
            continue
        checked += 1
        assert tuple(got) == reference.imports, path
    assert checked > 0.85 * (checked + declined), f"fast path declined {declined} of {checked + declined}"


# ----------------------------------------------------------------------------- bad files


def test_bad_files_are_reported_and_skipped_while_the_rest_counts(tmp_path: Path):
    root = write(tmp_path / "repo", {
        "app/__init__.py": "",
        "app/good.py": "from app import target\n",
        "app/target.py": "X = 1\n",
        "app/broken.py": "import app.target\ndef f(:\n    pass\n",
    })
    (root / "app" / "nul.py").write_bytes(b"import app.target\n\x00\x00")
    (root / "app" / "latin.py").write_bytes(b"import app.target\nname = '\xe9t\xe9'\n")
    (root / "app" / "huge.py").write_bytes(b"import app.target\n" + b"#" * 5000 + b"\n")
    result = scan_tree(WorkTree(root), ScanConfig(max_file_bytes=2000))
    problems = {p.path: p for p in result.problems}
    assert problems["app/broken.py"].line == 2 and "syntax error" in problems["app/broken.py"].reason
    assert problems["app/nul.py"].line == 2 and "NUL" in problems["app/nul.py"].reason
    assert problems["app/latin.py"].line == 2 and "decode" in problems["app/latin.py"].reason
    assert "too large" in problems["app/huge.py"].reason
    assert edges(result) == {("app.good", "app.target")}
    assert "app.broken" in result.modules  # still a module (others may import it), just unread


def test_without_verification_imports_of_a_broken_file_still_count(tmp_path: Path):
    """verify_syntax: false parses import statements only: exact imports, errors elsewhere unseen."""
    root = write(tmp_path / "repo", {"app/__init__.py": "", "app/target.py": "",
                                     "app/broken.py": "import app.target\ndef f(:\n    pass\n",
                                     "app/bad_import.py": "from app import (target\n"})
    result = scan_tree(WorkTree(root), ScanConfig(verify_syntax=False))
    assert edges(result) == {("app.broken", "app.target")}
    # A broken import statement sends the file to the full parse, which reports it.
    assert [(p.path, "syntax error" in p.reason) for p in result.problems] == [("app/bad_import.py", True)]


def test_pep263_cookie_is_honoured(tmp_path: Path):
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "a.py").write_text("")
    (root / "pkg" / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport pkg.a\nname = '\xe9'\n")
    result = scan_tree(WorkTree(root), ScanConfig())
    assert result.problems == [] and edges(result) == {("pkg.latin", "pkg.a")}


def test_relative_import_beyond_the_top_is_a_problem_not_a_crash(tmp_path: Path):
    root = write(tmp_path / "repo", {"top.py": "from . import sibling\n", "pkg/__init__.py": "",
                                     "pkg/m.py": "from ... import x\n"})
    result = scan_tree(WorkTree(root), ScanConfig())
    assert {(p.path, p.line) for p in result.problems} == {("top.py", 1), ("pkg/m.py", 1)}
    assert all("beyond the top-level package" in p.reason for p in result.problems)


# ----------------------------------------------------------------------------- modules


def test_module_names_for_packages_namespace_and_script_folders(tmp_path: Path):
    root = write(tmp_path / "repo", {
        "app/__init__.py": "", "app/core.py": "",
        "ns/inner/thing.py": "from ns.inner import other\n", "ns/inner/other.py": "",
        "scripts/backfill.py": "import app.core\nfrom . import helper\n", "scripts/helper.py": "",
        "my-tools/x.py": "import app.core\n", ".hidden/y.py": "", "setup.py": "import app\n",
        "app/<odd>.py": "import app.core\n", "app/two.dots.py": "",
        "app/migrations/0001_initial.py": "from app import core\n",
    })
    result = scan_tree(WorkTree(root), ScanConfig())
    assert set(result.modules) == {"app", "app.core", "ns.inner.thing", "ns.inner.other", "scripts.backfill",
                                   "scripts.helper", "setup", "app.migrations.0001_initial"}
    assert result.modules["app"] == "app/__init__.py"
    assert edges(result) == {("ns.inner.thing", "ns.inner.other"), ("scripts.backfill", "app.core"),
                             ("scripts.backfill", "scripts.helper"), ("setup", "app"),
                             ("app.migrations.0001_initial", "app.core")}
    # The files without a dotted name are not modules, but they are reported, never dropped quietly,
    # each with the module it would be read literally (for a contract's scope).
    assert {(p.path, p.kind, p.module) for p in result.problems} == {
        ("my-tools/", "skipped", "my-tools"), (".hidden/", "skipped", ".hidden"),
        ("app/<odd>.py", "skipped", "app.<odd>"), ("app/two.dots.py", "skipped", "app.two.dots")}


def test_source_roots_excludes_and_packages(tmp_path: Path):
    root = write(tmp_path / "repo", {
        "src/app/__init__.py": "", "src/app/a.py": "import app.b\n", "src/app/b.py": "",
        "src/app/tests/test_a.py": "import app.a\n", "tools/run.py": "import app.a\n",
        "migrations/env.py": "import app.a\n",
    })
    result = scan_tree(WorkTree(root), ScanConfig(include=("src", "."), exclude=("**/tests/*", "migrations")))
    assert set(result.modules) == {"app", "app.a", "app.b", "tools.run"}
    assert edges(result) == {("app.a", "app.b"), ("tools.run", "app.a")}
    only = scan_tree(WorkTree(root), ScanConfig(include=("src",), packages=("app",), exclude=("**/tests/*",)))
    assert set(only.modules) == {"app", "app.a", "app.b"}


def test_a_root_without_modules_is_an_error_not_an_empty_pass(tmp_path: Path):
    (tmp_path / "README.md").write_text("no python here\n")
    with pytest.raises(GraphError, match="no Python modules found"):
        build_graph(GraphSettings(root=tmp_path))


# ----------------------------------------------------------------------------- cache


def _copy(src: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(src, dest)
    return dest


def test_warm_scan_reuses_everything_and_sees_changes(tmp_path: Path):
    root = _copy(EXAMPLE, tmp_path / "mono")
    cache = ParseCache(tmp_path / "cache")
    config = ScanConfig(exclude=("tests/*", "migrations/*"))
    cold = scan_tree(WorkTree(root), config, cache)
    assert cold.stats.parsed_fast + cold.stats.parsed_full > 0 and not cold.stats.snapshot_hit
    warm = scan_tree(WorkTree(root), config, cache)
    assert warm.stats.snapshot_hit and warm.stats.parsed_fast == warm.stats.parsed_full == 0
    assert (warm.modules, warm.edges, warm.problems) == (cold.modules, cold.edges, cold.problems)
    # A change is seen even within the same second (mtime ticks are not trusted when recent).
    path = root / "prep" / "payments" / "service.py"
    path.write_text(path.read_text() + "\nfrom prep.analytics.queries import platform_summary\n")
    changed = scan_tree(WorkTree(root), config, cache)
    assert ("prep.payments.service", "prep.analytics.queries") in edges(changed)
    assert changed.stats.parsed_fast + changed.stats.parsed_full == 1
    # A new file in an existing folder is found too.
    (root / "prep" / "payments" / "refunds.py").write_text("from prep.models.orm import Payment\n")
    added = scan_tree(WorkTree(root), config, cache)
    assert ("prep.payments.refunds", "prep.models.orm") in edges(added)


def test_cache_is_content_addressed_so_a_fresh_clone_parses_nothing(tmp_path: Path):
    cache = ParseCache(tmp_path / "cache")
    config = ScanConfig(exclude=("tests/*", "migrations/*"))
    first = scan_tree(WorkTree(_copy(EXAMPLE, tmp_path / "one")), config, cache)
    # Another checkout: new paths, inodes and mtimes, same bytes (CI restoring .prepctl/cache).
    clone = scan_tree(WorkTree(_copy(EXAMPLE, tmp_path / "two")), config, cache)
    assert clone.stats.parsed_fast == clone.stats.parsed_full == 0
    assert clone.stats.from_cache == clone.stats.files == len(first.modules)
    assert edges(clone) == edges(first)


def test_a_git_revision_reuses_blobs_parsed_from_the_work_tree(tmp_path: Path):
    from prepctl.sources.git import GitRevisionTree
    from tests.support.graph import git

    repo = _copy(EXAMPLE, tmp_path / "repo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    cache = ParseCache(tmp_path / "cache")
    config = ScanConfig(exclude=("tests/*", "migrations/*"))
    work = scan_tree(WorkTree(repo), config, cache)
    at_head = scan_tree(GitRevisionTree.open(repo, "HEAD"), config, cache)
    assert at_head.stats.parsed_fast == at_head.stats.parsed_full == 0
    assert edges(at_head) == edges(work) and at_head.revision is not None


def test_a_git_revision_reports_the_files_it_cannot_name_like_the_work_tree(tmp_path: Path):
    from prepctl.sources.git import GitRevisionTree
    from tests.support.graph import git

    repo = write(tmp_path / "repo", {"app/__init__.py": "", "app/bad name.py": "import app\n",
                                     "app/tool.pyw": "import app\n", "app/my-tools/x.py": "import app\n"})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    work = scan_tree(WorkTree(repo), ScanConfig())
    at_head = scan_tree(GitRevisionTree.open(repo, "HEAD"), ScanConfig())
    # The walk reports a non-identifier folder once; a revision's listing names each file in it.
    assert [(p.path, p.module) for p in work.problems] == [
        ("app/bad name.py", "app.bad name"), ("app/my-tools/", "app.my-tools"), ("app/tool.pyw", "app.tool")]
    assert [(p.path, p.module) for p in at_head.problems] == [
        ("app/bad name.py", "app.bad name"), ("app/my-tools/x.py", "app.my-tools.x"), ("app/tool.pyw", "app.tool")]
    assert {p.kind for p in work.problems + at_head.problems} == {"skipped"}


_SCAN_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[3])
    from pathlib import Path
    from prepctl.graph.scan.cache import ParseCache
    from prepctl.graph.scan.config import ScanConfig
    from prepctl.graph.scan.scanner import scan_tree
    from prepctl.sources.tree import WorkTree
    cache = ParseCache(Path(sys.argv[2]))
    result = scan_tree(WorkTree(Path(sys.argv[1])), ScanConfig(), cache)
    print(len(result.modules), len(result.edges), len(result.problems))
    print(cache.disabled_reason, file=sys.stderr)
""")


def test_two_concurrent_runs_share_one_cache_safely(tmp_path: Path):
    from tests.support.graph import generate_tree

    root = tmp_path / "tree"
    generate_tree(root, packages=4, subpackages=4, modules=10, seed=7)
    cache_dir = tmp_path / "cache"
    procs = [subprocess.Popen([sys.executable, "-c", _SCAN_SCRIPT, str(root), str(cache_dir), str(REPO)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outputs]
    assert [o[1].strip() for o in outputs] == ["None"] * 3  # every run used the cache
    assert len({o[0] for o in outputs}) == 1
    reference = scan_tree(WorkTree(root), ScanConfig())
    assert outputs[0][0].split() == [str(len(reference.modules)), str(len(reference.edges)), "0"]
    with sqlite3.connect(cache_dir / f"imports-v{SCANNER_VERSION}.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM parsed").fetchone()[0] > 100
    assert (cache_dir / ".gitignore").read_text() == "*\n"


def test_a_damaged_cache_degrades_to_no_cache(tmp_path: Path):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / f"imports-v{SCANNER_VERSION}.sqlite").write_bytes(b"this is not sqlite" * 100)
    cache = ParseCache(cache_dir)
    result = scan_tree(WorkTree(EXAMPLE), ScanConfig(exclude=("tests/*", "migrations/*")), cache)
    assert cache.disabled_reason and len(result.modules) == 38


def test_parallel_parse_equals_in_process_parse(tmp_path: Path):
    # In a fresh interpreter: the scanner forks only when its process runs no other thread, and
    # this pytest process may hold server threads of earlier tests (session-scoped fixtures).
    from tests.support.graph import generate_tree

    if (os.cpu_count() or 1) < 2:
        pytest.fail("this machine has one core; the parallel path needs two")
    generate_tree(tmp_path, packages=3, subpackages=3, modules=8, seed=3)
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        import prepctl.graph.scan.workers as workers
        from prepctl.graph.scan.config import ScanConfig
        from prepctl.graph.scan.scanner import scan_tree
        from prepctl.sources.tree import WorkTree
        root = Path(sys.argv[1])
        sequential = scan_tree(WorkTree(root), ScanConfig())
        workers.PARALLEL_THRESHOLD = 1000
        parallel = scan_tree(WorkTree(root), ScanConfig())
        same = (parallel.modules, parallel.edges) == (sequential.modules, sequential.edges)
        print(parallel.stats.workers, sequential.stats.workers, same, len(parallel.edges))
    """)
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    workers, sequential_workers, same, edges = proc.stdout.split()
    assert int(workers) >= 2 and int(sequential_workers) == 1
    assert same == "True" and int(edges) > 0


def test_reported_files_survive_a_warm_scan(tmp_path: Path):
    """Walk problems (a link out of the root, a FIFO) are not in the snapshot: a warm scan, which
    reuses the snapshot and the remembered folder listings, reports them all the same."""
    root = write(tmp_path / "repo", {"app/__init__.py": "", "app/a.py": "", "app/b c.py": "import app.a\n"})
    (tmp_path / "elsewhere.py").write_text("import app.a\n")
    os.symlink(tmp_path / "elsewhere.py", root / "app" / "out.py")
    os.mkfifo(root / "app" / "pipe.py")
    for path in [root, root / "app", *(root / "app").iterdir()]:
        os.utime(path, (1_500_000_000, 1_500_000_000), follow_symlinks=False)  # old: listings trusted
    cache = ParseCache(tmp_path / "cache")
    runs = [scan_tree(WorkTree(root), ScanConfig(), cache) for _ in range(2)]
    assert runs[1].stats.snapshot_hit
    for result in runs:
        assert [(p.path, p.kind) for p in result.problems] == [
            ("app/b c.py", "skipped"), ("app/out.py", "skipped"), ("app/pipe.py", "skipped")]
        assert "outside the root" in result.problems[1].reason and "FIFO" in result.problems[2].reason


def test_fullwidth_names_are_nfkc_normalised_like_python(tmp_path: Path):
    root = write(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/target.py": "",
                                     "app/__init__.py": "", "app/a.py": "import pkg.\uff54arget\n",
                                     "app/b.py": "from pkg import \uff54arget as t\n",
                                     "app/\uff43.py": "import pkg\n"})
    result = scan_tree(WorkTree(root), ScanConfig())
    assert {("app.a", "pkg.target"), ("app.b", "pkg.target"), ("app.c", "pkg")} <= edges(result)
