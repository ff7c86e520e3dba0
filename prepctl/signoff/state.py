"""Who approved a phase's RFC, and which approvals are stale.

An approval older than the RFC's last *content* change is stale and does not count: approvers
signed what the RFC said then. A commit approval counts when its commit descends from the last
content change; a sign-file approval counts when it names the current content digest (or, for a
hand-written entry without one, when it is dated on or after the last content change).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from prepctl.plan.model import LoadedPlan, Phase
from prepctl.signoff.content import content_digest, digest_or_raw
from prepctl.signoff.git_approvals import FileHistory, file_history
from prepctl.signoff.signoffs_file import load_signoffs, signoff_path
from prepctl.signoff.spec import SignoffSpec, required_roles, rfc_path, spec_for


@dataclass(frozen=True)
class ContentChange:
    commit: str | None
    day: date | None
    uncommitted: bool = False

    def describe(self) -> str:
        if self.uncommitted:
            return "uncommitted changes in the work tree"
        return f"commit {self.commit[:10] if self.commit else '?'} on {self.day}"


@dataclass(frozen=True)
class Approval:
    role: str | None
    name: str
    email: str | None
    day: date
    source: str
    commit: str | None = None
    problem: str | None = None
    stale: bool = False

    @property
    def counts(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class RoleApproval:
    role: str
    required_name: str | None
    approvals: tuple[Approval, ...]

    @property
    def approved_by(self) -> Approval | None:
        return next((a for a in self.approvals if a.counts), None)

    @property
    def status(self) -> str:
        if self.approved_by is not None:
            return "approved"
        if any(a.stale for a in self.approvals):
            return "stale"
        return "missing"


@dataclass(frozen=True)
class SignoffState:
    phase: str
    rfc: Path
    rfc_label: str
    exists: bool
    in_git: bool
    last_change: ContentChange | None
    roles: tuple[RoleApproval, ...]
    #: Approvals that match no required role (wrong role name, unknown approver).
    unmatched: tuple[Approval, ...] = ()

    @property
    def complete(self) -> bool:
        return bool(self.roles) and all(r.status == "approved" for r in self.roles)

    @property
    def approved_count(self) -> int:
        return sum(r.status == "approved" for r in self.roles)


def signoff_state(plan: LoadedPlan, phase: Phase, spec: SignoffSpec | None = None,
                  text: str | None = None) -> SignoffState:
    """Who approved the phase's RFC, and which approvals are stale.

    ``text`` is the RFC as it is about to be written (a render checks its own sign-off table
    against what it writes); by default the file on disk.
    """
    spec = spec or spec_for(phase)
    path = rfc_path(plan, phase, spec)
    label = spec.rfc.replace("{phase}", phase.id)
    if text is None and path.is_file():
        text = path.read_text(encoding="utf-8")
    roles = required_roles(phase, spec)
    if text is None:
        return SignoffState(phase.id, path, label, False, False, None,
                            tuple(RoleApproval(r, n, ()) for r, n in roles))
    digest_now = content_digest(text, str(path))

    history = file_history(path, spec.trailer)
    last_change: ContentChange | None = None
    approvals: list[Approval] = []
    if history is not None:
        head = digest_or_raw(history.head_content) if history.head_content is not None else None
        if head != digest_now:
            last_change = ContentChange(None, None, uncommitted=True)
        else:
            digests = [digest_or_raw(v.content) if v.content is not None else None
                       for v in history.versions]
            for index, version in enumerate(history.versions):
                if index == len(digests) - 1 or digests[index + 1] != digests[index]:
                    last_change = ContentChange(version.commit, version.committed.date())
                    break
        for version in history.versions:
            for trailer in version.approvals:
                approval = Approval(role=trailer.role, name=trailer.name, email=trailer.email,
                                    day=version.committed.date(), commit=version.commit,
                                    source=f"commit {version.commit[:10]}")
                approvals.append(_judge_commit(approval, last_change, history))

    sign_file = signoff_path(plan)
    for entry in load_signoffs(plan):
        if entry.phase != phase.id or entry.criterion is not None:
            continue
        approval = Approval(role=entry.role, name=entry.name, email=entry.email, day=entry.date,
                            source=sign_file.name)
        approvals.append(_judge_file(approval, entry.rfc_digest, digest_now,
                                     last_change, history is not None))

    by_role: dict[str, list[Approval]] = {role: [] for role, _ in roles}
    unmatched: list[Approval] = []
    for approval in approvals:
        role = approval.role or _role_by_name(approval.name, roles)
        if role is None or role not in by_role:
            unmatched.append(approval)
            continue
        required = dict(roles)[role]
        if required and required.casefold() != approval.name.casefold() and approval.counts:
            approval = _with(approval, role=role, problem=f"{role} must be approved by {required}")
        by_role[role].append(_with(approval, role=role))
    return SignoffState(
        phase=phase.id, rfc=path, rfc_label=label, exists=True, in_git=history is not None,
        last_change=last_change,
        roles=tuple(RoleApproval(role, name, tuple(_ordered(by_role[role]))) for role, name in roles),
        unmatched=tuple(_ordered(unmatched)))


def _ordered(approvals: list[Approval]) -> list[Approval]:
    # Valid approvals first, then newest first: the table shows the one that counts.
    return sorted(approvals, key=lambda a: (not a.counts, -a.day.toordinal(), a.name, a.source))


def _with(approval: Approval, **changes: object) -> Approval:
    return replace(approval, **changes)  # type: ignore[arg-type]


def _role_by_name(name: str, roles: list[tuple[str, str | None]]) -> str | None:
    for role, required in roles:
        if required and required.casefold() == name.casefold():
            return role
    return None


def _judge_commit(approval: Approval, last_change: ContentChange | None, history: FileHistory) -> Approval:
    if last_change is None:
        return _with(approval, problem="cannot tell when the RFC last changed", stale=True)
    if last_change.uncommitted:
        return _with(approval, stale=True, problem="stale: the RFC has uncommitted content changes "
                     "made after this approval")
    assert approval.commit is not None and last_change.commit is not None
    if history.is_ancestor(last_change.commit, approval.commit):
        return approval
    return _with(approval, stale=True, problem=f"stale: approved at {approval.source} on {approval.day}, "
                 f"before the RFC's last content change ({last_change.describe()})")


def _judge_file(approval: Approval, digest: str | None, digest_now: str,
                last_change: ContentChange | None, in_git: bool) -> Approval:
    if digest is not None:
        if digest == digest_now:
            return approval
        since = f" ({last_change.describe()})" if last_change else ""
        return _with(approval, stale=True, problem=f"stale: approved on {approval.day} a version of the "
                     f"RFC whose content has changed since{since}")
    # A hand-written entry without a digest: compare dates, the best evidence there is.
    if last_change is None:
        return _with(approval, stale=True, problem="stale: cannot tell whether the RFC changed after "
                     "this approval (the RFC is not in git and the entry has no rfc_digest)")
    if last_change.uncommitted:
        return _with(approval, stale=True, problem="stale: the RFC has uncommitted content changes")
    assert last_change.day is not None
    if approval.day >= last_change.day:
        return approval
    return _with(approval, stale=True, problem=f"stale: approved on {approval.day}, before the RFC's "
                 f"last content change ({last_change.describe()})")
