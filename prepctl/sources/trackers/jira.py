"""Issues from a Jira JQL search.

Jira Cloud answers ``POST /rest/api/3/search/jql``, paged by ``nextPageToken`` until
``isLast`` (its older ``/rest/api/{2,3}/search`` was removed in 2025). Jira Server and Data
Center do not have that endpoint (404) and answer ``POST /rest/api/2/search``, paged by
``startAt``/``total``; the first 404 switches a run to it.

An issue is closed when its status is in the "done" category, the one thing every Jira
workflow agrees on whatever its status names are. A JQL error comes back as HTTP 400 with
``errorMessages`` and becomes an ``error`` verdict that quotes them.
"""

from __future__ import annotations

from typing import Any, Literal

from prepctl.sources.http import Auth, HttpClient, HttpSource, SourceError
from prepctl.sources.trackers.interface import IssueFilter, RemoteIssue

PAGE_SIZE = 100
MAX_ISSUES = 5000
FIELDS = ["summary", "status", "labels", "priority"]
CLOUD_SEARCH = "/rest/api/3/search/jql"
SERVER_SEARCH = "/rest/api/2/search"


class JiraAPI(HttpSource):
    """A Jira's JQL search; implements ``interface.IssueTracker``."""

    what = "Jira search"
    headers = {"Accept": "application/json"}

    def __init__(self, client: HttpClient, base_url: str, auth: Auth | None = None):
        super().__init__(client, base_url, auth)
        self.pages_read = 0
        #: Which search API the server has; found out on the first search.
        self.flavour: Literal["unknown", "cloud", "server"] = "unknown"

    def find(self, wanted: IssueFilter) -> list[RemoteIssue]:
        if wanted.jql is None:
            raise SourceError("Jira: no JQL search to run")
        return self.search(wanted.jql)

    def closing_commits(self, issue: RemoteIssue) -> list[str]:
        """Jira does not say which commit closed an issue: only the validated label can validate."""
        return []

    def search(self, jql: str) -> list[RemoteIssue]:
        if self.flavour != "server":
            try:
                issues = self._search_cloud(jql)
            except SourceError as exc:
                if exc.status != 404 or self.flavour == "cloud":
                    raise
                self.flavour = "server"
            else:
                self.flavour = "cloud"
                return issues
        return self._search_server(jql)

    def _post(self, path: str, body: dict) -> Any:
        data, _ = self.post_json(path, json_body=body)
        self.pages_read += 1
        if not isinstance(data, dict) or not isinstance(data.get("issues"), list):
            raise SourceError(f"Jira search at {self.base_url}{path} answered without an issues list: "
                              f"{str(data)[:100]}")
        return data

    def _search_cloud(self, jql: str) -> list[RemoteIssue]:
        issues: list[RemoteIssue] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            body: dict[str, Any] = {"jql": jql, "maxResults": PAGE_SIZE, "fields": FIELDS}
            if token is not None:
                body["nextPageToken"] = token
            data = self._post(CLOUD_SEARCH, body)
            issues.extend(_issue(item, self.base_url) for item in data["issues"])
            token = data.get("nextPageToken")
            if data.get("isLast") is True or not token:
                return issues
            if not isinstance(token, str) or token in seen:
                raise SourceError(f"Jira search at {self.base_url} repeated page token {str(token)[:40]!r}; "
                                  "the result would be incomplete")
            seen.add(token)
            if len(issues) >= MAX_ISSUES:
                raise SourceError(f"Jira search matched more than {MAX_ISSUES} issues; narrow the JQL")

    def _search_server(self, jql: str) -> list[RemoteIssue]:
        issues: list[RemoteIssue] = []
        start = 0
        while True:
            data = self._post(SERVER_SEARCH, {"jql": jql, "startAt": start, "maxResults": PAGE_SIZE,
                                              "fields": FIELDS})
            total = data.get("total")
            if not isinstance(total, int):
                raise SourceError(f"Jira search at {self.base_url}{SERVER_SEARCH} answered without a total: "
                                  f"{str(data)[:100]}")
            page = data["issues"]
            issues.extend(_issue(item, self.base_url) for item in page)
            start += len(page)
            if start >= total or not page:
                break
            if start >= MAX_ISSUES:
                raise SourceError(f"Jira search matched more than {MAX_ISSUES} issues; narrow the JQL")
        if len(issues) < total:
            raise SourceError(f"Jira search said {total} issues but returned {len(issues)}")
        return issues


def _issue(item: Any, base_url: str) -> RemoteIssue:
    if not isinstance(item, dict) or not isinstance(item.get("key"), str) \
            or not isinstance(item.get("fields"), dict):
        raise SourceError(f"Jira search returned a malformed issue: {str(item)[:100]}")
    fields = item["fields"]
    status = fields.get("status") or {}
    category = ((status.get("statusCategory") or {}).get("key")) if isinstance(status, dict) else None
    if category is None:
        raise SourceError(f"Jira issue {item['key']} has no status category; add 'status' to the fields "
                          "the search may return")
    priority = (fields.get("priority") or {}).get("name", "") if isinstance(fields.get("priority"), dict) else ""
    return RemoteIssue(key=item["key"], title=str(fields.get("summary", "")), closed=category == "done",
                       severity=str(priority), url=f"{base_url}/browse/{item['key']}",
                       labels=tuple(str(x) for x in fields.get("labels") or []),
                       status=str(status.get("name", "")))
