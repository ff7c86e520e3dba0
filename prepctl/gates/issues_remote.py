"""The `issues` gate's remote sources: GitHub labels and Jira JQL, validated in an environment.

    - id: p0-p1-closed-and-validated
      kind: issues
      title: Every P0/P1 closed and validated in staging
      github: {repo: acme/prep, labels: [P0, P1]}   # or jira: {jql: "project = PREP AND priority in (P0, P1)"}
      validated_in: staging          # a git ref of the monolith's clone
      validated_label: validated-staging
      max_open: 0

An open issue counts against ``max_open``. A closed one counts as resolved only when it is
validated: a commit that closed it is an ancestor of ``validated_in`` (see
``prepctl.sources.validation``), or it carries ``validated_label``. Otherwise it is listed as
"closed, not validated in staging" with the reason, and the gate fails. These sources read
running systems, so under ``gate --at REV`` this part is ``skip``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Protocol

from pydantic import AfterValidator, Field

from prepctl.errors import GateError
from prepctl.plan.model import StrictModel
from prepctl.plan.sources import EnvName, http_url
from prepctl.verdicts import Evidence, Status, Verdict, worst

if TYPE_CHECKING:
    from prepctl.gates.base import GateContext
    from prepctl.sources.github import RemoteIssue
    from prepctl.sources.validation import GitValidator, Validation


HttpUrl = Annotated[str, AfterValidator(http_url)]


class GitHubIssues(StrictModel):
    repo: str | None = Field(None, pattern=r"^[\w.-]+/[\w.-]+$",
                             description="owner/name (default: sources.github.repo).")
    labels: list[str] | None = Field(None, min_length=1, description="Issues with any of these labels "
                                     "block (default: the criterion's severities).")
    api_url: HttpUrl | None = Field(None, description="Default: sources.github.api_url.")
    token_env: EnvName | None = Field(None, description="Default: sources.github.token_env.")
    since: date | None = Field(None, description="Only issues updated on or after this date.")


class JiraIssues(StrictModel):
    jql: str = Field(min_length=1, description="The search; every issue it finds is blocking.")
    url: HttpUrl | None = Field(None, description="Default: sources.jira.url.")
    token_env: EnvName | None = Field(None, description="Default: sources.jira.token_env.")
    user_env: EnvName | None = Field(None, description="Default: sources.jira.user_env.")


class RemoteSpec(Protocol):
    """What the remote part reads of an ``issues`` criterion (``IssuesSpec``); a protocol so this
    module does not import the gate module that imports it."""

    github: GitHubIssues | None
    jira: JiraIssues | None
    severities: list[str]
    max_open: int
    validated_in: str | None
    validated_label: str | None
    git_repo: str | None


def combine(verdicts: list[Verdict]) -> Verdict:
    """One verdict from the local report's and the remote sources': the worst wins."""
    if len(verdicts) == 1:
        return verdicts[0]
    status = worst(v.status for v in verdicts)
    return Verdict.of(status, " | ".join(v.summary for v in verdicts),
                      [e for v in verdicts for e in v.evidence])


def remote_verdict(spec: RemoteSpec, ctx: GateContext) -> Verdict:
    if ctx.revision is not None:
        return Verdict.of(Status.SKIP, "GitHub/Jira are live sources, not historical",
                          [Evidence("revision", revision=ctx.revision)])
    from prepctl.sources.http import redact_verdict

    validator = _validator(spec, ctx)
    verdicts = []
    if spec.github is not None:
        verdicts.append(_github(spec, ctx, validator))
    if spec.jira is not None:
        verdicts.append(_jira(spec, ctx, validator))
    return redact_verdict(combine(verdicts))


def _validator(spec: RemoteSpec, ctx: GateContext) -> GitValidator | None:
    if spec.validated_in is None:
        return None
    from prepctl.sources.validation import GitValidator

    folder = ctx.plan.root / spec.git_repo if spec.git_repo else ctx.plan.root
    return ctx.shared(f"git-validator:{folder}:{spec.validated_in}",
                      lambda: GitValidator(folder, spec.validated_in or ""))


def _github(spec: RemoteSpec, ctx: GateContext, validator: GitValidator | None) -> Verdict:
    from prepctl.plan.sources import GitHubSource
    from prepctl.sources.github import GitHubAPI
    from prepctl.sources.http import Auth, shared_client

    assert spec.github is not None
    defaults = ctx.plan.model.sources.github or GitHubSource()
    repo = spec.github.repo or defaults.repo
    if repo is None:
        raise GateError("github: no repo; set github.repo on the criterion or sources.github.repo")
    token_env = spec.github.token_env or defaults.token_env
    api = GitHubAPI(shared_client(ctx), (spec.github.api_url or defaults.api_url).rstrip("/"), repo,
                    Auth(bearer_env=token_env))
    labels = spec.github.labels or spec.severities
    since = f"{spec.github.since.isoformat()}T00:00:00Z" if spec.github.since else None
    issues = api.issues(labels, since)
    list_pages = api.pages_read

    def tracker_commits(issue: RemoteIssue) -> list[str]:
        return api.closing_commits(int(issue.key[1:]))

    verdict = judge_remote(f"GitHub {repo}", issues, spec, validator, tracker_commits)
    read = Evidence(f"GitHub {repo}: issues labelled {' or '.join(labels)}", value=len(issues),
                    expected=f"<= {spec.max_open} open", url=f"{api.api_url}/repos/{repo}/issues")
    pages = Evidence(f"GitHub {repo}: pages of issues read", value=list_pages)
    return Verdict.of(verdict.status, verdict.summary, [*verdict.evidence, read, pages])


def _jira(spec: RemoteSpec, ctx: GateContext, validator: GitValidator | None) -> Verdict:
    from prepctl.sources.http import Auth, shared_client
    from prepctl.sources.jira import JiraAPI

    assert spec.jira is not None
    defaults = ctx.plan.model.sources.jira
    url = spec.jira.url or (defaults.url if defaults else None)
    if url is None:
        raise GateError("jira: no URL; set jira.url on the criterion or sources.jira.url")
    token_env = spec.jira.token_env or (defaults.token_env if defaults else None)
    user_env = spec.jira.user_env or (defaults.user_env if defaults else None)
    api = JiraAPI(shared_client(ctx), url.rstrip("/"), Auth(bearer_env=token_env, basic_user_env=user_env))
    issues = api.search(spec.jira.jql)
    verdict = judge_remote(f"Jira {url}", issues, spec, validator, lambda issue: [])
    read = Evidence(f"Jira: issues matching {spec.jira.jql}", value=len(issues),
                    expected=f"<= {spec.max_open} open", url=f"{url.rstrip('/')}/issues/?jql=")
    return Verdict.of(verdict.status, verdict.summary, [*verdict.evidence, read])


def judge_remote(source: str, issues: list[RemoteIssue], spec: RemoteSpec, validator: GitValidator | None,
                 tracker_commits) -> Verdict:
    open_items = [i for i in issues if not i.closed]
    closed = [i for i in issues if i.closed]
    where = spec.validated_in or (f"label {spec.validated_label}" if spec.validated_label else None)
    unvalidated: list[tuple[RemoteIssue, str]] = []
    validated: list[tuple[RemoteIssue, str]] = []
    if where is not None:
        for issue, result in _validate_all(closed, spec, validator, tracker_commits):
            (validated if result.validated else unvalidated).append((issue, result.reason))

    evidence = [Evidence(f"open {i.severity}: {i.key} {i.title}", value=i.status or "open", expected="closed",
                         url=i.url) for i in open_items]
    evidence += [Evidence(f"closed, not validated in {where}: {i.key} {i.title}", value=reason,
                          expected=f"a closing commit in {spec.validated_in}" if spec.validated_in
                          else f"label {spec.validated_label}", url=i.url) for i, reason in unvalidated]
    evidence += [Evidence(f"validated: {i.key} {i.title}", value=reason, url=i.url) for i, reason in validated]

    parts = [f"{source}: {len(open_items)} open (max {spec.max_open})"]
    if open_items:
        parts[0] += ": " + ", ".join(i.key for i in open_items[:5]) + (" …" if len(open_items) > 5 else "")
    if unvalidated:
        parts.append(f"{len(unvalidated)} closed, not validated in {where}: " + ", ".join(
            f"{i.key} ({reason})" for i, reason in unvalidated[:3]) + (" …" if len(unvalidated) > 3 else ""))
    if where is not None:
        parts.append(f"{len(validated)} closed and validated in {where}")
    else:
        parts.append(f"{len(closed)} closed")
    failed = len(open_items) > spec.max_open or bool(unvalidated)
    return Verdict.of(Status.FAIL if failed else Status.PASS, "; ".join(parts), evidence)


def _validate_all(closed: list[RemoteIssue], spec: RemoteSpec, validator: GitValidator | None,
                  tracker_commits) -> list[tuple[RemoteIssue, Validation]]:
    from concurrent.futures import ThreadPoolExecutor

    from prepctl.sources.validation import Validation

    def one(issue: RemoteIssue) -> tuple[RemoteIssue, Validation]:
        if spec.validated_label and spec.validated_label in issue.labels:
            return issue, Validation(True, f"labelled {spec.validated_label}")
        if validator is None:
            return issue, Validation(False, f"closed, not labelled {spec.validated_label}")
        return issue, validator.validate(issue.key, tracker_commits(issue))

    if len(closed) <= 1:
        return [one(i) for i in closed]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, closed))
