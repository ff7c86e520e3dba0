"""The whole-file syntax check beside the scan: ruff's parser, CPython's compiler as fallback.

Every test runs the real ruff binary (a dependency of prepctl) or a stand-in executable that
misbehaves the way a broken install would; the verdicts must be the same either way.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from prepctl.graph.scan import parse, syntax
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.model import ScanResult
from prepctl.graph.scan.scanner import scan_tree
from prepctl.sources.git import GitRevisionTree
from prepctl.sources.tree import WorkTree
from tests.support.trees import write


def broken_tree(root: Path) -> Path:
    root = write(root, {
        "app/__init__.py": "",
        "app/target.py": "X = 1\n",
        "app/good.py": "from app import target\n",
        # The error is far from any import statement: only a whole-file check sees it.
        "app/broken.py": "import app.target\n\n\ndef f(:\n    pass\n",
        "app/later.py": "import app.target\nx = [1, 2\ny = 3\n",
    })
    (root / "app" / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport app.target\nname = '\xe9'\n")
    return root


def outcome(result: ScanResult) -> tuple[set, dict]:
    return ({(e.importer, e.imported) for e in result.edges},
            {p.path: (p.line, "syntax error" in p.reason) for p in result.problems})


def counting_compiler(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the files CPython's compiler is asked about."""
    calls: list[int] = []
    real = parse.compile_problem

    def compile_problem(text: str):
        calls.append(1)
        return real(text)

    monkeypatch.setattr(parse, "compile_problem", compile_problem)
    return calls


def test_ruff_finds_syntax_errors_anywhere_in_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls = counting_compiler(monkeypatch)
    result = scan_tree(WorkTree(broken_tree(tmp_path)), ScanConfig())
    found_edges, problems = outcome(result)
    assert problems == {"app/broken.py": (4, True), "app/later.py": (2, True)}
    assert found_edges == {("app.good", "app.target"), ("app.latin", "app.target")}
    # CPython compiled only the latin-1 file (ruff reads UTF-8 only) and, to report them exactly
    # as it would alone, the two broken ones; ruff cleared the rest.
    assert len(calls) == 3


@pytest.mark.parametrize("how", ["missing", "crashes", "garbage", "stranger"])
def test_without_a_working_ruff_cpython_gives_the_same_verdicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                how: str):
    expected = outcome(scan_tree(WorkTree(broken_tree(tmp_path / "a")), ScanConfig()))
    if how == "missing":
        monkeypatch.setattr(syntax, "ruff_binary", lambda: None)
    else:
        fake = tmp_path / "fake-ruff"
        body = {"crashes": "exit 2", "garbage": "echo 'this is not JSON'",
                # An error on a file it was not asked about: no verdict of the run is trusted.
                "stranger": """echo '[{"filename": "/elsewhere/x.py", "code": null, "message": "m",'"""
                            """ '"location": {"row": 1, "column": 1}}]'"""}[how]
        fake.write_text(f"#!/bin/sh\n{body}\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setattr(syntax, "ruff_binary", lambda: str(fake))
    calls = counting_compiler(monkeypatch)
    assert outcome(scan_tree(WorkTree(broken_tree(tmp_path / "b")), ScanConfig())) == expected
    assert len(calls) == 6  # every file, by CPython


def test_newer_grammar_than_the_running_python_is_not_an_error(tmp_path: Path):
    """PEP 695 (Python 3.12) and 3.14's bare except lists: valid code for newer Pythons."""
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/target.py": "",
        "app/modern.py": "import app.target\n\ntype Pair[T] = tuple[T, T]\n\n"
                         "def first[T](pair: Pair[T]) -> T:\n    return pair[0]\n",
    })
    result = scan_tree(WorkTree(root), ScanConfig())
    assert result.problems == []
    assert {(e.importer, e.imported) for e in result.edges} == {("app.modern", "app.target")}


