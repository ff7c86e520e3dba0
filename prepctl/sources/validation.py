"""Was an issue's fix validated in an environment? Decided from git ancestry (gitpython).

An issue counts as validated in ``staging`` when a commit that closed it is an ancestor of
(or is) the ``staging`` ref: the fix is in what staging runs. Closing commits come from the
tracker (GitHub's closed event, the merge commit of the closing pull request) and from the
history itself: a commit whose message says ``Fixes #12`` or ``Fixes PREP-412``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prepctl.errors import GateError, PrepctlError

if TYPE_CHECKING:
    import git

#: Keywords GitHub (and most teams, for Jira keys) use to close an issue from a commit message.
CLOSING_WORDS = r"(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)"


@dataclass(frozen=True)
class Validation:
    validated: bool
    reason: str  # why (not): for the evidence
    commit: str | None = None  # the commit that validates it, or the closing commit that does not


def closing_pattern(key: str) -> re.Pattern[str]:
    """``Fixes #12`` / ``closes owner/repo#12`` for GitHub numbers, ``Fixes PREP-412`` or the
    smart-commit form ``PREP-412 #resolve`` for Jira keys."""
    if key.startswith("#"):
        ref = rf"(?:[\w.-]+/[\w.-]+)?#{re.escape(key[1:])}(?!\d)"
        return re.compile(rf"(?i)\b{CLOSING_WORDS}:?\s+{ref}")
    escaped = re.escape(key)
    keyword = rf"\b{CLOSING_WORDS}:?\s+{escaped}(?![\w-])"
    smart = rf"(?<![\w-]){escaped}\s+#(?:resolve|close|done)\b"
    return re.compile(rf"(?i)(?:{keyword}|{smart})")


class GitValidator:
    """Answers ancestry questions against one clone; reads the commit messages once."""

    def __init__(self, path: Path, ref: str):
        from prepctl.sources.git import open_repo, resolve_commit

        try:
            self.repo: git.Repo = open_repo(path)
            self.target = resolve_commit(self.repo, ref)
        except PrepctlError as exc:
            raise GateError(f"validated_in: {exc}") from None
        self.ref = ref
        self._messages: list[tuple[str, str]] | None = None
        # gitpython's Repo shares one `git cat-file` pipe: callers on several threads (the gate
        # validates issues concurrently) must take turns.
        self._lock = threading.RLock()

    def messages(self) -> list[tuple[str, str]]:
        """(sha, message) of every commit on any branch or tag: the closing commit of an issue
        need not be on the ref, and saying so is the point."""
        with self._lock:
            if self._messages is None:
                out = self.repo.git.log("--all", "--format=%H%x00%B%x01")
                found = []
                for chunk in out.split("\x01"):
                    chunk = chunk.strip("\n")
                    if "\x00" in chunk:
                        sha, _, message = chunk.partition("\x00")
                        found.append((sha.strip(), message))
                self._messages = found
            return self._messages

    def commits_closing(self, key: str) -> list[str]:
        pattern = closing_pattern(key)
        return [sha for sha, message in self.messages() if pattern.search(message)]

    def contains(self, sha: str) -> bool | None:
        """True when ``sha`` is the ref or an ancestor of it; None when the clone lacks it."""
        import git as gitmodule

        with self._lock:
            try:
                commit = self.repo.commit(sha)
            except (ValueError, gitmodule.BadName, gitmodule.BadObject, gitmodule.GitCommandError):
                return None
            return commit.hexsha == self.target.hexsha or self.repo.is_ancestor(commit, self.target)

    def validate(self, key: str, tracker_commits: list[str]) -> Validation:
        candidates = list(dict.fromkeys([*tracker_commits, *self.commits_closing(key)]))
        if not candidates:
            return Validation(False, "closed, but no closing commit found (no commit from the tracker, "
                              f"no commit saying 'Fixes {key}')")
        missing = []
        for sha in candidates:
            found = self.contains(sha)
            if found:
                return Validation(True, f"closed by {sha[:12]}, which is in {self.ref}", sha)
            if found is None:
                missing.append(sha)
        present = [sha for sha in candidates if sha not in missing]
        if present:
            return Validation(False, f"closed by {present[0][:12]}, which is not in {self.ref}", present[0])
        return Validation(False, f"closed by {missing[0][:12]}, which this clone does not have "
                          "(git fetch, then check again)", missing[0])
