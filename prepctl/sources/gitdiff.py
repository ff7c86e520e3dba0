"""Read what changed between many pairs of git trees in one `git diff-tree --stdin` stream.

`graph trend` needs, for every selected commit, the files that differ from the previous one. Reading
and comparing the tree objects in Python cost more than everything else a warm trend does; git
compares trees in C, and one process answers every pair: each input line ``OLD NEW`` is echoed
back, followed by the raw diff of that pair (``-r -z --raw --no-renames``).

What counts as a file here is what ``TreeIndex.flatten`` counts: regular files only (a symlink
holds a path, a submodule's content is elsewhere), nothing below the tool folders of
``IGNORED_DIRS``, and no path with a ``..`` or empty part. Output this module cannot read fails
the whole walk (``PrepctlError``): a half-read diff would give numbers that look right but are not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from prepctl.errors import PrepctlError
from prepctl.sources.git import FileChange
from prepctl.sources.gitcli import GitCommand
from prepctl.sources.tree import IGNORED_DIRS

#: The empty tree's id in each object format, keyed by the length of a hex id: git knows it
#: without it being stored, so "no tree yet" is diffed like any other tree.
EMPTY_TREE = {40: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
              64: "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"}

#: Sides of a raw diff entry that are not a file this module reports: absent, symlink, submodule.
_NOT_A_FILE = frozenset({b"000000", b"120000", b"160000"})
_HEX_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
#: One raw entry: ``:MODE MODE ID ID STATUS\0PATH\0``. --no-renames leaves only Added, Deleted,
#: Modified and Type-changed; any other status (or shape) is output this reader does not know.
_ENTRY = re.compile(rb":([0-7]{6}) ([0-7]{6}) ([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) "
                    rb"[ADMT]\0([^\0]*)\0")

#: A path that may hold an empty, ``.``/``..`` or tool-folder part: only those are split and checked
#: part by part (most paths are plain, and a history has thousands of them).
_SUSPECT = re.compile(rb"^$|^/|/$|//|(?:^|/)\.|(?:^|/)(?:"
                      + b"|".join(re.escape(n.encode()) for n in sorted(IGNORED_DIRS) if not n.startswith("."))
                      + rb")/")

TreePair = tuple[str | None, str | None]


def subtrees(git: GitCommand, top_trees: Sequence[str], prefix: str) -> list[str | None]:
    """The id of the tree at ``prefix`` below each top tree (None where that folder did not exist
    or is not a folder), in one `git cat-file --batch-check`."""
    if not prefix:
        return list(top_trees)
    if "\n" in prefix or "\0" in prefix:
        raise PrepctlError(f"{prefix!r}: a folder name with a line break cannot be read from git history")
    wanted = list(dict.fromkeys(top_trees))
    # Each top tree itself too: a tree git cannot find is a broken repository, not a commit where
    # the folder did not exist yet (that would count as "0 importers").
    request = "".join(f"{tree}\n{tree}:{prefix}\n" for tree in wanted).encode("utf-8", "surrogateescape")
    lines = git.run(["cat-file", "--batch-check=%(objectname) %(objecttype)"], request).split(b"\n")
    if len(lines) != 2 * len(wanted) + 1 or lines[-1] != b"":
        raise PrepctlError(f"git cat-file gave {len(lines) - 1} answers for {2 * len(wanted)} questions")
    found: dict[str, str | None] = {}
    for number, tree in enumerate(wanted):
        top, line = lines[2 * number], lines[2 * number + 1]
        if top != f"{tree} tree".encode():
            raise PrepctlError(f"git cannot read tree {tree} ({top[:200]!r}); is the repository complete "
                               "(`git fsck`)?")
        parts = line.decode("utf-8", "surrogateescape").rsplit(" ", 1)
        if parts[-1] == "missing":
            found[tree] = None
        elif len(parts) == 2 and _HEX_ID.match(parts[0]) and parts[1] in ("tree", "blob", "commit"):
            found[tree] = parts[0] if parts[1] == "tree" else None
        else:
            raise PrepctlError(f"cannot read git cat-file's answer for {tree}:{prefix}: {line[:200]!r}")
    return [found[tree] for tree in top_trees]


def diff_pairs(git: GitCommand, pairs: Sequence[TreePair]) -> dict[TreePair, list[FileChange]]:
    """The files that differ between each (old, new) pair of tree ids (None: no tree), sorted by
    path. Pairs of equal ids are left out of the request and answered with no changes."""
    asked = [pair for pair in dict.fromkeys(pairs) if pair[0] != pair[1]]
    out: dict[TreePair, list[FileChange]] = {pair: [] for pair in pairs if pair[0] == pair[1]}
    if not asked:
        return out
    width = len(next(t for pair in asked for t in pair if t is not None))
    empty = EMPTY_TREE.get(width)
    for old, new in asked:
        for tree in (old, new):
            if tree is not None and (len(tree) != width or not _HEX_ID.match(tree)):
                raise PrepctlError(f"bad git tree id {tree!r}")
    if empty is None:
        raise PrepctlError(f"unknown git object format (ids of {width} hex digits)")
    lines = [f"{old or empty} {new or empty}" for old, new in asked]
    data = git.run(["diff-tree", "--stdin", "-r", "-z", "--raw", "--no-renames", "--no-abbrev"],
                   "".join(f"{line}\n" for line in lines).encode())
    for pair, changes in zip(asked, parse_diff_stream(data, lines), strict=True):
        out[pair] = changes
    return out


def parse_diff_stream(data: bytes, headers: Sequence[str]) -> list[list[FileChange]]:
    """Split `git diff-tree --stdin -r -z --raw` output into the changes of each input line.

    Each pair's section is its input line echoed back, then ``:MODE MODE ID ID STATUS\\0PATH\\0``
    per changed file. The sections must come in the order asked, each exactly once, and the
    stream must end with the last one: anything else (git skipped a tree it could not read, a
    status this reader does not know) raises ``PrepctlError``.
    """
    sections: list[list[FileChange]] = []
    pos = 0
    end = len(data)
    for header in headers:
        expected = f"{header}\n".encode()
        if not data.startswith(expected, pos):
            got = data[pos:pos + 100]
            raise PrepctlError(f"git diff-tree did not answer for trees {header} (got {got!r}); "
                               "is the repository complete (`git fsck`)?")
        pos += len(expected)
        changes: list[FileChange] = []
        while pos < end and data[pos] == 0x3A:  # ":" starts a raw diff entry
            match = _ENTRY.match(data, pos)
            if match is None:
                raise PrepctlError(f"cannot read git diff-tree entry {data[pos:pos + 200]!r}")
            change = _entry(*match.groups())
            if change is not None:
                changes.append(change)
            pos = match.end()
        changes.sort(key=_by_path)
        sections.append(changes)
    if pos != end:
        raise PrepctlError(f"unexpected git diff-tree output: {data[pos:pos + 100]!r}")
    return sections


def _by_path(change: FileChange) -> str:
    return change.path


def _entry(old_mode: bytes, new_mode: bytes, old_id: bytes, new_id: bytes,
           raw_path: bytes) -> FileChange | None:
    """One raw entry, or None when neither side is a file we count."""
    if old_mode == b"040000" or new_mode == b"040000":
        raise PrepctlError(f"git diff-tree listed a folder despite -r: {raw_path[:200]!r}")
    old = None if old_mode in _NOT_A_FILE else old_id.decode()
    new = None if new_mode in _NOT_A_FILE else new_id.decode()
    if old == new:  # a mode change only (644 -> 755), or symlink <-> submodule
        return None
    path = raw_path.decode("utf-8", "surrogateescape")
    if _SUSPECT.search(raw_path):
        parts = path.split("/")
        if any(part in ("", ".", "..") for part in parts) or not IGNORED_DIRS.isdisjoint(parts[:-1]):
            return None
    return FileChange(path, old, new)
