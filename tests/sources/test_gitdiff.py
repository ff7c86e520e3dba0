"""`git diff-tree --stdin` as `graph trend` reads it: the same changes as comparing the tree
objects in Python (``TreeIndex.diff``, kept as the reference), on every awkward kind of entry, and
an error, never a partial answer, on output it cannot read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from prepctl.errors import PrepctlError
from prepctl.sources.git import FileChange, TreeIndex, open_repo
from prepctl.sources.gitcli import GitCommand
from prepctl.sources.gitdiff import EMPTY_TREE, diff_pairs, parse_diff_stream, subtrees
from tests.support.trend_history import GIT_ENV

A = "a" * 40
B = "b" * 40
T1 = "1" * 40
T2 = "2" * 40


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, input=stdin,
                          capture_output=True).stdout


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD^{tree}").decode().strip()


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A history whose commits rename, delete, change modes and types, add a submodule (a
    gitlink), symlinks, odd names (spaces, a line break, non-UTF-8 bytes), tool folders, and a
    merge commit. Returns the repository and every commit's top tree, oldest first."""
    repo = tmp_path_factory.mktemp("gitdiff") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    trees: list[str] = []
    (repo / "pkg").mkdir()
    (repo / "pkg" / "a.py").write_text("import os\n")
    (repo / "pkg" / "b.py").write_text("import sys\n")
    (repo / "pkg" / "with space.py").write_text("x = 1\n")
    (repo / "pkg" / "line\nbreak.py").write_text("y = 2\n")
    (repo / os.fsdecode(b"pkg/caf\xe9.py")).write_text("z = 3\n")
    (repo / ".venv" / "lib").mkdir(parents=True)
    (repo / ".venv" / "lib" / "site.py").write_text("ignored\n")
    (repo / "deep" / "__pycache__").mkdir(parents=True)
    (repo / "deep" / "__pycache__" / "x.py").write_text("ignored\n")
    (repo / "deep" / "kept.py").write_text("kept\n")
    trees.append(commit_all(repo, "start"))
    git(repo, "mv", "pkg/b.py", "pkg/renamed.py")
    trees.append(commit_all(repo, "rename"))
    (repo / "pkg" / "a.py").chmod(0o755)
    trees.append(commit_all(repo, "mode change only"))
    (repo / "pkg" / "with space.py").unlink()
    os.symlink("a.py", repo / "pkg" / "link.py")
    trees.append(commit_all(repo, "delete, add a symlink"))
    (repo / "pkg" / "link.py").unlink()
    (repo / "pkg" / "link.py").write_text("now a file\n")
    trees.append(commit_all(repo, "symlink becomes a file"))
    submodule = git(repo, "rev-parse", "HEAD").decode().strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{submodule},vendor/sub")
    git(repo, "commit", "-q", "-m", "a submodule")
    trees.append(git(repo, "rev-parse", "HEAD^{tree}").decode().strip())
    (repo / "pkg" / "a.py").unlink()
    (repo / "pkg" / "a.py").mkdir()
    (repo / "pkg" / "a.py" / "inner.py").write_text("a file became a folder\n")
    trees.append(commit_all(repo, "file to folder"))
    git(repo, "checkout", "-q", "-b", "side", "HEAD~2")
    (repo / "side.py").write_text("side\n")
    trees.append(commit_all(repo, "side"))
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "side")
    trees.append(git(repo, "rev-parse", "HEAD^{tree}").decode().strip())
    return repo, trees


def reference(index: TreeIndex, old: str | None, new: str | None) -> list[FileChange]:
    as_bytes = [bytes.fromhex(t) if t is not None else None for t in (old, new)]
    return sorted(index.diff(*as_bytes), key=lambda c: c.path)


def test_every_pair_matches_the_tree_object_reading(awkward: tuple[Path, list[str]]):
    repo, trees = awkward
    index = TreeIndex(open_repo(repo))
    pairs = [(None, trees[0]), *zip(trees, trees[1:], strict=False),
             (trees[-1], trees[0]), (trees[3], None), (None, None), (trees[2], trees[2])]
    got = diff_pairs(GitCommand(str(index.repo.git_dir)), pairs)
    assert set(got) == set(pairs)
    for old, new in pairs:
        assert got[(old, new)] == reference(index, old, new), (old, new)
    start = {c.path for c in got[(None, trees[0])]}
    # Odd names come through whole; tool folders do not.
    assert {"pkg/with space.py", "pkg/line\nbreak.py", os.fsdecode(b"pkg/caf\xe9.py"), "deep/kept.py"} <= start
    assert not any(p.startswith(".venv/") or "__pycache__" in p for p in start)


def test_the_awkward_cases_give_the_expected_changes(awkward: tuple[Path, list[str]]):
    repo, trees = awkward
    git_cmd = GitCommand(str(open_repo(repo).git_dir))
    pairs = list(zip(trees, trees[1:], strict=False))
    got = diff_pairs(git_cmd, pairs)

    def shape(pair: tuple[str, str]) -> list[tuple[str, bool, bool]]:
        return [(c.path, c.old_blob is not None, c.new_blob is not None) for c in got[pair]]

    assert shape(pairs[0]) == [("pkg/b.py", True, False), ("pkg/renamed.py", False, True)]  # rename
    assert shape(pairs[1]) == []  # 644 -> 755, same content
    assert shape(pairs[2]) == [("pkg/with space.py", True, False)]  # the symlink is not a file
    assert shape(pairs[3]) == [("pkg/link.py", False, True)]  # symlink -> file
    assert shape(pairs[4]) == []  # a gitlink is not a file
    assert shape(pairs[5]) == [("pkg/a.py", True, False), ("pkg/a.py/inner.py", False, True)]


