"""Read the monolith's files, from the work tree or (see ``prepctl.sources.git``) a git revision.

Gates read through a ``Tree`` so the same gate can check the work tree or an old tag without
touching the checkout.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from prepctl import workdir

# Folders that are never part of a monolith's source: tooling, caches and virtualenvs.
IGNORED_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
                          workdir.STATE_DIR, ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox"})


class NotARegularFile(OSError):
    """A path that is a FIFO, socket or device: opening it could block forever or read without end,
    so its content is unknown, never empty."""

    def __init__(self, rel: str, mode: int):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
        super().__init__(f"{rel} is {kind}, not a regular file")
        self.rel = rel
        self.kind = kind


class Tree(ABC):
    """A read-only view of a folder of files, addressed by POSIX paths relative to its root."""

    #: Human-readable name of what is being read (a folder, or `rev:folder`).
    label: str
    #: The git revision this tree shows, or None for the work tree.
    revision: str | None = None

    def folder_name(self) -> str | None:
        """The name of the root folder itself (``prep-monolith``), when it is known."""
        return None

    @abstractmethod
    def read_bytes(self, rel: str) -> bytes:
        """Return the file's content; raise FileNotFoundError if it is not there."""

    @abstractmethod
    def files(self) -> Iterator[str]:
        """Every file below the root, as relative POSIX paths, in sorted order."""

    @abstractmethod
    def is_dir(self, rel: str) -> bool: ...

    def is_file(self, rel: str) -> bool:
        try:
            self.read_bytes(rel)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        return True

    def exists(self, rel: str) -> bool:
        rel = normalise(rel)
        return self.is_dir(rel) or self.is_file(rel)

    def read_text(self, rel: str) -> str:
        return self.read_bytes(rel).decode("utf-8")

    def glob(self, pattern: str) -> list[str]:
        """Files (and, for a pattern ending in '/', folders) matching a glob with `**`."""
        pattern = normalise(pattern)
        want_dirs = pattern.endswith("/")
        regex = glob_regex(pattern.rstrip("/"))
        if want_dirs:
            return sorted({d for d in self.dirs() if regex.fullmatch(d)})
        return [f for f in self.files() if regex.fullmatch(f)]

    def dirs(self) -> Iterable[str]:
        seen: set[str] = set()
        for f in self.files():
            parent = PurePosixPath(f).parent
            while str(parent) not in (".", "") and str(parent) not in seen:
                seen.add(str(parent))
                parent = parent.parent
        return seen

    def blob_id(self, rel: str) -> str:
        """The git blob id of the file's content: the cache key for anything parsed from it.

        Computed from the bytes, so it matches git's id whether or not the tree is a checkout,
        and stays valid on a fresh clone where mtimes mean nothing.
        """
        return git_blob_id(self.read_bytes(rel))

    def describe(self, rel: str) -> str:
        return f"{self.revision}:{rel}" if self.revision else rel


class WorkTree(Tree):
    """The files on disk below ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self._root_resolved: Path | None = None
        self.label = str(root)
        self.revision = None

    def folder_name(self) -> str | None:
        return Path(self.root).resolve().name or None

    def _resolved_root(self) -> Path:
        """The root with its symlinks resolved, once per tree: resolving it again for every file
        read was most of a settings search's time on a large monolith."""
        if self._root_resolved is None:
            self._root_resolved = Path(self.root).resolve()
        return self._root_resolved

    def _path(self, rel: str) -> Path:
        rel = normalise(rel)
        root = self._resolved_root()
        path = (root / rel).resolve()
        # Paths come from phases.yaml; refuse anything that climbs out of the monolith.
        if path != root and root not in path.parents:
            raise FileNotFoundError(f"{rel} is outside the root")
        return path

    def read_bytes(self, rel: str) -> bytes:
        path = self._path(rel)
        if path.is_dir():
            raise IsADirectoryError(rel)
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):  # never opened: a FIFO would block the gate forever
            raise NotARegularFile(rel, mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):  # swapped between the stat and the open
                raise NotARegularFile(rel, mode)
            return handle.read()

    def is_dir(self, rel: str) -> bool:
        try:
            return self._path(rel).is_dir()
        except FileNotFoundError:
            return False

    def is_file(self, rel: str) -> bool:
        try:
            return self._path(rel).is_file()
        except FileNotFoundError:
            return False

    def files(self) -> Iterator[str]:
        return iter(self._all_files())

    @functools.cache  # noqa: B019 - a WorkTree lives for one evaluation
    def _all_files(self) -> tuple[str, ...]:
        found: list[str] = []
        root = str(self.root)
        for folder, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS)
            rel_folder = os.path.relpath(folder, root)
            for name in filenames:
                rel = name if rel_folder == "." else f"{rel_folder}/{name}"
                found.append(rel.replace(os.sep, "/"))
        return tuple(sorted(found))


def git_blob_id(data: bytes) -> str:
    import hashlib

    digest = hashlib.sha1(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def normalise(rel: str) -> str:
    rel = rel.replace("\\", "/")
    while rel.startswith("./"):
        rel = rel[2:]
    return rel.lstrip("/") if rel not in ("/", "") else ""


@functools.lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a glob where `**` spans folders and `*` stays inside one path segment."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    return any(glob_regex(normalise(p)).fullmatch(path) or fnmatch.fnmatch(path, p) for p in patterns)
