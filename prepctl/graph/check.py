"""Evaluate `imports` criteria: run the contract, compare with the baseline, make a verdict.

Shared by the `imports` gate and `prepctl graph check`, so both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prepctl.graph.contracts import ContractContext, ContractResult, Violation, run_contract
from prepctl.verdicts import Evidence, Status, Verdict

if TYPE_CHECKING:
    from prepctl.graph.baseline import Baseline
    from prepctl.graph.model import ImportGraph
    from prepctl.sources.imports import ScanProblem

#: Evidence lines per verdict; the rest are counted, not listed.
MAX_EVIDENCE = 50


@dataclass
class ContractOutcome:
    """One contract's result split against the baseline."""

    contract_id: str
    contract_type: str
    result: ContractResult
    new: list[Violation] = field(default_factory=list)
    known: list[Violation] = field(default_factory=list)
    #: baseline keys no longer violated: the baseline can shrink
    fixed: list[str] = field(default_factory=list)
    problems: list[ScanProblem] = field(default_factory=list)
    revision: str | None = None

    @property
    def status(self) -> Status:
        if self.new:
            return Status.FAIL
        if self.known or self.problems:
            return Status.WARN
        return Status.PASS

    def summary(self) -> str:
        if self.new:
            first = self.new[0]
            more = f" (+{len(self.new) - 1} more)" if len(self.new) > 1 else ""
            text = f"{len(self.new)} new violation(s): {first.message}{more}"
            if self.known:
                text += f"; {len(self.known)} known in the baseline"
            return text
        parts = []
        if self.known:
            parts.append(f"{len(self.known)} known violation(s) in the baseline, none new")
        if self.problems:
            parts.append(f"{len(self.problems)} scan problem(s): files skipped or imports ignored")
        if self.fixed:
            parts.append(f"{len(self.fixed)} baselined violation(s) fixed: shrink the baseline "
                         "(prepctl graph check --update-baseline)")
        if not parts:
            return f"kept: {self.result.checked}"
        return "; ".join(parts) + f" ({self.result.checked})"

    def evidence(self) -> list[Evidence]:
        rev = self.revision
        items: list[Evidence] = []
        for violation in self.new:
            items.append(_violation_evidence("NEW " + violation.message, violation, rev))
        for violation in self.known:
            items.append(_violation_evidence("baselined: " + violation.message, violation, rev))
        items.extend(Evidence(f"fixed (still in baseline): {key}", expected="remove from baseline",
                              revision=rev) for key in self.fixed)
        items.extend(Evidence(f"scan problem: {p.reason}", path=p.path, line=p.line, revision=rev)
                     for p in self.problems)
        items.extend(Evidence(note, revision=rev) for note in self.result.notes)
        if len(items) > MAX_EVIDENCE:
            hidden = len(items) - MAX_EVIDENCE
            items = items[:MAX_EVIDENCE] + [Evidence(f"... {hidden} more (see `prepctl graph check "
                                                     "--format json`)")]
        if not items:
            items.append(Evidence(self.result.checked, revision=rev))
        return items

    def verdict(self) -> Verdict:
        return Verdict.of(self.status, self.summary(), self.evidence())

    def to_dict(self) -> dict:
        return {"contract": self.contract_id, "type": self.contract_type, "status": self.status.value,
                "summary": self.summary(), "checked": self.result.checked,
                "new": [v.to_dict() for v in self.new], "known": [v.to_dict() for v in self.known],
                "fixed": self.fixed, "notes": self.result.notes,
                "skipped_files": [{"path": p.path, "line": p.line, "reason": p.reason} for p in self.problems]}


def _violation_evidence(label: str, violation: Violation, revision: str | None) -> Evidence:
    first = violation.hops[0] if violation.hops else None
    chain = " -> ".join(f"{h.importer} ({h.location})" for h in violation.hops)
    if violation.hops:
        chain += f" -> {violation.hops[-1].imported}"
    return Evidence(label, path=first.path if first else None, line=first.line if first else None,
                    value=chain or violation.key, expected="no such import", revision=revision)


def evaluate_contract(contract_id: str, options, graph: ImportGraph, ctx: ContractContext,
                      baseline: Baseline | None) -> ContractOutcome:
    result = run_contract(options, graph, ctx)
    known_keys = baseline.known(contract_id) if baseline is not None else set()
    outcome = ContractOutcome(contract_id, options.type, result, revision=graph.scan.revision,
                              problems=list(graph.scan.problems))
    for violation in result.violations:
        (outcome.known if violation.key in known_keys else outcome.new).append(violation)
    current = {v.key for v in result.violations}
    outcome.fixed = sorted(known_keys - current)
    return outcome
