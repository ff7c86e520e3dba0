"""`prepctl signoff`: validate one approval and append it to the sign-off file.

An RFC approval records the digest of the RFC's current content, so a later content change
shows it as stale; a criterion sign-off names the criterion whose role it fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prepctl.errors import PrepctlError, Problem
from prepctl.plan.model import LoadedPlan
from prepctl.signoff.content import content_digest
from prepctl.signoff.signoffs_file import SignOff, append_signoff, load_signoffs, signoff_path
from prepctl.signoff.spec import required_roles, rfc_path, spec_for


@dataclass(frozen=True)
class Recorded:
    path: Path
    phase: str
    role: str
    name: str
    criterion: str | None
    rfc_digest: str | None
    already: bool = False

    def describe(self) -> str:
        what = f"criterion {self.criterion}" if self.criterion else f"the RFC (content {self.rfc_digest})"
        note = " (already recorded; nothing added)" if self.already else ""
        return f"{self.role} {self.name} approves {what} of {self.phase}{note}"


def record_signoff(plan: LoadedPlan, phase_id: str, role: str, name: str, email: str | None = None,
                   criterion: str | None = None, on: str | None = None) -> Recorded:
    """Validate and append one sign-off to the sign-off file. Bad input raises PrepctlError."""
    phase = plan.phase(phase_id)
    name = name.strip()
    if not name:
        raise PrepctlError(Problem(file="--name", message="the name is empty"))
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise PrepctlError(Problem(file="--date", message=f"'{on}' is not a date",
                                   hint="write YYYY-MM-DD")) from None
    digest = None
    if criterion is not None:
        spec = next((c for c in phase.criteria if c.id == criterion), None)
        if spec is None:
            raise PrepctlError(Problem(file=str(plan.path), message=f"phase '{phase.id}' has no criterion "
                                       f"'{criterion}'", hint="criteria: " + ", ".join(c.id for c in phase.criteria)))
        wanted = spec.sign_off_role()
        if wanted is None:
            raise PrepctlError(Problem(file=str(plan.path), message=f"criterion '{criterion}' is a "
                                       f"{spec.kind} criterion, not a manual one", hint="only manual "
                                       "criteria take sign-offs; RFC approvals go without --criterion"))
        if role != wanted:
            raise PrepctlError(Problem(file="--as", message=f"criterion '{criterion}' needs a sign-off by "
                                       f"'{wanted}', not '{role}'"))
    else:
        rfc_spec = spec_for(phase)
        roles = required_roles(phase, rfc_spec)
        if not roles:
            raise PrepctlError(Problem(file=str(plan.path), message=f"phase '{phase.id}' names no approvers",
                                       hint="add approvers: (role, name) to the phase"))
        required = dict(roles)
        if role not in required:
            raise PrepctlError(Problem(file="--as", message=f"'{role}' is not an approver role of "
                                       f"{phase.id}", hint="roles: " + ", ".join(required)))
        if required[role] and required[role].casefold() != name.casefold():
            raise PrepctlError(Problem(file="--name", message=f"{role} of {phase.id} is "
                                       f"{required[role]}, not {name}",
                                       hint="change approvers: in phases.yaml if someone else signs"))
        path = rfc_path(plan, phase, rfc_spec)
        if not path.is_file():
            raise PrepctlError(Problem(file=str(path), message="the RFC does not exist yet",
                                       hint=f"render it first: prepctl render rfc {phase.id}"))
        digest = content_digest(path.read_text(encoding="utf-8"), str(path))
    for entry in load_signoffs(plan):
        if (entry.phase, entry.criterion, entry.role, entry.name.casefold(), entry.rfc_digest) == (
                phase.id, criterion, role, name.casefold(), digest):
            return Recorded(signoff_path(plan), phase.id, role, name, criterion, digest, already=True)
    written = append_signoff(plan, SignOff(phase=phase.id, criterion=criterion, role=role, name=name,
                                           email=email, date=day, rfc_digest=digest))
    return Recorded(written, phase.id, role, name, criterion, digest)
