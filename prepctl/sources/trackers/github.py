"""Issues from the GitHub REST API: labelled issues, paged through the Link header.

Rate limits are the shared client's business (403/429 with ``Retry-After`` or
``X-RateLimit-Remaining: 0`` wait for the reset when it fits the time budget, else fail saying
when it resets). Pages are only followed on the API's own host, so a token is never sent to a
URL a response suggested elsewhere.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from prepctl.sources.http import Auth, HttpClient, HttpSource, SourceError, safe_url
from prepctl.sources.trackers.interface import IssueFilter, RemoteIssue

API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
#: GitHub's largest page; fewer pages, fewer requests against the rate limit.
PER_PAGE = 100
MAX_PAGES = 100


class GitHubAPI(HttpSource):
    """A repository's issues; implements ``interface.IssueTracker`` with a label filter."""

    headers = API_HEADERS

    def __init__(self, client: HttpClient, api_url: str, repo: str, auth: Auth | None = None):
        super().__init__(client, api_url, auth)
        self.repo = repo
        self.what = f"GitHub {repo}"
        self.pages_read = 0

    def find(self, wanted: IssueFilter) -> list[RemoteIssue]:
        return self.issues(list(wanted.labels), wanted.since)

    def paged(self, path: str, params: dict[str, str]) -> list[Any]:
        """Every item of a list endpoint, following ``Link: <...>; rel="next"``."""
        url: str | None = self.url(path)
        query: dict[str, str] | None = {**params, "per_page": str(PER_PAGE)}
        items: list[Any] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            data, response = self.get_json(url, params=query)
            self.pages_read += 1
            if not isinstance(data, list):
                raise SourceError(f"GitHub {self.repo}: {safe_url(url)} answered "
                                  f"{'null' if data is None else type(data).__name__} instead of a list")
            items.extend(data)
            url = self._next(response)
            query = None  # the next link carries the query
        raise SourceError(f"GitHub {self.repo}: more than {MAX_PAGES} pages from {path}; narrow the "
                          "labels or set since:")

    def _next(self, response: Any) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        mine, theirs = urllib.parse.urlsplit(self.base_url), urllib.parse.urlsplit(link)
        if (mine.scheme, mine.netloc) != (theirs.scheme, theirs.netloc):
            raise SourceError(f"GitHub {self.repo}: refusing to follow a next page on another host "
                              f"({safe_url(link)})")
        return link

    def check_label(self, label: str) -> None:
        """A misspelt label would find nothing and pass: make it an error instead."""
        try:
            self.get_json(f"/repos/{self.repo}/labels/{urllib.parse.quote(label, safe='')}")
        except SourceError as exc:
            if "HTTP 404" in str(exc):
                raise SourceError(f"GitHub {self.repo}: there is no label '{label}' (labels are "
                                  "case-sensitive); an unknown label would match nothing") from None
            raise

    def issues(self, labels: list[str], since: str | None = None) -> list[RemoteIssue]:
        """Open and closed issues carrying any of ``labels`` (GitHub ANDs labels; we OR them)."""
        found: dict[int, RemoteIssue] = {}
        for label in labels:
            self.check_label(label)
            params = {"state": "all", "labels": label, "sort": "created", "direction": "asc"}
            if since:
                params["since"] = since
            for item in self.paged(f"/repos/{self.repo}/issues", params):
                issue = _issue(item, label, self.repo)
                if issue is not None and int(issue.key[1:]) not in found:
                    found[int(issue.key[1:])] = issue
        return [found[n] for n in sorted(found)]

    def closing_commits(self, issue: RemoteIssue) -> list[str]:
        """Commits the tracker says closed the issue: the closed event's commit, and the merge
        commit of each merged pull request whose title or body says it fixes the issue."""
        number = int(issue.key[1:])
        events = self.paged(f"/repos/{self.repo}/issues/{number}/timeline", {})
        commits: list[str] = []
        closer = re.compile(rf"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+(?:{re.escape(self.repo)})?"
                            rf"#{number}(?!\d)")
        for event in events:
            if not isinstance(event, dict):
                continue
            if event.get("event") == "closed" and isinstance(event.get("commit_id"), str):
                commits.append(event["commit_id"])
            source = (event.get("source") or {}).get("issue") if event.get("event") == "cross-referenced" else None
            if isinstance(source, dict) and (source.get("pull_request") or {}).get("merged_at"):
                text = f"{source.get('title') or ''}\n{source.get('body') or ''}"
                same_repo = ((source.get("repository") or {}).get("full_name") in (None, self.repo))
                if same_repo and closer.search(text):
                    pull, _ = self.get_json(f"/repos/{self.repo}/pulls/{source['number']}")
                    sha = pull.get("merge_commit_sha") if isinstance(pull, dict) else None
                    if isinstance(sha, str):
                        commits.append(sha)
        return list(dict.fromkeys(commits))


def _issue(item: Any, label: str, repo: str) -> RemoteIssue | None:
    if not isinstance(item, dict) or not isinstance(item.get("number"), int):
        raise SourceError(f"GitHub {repo}: malformed issue in the list: {str(item)[:100]}")
    if "pull_request" in item:
        return None  # the issues endpoint lists pull requests too
    state = item.get("state")
    if state not in ("open", "closed"):
        raise SourceError(f"GitHub {repo}: issue #{item['number']} has unknown state {state!r}")
    labels = tuple(str(lbl.get("name")) for lbl in item.get("labels") or [] if isinstance(lbl, dict))
    return RemoteIssue(key=f"#{item['number']}", title=str(item.get("title", "")), closed=state == "closed",
                       severity=label, url=str(item.get("html_url", "")), labels=labels, status=state)
