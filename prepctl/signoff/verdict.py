"""The verdict of a phase's sign-off state: pass when every required role approved the current content."""

from __future__ import annotations

from prepctl.errors import GateError
from prepctl.signoff.state import SignoffState
from prepctl.verdicts import Evidence, Status, Verdict


def state_verdict(state: SignoffState) -> Verdict:
    if not state.exists:
        raise GateError(f"RFC {state.rfc_label} not found; render it with `prepctl render rfc "
                        f"{state.phase}` and commit it")
    if not state.roles:
        raise GateError(f"phase '{state.phase}' names no approvers; add approvers: to the phase or "
                        "roles: to this criterion")
    evidence: list[Evidence] = []
    if state.last_change is not None:
        evidence.append(Evidence("RFC last content change", path=state.rfc_label,
                                 value=state.last_change.describe(), revision=state.last_change.commit))
    elif not state.in_git:
        evidence.append(Evidence("RFC is not in git", path=state.rfc_label,
                                 value="approvals are checked against rfc_digest only"))
    awaiting, stale = [], []
    for role in state.roles:
        valid = role.approved_by
        if valid is not None:
            evidence.append(Evidence(f"{role.role}: approved by {valid.name}", path=valid.source,
                                     value=valid.day.isoformat(), revision=valid.commit))
            continue
        if role.status == "stale":
            stale.append(role.role)
        else:
            awaiting.append(role.role)
        for approval in role.approvals:
            evidence.append(Evidence(f"{role.role}: {approval.problem} (by {approval.name})",
                                     path=approval.source, value=approval.day.isoformat(),
                                     expected="an approval of the RFC's current content",
                                     revision=approval.commit))
        if not role.approvals:
            evidence.append(Evidence(f"{role.role}: no approval recorded",
                                     expected=f"approval by {role.required_name or role.role}"))
    for approval in state.unmatched:
        evidence.append(Evidence(f"approval by {approval.name} matches no required role",
                                 path=approval.source, value=approval.role or "no role",
                                 expected="one of " + ", ".join(r.role for r in state.roles)))
    if not awaiting and not stale:
        names = ", ".join(f"{r.role} ({r.approved_by.name})" for r in state.roles if r.approved_by)
        return Verdict.of(Status.PASS, f"signed off by {names}", evidence)
    parts = []
    if awaiting:
        parts.append("awaiting sign-off by " + ", ".join(awaiting))
    if stale:
        parts.append("stale approval by " + ", ".join(stale) + " (the RFC changed since)")
    return Verdict.of(Status.FAIL, "; ".join(parts), evidence)
