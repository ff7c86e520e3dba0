"""The cold scan's overlapping stages: ruff's syntax check starts as soon as the file list is
known when nothing is cached, runs while the files are hashed, and fails exactly as a check
started late would (the verdicts come from CPython then)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from prepctl.graph.scan import blobs, scanner, syntax
from prepctl.graph.scan.cache import ParseCache
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.scanner import scan_tree
from prepctl.sources.tree import WorkTree
from tests.graph.scan.test_syntax import broken_tree, counting_compiler, outcome

EXPECTED_PROBLEMS = {"app/broken.py": (4, True), "app/later.py": (2, True)}


class Launches:
    """Every ruff run the scan starts: the files it was given, and how many files had been
    hashed by then."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.runs: list[tuple[list[str], int]] = []
        self.hashed = 0
        real_check, real_hash = syntax.RuffSyntaxCheck, scanner.git_blob_id

        def check(binary: str, paths: list[str]) -> syntax.RuffSyntaxCheck:
            self.runs.append(([os.path.basename(p) for p in paths], self.hashed))
            return real_check(binary, paths)

        def blob_id(data: bytes) -> str:
            self.hashed += 1
            return real_hash(data)

        monkeypatch.setattr(syntax, "RuffSyntaxCheck", check)
        monkeypatch.setattr(scanner, "git_blob_id", blob_id)


def test_a_cold_scan_starts_ruff_before_hashing_and_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    late = outcome(scan_tree(WorkTree(broken_tree(tmp_path / "late")), ScanConfig(verify_syntax=True),
                             _warm_cache(tmp_path)))
    launches = Launches(monkeypatch)
    calls = counting_compiler(monkeypatch)
    cold = scan_tree(WorkTree(broken_tree(tmp_path / "cold")), ScanConfig(), ParseCache(tmp_path / "cache"))
    assert [hashed for _, hashed in launches.runs] == [0]  # one run, started before any file was hashed
    assert sorted(launches.runs[0][0]) == ["__init__.py", "broken.py", "good.py", "later.py", "latin.py",
                                           "target.py"]
    assert outcome(cold) == late and outcome(cold)[1] == EXPECTED_PROBLEMS
    assert len(calls) == 3  # as when started late: CPython only for the latin-1 file and the broken ones


def _warm_cache(tmp_path: Path) -> ParseCache:
    """A cache that already holds rows (from another tree): the scan cannot know that every file
    will be parsed, so it starts ruff after hashing, on the files the cache lacks."""
    cache = ParseCache(tmp_path / "warm")
    scan_tree(WorkTree(write_other(tmp_path / "other")), ScanConfig(), cache)
    assert not cache.knows_nothing()
    return cache


def write_other(root: Path) -> Path:
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "__init__.py").write_text("")
    (root / "lib" / "x.py").write_text("import lib\n")
    return root


def test_with_rows_cached_ruff_starts_after_hashing_on_what_is_missing(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    cache = _warm_cache(tmp_path)
    launches = Launches(monkeypatch)
    result = scan_tree(WorkTree(broken_tree(tmp_path / "tree")), ScanConfig(), cache)
    assert outcome(result)[1] == EXPECTED_PROBLEMS
    [(files, hashed)] = launches.runs
    assert hashed == 6
    assert "__init__.py" not in files  # the empty file's blob was cached by the other tree's scan
    assert sorted(files) == ["broken.py", "good.py", "later.py", "latin.py", "target.py"]


def test_fast_mode_starts_no_ruff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    launches = Launches(monkeypatch)
    scan_tree(WorkTree(broken_tree(tmp_path)), ScanConfig(verify_syntax=False))
    assert launches.runs == []


@pytest.mark.parametrize("how", ["exits 2", "cannot start"])
def test_a_ruff_started_early_that_fails_leaves_cpython_to_judge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  how: str):
    expected = outcome(scan_tree(WorkTree(broken_tree(tmp_path / "a")), ScanConfig()))
    fake = tmp_path / "fake-ruff"
    fake.write_text("#!/bin/sh\necho 'half an answer' >&2\nexit 2\n")
    if how == "exits 2":
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)  # else not executable: Popen raises
    monkeypatch.setattr(syntax, "ruff_binary", lambda: str(fake))
    launches = Launches(monkeypatch)
    calls = counting_compiler(monkeypatch)
    assert outcome(scan_tree(WorkTree(broken_tree(tmp_path / "b")), ScanConfig(),
                             ParseCache(tmp_path / "cache"))) == expected
    assert [hashed for _, hashed in launches.runs] == [0]
    assert len(calls) == 6  # every file, by CPython


