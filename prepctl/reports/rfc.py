"""`prepctl render rfc`: one RFC per phase, from phases.yaml and the gates' own evaluation.

The RFC's sign-off table is checked against the very text being written: approvals of an
earlier content show as stale in the document that changed it. Because the sign-off and verdict
regions are excluded from the content digest (see ``gates.signoff``), rendering is a fixed point:
rendering again with nothing changed writes the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from prepctl.errors import GateError, PrepctlError, Problem
from prepctl.evaluate import evaluate
from prepctl.gates.signoff import SignoffSpec, SignoffState, rfc_path, signoff_state, spec_for, state_verdict
from prepctl.plan import LoadedPlan, Phase
from prepctl.reports import documents
from prepctl.reports.documents import DocFormat, Planned
from prepctl.reports.engine import Renderer
from prepctl.reports.views import ICONS, CriterionView, DateRange, criterion_views, phase_dates
from prepctl.secrets import redact
from prepctl.verdicts import CriterionResult, PhaseResult, Status, Verdict, phase_status

TEMPLATE = "rfc.md.j2"
MAX_EVIDENCE = 20


@dataclass(frozen=True)
class SignoffRow:
    role: str
    required_name: str
    status: str
    name: str
    day: str
    source: str
    note: str


@dataclass(frozen=True)
class SignoffTable:
    rows: tuple[SignoffRow, ...]
    unmatched: tuple[SignoffRow, ...]
    approved: int
    required: int
    complete: bool
    last_change: str
    rfc: str
    in_git: bool


@dataclass(frozen=True)
class RfcView:
    plan_name: str
    id: str
    title: str
    rfc_status: str
    gate_status: str
    gate_icon: str
    passing: int
    required: int
    owners: tuple[str, ...]
    approvers: tuple[tuple[str, str], ...]
    dates: DateRange
    depends_on: tuple[tuple[str, str], ...]
    tasks: tuple[str, ...]
    deliverables: tuple[str, ...]
    risks: tuple[str, ...]
    rollback_flags: tuple[str, ...]
    criteria: tuple[CriterionView, ...]
    signoffs: SignoffTable


def signoff_table(state: SignoffState) -> SignoffTable:
    rows = []
    for role in state.roles:
        shown = role.approved_by or (role.approvals[0] if role.approvals else None)
        rows.append(SignoffRow(
            role=role.role, required_name=role.required_name or "", status=role.status,
            name=shown.name if shown else "", day=shown.day.isoformat() if shown else "",
            source=shown.source if shown else "",
            note="" if shown is None or shown.counts else (shown.problem or "")))
    unmatched = tuple(SignoffRow(role=a.role or "", required_name="", status="not counted", name=a.name,
                                 day=a.day.isoformat(), source=a.source, note="matches no required role")
                      for a in state.unmatched)
    last = state.last_change.describe() if state.last_change else (
        "unknown (the RFC is not in git)" if not state.in_git else "not committed yet")
    return SignoffTable(tuple(rows), unmatched, state.approved_count, len(state.roles), state.complete,
                        last, state.rfc_label, state.in_git)


def rfc_status(state: SignoffState) -> str:
    if state.complete:
        return "Approved"
    if any(r.approvals for r in state.roles):
        return "In review"
    return "Draft"


def build_view(plan: LoadedPlan, phase: Phase, result: PhaseResult, state: SignoffState) -> RfcView:
    required = [c for c in result.criteria if not c.advisory]
    titles = {p.id: p.title for p in plan.phases}
    return RfcView(
        plan_name=redact(plan.model.name), id=phase.id, title=redact(phase.title),
        rfc_status=rfc_status(state), gate_status=result.status.value, gate_icon=ICONS[result.status],
        passing=sum(c.status is Status.PASS for c in required), required=len(required),
        owners=tuple(phase.owners), approvers=tuple((a.role, a.name or "") for a in phase.approvers),
        dates=phase_dates(plan, phase), depends_on=tuple((d, titles.get(d, "")) for d in phase.depends_on),
        tasks=tuple(phase.tasks), deliverables=tuple(phase.deliverables), risks=tuple(phase.risks),
        rollback_flags=tuple(phase.rollback_flags), criteria=criterion_views(phase, result),
        signoffs=signoff_table(state))


def _with_signoff_verdicts(result: PhaseResult, phase: Phase, state_for: dict[str, SignoffState],
                           strict: bool) -> PhaseResult:
    """Replace `signoff` verdicts with ones judged against the text being written."""
    criteria: list[CriterionResult] = []
    for crit in result.criteria:
        spec = next(s for s in phase.criteria if s.id == crit.id)
        if isinstance(spec, SignoffSpec):
            try:
                verdict = state_verdict(state_for[spec.id])
            except GateError as exc:
                verdict = Verdict.of(Status.ERROR, str(exc))
            crit = replace(crit, verdict=verdict, seconds=0.0)
        criteria.append(crit)
    return replace(result, criteria=criteria, status=phase_status(criteria, strict))


def _placeholder_state(plan: LoadedPlan, phase: Phase, spec: SignoffSpec) -> SignoffState:
    from prepctl.gates.signoff import RoleApproval, required_roles

    return SignoffState(phase.id, rfc_path(plan, phase, spec), spec.rfc.replace("{phase}", phase.id),
                        False, False, None,
                        tuple(RoleApproval(r, n, ()) for r, n in required_roles(phase, spec)))


def target_path(plan: LoadedPlan, phase: Phase, fmt: DocFormat, out: Path | None, many: bool) -> Path:
    """Where one phase's RFC goes: the signoff criterion's `rfc:` path unless --out says otherwise."""
    default = rfc_path(plan, phase)
    if fmt is DocFormat.html:
        default = default.with_suffix(".html")
    if out is None:
        return default
    if many:
        if out.exists() and not out.is_dir():
            raise PrepctlError(Problem(file=str(out), message="is not a folder",
                                       hint="with --all, --out names a folder (or - for stdout)"))
        return out / default.name
    return out


def render_rfcs(plan: LoadedPlan, phase_ids: list[str], fmt: DocFormat = DocFormat.markdown,
                out: Path | None = None) -> list[Planned]:
    """Plan the RFC of each phase (nothing is written here)."""
    renderer = Renderer(plan.config_dir)
    report = evaluate(plan, phase_ids)
    planned = []
    for result in report.phases:
        phase = plan.phase(result.phase)
        target = target_path(plan, phase, fmt, out, many=len(phase_ids) > 1)
        planned.append(_render_one(plan, phase, result, target, fmt, renderer))
    return planned


def _render_one(plan: LoadedPlan, phase: Phase, result: PhaseResult, target: Path, fmt: DocFormat,
                renderer: Renderer) -> Planned:
    specs = [s for s in phase.criteria if isinstance(s, SignoffSpec)] or [spec_for(phase)]
    main_spec = specs[0]

    def rendered(state_for: dict[str, SignoffState]) -> str:
        judged = _with_signoff_verdicts(result, phase, state_for, strict=False)
        view = build_view(plan, phase, judged, state_for[main_spec.id])
        return renderer.render(TEMPLATE, rfc=view, max_evidence=MAX_EVIDENCE)

    if fmt is DocFormat.html:
        states = {s.id: signoff_state(plan, phase, s) for s in specs}
        markdown = rendered(states)
        html = documents.html_document(renderer, markdown,
                                       documents.first_heading(markdown, f"RFC {phase.id}"))
        return documents.plan_html(target, html)
    # Pass 1 fixes the content; pass 2 fills in the sign-offs judged against that content.
    first = documents.plan_markdown(target, rendered({s.id: _placeholder_state(plan, phase, s) for s in specs}))
    states = {s.id: signoff_state(plan, phase, s, text=first.new) for s in specs}
    return documents.plan_markdown(target, rendered(states))
