"""The tracker seam: list the issues matching a filter, and say which commits closed one.

``github.GitHubAPI`` (labels) and ``jira.JiraAPI`` (a JQL search) implement ``IssueTracker``;
the ``issues`` gate judges the ``RemoteIssue``s they return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RemoteIssue:
    """An issue from a tracker, reduced to what the issues gate judges."""

    key: str  # "#12" on GitHub, "PREP-412" on Jira
    title: str
    closed: bool
    severity: str
    url: str
    labels: tuple[str, ...] = ()
    closing_commits: tuple[str, ...] = ()  # known from the tracker itself
    status: str = ""


@dataclass(frozen=True)
class IssueFilter:
    """Which issues to list. Each tracker reads the fields it understands."""

    labels: tuple[str, ...] = ()  # GitHub: issues carrying any of these labels
    since: str | None = None  # GitHub: updated at or after this ISO 8601 time
    jql: str | None = None  # Jira: the search


class IssueTracker(Protocol):
    #: Pages of results read so far, for the evidence.
    pages_read: int

    def find(self, wanted: IssueFilter) -> list[RemoteIssue]:
        """Every issue matching the filter, open and closed; SourceError when that is unknowable."""
        ...

    def closing_commits(self, issue: RemoteIssue) -> list[str]:
        """Commits the tracker itself says closed the issue (none when it does not know)."""
        ...