def test_a_file_gone_after_listing_is_unreadable_and_the_rest_keeps_ruffs_verdicts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = broken_tree(tmp_path)
    real_select = scanner.select_modules

    def select_then_delete(*args, **kwargs):
        selected = real_select(*args, **kwargs)
        (root / "app" / "good.py").unlink()  # after the listing, before ruff or the hash read it
        return selected

    monkeypatch.setattr(scanner, "select_modules", select_then_delete)
    calls = counting_compiler(monkeypatch)
    result = scan_tree(WorkTree(root), ScanConfig())
    problems = {p.path: p.reason for p in result.problems}
    assert problems["app/good.py"].startswith("cannot read")
    assert {path: (line, "syntax error" in reason) for path, line, reason in
            ((p.path, p.line, p.reason) for p in result.problems) if path != "app/good.py"} == EXPECTED_PROBLEMS
    assert len(calls) == 3  # ruff's run still counted for every other file


def test_an_early_check_that_misses_a_blob_is_cancelled_and_checked_again(tmp_path: Path):
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_bytes(b"import os\n")
    bad.write_bytes(b"import os\ndef f(:\n")
    early = blobs.start_early_check([str(good)], True)
    assert early is not None
    result, _ = blobs.parse_blobs({"g": good.read_bytes(), "b": bad.read_bytes()}, 1_000_000, True,
                                  {"g": str(good), "b": str(bad)}, early)
    assert early.failure == "cancelled" and all(proc.returncode is not None for proc in early.procs)
    assert result["g"].problem is None and result["g"].verified
    assert result["b"].problem is not None and result["b"].problem[0] == 2


@pytest.mark.parametrize("early", [True, False])
def test_a_file_edited_during_the_scan_is_not_cleared_by_a_verdict_on_other_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, early: bool):
    """ruff reads each file itself: here it saw the file before an edit broke it (a stand-in that
    finds every file valid), this process read it after. The broken bytes must not pass."""
    root = broken_tree(tmp_path / "tree")
    fake = tmp_path / "fake-ruff"
    fake.write_text("#!/bin/sh\necho '[]'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(syntax, "ruff_binary", lambda: str(fake))
    real_select = scanner.select_modules

    def select_then_edit(*args, **kwargs):
        selected = real_select(*args, **kwargs)
        (root / "app" / "good.py").write_text("from app import target\ndef f(:\n")  # after the listing
        return selected

    monkeypatch.setattr(scanner, "select_modules", select_then_edit)
    cache = ParseCache(tmp_path / "cache") if early else _warm_cache(tmp_path)
    launches = Launches(monkeypatch)
    result = scan_tree(WorkTree(root), ScanConfig(), cache)
    assert [hashed for _, hashed in launches.runs] == ([0] if early else [6])
    problems = {p.path: (p.line, "syntax error" in p.reason) for p in result.problems}
    assert problems["app/good.py"] == (2, True)
    # And the cache holds the verdict on the bytes read: a warm scan reports it too.
    monkeypatch.setattr(scanner, "select_modules", real_select)
    again = {p.path: p.line for p in scan_tree(WorkTree(root), ScanConfig(), cache).problems}
    assert again["app/good.py"] == 2
