"""Gate kind `signoff`: the phase's RFC is approved by every required approver role.

    - id: rfc-signed-off
      kind: signoff
      title: RFC signed off by the phase's approvers
      rfc: docs/rfc/{phase}.md      # relative to phases.yaml (this is the default)
      roles: [tech-lead, dba]       # default: the roles under the phase's approvers:

Approvals come from git trailers ``Approved-by: Name <email>`` on commits that touch the RFC
(the role is the approver whose ``name`` matches, or given as ``Approved-by: Name <email> (role)``)
and from the sign-off file (``prepctl signoff PHASE --as ROLE --name NAME``).

An approval older than the RFC's last *content* change is stale and does not count: approvers
signed what the RFC said then. What counts as content: everything except the generated regions
that only report state (current status, verdicts, the sign-off table), so re-rendering today's
verdicts does not void yesterday's approvals, while changing a task, a date or a criterion does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from prepctl.errors import GateError, PrepctlError
from prepctl.gates.base import Gate, GateContext
from prepctl.plan import CriterionSpec, LoadedPlan, Phase
from prepctl.verdicts import Evidence, Status, Verdict

if TYPE_CHECKING:
    from prepctl.sources.approvals import FileHistory

DEFAULT_RFC = "docs/rfc/{phase}.md"
#: RFC regions that report state rather than what was agreed; they are not "content".
RFC_VOLATILE_REGIONS = frozenset({"status", "verdicts", "signoffs"})


class SignoffSpec(CriterionSpec):
    kind: Literal["signoff"]
    rfc: str = Field(DEFAULT_RFC, description="The RFC file, relative to phases.yaml; "
                     "{phase} is replaced by the phase id.")
    roles: list[str] | None = Field(None, min_length=1, description="Roles that must approve "
                                    "(default: every role under the phase's approvers).")
    trailer: str = Field("Approved-by", pattern=r"^[A-Za-z][A-Za-z0-9-]*$",
                         description="The commit trailer that records an approval.")


def default_spec() -> SignoffSpec:
    return SignoffSpec(id="rfc-signed-off", kind="signoff", title="RFC signed off")


def spec_for(phase: Phase) -> SignoffSpec:
    """The phase's `signoff` criterion, or the defaults when it declares none."""
    for spec in phase.criteria:
        if isinstance(spec, SignoffSpec):
            return spec
    return default_spec()


def rfc_path(plan: LoadedPlan, phase: Phase, spec: SignoffSpec | None = None) -> Path:
    spec = spec or spec_for(phase)
    return plan.config_dir / spec.rfc.replace("{phase}", phase.id)


def content_digest(text: str, file: str = "<rfc>") -> str:
    """A hash of what approvers agreed to: the RFC without its state-reporting regions."""
    from prepctl.sources import regions

    normal = text.replace("\r\n", "\n")
    content = regions.without_bodies(normal, RFC_VOLATILE_REGIONS, file)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def _digest_or_raw(text: str) -> str:
    # Old versions in git may have broken markers; they still count as a distinct content.
    try:
        return content_digest(text)
    except PrepctlError:
        return "raw:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


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


def required_roles(phase: Phase, spec: SignoffSpec) -> list[tuple[str, str | None]]:
    names = {a.role: a.name for a in phase.approvers}
    roles = spec.roles or list(dict.fromkeys(a.role for a in phase.approvers))
    return [(role, names.get(role)) for role in roles]


def signoff_state(plan: LoadedPlan, phase: Phase, spec: SignoffSpec | None = None,
                  text: str | None = None) -> SignoffState:
    """Who approved the phase's RFC, and which approvals are stale.

    ``text`` is the RFC as it is about to be written (a render checks its own sign-off table
    against what it writes); by default the file on disk.
    """
    from prepctl.sources.approvals import file_history
    from prepctl.sources.signoffs import load_signoffs, signoff_path

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
        head = _digest_or_raw(history.head_content) if history.head_content is not None else None
        if head != digest_now:
            last_change = ContentChange(None, None, uncommitted=True)
        else:
            digests = [_digest_or_raw(v.content) if v.content is not None else None
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
        approvals.append(_judge_file(approval, getattr(entry, "rfc_digest", None), digest_now,
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
    from dataclasses import replace

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


class SignoffGate(Gate[SignoffSpec]):
    kind = "signoff"
    options = SignoffSpec

    def check(self, spec: SignoffSpec, phase: Phase, ctx: GateContext) -> Verdict:
        return state_verdict(signoff_state(ctx.plan, phase, spec))


# ---------------------------------------------------------------- recording (`prepctl signoff`)


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
    from prepctl.errors import Problem
    from prepctl.sources.signoffs import SignOff, append_signoff, load_signoffs, signoff_path

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
        wanted = getattr(spec, "role", None)
        if spec.kind != "manual" or wanted is None:
            raise PrepctlError(Problem(file=str(plan.path), message=f"criterion '{criterion}' is a "
                                       f"{spec.kind} criterion, not a manual one", hint="only manual "
                                       "criteria take sign-offs; RFC approvals go without --criterion"))
        if role != wanted:
            raise PrepctlError(Problem(file="--as", message=f"criterion '{criterion}' needs a sign-off by "
                                       f"'{wanted}', not '{role}'"))
    else:
        spec_s = spec_for(phase)
        roles = required_roles(phase, spec_s)
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
        path = rfc_path(plan, phase, spec_s)
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
