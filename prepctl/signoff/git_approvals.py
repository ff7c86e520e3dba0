"""Approvals recorded in git: `Approved-by: Name <email>` trailers on commits that touch a file.

Read with gitpython, never by checking anything out. For each commit that touched the file we
also return the file's content at that commit, so the caller can tell when its content last
changed (a commit that only re-renders generated status is not a content change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import git

#: `Name <email>` with an optional `(role)` after it.
_TRAILER_VALUE = re.compile(r"^(?P<name>[^<>()]+?)\s*<(?P<email>[^<>\s]+)>\s*(?:\((?P<role>[^()]+)\))?\s*$")


@dataclass(frozen=True)
class TrailerApproval:
    name: str
    email: str
    role: str | None
    line: str  # the trailer as written, for evidence


@dataclass(frozen=True)
class FileVersion:
    """The file as one commit left it (``content`` None if the commit deleted it)."""

    commit: str
    committed: datetime
    summary: str
    content: str | None
    approvals: tuple[TrailerApproval, ...]


@dataclass(frozen=True)
class FileHistory:
    repo_root: Path
    rel_path: str
    #: Newest first, following the history of HEAD.
    versions: tuple[FileVersion, ...]
    #: The content at HEAD (None if HEAD does not have the file).
    head_content: str | None

    def is_ancestor(self, older: str, newer: str) -> bool:
        import git

        repo = git.Repo(self.repo_root)
        try:
            return older == newer or repo.is_ancestor(older, newer)
        finally:
            repo.close()


def parse_trailers(message: str, trailer: str = "Approved-by") -> tuple[TrailerApproval, ...]:
    """Approvals in the message's trailer block (its last paragraph), as git interpret-trailers reads it."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return ()  # a one-paragraph message is all subject/body, not trailers
    found = []
    key = re.compile(rf"^{re.escape(trailer)}\s*:\s*(.*)$", re.IGNORECASE)
    for line in paragraphs[-1].splitlines():
        match = key.match(line.strip())
        if not match:
            continue
        value = _TRAILER_VALUE.match(match[1])
        if value:
            role = value["role"].strip() if value["role"] else None
            found.append(TrailerApproval(value["name"].strip(), value["email"], role, line.strip()))
    return tuple(found)



def file_history(path: Path, trailer: str = "Approved-by", max_commits: int = 500) -> FileHistory | None:
    """The git history of ``path``, or None when it is not inside a git work tree with commits."""
    import git

    start = path.parent
    while not start.exists() and start != start.parent:
        start = start.parent  # the file (and its folder) may not be written yet
    try:
        repo = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    try:
        if repo.working_tree_dir is None:
            return None
        root = Path(repo.working_tree_dir).resolve()
        try:
            rel = path.resolve().relative_to(root).as_posix()
        except ValueError:
            return None
        try:
            head = repo.head.commit
        except ValueError:  # no commit yet
            return FileHistory(root, rel, (), None)
        versions = []
        for commit in repo.iter_commits(head, paths=rel, max_count=max_commits):
            versions.append(FileVersion(
                commit=commit.hexsha, committed=commit.committed_datetime.astimezone(UTC),
                summary=str(commit.summary), content=_content_at(commit, rel),
                approvals=parse_trailers(str(commit.message), trailer)))
        return FileHistory(root, rel, tuple(versions), _content_at(head, rel))
    finally:
        repo.close()


def _content_at(commit: git.Commit, rel: str) -> str | None:
    try:
        blob = commit.tree / rel
    except KeyError:
        return None
    data = blob.data_stream.read()
    return data.decode("utf-8", errors="replace")
