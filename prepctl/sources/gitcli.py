"""Run git itself on one repository, without gitpython: find the repository, resolve revisions,
list commits and read objects in batches.

`graph trend` needs nothing more, and importing gitpython alone cost more CPU than all of a warm
trend's git work. ``prepctl.sources.git`` (which does use gitpython, for revision trees) builds
its ``resolve_commit`` and ``list_commits`` on these, so both paths give the same answers and the
same messages.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prepctl.errors import PrepctlError


class GitFailed(PrepctlError):
    """A git command exited with an error (its message is git's)."""


@dataclass(frozen=True)
class GitCommand:
    """One repository's git dir, and the git executable gitpython would use for it."""

    git_dir: str
    #: The top of the work tree (None for a bare repository).
    work_tree: str | None = None

    @property
    def executable(self) -> str:
        # The variable gitpython reads, so both ways of running git pick the same binary.
        return os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git"

    def run(self, args: Sequence[str], stdin: bytes = b"") -> bytes:
        """git's standard output; ``GitFailed`` (exit 2) when git fails."""
        argv = [self.executable, "--git-dir", self.git_dir, *args]
        try:
            proc = subprocess.run(argv, input=stdin, capture_output=True, check=False)
        except OSError as exc:  # not GitFailed: no git at all is not a bad revision
            raise PrepctlError(f"cannot run git: {exc} (install git, e.g. `apt-get install git`)") from exc
        if proc.returncode != 0:
            raise GitFailed(f"git {args[0]} failed in {self.git_dir}: "
                            f"{proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout


#: Variables that make git look for the repository somewhere else than around the folder given.
_LOCATING = frozenset({"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE",
                       "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM"})


def find_repo(path: str | Path) -> GitCommand:
    """The repository whose work tree contains ``path`` (any folder inside it), as `open_repo`."""
    path = Path(path)
    if not path.exists():
        raise PrepctlError(f"{path}: no such folder")
    executable = GitCommand("").executable
    # The repository is the one around `path`, as gitpython finds it: not one named by a git hook's
    # environment (GIT_DIR is often the relative ".git" there, which would resolve against `path`).
    env = {k: v for k, v in os.environ.items() if k not in _LOCATING}
    try:
        proc = subprocess.run([executable, "-C", str(path), "rev-parse", "--is-bare-repository",
                               "--absolute-git-dir"], capture_output=True, check=False, env=env)
    except OSError as exc:
        raise PrepctlError(f"cannot use git: {exc} (install git, e.g. `apt-get install git`)") from exc
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if proc.returncode != 0 or len(lines) != 2:
        raise PrepctlError(f"{path} is not inside a git repository; reading a revision needs its "
                           "history (run prepctl in a clone, or pass --root to one)")
    bare, git_dir = lines
    top = subprocess.run([executable, "-C", str(path), "rev-parse", "--show-toplevel"],
                         capture_output=True, check=False, env=env)
    work_tree = top.stdout.decode("utf-8", "surrogateescape").rstrip("\n")
    if bare == "true" or top.returncode != 0 or not work_tree:
        raise PrepctlError(f"{path}: bare repositories are not supported; use a clone with a work tree")
    return GitCommand(git_dir, work_tree)


def prefix_in(work_tree: str, path: str | Path) -> str:
    """Where ``path`` sits inside the work tree, as a POSIX path ('' for the top)."""
    top = Path(work_tree).resolve()
    try:
        rel = Path(path).resolve().relative_to(top)
    except ValueError as exc:
        raise PrepctlError(f"{path} is not inside the git work tree {top}") from exc
    return "" if str(rel) == "." else rel.as_posix()


def resolve_sha(git: GitCommand, rev: str, where: str | None = None) -> str:
    """The commit id a branch, tag, sha or expression like ``HEAD~3`` names, or a clear error.

    git itself parses the revision, so every form it knows works (``v1.2^{commit}``,
    ``main@{yesterday}``, ``HEAD^{/fix}``).
    """
    if not rev or rev.startswith("-") or "\0" in rev or "\n" in rev:
        # Never let a revision be read as a command-line option of git.
        raise PrepctlError(f"bad revision {rev!r}: give a branch, tag or commit id")
    try:
        return git.run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"]
                       ).decode().strip()
    except GitFailed as exc:
        kind = _object_kind(git, rev)
        if kind is not None:
            raise PrepctlError(f"revision {rev!r} names a {kind}, not a commit") from exc
        raise PrepctlError(f"bad revision {rev!r} in {where or git.work_tree or git.git_dir}: no such "
                           "branch, tag or commit (see `git log --oneline`, `git tag`)") from exc


def _object_kind(git: GitCommand, rev: str) -> str | None:
    try:
        return git.run(["cat-file", "-t", "--end-of-options", rev]).decode().strip() or None
    except GitFailed:
        return None


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    date: datetime
    subject: str
    #: The commit's top-level tree id (hex).
    tree: str


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?)?$")


