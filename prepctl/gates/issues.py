"""Gate kind `issues`: no more than ``max_open`` open defects of the blocking severities.

    - id: no-open-p0-p1
      kind: issues
      title: All P0/P1 defects in REMAINING_ISSUES_REPORT.md closed
      report: REMAINING_ISSUES_REPORT.md
      severities: [P0, P1]
      max_open: 0

``severity_map`` says which words count as which level (defaults cover P0..P3, Sev-0..Sev-3,
Critical/High/Medium/Low). Evidence lists every open blocking item with its file:line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from prepctl.errors import GateError
from prepctl.gates.base import Gate, GateContext
from prepctl.gates.issues_remote import GitHubIssues, JiraIssues
from prepctl.plan import CriterionSpec, Phase
from prepctl.sources.issue_reports import (
    DEFAULT_SEVERITY_ALIASES,
    UNRECOGNISED,
    ReportedIssue,
    SeverityMap,
    parse_json,
    parse_markdown,
)
from prepctl.verdicts import Evidence, Status, Verdict, first_few


class IssuesSpec(CriterionSpec):
    kind: Literal["issues"]
    report: str | None = Field(None, description="Markdown or JSON report, relative to the root.")
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
        unknown = [s for s in self.severities if s not in self.severity_map]
        if unknown:
            raise ValueError(f"severities {unknown} are not levels of severity_map "
                             f"({', '.join(self.severity_map)})")
        return self


def read_report(ctx: GateContext, spec: IssuesSpec) -> list[ReportedIssue]:
    assert spec.report is not None
    try:
        text = ctx.tree.read_text(spec.report)
    except FileNotFoundError:
        raise GateError(f"report {ctx.tree.describe(spec.report)} not found") from None
    except UnicodeDecodeError as exc:
        raise GateError(f"report {spec.report} is not UTF-8 text: {exc.reason}") from None
    severities = SeverityMap(spec.severity_map)
    if spec.report.lower().endswith(".json"):
        try:
            return parse_json(text, spec.report, severities, spec.priority_field, spec.status_field)
        except ValueError as exc:
            raise GateError(f"report {spec.report} cannot be read: {exc}") from None
    return parse_markdown(text, spec.report, severities)


def judge(items: list[ReportedIssue], spec: IssuesSpec, source: str, revision: str | None) -> Verdict:
    unknown = [i for i in items if i.severity == UNRECOGNISED and not i.closed]
    if not [i for i in items if i.severity != UNRECOGNISED] and not unknown:
        # A report in which nothing is recognised is more likely misread than clean.
        raise GateError(f"no issues of any severity recognised in {source}; check severity_map "
                        "and the report's format")
    blocking = [i for i in items if i.severity in spec.severities]
    open_items = [i for i in blocking if not i.closed]
    levels = "/".join(spec.severities)
    evidence = [Evidence(f"open {i.severity}: {i.title}", path=i.path, line=i.line, value="open",
                         expected="closed", revision=revision) for i in open_items]
    evidence.append(Evidence(f"{levels} items read", path=source, value=len(blocking),
                             expected=f"<= {spec.max_open} open", revision=revision))
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
        names = first_few([f"{i.id or i.title} ({i.path}:{i.line})" for i in unknown], 5)
        return Verdict.of(Status.ERROR, f"{len(unknown)} open item(s) with a priority severity_map does not "
                          f"know ({', '.join(repr(w) for w in words)}), so whether they are {levels} is "
                          f"unknown: {names}; map those words in severity_map", evidence)
    return Verdict.of(Status.PASS, f"{len(open_items)} open {levels} (max {spec.max_open}); "
                      f"{closed} closed", evidence)


class IssuesGate(Gate[IssuesSpec]):
    kind = "issues"
    options = IssuesSpec

    def check(self, spec: IssuesSpec, phase: Phase, ctx: GateContext) -> Verdict:
        verdicts = []
        if spec.report is not None:
            items = read_report(ctx, spec)
            verdicts.append(judge(items, spec, spec.report, ctx.tree.revision))
        if spec.github is not None or spec.jira is not None:
            # The remote mode is live: it is `skip` under `gate --at REV`.
            from prepctl.gates.issues_remote import combine, remote_verdict

            verdicts.append(remote_verdict(spec, ctx))
            return combine(verdicts)
        return verdicts[0]
