"""`--format sarif`: SARIF 2.1.0, the log format code scanning dashboards ingest.

One run per invocation. Rules are what was judged (``phase/criterion`` ids here, the same contract
names the graph commands use, see prepctl.formats.sarif_graph); results are the evidence that did not pass, each on its
file and line, at the item's own status (``Evidence.status``, else the criterion's). A baselined
(accepted) item (``Evidence.baselined``) is a result carrying an external suppression, so a
dashboard keeps it out of the open alerts without losing it. Passing and skipped criteria give
no results. The log is written by the JSON format's writer, so the same redaction applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from prepctl.formats.github import workspace_path
from prepctl.formats.interface import Format
from prepctl.formats.json import dump_json
from prepctl.verdicts import CriterionResult, GateReport, Status

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: Relative URIs are resolved against the checkout by GitHub and most other consumers.
SOURCE_ROOT = "%SRCROOT%"
INFORMATION_URI = "https://pypi.org/project/prepctl/"

#: How an evidence item's status reads in SARIF. A criterion that could not be judged (error)
#: is an error too: "unknown" must not look like "fine" on a dashboard.
LEVEL_OF: dict[Status, str] = {Status.FAIL: "error", Status.ERROR: "error", Status.WARN: "warning"}

@dataclass(frozen=True)
class Rule:
    """One thing prepctl judges: a criterion or an import contract."""

    id: str
    title: str
    kind: str


@dataclass(frozen=True)
class Finding:
    """One SARIF result before it is written: what broke where, and how badly."""

    rule_id: str
    status: Status
    message: str
    path: str | None = None
    line: int | None = None
    #: Accepted in the ratchet baseline: written with an external suppression.
    baselined: bool = False
    #: A stable identity across runs (a violation's baseline key), so a dashboard can track it.
    fingerprint: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> str:
        return LEVEL_OF.get(self.status, "note")


@dataclass
class SarifRun:
    """Rules and findings of one prepctl invocation, with where relative paths start."""

    root: str
    #: Where a finding without a file is reported (the plan): GitHub drops results with no location.
    fallback_path: str | None
    rules: dict[str, Rule] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: Why the run could not judge something: written as tool execution notifications.
    errors: list[str] = field(default_factory=list)

    def add_rule(self, rule: Rule) -> None:
        self.rules.setdefault(rule.id, rule)

    def to_log(self) -> dict[str, Any]:
        from prepctl import __version__

        rule_ids = list(self.rules)
        run: dict[str, Any] = {
            "tool": {"driver": {
                "name": "prepctl", "version": __version__, "informationUri": INFORMATION_URI,
                "rules": [_rule_dict(rule) for rule in self.rules.values()],
            }},
            "invocations": [{
                "executionSuccessful": not self.errors,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": text}}
                                               for text in self.errors],
            }],
            "columnKind": "unicodeCodePoints",
            "results": [self._result(f, rule_ids) for f in self.findings],
        }
        return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}

    def render(self) -> str:
        return dump_json(self.to_log())

    def _result(self, finding: Finding, rule_ids: list[str]) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "level": finding.level,
            "message": {"text": finding.message},
            "properties": {"status": finding.status.value, **finding.properties},
        }
        if finding.rule_id in self.rules:
            result["ruleIndex"] = rule_ids.index(finding.rule_id)
        path = finding.path or self.fallback_path
        if path:
            region = {"startLine": finding.line} if finding.path and finding.line and finding.line > 0 else None
            result["locations"] = [_location(workspace_path(self.root, path), region)]
        if finding.fingerprint:
            result["partialFingerprints"] = {"prepctlKey/v1": finding.fingerprint}
        if finding.baselined:
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": "baselined"}]
        return result


def _rule_dict(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "name": rule.id, "shortDescription": {"text": rule.title or rule.id},
            "properties": {"kind": rule.kind}}


def _location(path: str, region: dict[str, int] | None) -> dict[str, Any]:
    if Path(path).is_absolute():  # outside the checkout: only an absolute file URI says where
        artifact = {"uri": Path(path).as_uri()}
    else:
        artifact = {"uri": quote(Path(path).as_posix(), safe="/-._~"), "uriBaseId": SOURCE_ROOT}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def criterion_findings(phase: str, criterion: CriterionResult) -> list[Finding]:
    """The results of one criterion that did not pass: one per located evidence item, or one for
    the whole criterion (on the plan file) when no evidence says where."""
    if criterion.status not in LEVEL_OF:
        return []
    rule_id = f"{phase}/{criterion.id}"
    extra = {"phase": phase, "advisory": criterion.advisory}
    findings: list[Finding] = []
    for item in criterion.verdict.evidence:
        if not item.path:
            continue
        # The item's own status (a baselined violation: warn, accepted), advisory never blocking.
        status = item.status_in(criterion.status, criterion.advisory)
        if status not in LEVEL_OF:
            continue
        text = f"{criterion.verdict.summary} — {item.label}"
        if status is Status.ERROR:
            text = f"could not be judged: {text}"
        findings.append(Finding(rule_id, status, text, item.path, item.line, baselined=item.baselined,
                                properties=extra))
    # A failing criterion whose located evidence is all baselined still needs an open result.
    if not findings or (criterion.status is not Status.WARN and all(f.baselined for f in findings)):
        status = criterion.status
        if criterion.advisory and status is not Status.ERROR:
            status = Status.WARN
        text = criterion.verdict.summary
        if status is Status.ERROR:
            text = f"could not be judged: {text}"
        findings.append(Finding(rule_id, status, text, properties=extra))
    return findings


class SarifFormat(Format):
    name = "sarif"

    def render(self, report: GateReport) -> str:
        run = SarifRun(root=report.root, fallback_path=report.config_path)
        for phase in report.phases:
            for criterion in phase.criteria:
                # Criterion ids are unique within a phase only; graph check names contracts alike.
                run.add_rule(Rule(f"{phase.phase}/{criterion.id}", criterion.title, criterion.kind))
                run.findings.extend(criterion_findings(phase.phase, criterion))
        return run.render()