def test_subtrees_finds_the_folder_in_each_commit(awkward: tuple[Path, list[str]]):
    repo, trees = awkward
    git_cmd = GitCommand(str(open_repo(repo).git_dir))
    index = TreeIndex(open_repo(repo))
    assert subtrees(git_cmd, trees, "") == trees
    found = subtrees(git_cmd, [trees[0], trees[1], trees[0]], "pkg")
    assert found == [index.subtree(t, "pkg").hex() for t in (trees[0], trees[1], trees[0])]
    assert subtrees(git_cmd, [trees[0]], "nowhere") == [None]
    assert subtrees(git_cmd, [trees[0]], "pkg/a.py") == [None]  # a file, not a folder
    with pytest.raises(PrepctlError, match="line break"):
        subtrees(git_cmd, [trees[0]], "bad\nname")
    with pytest.raises(PrepctlError, match="cannot read tree"):
        subtrees(git_cmd, ["d" * 40], "pkg")  # not "the folder did not exist yet"


def test_a_tree_git_cannot_read_is_an_error(awkward: tuple[Path, list[str]]):
    repo, trees = awkward
    git_cmd = GitCommand(str(open_repo(repo).git_dir))
    with pytest.raises(PrepctlError, match="did not answer"):
        diff_pairs(git_cmd, [(trees[0], "d" * 40)])
    with pytest.raises(PrepctlError, match="bad git tree id"):
        diff_pairs(git_cmd, [(trees[0], "not-a-tree")])


def entry(status: str = "M", path: bytes = b"x.py", modes: str = "100644 100644") -> bytes:
    return f":{modes} {A} {B} {status}\0".encode() + path + b"\0"


@pytest.mark.parametrize("data, message", [
    (b"", "did not answer"),  # git skipped the pair (it printed an error instead)
    (f"{T2} {T1}\n".encode() + entry(), "did not answer"),  # a different pair
    (f"{T1} {T2}\n".encode() + entry("R100"), "cannot read"),  # a rename despite --no-renames
    (f"{T1} {T2}\n".encode() + entry()[:-1], "cannot read"),  # cut inside an entry
    (f"{T1} {T2}\n".encode() + entry().replace(A.encode(), b"a" * 7), "cannot read"),  # abbreviated
    (f"{T1} {T2}\n".encode() + entry(modes="040000 040000"), "folder"),
    (f"{T1} {T2}\n".encode() + entry() + b"trailing", "unexpected"),
])
def test_output_it_cannot_read_is_an_error_not_fewer_changes(data: bytes, message: str):
    with pytest.raises(PrepctlError, match=message):
        parse_diff_stream(data, [f"{T1} {T2}"])


def test_the_stream_is_split_by_pair_and_paths_are_taken_whole():
    data = (f"{T1} {T2}\n".encode() + entry("A", b"new\nline.py", "000000 100644")
            + entry("D", b"caf\xe9.py", "100755 000000")
            + f"{T2} {T1}\n".encode()
            + entry("T", b"link.py", "120000 100644") + entry("M", b"sub", "160000 160000")
            + entry("M", b"../escape.py") + entry("M", b"a/.venv/x.py") + entry("M", b".venv"))
    first, second = parse_diff_stream(data, [f"{T1} {T2}", f"{T2} {T1}"])
    assert first == [FileChange(os.fsdecode(b"caf\xe9.py"), A, None), FileChange("new\nline.py", None, B)]
    # symlink -> file is an added file; a submodule is not a file; `..` and tool folders are
    # dropped, but a *file* named like a tool folder is kept (as TreeIndex.flatten keeps it).
    assert second == [FileChange(".venv", A, B), FileChange("link.py", None, B)]


def test_empty_tree_ids_are_gits_own(awkward: tuple[Path, list[str]]):
    repo, _ = awkward
    assert git(repo, "hash-object", "-t", "tree", "--stdin", stdin=b"").decode().strip() == EMPTY_TREE[40]


@pytest.mark.parametrize("path, kept", [
    (b"a/b.py", True), (b"a.b/c.py", True), (b"x.venv/y.py", True), (b"myvenv/x.py", True),
    (b"venv.py", True), (b"a/venv", True), (b".hidden.py", True), (b"a/.github/x.py", True),
    (b"venv/x.py", False), (b"a/node_modules/x.py", False), (b"a/__pycache__/x.py", False),
    (b".venv/x.py", False), (b"a/.git/x", False), (b"./a.py", False), (b"a/../b.py", False),
    (b"a//b.py", False), (b"/a.py", False), (b"a/", False), (b"", False),
])
def test_which_paths_are_files_of_the_tree(path: bytes, kept: bool):
    """The quick check for plain paths agrees with the part-by-part rule (TreeIndex.flatten's)."""
    (changes,) = parse_diff_stream(f"{T1} {T2}\n".encode() + entry(path=path), [f"{T1} {T2}"])
    assert bool(changes) is kept
