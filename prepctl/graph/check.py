"""Evaluate `imports` criteria: run the contract, compare with the baseline, make a verdict.

Shared by the `imports` gate and `prepctl graph check`, so both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prepctl import patterns
from prepctl.graph.contracts import ContractContext, ContractOptions, ContractResult, Violation, run_contract
from prepctl.graph.scan.model import DYNAMIC, SKIPPED, ScanProblem
from prepctl.sources.tree import matches_any
from prepctl.verdicts import Evidence, Metric, Status, Verdict

if TYPE_CHECKING:
    from prepctl.graph.baseline import Baseline
    from prepctl.graph.model import ImportGraph

#: Evidence lines per verdict, for the blocking items and for the rest; beyond, they are counted
#: in one marker item, not listed (`graph check` lists every one).
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
    #: Skipped files inside the contract's scope that it does not tolerate (allow_skipped): their
    #: imports are unknown, so a kept contract is not known to be kept.
    blocking: list[ScanProblem] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if self.new:
            return Status.FAIL
        if self.blocking:
            return Status.ERROR
        if self.known or self.problems:
            return Status.WARN
        return Status.PASS

    def summary(self) -> str:
        if self.new:
            first = self.new[0]
            more = f" (+{len(self.new) - 1} more)" if len(self.new) > 1 else ""
            size = f"{self.result.headline}; " if self.result.headline else ""
            text = f"{size}{len(self.new)} new violation(s): {first.message}{more}"
            if self.known:
                text += f"; {len(self.known)} known in the baseline"
            if self.blocking:
                text += f"; {len(self.blocking)} skipped file(s) in scope, imports unknown"
            return text
        parts = []
        if self.blocking:
            first = self.blocking[0]
            more = f" (+{len(self.blocking) - 1} more)" if len(self.blocking) > 1 else ""
            where = f"{first.path}:{first.line}" if first.line else first.path
            parts.append(f"{len(self.blocking)} skipped file(s) in the contract's scope, imports unknown: "
                         f"{where}{more}; fix the file, or tolerate it with allow_skipped")
        if self.known:
            parts.append(f"{len(self.known)} known violation(s) in the baseline, none new")
        others = len(self.problems) - len(self.blocking)
        if others:
            parts.append(f"{others} {'other ' if self.blocking else ''}scan problem(s): files skipped, "
                         "imports ignored or unknown")
        if self.fixed:
            parts.append(f"{len(self.fixed)} baselined violation(s) fixed: shrink the baseline "
                         "(prepctl graph check --update-baseline)")
        if not parts:
            return f"kept: {self.result.checked}"
        return "; ".join(parts) + f" ({self.result.checked})"

    def evidence(self) -> list[Evidence]:
        """Each item with its own status: a new violation fails and a skipped file in scope is an
        error whatever else the contract holds; a baselined violation is accepted (``warn``,
        ``baselined``); a scan problem warns. The last item counts the violations (the metric)."""
        rev = self.revision
        # Listed first and cut on their own: each blocks the gate, so none may be crowded out.
        blocking: list[Evidence] = [Evidence(f"skipped in scope (imports unknown): {p.reason}", path=p.path,
                                             line=p.line, expected="a file the scan can read, or allow_skipped",
                                             revision=rev, status=Status.ERROR) for p in self.blocking]
        blocking += [_violation_evidence("NEW " + v.message, v, rev, Status.FAIL) for v in self.new]
        items = [_violation_evidence("baselined: " + v.message, v, rev, Status.WARN, baselined=True)
                 for v in self.known]
        items.extend(_members_evidence(self.new + self.known, rev))
        items.extend(Evidence(f"fixed (still in baseline): {key}", expected="remove from baseline",
                              revision=rev) for key in self.fixed)
        items.extend(Evidence(f"scan problem: {p.reason}", path=p.path, line=p.line, revision=rev,
                              status=Status.WARN)
                     for p in self.problems if p not in self.blocking)
        items.extend(Evidence(note, revision=rev) for note in self.result.notes)
        if len(blocking) > MAX_EVIDENCE:
            # Still failing, not hidden: the marker carries the fail and says where the rest is.
            hidden = len(blocking) - MAX_EVIDENCE
            blocking = blocking[:MAX_EVIDENCE] + [Evidence(
                f"... {hidden} more new violation(s) or skipped file(s) not listed here (see `prepctl "
                "graph check`, which lists every one)", value=hidden, revision=rev, status=Status.FAIL)]
        if len(items) > MAX_EVIDENCE:
            hidden_items = items[MAX_EVIDENCE:]
            accepted = sum(1 for e in hidden_items if e.baselined)
            items = items[:MAX_EVIDENCE] + [Evidence(
                f"... {len(hidden_items)} more ({accepted} baselined) not listed here (see `prepctl graph "
                "check`, which lists every one)", value=len(hidden_items), revision=rev)]
        return [*blocking, *items, self.count_evidence()]

    def count_evidence(self) -> Evidence:
        """The violations counted, new and baselined: the number a chart follows from run to run.
        Its threshold is the contract's baseline (known and fixed keys): above it, something is new."""
        total = len(self.new) + len(self.known)
        return Evidence(f"{self.result.checked}: {total} violation(s), {len(self.new)} new",
                        value=total, expected="no new violation", revision=self.revision,
                        metric=Metric("violations", total, unit="violations", objective="no new violation",
                                      threshold=len(self.known) + len(self.fixed), direction="lower"))

    def verdict(self) -> Verdict:
        return Verdict.of(self.status, self.summary(), self.evidence())

    def to_dict(self) -> dict:
        return {"contract": self.contract_id, "type": self.contract_type, "status": self.status.value,
                "summary": self.summary(), "checked": self.result.checked,
                "new": [v.to_dict() for v in self.new], "known": [v.to_dict() for v in self.known],
                "fixed": self.fixed, "notes": self.result.notes,
                "skipped_files": [{"path": p.path, "line": p.line, "reason": p.reason, "kind": p.kind,
                                   "module": p.module, "in_scope": p in self.blocking} for p in self.problems]}


