"""SARIF 2.1.0 for `graph check` and `graph diff`: one rule per contract, one result per violation.

Each violation is reported where its first import is written. `graph check` reports baselined
violations as suppressed results (accepted in the ratchet baseline); `graph diff` reports only
what the head adds. A contract that could not be judged is an error result on the plan file and
a tool execution notification, so the run never reads as clean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prepctl.formats.sarif import Finding, Rule, SarifRun
from prepctl.verdicts import Status

if TYPE_CHECKING:
    from prepctl.graph.contracts import Violation
    from prepctl.graph.diff import GraphDiff
    from prepctl.graph.load import GraphSettings
    from prepctl.graph.ratchet import RatchetResult
    from prepctl.graph.scan.model import ScanProblem

CONTRACT_KIND = "imports"


def _violation_finding(contract_id: str, violation: Violation, status: Status, *,
                       baselined: bool = False) -> Finding:
    first = violation.hops[0] if violation.hops else None
    message = violation.message
    if violation.chain_text:
        message += f" (chain: {violation.chain_text})"
    return Finding(contract_id, status, message, path=first.path if first else None,
                   line=first.line if first else None, baselined=baselined, fingerprint=violation.key,
                   properties={"key": violation.key})


def _blocking_finding(contract_id: str, problem: ScanProblem) -> Finding:
    return Finding(contract_id, Status.ERROR, f"could not be judged: skipped file in the contract's scope, "
                   f"imports unknown: {problem.reason}", path=problem.path, line=problem.line)


def _run(settings: GraphSettings) -> SarifRun:
    plan_path = str(settings.plan.path) if settings.plan is not None else None
    return SarifRun(root=str(settings.root), fallback_path=plan_path)


def check_sarif(settings: GraphSettings, result: RatchetResult) -> str:
    """`graph check --format sarif`: new violations are errors, baselined ones suppressed."""
    run = _run(settings)
    for outcome in result.outcomes:
        run.add_rule(Rule(outcome.contract_id, outcome.result.checked, CONTRACT_KIND))
        run.findings.extend(_violation_finding(outcome.contract_id, v, Status.FAIL) for v in outcome.new)
        run.findings.extend(_violation_finding(outcome.contract_id, v, Status.WARN, baselined=True)
                            for v in outcome.known)
        run.findings.extend(_blocking_finding(outcome.contract_id, p) for p in outcome.blocking)
    for contract_id, message in result.errors.items():
        run.add_rule(Rule(contract_id, contract_id, CONTRACT_KIND))
        run.findings.append(Finding(contract_id, Status.ERROR, f"could not be judged: {message}"))
        run.errors.append(f"{contract_id}: {message}")
    return run.render()


def diff_sarif(settings: GraphSettings, result: GraphDiff) -> str:
    """`graph diff --format sarif`: the violations the head adds, as errors."""
    run = _run(settings)
    for contract in result.contracts:
        run.add_rule(Rule(contract.contract_id, contract.contract_id, CONTRACT_KIND))
        run.findings.extend(_violation_finding(contract.contract_id, v, Status.FAIL) for v in contract.new)
        if contract.error:
            run.findings.append(Finding(contract.contract_id, Status.ERROR,
                                        f"could not be judged on {result.head_label}: {contract.error}"))
            run.errors.append(f"{contract.contract_id}: {contract.error}")
    return run.render()
