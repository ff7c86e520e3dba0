"""git run directly (no gitpython) for `graph trend`: finding the repository, listing commits,
reading objects; clear errors, never a partial answer."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from prepctl.errors import PrepctlError
from prepctl.sources.gitcli import find_repo, list_commits, prefix_in, read_objects, resolve_sha
from tests.support.trend_history import GIT_ENV


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gitcli") / "repo"
    (root / "sub").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for number, subject in enumerate(["first", "tabs\tand ünïcode", "third"]):
        (root / "sub" / "f.py").write_text(f"x = {number}\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", subject)
    return root


def test_find_repo_from_a_sub_folder_and_the_prefix(repo: Path):
    found = find_repo(repo / "sub")
    assert Path(found.work_tree or "").resolve() == repo.resolve()
    assert prefix_in(found.work_tree or "", repo / "sub") == "sub"
    assert prefix_in(found.work_tree or "", repo) == ""


def test_commits_oldest_first_with_their_trees_and_odd_subjects(repo: Path):
    commits = list_commits(find_repo(repo))
    assert [c.subject for c in commits] == ["first", "tabs\tand ünïcode", "third"]
    assert commits[-1].sha == git(repo, "rev-parse", "HEAD")
    assert commits[-1].tree == git(repo, "rev-parse", "HEAD^{tree}")
    assert [c.subject for c in list_commits(find_repo(repo), since="HEAD~1")] == ["tabs\tand ünïcode", "third"]


def test_a_linked_worktree_is_a_repository_too(repo: Path, tmp_path: Path):
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "wt"), "HEAD~1")
    found = find_repo(tmp_path / "wt")
    assert [c.subject for c in list_commits(found)] == ["first", "tabs\tand ünïcode"]


def test_not_a_repository_and_bare_repositories_are_clear_errors(tmp_path: Path, repo: Path):
    with pytest.raises(PrepctlError, match="not inside a git repository"):
        find_repo(tmp_path)
    with pytest.raises(PrepctlError, match="no such folder"):
        find_repo(tmp_path / "missing")
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(tmp_path / "bare.git")], env=GIT_ENV,
                   check=True)
    with pytest.raises(PrepctlError, match="bare repositories are not supported"):
        find_repo(tmp_path / "bare.git")


def test_revisions_that_are_not_commits(repo: Path):
    found = find_repo(repo)
    with pytest.raises(PrepctlError, match="bad revision 'nope'"):
        resolve_sha(found, "nope")
    with pytest.raises(PrepctlError, match="names a tree, not a commit"):
        resolve_sha(found, "HEAD^{tree}")
    with pytest.raises(PrepctlError, match="bad revision '--all'"):
        resolve_sha(found, "--all")


def test_read_objects_fails_closed(repo: Path):
    found = find_repo(repo)
    blob = git(repo, "rev-parse", "HEAD:sub/f.py")
    assert read_objects(found, [bytes.fromhex(blob)], "blob") == {bytes.fromhex(blob): b"x = 2\n"}
    with pytest.raises(PrepctlError, match="not a readable blob"):
        read_objects(found, [bytes.fromhex("e" * 40)], "blob")  # missing
    with pytest.raises(PrepctlError, match="not a readable blob"):
        read_objects(found, [bytes.fromhex(git(repo, "rev-parse", "HEAD^{tree}"))], "blob")  # a tree


def test_a_git_hooks_environment_does_not_move_the_repository(repo: Path, tmp_path: Path, monkeypatch):
    """In a hook GIT_DIR is set (often to the relative `.git`): the repository is still the one
    around the folder given, as gitpython finds it."""
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    found = find_repo(repo / "sub")
    assert Path(found.work_tree or "").resolve() == repo.resolve()
    assert len(list_commits(found)) == 3
