"""The `issues` gate's GitHub and Jira sources against local stand-ins that answer like the real
APIs: Link-header paging, pull requests mixed into issue lists, timelines, rate-limit answers,
JQL errors. `validated_in` is checked against a real git repository made for each test.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug import Request, Response

from prepctl.verdicts import Status
from tests.support.live_servers import evidence_text, only_criterion, write_live_plan

REPO = "acme/prep"


# ---------------------------------------------------------------- a git history with a staging branch


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
           "GIT_AUTHOR_DATE": "2024-06-01T10:00:00Z", "GIT_COMMITTER_DATE": "2024-06-01T10:00:00Z"}
    done = subprocess.run(["git", *args], cwd=folder, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class History:
    root: Path
    on_staging: dict[str, str]  # name -> sha, all reachable from staging
    main_only: dict[str, str]  # reachable from main, not from staging


def make_history(folder: Path) -> History:
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    commits: dict[str, str] = {}

    def commit(name: str, message: str) -> None:
        (folder / f"{name}.txt").write_text(name)
        git(folder, "add", ".")
        git(folder, "commit", "-q", "-m", message)
        commits[name] = git(folder, "rev-parse", "HEAD")

    commit("base", "Initial import")
    commit("fix1", "Send confirmation to the right guest")  # GitHub's closed event names it (#1)
    commit("merge10", "Merge pull request #10 from acme/payouts\n\nCompute payouts in cents once")
    commit("fix5", "Verify Stripe webhook signatures\n\nFixes #5")  # found only in the history
    commit("fix412", "Retry payments idempotently\n\nFixes PREP-412")
    git(folder, "branch", "staging")
    staging = dict(commits)
    commit("fix2", "Stop double charges")  # after staging was cut: not validated
    commit("fix413", "PREP-413 #resolve timezone drift")
    return History(folder, staging, {k: v for k, v in commits.items() if k not in staging})


# ---------------------------------------------------------------- the GitHub stand-in


def issue(number: int, state: str, labels: list[str], title: str = "", **extra) -> dict:
    return {"url": f"https://api.github.com/repos/{REPO}/issues/{number}", "number": number,
            "html_url": f"https://github.com/{REPO}/issues/{number}", "title": title or f"Bug {number}",
            "state": state, "labels": [{"name": n, "color": "ff0000"} for n in labels],
            "user": {"login": "reporter"}, "comments": 0, "body": "", **extra}


@dataclass
class FakeGitHub:
    """Answers /repos/acme/prep/... the way api.github.com does, with a few pages of P1 issues."""

    issues: list[dict]
    timelines: dict[int, list[dict]] = field(default_factory=dict)
    pulls: dict[int, dict] = field(default_factory=dict)
    labels: set[str] = field(default_factory=lambda: {"P0", "P1", "validated-staging"})
    page_size: int = 4
    #: Answer the first request for this page with a rate-limit 403, once.
    rate_limit_page: int | None = None
    rate_limit_reset_in: int = 1
    token_seen: list[str | None] = field(default_factory=list)
    base: str = ""

    def handle(self, request: Request) -> Response:
        self.token_seen.append(request.headers.get("Authorization"))
        path = urlsplit(request.url).path
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        if match := re.fullmatch(rf"/repos/{REPO}/labels/([^/]+)", path):
            name = match.group(1)
            if name not in self.labels:
                return self._json({"message": "Not Found", "documentation_url": "https://docs.github.com"}, 404)
            return self._json({"name": name, "color": "ff0000"})
        if path == f"/repos/{REPO}/issues":
            return self._issues(query)
        if match := re.fullmatch(rf"/repos/{REPO}/issues/(\d+)/timeline", path):
            return self._json(self.timelines.get(int(match.group(1)), []))
        if match := re.fullmatch(rf"/repos/{REPO}/pulls/(\d+)", path):
            return self._json(self.pulls[int(match.group(1))])
        return self._json({"message": "Not Found"}, 404)

    def _issues(self, query: dict[str, str]) -> Response:
        wanted = query["labels"].split(",")
        matching = [i for i in self.issues if all(w in {lbl["name"] for lbl in i["labels"]} for w in wanted)]
        page = int(query.get("page", "1"))
        if page == self.rate_limit_page:
            self.rate_limit_page = None
            reset = int(time.time()) + self.rate_limit_reset_in
            return Response(json.dumps({"message": "API rate limit exceeded for user ID 1."}), status=403,
                            headers={"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
                                     "X-RateLimit-Reset": str(reset)}, content_type="application/json")
        chunk = matching[(page - 1) * self.page_size: page * self.page_size]
        last = max(1, -(-len(matching) // self.page_size))
        links = []
        if page < last:
            # GitHub's next links point at /repositories/<id>/issues with the query repeated.
            links.append(f'<{self.base}/repos/{REPO}/issues?labels={query["labels"]}&state=all'
                         f'&per_page=100&page={page + 1}>; rel="next"')
            links.append(f'<{self.base}/repos/{REPO}/issues?labels={query["labels"]}&state=all'
                         f'&per_page=100&page={last}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        headers.update({"X-RateLimit-Remaining": "4999"})
        return Response(json.dumps(chunk), headers=headers, content_type="application/json")

    @staticmethod
    def _json(body: object, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")


def standard_github(history: History) -> FakeGitHub:
    """Ten P1 issues over three pages, a P0, a pull request in the list, and their timelines."""
    issues = [
        issue(1, "closed", ["P1", "P0"], "Confirmation email to the wrong guest"),
        issue(2, "closed", ["P1"], "Double charge on retry"),
        issue(3, "closed", ["P1"], "Payouts computed twice"),
        issue(4, "closed", ["P1", "validated-staging"], "Kitchen search ignores max_rate"),
        issue(5, "closed", ["P1"], "Stripe webhook not verified"),
        issue(6, "open", ["P1"], "Timezone drift at midnight"),
        issue(9, "closed", ["P1"], "Closed by a commit this clone lacks"),
        issue(10, "closed", ["P1"], "Compute payouts in cents once", pull_request={"url": "..."}),
        issue(11, "closed", ["P1"], "Closed as not planned"),
        issue(12, "open", ["P1"], "Analytics summary times out"),
        issue(13, "closed", ["P1"], "Compliance crash in CA"),
        issue(14, "closed", ["P1"], "Review ratings above 5"),
    ]
    timelines = {
        1: [{"event": "labeled"}, {"event": "closed", "commit_id": history.on_staging["fix1"]}],
        2: [{"event": "closed", "commit_id": history.main_only["fix2"]}],
        3: [{"event": "cross-referenced", "source": {"type": "issue", "issue": {
            "number": 10, "title": "Compute payouts in cents once", "body": "Fixes #3",
            "pull_request": {"merged_at": "2024-05-30T10:00:00Z"}, "repository": {"full_name": REPO}}}},
            {"event": "closed", "commit_id": None}],
        9: [{"event": "closed", "commit_id": "0123456789abcdef0123456789abcdef01234567"}],
        11: [{"event": "closed", "commit_id": None, "state_reason": "not_planned"}],
        13: [{"event": "closed", "commit_id": history.on_staging["fix1"]}],
        14: [{"event": "closed", "commit_id": history.on_staging["merge10"]}],
    }
    pulls = {10: {"number": 10, "merged": True, "merge_commit_sha": history.on_staging["merge10"]}}
    return FakeGitHub(issues, timelines, pulls)


@pytest.fixture
def history(tmp_path) -> History:
    return make_history(tmp_path / "mono")


def serve(httpserver, fake: FakeGitHub) -> str:
    fake.base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    return fake.base


def github_plan(history: History, api_url: str, **criterion) -> Path:
    body = {"id": "p0-p1", "kind": "issues", "title": "P0/P1 closed and validated in staging",
            "github": {"labels": ["P1"]}, "max_open": 0, **criterion}
    path = write_live_plan(history.root, {"github": {"api_url": api_url, "repo": REPO, "token_env": "TEST_GH_TOKEN"},
                                          "http": {"timeout": 5, "retries": 3, "backoff": 0.01, "budget": 30}},
                           criteria=[body])
    return path


def test_paging_through_three_pages_counts_every_issue(httpserver, history):
    fake = standard_github(history)
    base = serve(httpserver, fake)
    result = only_criterion(github_plan(history, base, max_open=5))
    read = next(e for e in result.verdict.evidence if e.label.endswith("issues labelled P1"))
    assert read.value == 11  # 12 items over 3 pages, one of them a pull request
    pages = next(e for e in result.verdict.evidence if e.label.endswith("pages of issues read"))
    assert pages.value == 3
    assert result.status is Status.PASS  # 2 open, max 5, and nothing asks for validation
    assert "2 open (max 5): #6, #12" in result.verdict.summary


def test_a_rate_limit_answer_is_waited_out(httpserver, history):
    fake = standard_github(history)
    fake.rate_limit_page = 2
    base = serve(httpserver, fake)
    result = only_criterion(github_plan(history, base, max_open=5))
    assert result.status is Status.PASS
    assert next(e for e in result.verdict.evidence if e.label.endswith("issues labelled P1")).value == 11
    assert [r.status_code for _, r in httpserver.log].count(403) == 1


def test_a_rate_limit_past_the_budget_is_an_error_that_says_when(httpserver, history):
    fake = standard_github(history)
    fake.rate_limit_page = 1
    fake.rate_limit_reset_in = 3600
    base = serve(httpserver, fake)
    result = only_criterion(github_plan(history, base))
    assert result.status is Status.ERROR
    assert "rate limit exhausted until" in result.verdict.summary
    assert "past the time budget" in result.verdict.summary


def test_p1_closed_by_a_commit_not_on_staging_fails_and_says_why(httpserver, history):
    base = serve(httpserver, standard_github(history))
    result = only_criterion(github_plan(history, base, max_open=2, validated_in="staging",
                                        validated_label="validated-staging"))
    assert result.status is Status.FAIL
    text = evidence_text(result)
    fix2 = history.main_only["fix2"][:12]
    assert f"closed, not validated in staging: #2 Double charge on retry | closed by {fix2}, which is not in " \
           "staging" in text
    assert "which this clone does not have (git fetch" in text  # #9
    assert "#11 Closed as not planned | closed, but no closing commit found" in text
    assert f"#2 (closed by {fix2}, which is not in staging)" in result.verdict.summary
    # The ways an issue does count as validated:
    assert f"validated: #1 Confirmation email to the wrong guest | closed by {history.on_staging['fix1'][:12]}" in text
    assert f"validated: #3 Payouts computed twice | closed by {history.on_staging['merge10'][:12]}" in text  # PR
    assert "validated: #4 Kitchen search ignores max_rate | labelled validated-staging" in text
    assert f"validated: #5 Stripe webhook not verified | closed by {history.on_staging['fix5'][:12]}" in text
    assert "6 closed and validated in staging" in result.verdict.summary  # 1, 3, 4, 5, 13, 14
    assert "#10" not in text  # the pull request in the issue list is not an issue


def test_everything_validated_passes(httpserver, history):
    fake = standard_github(history)
    fake.issues = [i for i in fake.issues if i["number"] in (1, 3, 4, 5, 13, 14)]
    base = serve(httpserver, fake)
    result = only_criterion(github_plan(history, base, validated_in="staging",
                                        validated_label="validated-staging"))
    assert result.status is Status.PASS, result.verdict.summary
    assert "0 open (max 0)" in result.verdict.summary and "6 closed and validated in staging" in result.verdict.summary


def test_labels_are_ored_and_deduplicated(httpserver, history):
    fake = standard_github(history)
    base = serve(httpserver, fake)
    result = only_criterion(github_plan(history, base, github={"labels": ["P0", "P1"]}, max_open=5))
    assert next(e for e in result.verdict.evidence if e.label.endswith("labelled P0 or P1")).value == 11


def test_an_unknown_label_is_an_error_not_an_empty_pass(httpserver, history):
    base = serve(httpserver, standard_github(history))
    result = only_criterion(github_plan(history, base, github={"labels": ["p1"]}))
    assert result.status is Status.ERROR
    assert "there is no label 'p1'" in result.verdict.summary


def test_a_missing_staging_ref_is_an_error(httpserver, history):
    base = serve(httpserver, standard_github(history))
    result = only_criterion(github_plan(history, base, validated_in="stagin"))
    assert result.status is Status.ERROR
    assert "validated_in" in result.verdict.summary and "stagin" in result.verdict.summary


def test_remote_sources_are_skipped_at_a_past_revision(httpserver, history):
    from prepctl.evaluate import evaluate
    from tests.support.plans import load_plan

    base = serve(httpserver, standard_github(history))
    path = github_plan(history, base)
    report = evaluate(load_plan(path), ["p"], at="staging")
    assert report.phases[0].criteria[0].status is Status.SKIP
    assert not httpserver.log


def test_the_local_report_and_github_combine(httpserver, history):
    (history.root / "ISSUES.md").write_text("## P1\n\n- [x] PREP-1 fixed thing\n")
    fake = standard_github(history)
    fake.issues = [i for i in fake.issues if i["number"] in (1, 6)]
    base = serve(httpserver, fake)
    result = only_criterion(github_plan(history, base, report="ISSUES.md"))
    assert result.status is Status.FAIL  # the report is clean, GitHub has #6 open
    assert any(e.path == "ISSUES.md" for e in result.verdict.evidence)
    assert "open P1: #6" in evidence_text(result)
    assert result.verdict.summary.startswith("0 open P0/P1 (max 0); 1 closed | GitHub acme/prep: 1 open")


# ---------------------------------------------------------------- Jira


def jira_issue(key: str, done: bool, priority: str = "P1", labels: tuple[str, ...] = ()) -> dict:
    status = {"name": "Done" if done else "In Progress",
              "statusCategory": {"key": "done" if done else "indeterminate"}}
    return {"id": key.split("-")[1], "key": key, "self": f"https://jira.example/rest/api/2/issue/{key}",
            "fields": {"summary": f"Issue {key}", "status": status, "labels": list(labels),
                       "priority": {"name": priority}}}


@dataclass
class FakeJira:
    """Jira Cloud (``flavour="cloud"``: enhanced search with page tokens; the removed legacy
    search answers 410 Gone) or Jira Server/Data Center (``"server"``: legacy search only)."""

    issues: list[dict]
    page_size: int = 3
    throttle_first: bool = False
    flavour: str = "cloud"
    requests: list[dict] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def handle(self, request: Request) -> Response:
        self.paths.append(request.path)
        cloud_path, server_path = "/rest/api/3/search/jql", "/rest/api/2/search"
        if request.method != "POST" or request.path not in (cloud_path, server_path):
            return Response("not found", status=404)
        if request.path == server_path and self.flavour == "cloud":
            return Response(json.dumps({"errorMessages": ["The requested API has been removed. Please migrate "
                                                          "to the /rest/api/3/search/jql API."]}),
                            status=410, content_type="application/json")
        if request.path == cloud_path and self.flavour == "server":
            return Response("<html>Oops, you've found a dead link.</html>", status=404, content_type="text/html")
        body = json.loads(request.data)
        self.requests.append(body)
        if self.throttle_first:
            self.throttle_first = False
            return Response("Rate limit exceeded", status=429, headers={"Retry-After": "0"})
        if "nonsense" in body["jql"]:
            return Response(json.dumps({"errorMessages": ["Field 'nonsense' does not exist or you do not have "
                                                          "permission to view it."], "errors": {}}),
                            status=400, content_type="application/json")
        size = min(body["maxResults"], self.page_size)  # Jira may return fewer than asked
        if self.flavour == "server":
            start = body["startAt"]
            page = self.issues[start:start + size]
            return Response(json.dumps({"startAt": start, "maxResults": size, "total": len(self.issues),
                                        "issues": page}), content_type="application/json")
        # Cloud: an opaque token, no total; the last page has isLast and no token.
        start = int(base64.b64decode(body["nextPageToken"]).decode()) if "nextPageToken" in body else 0
        page = self.issues[start:start + size]
        last = start + size >= len(self.issues)
        answer: dict = {"issues": page, "isLast": last}
        if not last:
            answer["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
        return Response(json.dumps(answer), content_type="application/json")


def jira_plan(history: History, url: str, **criterion) -> Path:
    body = {"id": "jira-p0-p1", "kind": "issues", "title": "Jira P0/P1 closed",
            "jira": {"jql": "project = PREP AND priority in (P0, P1)"}, **criterion}
    return write_live_plan(history.root, {"jira": {"url": url, "user_env": "TEST_JIRA_USER",
                                                   "token_env": "TEST_JIRA_TOKEN"},
                                          "http": {"timeout": 5, "retries": 2, "backoff": 0.01}},
                           criteria=[body])


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_jira_pages_and_validation(httpserver, history, monkeypatch, flavour: str):
    monkeypatch.setenv("TEST_JIRA_USER", "bot@example.com")
    monkeypatch.setenv("TEST_JIRA_TOKEN", "jira-token-77")
    fake = FakeJira([jira_issue("PREP-412", True), jira_issue("PREP-413", True),
                     jira_issue("PREP-414", True, labels=("validated-staging",)),
                     jira_issue("PREP-101", True, "P0"), jira_issue("PREP-500", False),
                     jira_issue("PREP-501", True), jira_issue("PREP-502", False)], throttle_first=True,
                    flavour=flavour)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    result = only_criterion(jira_plan(history, httpserver.url_for("").rstrip("/"), max_open=2,
                                      validated_in="staging", validated_label="validated-staging"))
    if flavour == "cloud":
        # A 429, then three pages, each asking for the token the last one gave; never the removed API.
        assert [r.get("nextPageToken") for r in fake.requests] == [None, None, "Mw==", "Ng=="]
        assert set(fake.paths) == {"/rest/api/3/search/jql"}
    else:
        # Server/Data Center has no enhanced search (404): legacy search, paged by startAt.
        assert fake.paths[0] == "/rest/api/3/search/jql"
        assert [r["startAt"] for r in fake.requests] == [0, 0, 3, 6]
    assert result.status is Status.FAIL
    text = evidence_text(result)
    assert "Jira: issues matching project = PREP AND priority in (P0, P1) | 7" in text
    assert f"validated: PREP-412 Issue PREP-412 | closed by {history.on_staging['fix412'][:12]}" in text
    assert "validated: PREP-414 Issue PREP-414 | labelled validated-staging" in text
    assert f"PREP-413 | closed by {history.main_only['fix413'][:12]}, which is not in staging" in text
    assert "PREP-101 Issue PREP-101 | closed, but no closing commit found" in text
    assert "2 open (max 2): PREP-500, PREP-502" in result.verdict.summary
    assert httpserver.log[0][0].headers["Authorization"].startswith("Basic ")


def test_jira_jql_error_is_an_error_with_the_reason(httpserver, history):
    fake = FakeJira([])
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    result = only_criterion(jira_plan(history, httpserver.url_for("").rstrip("/"),
                                      jira={"jql": "nonsense = 1"}))
    assert result.status is Status.ERROR
    assert "HTTP 400" in result.verdict.summary and "Field 'nonsense' does not exist" in result.verdict.summary


def test_jira_malformed_answer_is_an_error(httpserver, history):
    httpserver.expect_request("/rest/api/3/search/jql").respond_with_json({"issues": "lots"})
    result = only_criterion(jira_plan(history, httpserver.url_for("").rstrip("/")))
    assert result.status is Status.ERROR and "without an issues list" in result.verdict.summary


def test_jira_server_without_a_total_is_an_error(httpserver, history):
    httpserver.expect_request("/rest/api/3/search/jql").respond_with_data("not found", status=404)
    httpserver.expect_request("/rest/api/2/search").respond_with_json({"issues": []})
    result = only_criterion(jira_plan(history, httpserver.url_for("").rstrip("/")))
    assert result.status is Status.ERROR and "without a total" in result.verdict.summary


def test_jira_cloud_repeating_a_page_token_is_an_error_not_a_loop(httpserver, history):
    page = {"issues": [jira_issue("PREP-500", False)], "isLast": False, "nextPageToken": "same"}
    httpserver.expect_request("/rest/api/3/search/jql").respond_with_json(page)
    result = only_criterion(jira_plan(history, httpserver.url_for("").rstrip("/")))
    assert result.status is Status.ERROR and "repeated page token" in result.verdict.summary


@pytest.mark.parametrize(("criterion", "message"), [
    ({"github": {"labels": []}}, "at least 1 item"),
    ({"validated_in": "staging", "report": "X.md", "github": None}, "validated_in/validated_label apply to"),
    ({"github": {"repo": "not a repo"}}, "should match pattern"),
    ({"github": {"lables": ["P1"]}}, "did you mean 'labels'"),
    ({"jira": {}, "github": None}, "missing required key 'jql'"),
])
def test_bad_remote_options_are_config_errors(tmp_path, cli, criterion, message):
    body = {"id": "i", "kind": "issues", "title": "i", "github": {"labels": ["P1"]}, **criterion}
    body = {k: v for k, v in body.items() if v is not None}
    path = write_live_plan(tmp_path, {}, criteria=[body])
    result = cli("-c", path, "validate")
    assert result.code == 2 and message in result.stderr, result.stderr