def test_newer_grammar_where_the_imports_need_cpythons_parser_says_so(tmp_path: Path):
    """`;` sends the file to ast.parse, which reads only the running Python's grammar."""
    root = write(tmp_path, {"app/__init__.py": "", "app/target.py": "",
                            "app/modern.py": "import app.target; type Pair = tuple[int, int]\n"})
    result = scan_tree(WorkTree(root), ScanConfig())
    if sys.version_info >= (3, 12):
        assert result.problems == [] and len(result.edges) == 1
    else:
        [problem] = result.problems
        assert problem.path == "app/modern.py" and problem.line == 1
        assert "valid for a newer Python" in problem.reason and "run prepctl on that Python" in problem.reason
        assert result.edges == []


def committed_broken_tree(root: Path) -> Path:
    root = broken_tree(root)
    for command in (["init", "-q"], ["add", "-A"],
                    ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=root, check=True)
    (root / "app" / "broken.py").write_text("import app.target\n")  # fixed in the work tree only
    return root


def leftover_copies() -> set[Path]:
    return {p for base in ("/dev/shm", tempfile.gettempdir()) if os.path.isdir(base)
            for p in Path(base).glob("prepctl-syntax-*")}


def test_revisions_read_from_git_are_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = committed_broken_tree(tmp_path)
    before = leftover_copies()
    calls = counting_compiler(monkeypatch)
    at_head = scan_tree(GitRevisionTree.open(root, "HEAD"), ScanConfig())
    assert outcome(at_head)[1] == {"app/broken.py": (4, True), "app/later.py": (2, True)}
    assert len(calls) == 3  # ruff read temporary copies of the blobs; CPython only as above
    assert leftover_copies() <= before  # and the copies are gone
    assert outcome(scan_tree(WorkTree(root), ScanConfig()))[1] == {"app/later.py": (2, True)}


def test_a_full_dev_shm_falls_back_to_the_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = committed_broken_tree(tmp_path)
    real_mkdtemp = tempfile.mkdtemp
    bases: list[str | None] = []

    def mkdtemp(**kwargs: object) -> str:
        bases.append(kwargs.get("dir"))  # type: ignore[arg-type]
        if kwargs.get("dir") == "/dev/shm":
            raise OSError(28, "No space left on device")
        return real_mkdtemp(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    calls = counting_compiler(monkeypatch)
    at_head = scan_tree(GitRevisionTree.open(root, "HEAD"), ScanConfig())
    assert outcome(at_head)[1] == {"app/broken.py": (4, True), "app/later.py": (2, True)}
    assert len(calls) == 3  # ruff checked the copies on disk
    assert bases[-1] is None and (not os.path.isdir("/dev/shm") or "/dev/shm" in bases)


def test_revisions_are_checked_in_memory_when_no_copy_can_be_written(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    root = committed_broken_tree(tmp_path)
    def no_space(**_: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", no_space)
    calls = counting_compiler(monkeypatch)
    at_head = scan_tree(GitRevisionTree.open(root, "HEAD"), ScanConfig())
    assert outcome(at_head)[1] == {"app/broken.py": (4, True), "app/later.py": (2, True)}
    assert len(calls) == 6  # every file, by CPython


def test_many_files_are_split_over_several_ruff_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(syntax, "MAX_ARGS_CHARS", 200)
    files = {f"app/m{i}.py": f"import app.target\nX = {i}\n" for i in range(40)}
    files.update({"app/__init__.py": "", "app/target.py": "", "app/m7.py": "import app.target\nif x\n"})
    root = write(tmp_path, files)
    starts: list[int] = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        starts.append(1)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(syntax.subprocess, "Popen", popen)
    result = scan_tree(WorkTree(root), ScanConfig())
    assert len(starts) > 5
    assert [(p.path, p.line) for p in result.problems] == [("app/m7.py", 2)]
    assert len(result.edges) == 39  # m0..m39 import app.target; m7 is skipped
