"""`--format github` for `graph check` and `graph diff`: annotations on what the change broke.

Every new violation is an ``::error`` where its first import is written, and a skipped file in a
contract's scope (its imports unknown) an ``::error`` on that file. `graph check`'s baselined
violations, and the violations `graph diff`'s base already had, are never annotations: one
``::notice`` counts them and the step summary lists them all (prepctl.formats.github). A
contract that could not be judged is an ``::error`` without a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prepctl.formats.github import Annotations

if TYPE_CHECKING:
    from prepctl.graph.contracts import Violation
    from prepctl.graph.diff import GraphDiff
    from prepctl.graph.load import GraphSettings
    from prepctl.graph.ratchet import RatchetResult


def _located(violation: Violation) -> tuple[str | None, int | None]:
    first = violation.hops[0] if violation.hops else None
    return (first.path, first.line) if first else (None, None)


def _message(violation: Violation) -> str:
    return violation.message + (f" (chain: {violation.chain_text})" if violation.chain_text else "")


def _new(found: Annotations, contract_id: str, violation: Violation) -> None:
    found.add("error", f"{contract_id}: new violation", _message(violation), *_located(violation))


def _known(found: Annotations, contract_id: str, violation: Violation) -> None:
    found.accept(contract_id, _message(violation), *_located(violation))


def check_github(settings: GraphSettings, result: RatchetResult) -> str:
    """`graph check --format github`: new violations are errors, baselined ones one notice."""
    found = Annotations(root=str(settings.root), heading=f"prepctl graph check: {result.status.value.upper()}")
    # A file one contract cannot judge is its error; other contracts' warnings about it add nothing.
    blocking = {problem for outcome in result.outcomes for problem in outcome.blocking}
    for outcome in result.outcomes:
        for violation in outcome.new:
            _new(found, outcome.contract_id, violation)
        for problem in outcome.blocking:
            found.add("error", f"{outcome.contract_id}: could not be judged", "skipped file in the contract's "
                      f"scope, imports unknown: {problem.reason}", problem.path, problem.line)
        for problem in outcome.problems:
            if problem not in blocking:
                found.add("warning", "scan problem", f"{problem.reason} (imports ignored or unknown)",
                          problem.path, problem.line)
        for violation in outcome.known:
            _known(found, outcome.contract_id, violation)
    for contract_id, message in result.errors.items():
        found.add("error", f"{contract_id}: could not be judged", message)
    return found.render([f"prepctl graph check: {result.status.value}"])


def diff_github(settings: GraphSettings, result: GraphDiff, base: str) -> str:
    """`graph diff --format github`: what the head adds, as errors; what ``base`` (the revision as
    the user named it) had, one notice."""
    found = Annotations(root=str(settings.root), heading=f"prepctl graph diff {base} -> "
                        f"{result.head_label}: {result.new_violations} new violation(s)",
                        accepted_noun=f"violation(s) already on {base}",
                        accepted_reason="not added by this change")
    for contract in result.contracts:
        for violation in contract.new:
            _new(found, contract.contract_id, violation)
        if contract.error:
            found.add("error", f"{contract.contract_id}: could not be judged",
                      f"on {result.head_label}: {contract.error}")
        for violation in contract.known:
            _known(found, contract.contract_id, violation)
    return found.render([f"prepctl graph diff: {result.new_violations} new violation(s)"])
