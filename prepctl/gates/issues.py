"""Gate kind `issues`: no more than ``max_open`` open defects of the blocking severities.

```yaml
- id: no-open-p0-p1
  kind: issues
  title: All P0/P1 defects in REMAINING_ISSUES_REPORT.md closed
  report: REMAINING_ISSUES_REPORT.md
  severities: [P0, P1]
  max_open: 0
```

``severity_map`` says which words count as which level (defaults cover P0..P3, Sev-0..Sev-3,
Critical/High/Medium/Low). Evidence lists every open blocking item with its file:line.

With ``github:`` (labels) or ``jira:`` (a JQL search) it also reads a live tracker:

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

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path, PurePath
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from prepctl.errors import GateError
from prepctl.gates.base import Gate
from prepctl.plan.model import CriterionSpec, Phase, StrictModel
from prepctl.plan.sources import EnvName, GitHubSource, http_url
from prepctl.sources.context import GateContext
from prepctl.sources.http import Auth, redact_verdict, shared_client
from prepctl.sources.issue_reports.reader import (
    DEFAULT_SEVERITY_ALIASES,
    UNRECOGNISED,
    ReportedIssue,
    ReportReading,
    SeverityMap,
    read_csv,
    read_json,
    read_markdown,
)
from prepctl.sources.trackers.github import GitHubAPI
from prepctl.sources.trackers.interface import IssueFilter, IssueTracker, RemoteIssue
from prepctl.sources.trackers.jira import JiraAPI
from prepctl.sources.tree import WorkTree, normalise
from prepctl.sources.validation import GitValidator, Validation
from prepctl.verdicts import Evidence, Metric, Status, Verdict, first_few, worst

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


class IssuesSpec(CriterionSpec):
    kind: Literal["issues"]
    report: str | None = Field(None, description="Markdown, JSON or CSV report, relative to the monolith "
                               "root; 'plan:<path>' for one relative to the folder of phases.yaml.")
    severities: list[str] = Field(default_factory=lambda: ["P0", "P1"], min_length=1,
                                  description="Levels that block.")
    max_open: int = Field(0, ge=0)
    severity_map: dict[str, list[str]] = Field(
        default_factory=lambda: dict(DEFAULT_SEVERITY_ALIASES),
        description="Level -> words that mean it, e.g. {P1: [P1, Sev-1, '🔴 High']}.")
    priority_field: str | None = Field(None, description="JSON reports: the field holding the priority.")
    status_field: str | None = Field(None, description="JSON reports: the field holding the status.")
    github: GitHubIssues | None = Field(None, description="Also read labelled GitHub issues (live).")
    jira: JiraIssues | None = Field(None, description="Also read a Jira JQL search (live).")
    validated_in: str | None = Field(None, description="GitHub/Jira: a closed issue is resolved only if a "
                                     "commit that closed it is in this git ref (e.g. staging).")
    validated_label: str | None = Field(None, description="GitHub/Jira: a label that also counts as "
                                        "validated, e.g. validated-staging.")
    git_repo: str | None = Field(None, description="The clone validated_in is checked in, relative to "
                                 "the root (default: the root).")

    @model_validator(mode="after")
    def _has_source(self) -> IssuesSpec:
        if self.report is None and self.github is None and self.jira is None:
            raise ValueError("an issues criterion needs a 'report', 'github' or 'jira' to read")
        if (self.validated_in or self.validated_label) and self.github is None and self.jira is None:
            raise ValueError("validated_in/validated_label apply to github or jira issues; add one")
        problem = report_path_problem(self.report) if self.report is not None else None
        if problem:
            raise ValueError(problem)
        unknown = [s for s in self.severities if s not in self.severity_map]
        if unknown:
            raise ValueError(f"severities {unknown} are not levels of severity_map "
                             f"({', '.join(self.severity_map)})")
        return self


#: Prefix of a ``report:`` that lives beside phases.yaml (a plan repository kept apart from the
#: monolith) instead of inside the monolith's root.
PLAN_PREFIX = "plan:"
#: A report bigger than this is not a hand-kept issue list; refusing it bounds memory.
MAX_REPORT_BYTES = 64 * 1024 * 1024


def report_path_problem(report: str) -> str | None:
    """Why a ``report:`` value cannot name a file, or None. Checked when the plan loads."""
    rel = report.removeprefix(PLAN_PREFIX) if report.startswith(PLAN_PREFIX) else report
    if not rel.strip():
        return f"report {report!r} names no file"
    if report.startswith(PLAN_PREFIX) and (PurePath(rel).is_absolute() or ".." in PurePath(rel).parts):
        return f"report {report!r}: a '{PLAN_PREFIX}' path is relative to the folder of phases.yaml and " \
               "may not leave it"
    if "\0" in rel:
        return f"report {report!r} contains a NUL character"
    return None


def read_regular_file(path: Path, shown: str) -> bytes:
    """A regular file's bytes. Anything else (a folder, FIFO, device, socket) is refused by what it
    is, before a read could block or never end."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise GateError(f"report {shown} not found" + ("" if str(path) in shown else f" (looked for {path})")) from None
    except IsADirectoryError:
        raise GateError(f"report {shown} is a folder, not a file; name the report file inside it") from None
    except OSError as exc:
        raise GateError(f"report {shown} cannot be opened: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise GateError(f"report {shown} is a folder, not a file; name the report file inside it")
        if not stat.S_ISREG(info.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode) or \
                stat.S_ISBLK(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file"
            raise GateError(f"report {shown} is {kind}; only a regular file is read")
        if info.st_size > MAX_REPORT_BYTES:
            raise GateError(f"report {shown} is {info.st_size} bytes, over the {MAX_REPORT_BYTES} byte limit "
                            "for an issue report")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_REPORT_BYTES:
                raise GateError(f"report {shown} grew past the {MAX_REPORT_BYTES} byte limit while being read")
        return b"".join(chunks)
    except OSError as exc:
        raise GateError(f"report {shown} cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)


def _inside(path: Path, folder: Path, report: str, what: str) -> Path:
    try:
        resolved, base = path.resolve(), folder.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise GateError(f"report {report} cannot be resolved: {exc}") from None
    if resolved != base and base not in resolved.parents:
        raise GateError(f"report {report} is outside {what} {base}; keep the report inside it"
                        + ("" if report.startswith(PLAN_PREFIX) else
                           f", or write '{PLAN_PREFIX}<path>' for a report beside phases.yaml"))
    return resolved


def report_bytes(ctx: GateContext, report: str) -> bytes:
    if report.startswith(PLAN_PREFIX):
        # The plan repository is read as it is on disk, also under --at: it is not the monolith's history.
        folder = ctx.plan.config_dir
        path = _inside(folder / report.removeprefix(PLAN_PREFIX), folder, report, "the plan folder")
        return read_regular_file(path, f"{report} ({path})")
    if isinstance(ctx.tree, WorkTree):
        root = Path(ctx.tree.root)
        # An absolute path is taken as written, so one outside the root says so instead of "not found".
        wanted = Path(report) if Path(report).is_absolute() else root / normalise(report)
        path = _inside(wanted, root, report, "the monolith root")
        return read_regular_file(path, report if path == (root / normalise(report)).resolve() else f"{report} ({path})")
    try:
        return ctx.tree.read_bytes(report)
    except FileNotFoundError:
        raise GateError(f"report {ctx.tree.describe(report)} not found") from None
    except (IsADirectoryError, NotADirectoryError):
        raise GateError(f"report {ctx.tree.describe(report)} is a folder, not a file") from None


def read_report(ctx: GateContext, spec: IssuesSpec) -> ReportReading:
    assert spec.report is not None
    data = report_bytes(ctx, spec.report)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise GateError(f"report {spec.report}:{line} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                        "save it as UTF-8") from None
    severities = SeverityMap(spec.severity_map)
    suffix = spec.report.lower().rsplit(".", 1)[-1]
    try:
        if suffix == "json":
            return read_json(text, spec.report, severities, spec.priority_field, spec.status_field)
        if suffix == "csv":
            return read_csv(text, spec.report, severities, spec.priority_field, spec.status_field)
        return read_markdown(text, spec.report, severities)
    except (ValueError, RecursionError) as exc:
        raise GateError(f"report {spec.report} cannot be read: {exc}") from None


def items_read(reading: ReportReading) -> str:
    """``items read: 5 open / 3 closed / 2 ignored (in code, comments)``: nothing vanished unseen."""
    opened = sum(1 for i in reading.items if not i.closed)
    where = ", ".join(f"{n} {w}" for w, n in sorted(reading.ignored.items()))
    ignored = sum(reading.ignored.values())
    return (f"items read: {opened} open / {len(reading.items) - opened} closed / {ignored} ignored"
            + (f" ({where})" if where else " (in code, comments)"))


def judge(items: list[ReportedIssue], spec: IssuesSpec, source: str, revision: str | None,
          reading: ReportReading | None = None) -> Verdict:
    unknown = [i for i in items if i.severity == UNRECOGNISED and not i.closed]
    if not [i for i in items if i.severity != UNRECOGNISED] and not unknown:
        # A report in which nothing is recognised is more likely misread than clean.
        raise GateError(f"no issues of any severity recognised in {source}; check severity_map "
                        "and the report's format"
                        + (f" ({items_read(reading)})" if reading is not None and reading.ignored else ""))
    blocking = [i for i in items if i.severity in spec.severities]
    open_items = [i for i in blocking if not i.closed]
    levels = "/".join(spec.severities)
    evidence = [Evidence(f"open {i.severity}: {i.title}", path=i.path, line=i.line, value="open",
                         expected="closed", revision=revision) for i in open_items]
    evidence.append(Evidence(f"{levels} items read", path=source, value=len(blocking),
                             expected=f"<= {spec.max_open} open", revision=revision,
                             metric=Metric(f"open {levels}", len(open_items), unit="issues",
                                           objective=f"<= {spec.max_open} open", threshold=spec.max_open,
                                           direction="lower")))
    if reading is not None:
        evidence.append(Evidence(items_read(reading), path=source, value=len(reading.items), revision=revision))
    closed = len(blocking) - len(open_items)
    if len(open_items) > spec.max_open:
        names = first_few([f"{i.id or i.title} ({i.path}:{i.line})" for i in open_items], 5)
        return Verdict.of(Status.FAIL, f"{len(open_items)} open {levels} (max {spec.max_open}): "
                          f"{names}", evidence)
    if unknown:
        # Any of them could be a P0: the report cannot vouch for a pass.
        evidence[:0] = [Evidence(f"open, priority {i.priority_text!r} not in severity_map: {i.title}",
                                 path=i.path, line=i.line, value=i.priority_text, expected="a mapped priority",
                                 revision=revision) for i in unknown]
        words = sorted({str(i.priority_text) for i in unknown})
        # "(no priority written)", "labels: bug": nothing to map, a priority to add.
        no_priority = any(w.startswith(("(", "labels:")) for w in words)
        names = first_few([f"{i.id or i.title} ({i.path}:{i.line})" for i in unknown], 5)
        return Verdict.of(Status.ERROR, f"{len(unknown)} open item(s) with a priority severity_map does not "
                          f"know ({', '.join(repr(w) for w in words)}), so whether they are {levels} is "
                          f"unknown: {names}; map those words in severity_map"
                          + (", or give the items without one a priority" if no_priority else ""), evidence)
    return Verdict.of(Status.PASS, f"{len(open_items)} open {levels} (max {spec.max_open}); "
                      f"{closed} closed", evidence)


class IssuesGate(Gate[IssuesSpec]):
    kind = "issues"
    options = IssuesSpec

    def check(self, spec: IssuesSpec, phase: Phase, ctx: GateContext) -> Verdict:
        verdicts = []
        if spec.report is not None:
            reading = read_report(ctx, spec)
            verdicts.append(judge(reading.items, spec, spec.report, ctx.tree.revision, reading))
        if spec.github is not None or spec.jira is not None:
            # The remote mode is live: it is `skip` under `gate --at REV`.
            verdicts.append(remote_verdict(spec, ctx))
            return combine(verdicts)
        return verdicts[0]


# ---------------------------------------------------------------- remote trackers


def combine(verdicts: list[Verdict]) -> Verdict:
    """One verdict from the local report's and the remote sources': the worst wins."""
    if len(verdicts) == 1:
        return verdicts[0]
    status = worst(v.status for v in verdicts)
    return Verdict.of(status, " | ".join(v.summary for v in verdicts),
                      [e for v in verdicts for e in v.evidence])


def remote_verdict(spec: IssuesSpec, ctx: GateContext) -> Verdict:
    if ctx.revision is not None:
        return Verdict.of(Status.SKIP, "GitHub/Jira are live sources, not historical",
                          [Evidence("revision", revision=ctx.revision)])
    validator = _validator(spec, ctx)
    verdicts = []
    if spec.github is not None:
        verdicts.append(_github(spec, ctx, validator))
    if spec.jira is not None:
        verdicts.append(_jira(spec, ctx, validator))
    return redact_verdict(combine(verdicts))


def _validator(spec: IssuesSpec, ctx: GateContext) -> GitValidator | None:
    if spec.validated_in is None:
        return None
    folder = ctx.plan.root / spec.git_repo if spec.git_repo else ctx.plan.root
    return ctx.shared(f"git-validator:{folder}:{spec.validated_in}",
                      lambda: GitValidator(folder, spec.validated_in or ""))


def _github(spec: IssuesSpec, ctx: GateContext, validator: GitValidator | None) -> Verdict:
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
    issues = api.find(IssueFilter(labels=tuple(labels), since=since))
    list_pages = api.pages_read
    verdict = judge_remote(f"GitHub {repo}", issues, spec, validator, api)
    read = Evidence(f"GitHub {repo}: issues labelled {' or '.join(labels)}", value=len(issues),
                    expected=f"<= {spec.max_open} open", url=f"{api.base_url}/repos/{repo}/issues")
    pages = Evidence(f"GitHub {repo}: pages of issues read", value=list_pages)
    return Verdict.of(verdict.status, verdict.summary, [*verdict.evidence, read, pages])


def _jira(spec: IssuesSpec, ctx: GateContext, validator: GitValidator | None) -> Verdict:
    assert spec.jira is not None
    defaults = ctx.plan.model.sources.jira
    url = spec.jira.url or (defaults.url if defaults else None)
    if url is None:
        raise GateError("jira: no URL; set jira.url on the criterion or sources.jira.url")
    token_env = spec.jira.token_env or (defaults.token_env if defaults else None)
    user_env = spec.jira.user_env or (defaults.user_env if defaults else None)
    api = JiraAPI(shared_client(ctx), url.rstrip("/"), Auth(bearer_env=token_env, basic_user_env=user_env))
    issues = api.find(IssueFilter(jql=spec.jira.jql))
    verdict = judge_remote(f"Jira {url}", issues, spec, validator, api)
    read = Evidence(f"Jira: issues matching {spec.jira.jql}", value=len(issues),
                    expected=f"<= {spec.max_open} open", url=f"{url.rstrip('/')}/issues/?jql=")
    return Verdict.of(verdict.status, verdict.summary, [*verdict.evidence, read])


def judge_remote(source: str, issues: list[RemoteIssue], spec: IssuesSpec, validator: GitValidator | None,
                 tracker: IssueTracker) -> Verdict:
    open_items = [i for i in issues if not i.closed]
    closed = [i for i in issues if i.closed]
    where = spec.validated_in or (f"label {spec.validated_label}" if spec.validated_label else None)
    unvalidated: list[tuple[RemoteIssue, str]] = []
    validated: list[tuple[RemoteIssue, str]] = []
    if where is not None:
        for issue, result in _validate_all(closed, spec, validator, tracker):
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


def _validate_all(closed: list[RemoteIssue], spec: IssuesSpec, validator: GitValidator | None,
                  tracker: IssueTracker) -> list[tuple[RemoteIssue, Validation]]:
    def one(issue: RemoteIssue) -> tuple[RemoteIssue, Validation]:
        if spec.validated_label and spec.validated_label in issue.labels:
            return issue, Validation(True, f"labelled {spec.validated_label}")
        if validator is None:
            return issue, Validation(False, f"closed, not labelled {spec.validated_label}")
        return issue, validator.validate(issue.key, tracker.closing_commits(issue))

    if len(closed) <= 1:
        return [one(i) for i in closed]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, closed))
