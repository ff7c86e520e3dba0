"""Read the monolith as it was at any git revision, straight from git objects.

Nothing is checked out: the work tree may be dirty or on another branch while a gate (`gate --at`),
`graph diff` or `graph trend` reads a tag from last month. The plan's root may be a sub-folder of
the repository (e.g. ``examples/prep-monolith``); paths stay relative to that root, as in
``WorkTree``.

Trees are flattened through a ``TreeIndex`` that remembers every git tree object it has read by
its id. Consecutive commits share almost all of their sub-trees, so walking hundreds of commits
reads only the few trees that changed in each one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from prepctl.errors import PrepctlError
from prepctl.sources.gitcli import CommitInfo, GitCommand, read_objects, resolve_sha
from prepctl.sources.gitcli import list_commits as list_git_commits
from prepctl.sources.tree import IGNORED_DIRS, Tree, normalise

if TYPE_CHECKING:
    import git

# Git tree entry modes (see git's object format).
_MODE_TREE = 0o040000
_MODE_SUBMODULE = 0o160000
_MODE_SYMLINK = 0o120000



def _import_git():
    """Import gitpython lazily; it fails at import time when the `git` binary is missing."""
    try:
        import git
    except ImportError as exc:  # gitpython raises ImportError when it cannot find `git`
        raise PrepctlError(f"cannot use git: {exc} (install git, e.g. `apt-get install git`)") from exc
    return git


def open_repo(path: str | Path) -> git.Repo:
    """The git repository that contains ``path`` (which may be any folder inside it)."""
    git = _import_git()
    path = Path(path)
    if not path.exists():
        raise PrepctlError(f"{path}: no such folder")
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise PrepctlError(f"{path} is not inside a git repository; reading a revision needs its "
                           "history (run prepctl in a clone, or pass --root to one)") from exc
    if repo.bare or repo.working_tree_dir is None:
        raise PrepctlError(f"{path}: bare repositories are not supported; use a clone with a work tree")
    return repo


def repo_prefix(repo: git.Repo, path: str | Path) -> str:
    """Where ``path`` sits inside the repository, as a POSIX path ('' for the top)."""
    top = Path(str(repo.working_tree_dir)).resolve()
    try:
        rel = Path(path).resolve().relative_to(top)
    except ValueError as exc:
        raise PrepctlError(f"{path} is not inside the git work tree {top}") from exc
    return "" if str(rel) == "." else rel.as_posix()


def resolve_commit(repo: git.Repo, rev: str) -> git.Commit:
    """Turn a branch, tag, sha or expression like ``HEAD~3`` into a commit, or fail clearly
    (git itself parses the revision: see ``gitcli.resolve_sha``)."""
    return repo.commit(resolve_sha(command_for(repo), rev))


def command_for(repo: git.Repo) -> GitCommand:
    """Run git itself on the repository gitpython opened."""
    work_tree = repo.working_tree_dir
    return GitCommand(str(repo.git_dir), str(work_tree) if work_tree is not None else None)


@dataclass(frozen=True)
class TreeEntry:
    """A file in a flattened tree: its path below the root and its git blob id (hex)."""

    path: str
    blob: str


@dataclass(frozen=True)
class FileChange:
    """One file that differs between two trees; ``None`` blob means absent on that side."""

    path: str
    old_blob: str | None
    new_blob: str | None


_TREE_ENTRY = re.compile(rb"([0-7]+) ([^\0]*)\0(.{20})", re.S)


def parse_tree(data: bytes) -> list[tuple[bytes, int, str]]:
    """(binsha, mode, name) of each entry of a raw git tree object.

    Names that could climb out of a folder (``..``, ``a/b``) are dropped: git refuses to check
    them out, and a path that escapes the root must never reach a gate.
    """
    out: list[tuple[bytes, int, str]] = []
    consumed = 0
    for match in _TREE_ENTRY.finditer(data):
        if match.start() != consumed:
            raise ValueError("malformed git tree object")
        consumed = match.end()
        name = match.group(2).decode("utf-8", "surrogateescape")
        if name not in ("", ".", "..") and "/" not in name:
            out.append((match.group(3), int(match.group(1), 8), name))
    if consumed != len(data):
        raise ValueError("malformed git tree object")
    return out


class TreeIndex:
    """Reads git objects of one repository and flattens trees, remembering every tree it read.

    Thread-safe: gates run concurrently and gitpython's persistent `git cat-file` is not.
    """

    def __init__(self, repo: git.Repo):
        self.repo = repo
        self._lock = threading.Lock()
        # tree id -> entries below it (paths relative to that tree); shared by every commit.
        self._flat: dict[bytes, tuple[TreeEntry, ...]] = {}
        self._raw_tree: dict[bytes, list[tuple[bytes, int, str]]] = {}
        self._children_of: dict[bytes, dict[str, tuple[bytes, int]]] = {}
        self.blobs_read = 0
        self.trees_read = 0

    def read_object(self, binsha: bytes) -> tuple[str, bytes]:
        with self._lock:
            stream = self.repo.odb.stream(binsha)
            data = stream.read()
            kind = stream.type.decode() if isinstance(stream.type, bytes) else str(stream.type)
        return kind, data

    def read_blob(self, hexsha: str) -> bytes:
        kind, data = self.read_object(bytes.fromhex(hexsha))
        if kind != "blob":
            raise IsADirectoryError(hexsha)
        self.blobs_read += 1
        return data

    def read_blobs(self, hexshas: Iterable[str]) -> dict[str, bytes]:
        """Many blobs at once (see ``read_many``), by hex id."""
        found = self.read_many((bytes.fromhex(h) for h in hexshas), "blob")
        self.blobs_read += len(found)
        return {binsha.hex(): data for binsha, data in found.items()}

    def read_many(self, binshas: Iterable[bytes], kind: str) -> dict[bytes, bytes]:
        """Many objects of one kind through a single `git cat-file --batch` (``gitcli.read_objects``)."""
        return read_objects(command_for(self.repo), binshas, kind)

    def tree_entries(self, binsha: bytes) -> list[tuple[bytes, int, str]]:
        """(binsha, mode, name) of one tree object's direct children."""
        cached = self._raw_tree.get(binsha)
        if cached is not None:
            return cached
        kind, data = self.read_object(binsha)
        if kind != "tree":
            raise NotADirectoryError(binsha.hex())
        return self._remember_tree(binsha, data)

    def _remember_tree(self, binsha: bytes, data: bytes) -> list[tuple[bytes, int, str]]:
        entries = parse_tree(data)
        self.trees_read += 1
        self._raw_tree[binsha] = entries
        return entries

    def prefetch_trees(self, binshas: Iterable[bytes | None]) -> None:
        """Read every tree not yet known in one batch."""
        wanted = [b for b in binshas if b is not None and b not in self._raw_tree]
        for binsha, data in self.read_many(wanted, "tree").items():
            self._remember_tree(binsha, data)

    def prefetch_diffs(self, pairs: Iterable[tuple[bytes | None, bytes | None]]) -> None:
        """Read, level by level and in batches, every tree that ``diff`` will need for these pairs.

        The diffs of a whole history then cost a handful of `git` processes instead of one
        round trip per tree.
        """
        level = [(a, b) for a, b in pairs if a != b]
        while level:
            self.prefetch_trees(t for pair in level for t in pair)
            following: list[tuple[bytes | None, bytes | None]] = []
            for old, new in level:
                before_all, after_all = self._children(old), self._children(new)
                for name in before_all.keys() | after_all.keys():
                    before, after = before_all.get(name), after_all.get(name)
                    if before == after:
                        continue
                    old_tree = before[0] if before is not None and before[1] == _MODE_TREE else None
                    new_tree = after[0] if after is not None and after[1] == _MODE_TREE else None
                    if old_tree is not None or new_tree is not None:
                        following.append((old_tree, new_tree))
            level = list(dict.fromkeys(following))

    def prefetch_subtrees(self, top_trees: Iterable[str], prefix: str) -> None:
        """Read the trees along ``prefix`` for many commits at once (see ``subtree``)."""
        level = {bytes.fromhex(t) for t in top_trees}
        for part in PurePosixPath(prefix).parts if prefix else ():
            self.prefetch_trees(level)
            following: set[bytes] = set()
            for binsha in level:
                for child, mode, name in self.tree_entries(binsha):
                    if name == part and mode == _MODE_TREE:
                        following.add(child)
            level = following

    def flatten(self, binsha: bytes) -> tuple[TreeEntry, ...]:
        """Every regular file below a tree, sorted by path.

        Symlinks and submodules are left out: a symlink blob holds a path, not the file's code,
        and a submodule's content is not in this repository. Tool folders (.venv, caches) are
        skipped like WorkTree does.
        """
        cached = self._flat.get(binsha)
        if cached is not None:
            return cached
        out: list[TreeEntry] = []
        for child, mode, name in self.tree_entries(binsha):
            if mode == _MODE_TREE:
                if name in IGNORED_DIRS:
                    continue
                out.extend(TreeEntry(f"{name}/{e.path}", e.blob) for e in self.flatten(child))
            elif mode in (_MODE_SUBMODULE, _MODE_SYMLINK):
                continue
            else:
                out.append(TreeEntry(name, child.hex()))
        out.sort(key=lambda e: e.path)
        result = tuple(out)
        self._flat[binsha] = result
        return result

    def diff(self, old: bytes | None, new: bytes | None, prefix: str = "") -> Iterator[FileChange]:
        """Files that differ between two trees (either may be None for "no tree").

        Sub-trees with equal ids are skipped without being read: the cost is proportional to
        what changed, not to the size of the tree.
        """
        if old == new:
            return
        old_entries = self._children(old)
        new_entries = self._children(new)
        for name in sorted(old_entries.keys() | new_entries.keys()):
            before = old_entries.get(name)
            after = new_entries.get(name)
            if before == after:
                continue
            path = f"{prefix}{name}"
            before_tree = before[0] if before is not None and before[1] == _MODE_TREE else None
            after_tree = after[0] if after is not None and after[1] == _MODE_TREE else None
            before_blob = before[0].hex() if before is not None and before_tree is None else None
            after_blob = after[0].hex() if after is not None and after_tree is None else None
            if before_tree is not None or after_tree is not None:
                yield from self.diff(before_tree, after_tree, f"{path}/")
            if before_blob != after_blob:
                yield FileChange(path, before_blob, after_blob)

    def _children(self, binsha: bytes | None) -> dict[str, tuple[bytes, int]]:
        """Regular files and folders of one tree, by name, filtered like ``flatten``."""
        if binsha is None:
            return {}
        cached = self._children_of.get(binsha)
        if cached is not None:
            return cached
        out: dict[str, tuple[bytes, int]] = {}
        for child, mode, name in self.tree_entries(binsha):
            if mode == _MODE_TREE:
                if name not in IGNORED_DIRS:
                    out[name] = (child, mode)
            elif mode not in (_MODE_SUBMODULE, _MODE_SYMLINK):
                out[name] = (child, mode)
        self._children_of[binsha] = out
        return out

    def subtree(self, commit: git.Commit | str, prefix: str) -> bytes | None:
        """The id of the tree at ``prefix`` in a commit, or None if that folder did not exist.

        ``commit`` is a Commit, or the hex id of the commit's top tree (as `list_commits` gives).
        """
        binsha = bytes.fromhex(commit) if isinstance(commit, str) else commit.tree.binsha
        for part in PurePosixPath(prefix).parts if prefix else ():
            for child, mode, name in self.tree_entries(binsha):
                if name == part and mode == _MODE_TREE:
                    binsha = child
                    break
            else:
                return None
        return binsha