def list_commits(git: GitCommand, *, since: str | None = None, until: str | None = None,
                 first_parent: bool = False, every: int = 1) -> list[CommitInfo]:
    """Commits reachable from ``until`` (default HEAD), oldest first.

    ``since`` is a revision (that commit and everything after it) or an ISO date
    (YYYY-MM-DD[ HH:MM[:SS][+zone]]; commits made on or after it). ``every`` keeps every Nth
    commit, counting from the oldest, and always the newest so the series ends at ``until``.
    """
    if every < 1:
        raise PrepctlError(f"--every must be 1 or more, not {every}")
    head = resolve_sha(git, until or "HEAD")
    args = ["log", "--reverse", "--date-order", "-z", "--format=%H%x00%T%x00%ct%x00%s"]
    if first_parent:
        args.append("--first-parent")
    args.append(head)
    if since:
        since_sha = _maybe_commit(git, since)
        if since_sha is not None:
            if not _is_ancestor(git, since_sha, head):
                raise PrepctlError(f"--since {since} ({since_sha[:12]}) is not an ancestor of "
                                   f"{until or 'HEAD'} ({head[:12]}): nothing lies between them")
            # Exclude the parents of `since`, so the series starts at `since` itself.
            parents = git.run(["rev-parse", f"{since_sha}^@"]).decode().split()
            args.extend(f"^{parent}" for parent in parents)
        elif _ISO_DATE.match(since.strip()):
            args.insert(1, f"--since={since.strip()}")
        else:
            raise PrepctlError(f"--since {since!r} is neither a revision nor a date (use YYYY-MM-DD)")
    # -z: each commit ends with a NUL, so a subject can hold anything but NUL.
    fields = git.run([*args, "--"]).decode("utf-8", "replace").split("\x00")
    if fields[-1] == "":
        fields.pop()
    if len(fields) % 4:
        raise PrepctlError(f"cannot read `git log` in {git.git_dir}: {len(fields)} fields")
    try:
        commits = [CommitInfo(fields[i], datetime.fromtimestamp(int(fields[i + 2]), tz=UTC), fields[i + 3],
                              fields[i + 1]) for i in range(0, len(fields), 4)]
    except (ValueError, OverflowError, OSError) as exc:  # a date that is not a number of seconds
        raise PrepctlError(f"cannot read `git log` in {git.git_dir}: {exc}") from exc
    if every > 1 and commits:
        kept = commits[::every]
        if kept[-1] is not commits[-1]:
            kept.append(commits[-1])
        commits = kept
    return commits


def _maybe_commit(git: GitCommand, rev: str) -> str | None:
    try:
        return resolve_sha(git, rev)
    except PrepctlError:
        return None


def _is_ancestor(git: GitCommand, ancestor: str, head: str) -> bool:
    try:
        git.run(["merge-base", "--is-ancestor", ancestor, head])
    except GitFailed:
        return False
    return True


def read_objects(git: GitCommand, binshas: Iterable[bytes], kind: str) -> dict[bytes, bytes]:
    """Many objects of one kind through a single `git cat-file --batch`: a history walk needs
    thousands, and one round trip each would cost more than everything else together."""
    wanted = list(dict.fromkeys(binshas))
    if not wanted:
        return {}
    data = git.run(["cat-file", "--batch"], "".join(f"{b.hex()}\n" for b in wanted).encode())
    out: dict[bytes, bytes] = {}
    pos = 0
    for binsha in wanted:
        header_end = data.find(b"\n", pos)
        header = data[pos:header_end].split() if header_end >= 0 else []
        if len(header) != 3 or header[1].decode(errors="replace") != kind or not header[2].isdigit():
            raise PrepctlError(f"git object {binsha.hex()} is not a readable {kind} "
                               f"({b' '.join(header).decode(errors='replace')})")
        size = int(header[2])
        start = header_end + 1
        if start + size + 1 > len(data):
            raise PrepctlError(f"git cat-file output ends inside object {binsha.hex()}")
        out[binsha] = data[start:start + size]
        pos = start + size + 1  # the content is followed by a newline
    return out
