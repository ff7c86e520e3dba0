"""Issues from a Jira JQL search (``POST /rest/api/2/search``, paged by ``startAt``/``total``).

An issue is closed when its status is in the "done" category, the one thing every Jira
workflow agrees on whatever its status names are. A JQL error comes back as HTTP 400 with
``errorMessages`` and becomes an ``error`` verdict that quotes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prepctl.sources.github import RemoteIssue
from prepctl.sources.http import Auth, HttpClient, SourceError

PAGE_SIZE = 100
MAX_ISSUES = 5000
FIELDS = ["summary", "status", "labels", "priority"]


@dataclass
class JiraAPI:
    client: HttpClient
    base_url: str
    auth: Auth = field(default_factory=Auth)
    pages_read: int = 0

    def search(self, jql: str) -> list[RemoteIssue]:
        issues: list[RemoteIssue] = []
        start = 0
        while True:
            data, _ = self.client.post_json(
                f"{self.base_url}/rest/api/2/search", what="Jira search",
                json_body={"jql": jql, "startAt": start, "maxResults": PAGE_SIZE, "fields": FIELDS},
                headers={"Accept": "application/json"}, auth=self.auth)
            self.pages_read += 1
            if not isinstance(data, dict) or not isinstance(data.get("issues"), list) \
                    or not isinstance(data.get("total"), int):
                raise SourceError(f"Jira search at {self.base_url} answered without issues/total: "
                                  f"{str(data)[:100]}")
            page = data["issues"]
            issues.extend(_issue(item, self.base_url) for item in page)
            start += len(page)
            if start >= data["total"] or not page:
                break
            if start >= MAX_ISSUES:
                raise SourceError(f"Jira search matched more than {MAX_ISSUES} issues; narrow the JQL")
        if len(issues) < data["total"]:
            raise SourceError(f"Jira search said {data['total']} issues but returned {len(issues)}")
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