class GitRevisionTree(Tree):
    """The plan root's files as they were in one commit, read from git objects."""

    def __init__(self, index: TreeIndex, commit: git.Commit, prefix: str, *, root_exists: bool,
                 entries: tuple[TreeEntry, ...]):
        self.index = index
        self.commit = commit
        self.prefix = prefix
        #: False when the plan root folder did not exist yet at this commit (the tree is empty).
        self.root_exists = root_exists
        self.revision = commit.hexsha
        self.label = f"{commit.hexsha[:12]}:{prefix or '.'}"
        self._entries = entries
        self._blobs = {e.path: e.blob for e in entries}
        self._dirs: frozenset[str] | None = None

    def folder_name(self) -> str | None:
        return self.prefix.rstrip("/").rpartition("/")[2] or None

    @classmethod
    def open(cls, repo_path: str | Path, rev: str, *, require_root: bool = True,
             index: TreeIndex | None = None) -> GitRevisionTree:
        """The tree of ``repo_path`` (a folder inside a git work tree) at revision ``rev``.

        Raises PrepctlError (exit 2) for a folder outside git, a bad revision, or, with
        ``require_root``, a revision where that folder does not exist.
        """
        repo = index.repo if index is not None else open_repo(repo_path)
        prefix = repo_prefix(repo, repo_path)
        commit = resolve_commit(repo, rev)
        return cls.at_commit(index or TreeIndex(repo), commit, prefix, require_root=require_root,
                             rev_label=rev)

    @classmethod
    def at_commit(cls, index: TreeIndex, commit: git.Commit, prefix: str, *,
                  require_root: bool = False, rev_label: str | None = None) -> GitRevisionTree:
        tree_id = index.subtree(commit, prefix)
        if tree_id is None:
            if require_root:
                raise PrepctlError(f"{prefix or '.'} does not exist at revision "
                                   f"{rev_label or commit.hexsha} ({commit.hexsha[:12]})")
            return cls(index, commit, prefix, root_exists=False, entries=())
        return cls(index, commit, prefix, root_exists=True, entries=index.flatten(tree_id))

    @property
    def tree_id(self) -> str | None:
        """The id of the root folder's git tree: equal ids mean identical content."""
        tree_id = self.index.subtree(self.commit, self.prefix)
        return tree_id.hex() if tree_id is not None else None

    @property
    def committed_at(self) -> datetime:
        return datetime.fromtimestamp(self.commit.committed_date, tz=UTC)

    def entries(self) -> tuple[TreeEntry, ...]:
        return self._entries

    def read_bytes(self, rel: str) -> bytes:
        rel = normalise(rel)
        blob = self._blobs.get(rel)
        if blob is None:
            if self.is_dir(rel):
                raise IsADirectoryError(rel)
            raise FileNotFoundError(f"{rel} not in {self.label}")
        return self.index.read_blob(blob)

    def blob_id(self, rel: str) -> str:
        """The blob id straight from the tree object: no content is read."""
        rel = normalise(rel)
        try:
            return self._blobs[rel]
        except KeyError:
            raise FileNotFoundError(f"{rel} not in {self.label}") from None

    def is_file(self, rel: str) -> bool:
        return normalise(rel) in self._blobs

    def is_dir(self, rel: str) -> bool:
        rel = normalise(rel).rstrip("/")
        if rel == "":
            return self.root_exists
        return rel in self.dirs()

    def dirs(self) -> frozenset[str]:
        if self._dirs is None:
            self._dirs = frozenset(super().dirs())
        return self._dirs

    def files(self) -> Iterator[str]:
        return (e.path for e in self._entries)


def list_commits(repo: git.Repo, *, since: str | None = None, until: str | None = None,
                 first_parent: bool = False, every: int = 1) -> list[CommitInfo]:
    """Commits reachable from ``until`` (default HEAD), oldest first (``gitcli.list_commits``)."""
    return list_git_commits(command_for(repo), since=since, until=until, first_parent=first_parent,
                            every=every)