def _members_evidence(violations: list[Violation], revision: str | None) -> list[Evidence]:
    """The full member list of each cycle: the summary names only a few."""
    return [Evidence(f"members of {v.key.partition(':')[0]} ({len(v.members)})", value=", ".join(v.members),
                     revision=revision) for v in violations if v.members]


def _violation_evidence(label: str, violation: Violation, revision: str | None, status: Status, *,
                        baselined: bool = False) -> Evidence:
    first = violation.hops[0] if violation.hops else None
    chain = " -> ".join(f"{h.importer} ({h.location})" for h in violation.hops)
    if violation.hops:
        chain += f" -> {violation.hops[-1].imported}"
    return Evidence(label, path=first.path if first else None, line=first.line if first else None,
                    value=chain or violation.key, expected="no such import", revision=revision,
                    status=status, baselined=baselined)


def evaluate_contract(contract_id: str, options, graph: ImportGraph, ctx: ContractContext,
                      baseline: Baseline | None) -> ContractOutcome:
    result = run_contract(options, graph, ctx)
    known_keys = baseline.known(contract_id) if baseline is not None else set()
    shown, blocking = scope_problems(options, graph, graph.scan.problems)
    outcome = ContractOutcome(contract_id, options.type, result, revision=graph.scan.revision,
                              problems=shown, blocking=blocking)
    for violation in result.violations:
        (outcome.known if violation.key in known_keys else outcome.new).append(violation)
    current = {v.key for v in result.violations}
    outcome.fixed = sorted(known_keys - current)
    return outcome


def scope_problems(options: ContractOptions, graph: ImportGraph,
                   problems: list[ScanProblem]) -> tuple[list[ScanProblem], list[ScanProblem]]:
    """(problems this contract reports, the blocking ones among them).

    Blocking: skipped files whose unknown imports could change the answer, less those the
    contract tolerates (``allow_skipped``). A computed dynamic import is reported only where it
    could change the answer too (else every contract of a plugin-loading monolith would warn).

    In scope: a file that is (or, read literally, would be) a module of the contract's importer
    side (``importer_scope``: a forbidden contract's source, every layer, ...; every module for
    facade, decommission and audit), or, for a transitive contract, one that side reaches: a
    chain through it is invisible. A problem naming no module is in scope (fail closed).
    """
    if not any(p.kind in (SKIPPED, DYNAMIC) for p in problems):
        return list(problems), []  # nothing to place: spare the reachability walk
    scope = options.importer_scope()
    reach: set[str] = set()
    if scope is not None and getattr(options, "transitive", False):
        reach = reachable_from(graph, patterns.select(scope, graph.modules))

    def inside(problem: ScanProblem) -> bool:
        return scope is None or problem.module is None or problem.module in reach \
            or patterns.matches(scope, problem.module)

    # A contract that leaves dynamic imports out (dynamic: false) is not affected by unknown ones.
    shown = [p for p in problems if p.kind != DYNAMIC or (options.dynamic and inside(p))]
    blocking = [p for p in shown if p.kind == SKIPPED and inside(p)
                and not (options.allow_skipped and matches_any(p.path, options.allow_skipped))]
    return shown, blocking


def reachable_from(graph: ImportGraph, start: set[str]) -> set[str]:
    """Every module imported, directly or not, by a module of ``start``."""
    seen = set(start)
    stack = list(start)
    while stack:
        for child in graph.graph.successors(stack.pop()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
