"""`prepctl render rfc`: one RFC per phase, from phases.yaml and the gates' own evaluation.

The RFC's sign-off table is checked against the very text being written: approvals of an
earlier content show as stale in the document that changed it. Because the sign-off and verdict
regions are excluded from the content digest (see ``prepctl.signoff.content``), rendering is a fixed point:
rendering again with nothing changed writes the same bytes.

The document is stable whatever order edit, render and commit happen in: facts about the RFC
file itself that a commit changes (its own git state: "uncommitted changes", "commit X on DAY")
are never written into it. The sign-off section names the content by its digest instead, which
only a content change moves; `prepctl gate PHASE` still reports the commit. Paths in evidence
are written relative to the plan's folder, so a clone elsewhere renders the same bytes.
`render rfc --check` compares what approvers sign (every region but the state-reporting ones,
``RFC_VOLATILE_REGIONS``: status, verdicts, sign-offs, which change with the monolith and the
approvals, not with an edit).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePath

from prepctl.documents import output
from prepctl.documents.engine import Renderer
from prepctl.documents.output import DocFormat, Planned
from prepctl.documents.views import ICONS, CriterionView, DateRange, EvidenceView, criterion_views, phase_dates
from prepctl.errors import GateError, PrepctlError, Problem
from prepctl.evaluate import Evaluation
from prepctl.fileio import output_target
from prepctl.plan.model import LoadedPlan, Phase
from prepctl.secrets import redact
from prepctl.signoff.content import RFC_VOLATILE_REGIONS, content_digest
from prepctl.signoff.spec import SignoffSpec, required_roles, rfc_path, spec_for
from prepctl.signoff.state import Approval, RoleApproval, SignoffState, signoff_state
from prepctl.signoff.verdict import state_verdict
from prepctl.sources import regions
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
    #: Where the verdicts come from: "" when evaluated by this render, else the recorded gate run.
    source: str = ""


def signoff_table(state: SignoffState, digest: str | None = None) -> SignoffTable:
    """The sign-off section. ``digest`` (the content digest of the text being written) names the
    content; without it the file's own git state is described, as `prepctl gate` does."""
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
    if not state.in_git:
        last = "unknown (the RFC is not in git)"
    elif digest is not None:
        # Not the commit: the render before a commit and the one after must write the same bytes.
        last = (f"in the commit that brought content digest `{digest}` (`prepctl gate {state.phase}` "
                "names it)")
    else:
        last = state.last_change.describe() if state.last_change else "not committed yet"
    return SignoffTable(tuple(rows), unmatched, state.approved_count, len(state.roles), state.complete,
                        last, state.rfc_label, state.in_git)


def rfc_status(state: SignoffState) -> str:
    if state.complete:
        return "Approved"
    if any(r.approvals for r in state.roles):
        return "In review"
    return "Draft"


STALE_IN_DOCUMENT = "stale: approved an earlier content of this RFC"


def stable_state(state: SignoffState) -> SignoffState:
    """The sign-off state without the RFC file's own git state, for the document itself.

    Whether an approval is stale does not change when the RFC is committed (an approval from
    before uncommitted content is still from before that content once it is committed), but the
    wording did ("uncommitted changes" / "commit X"), so the document says it one way.
    """
    def steady(approval: Approval) -> Approval:
        return replace(approval, problem=STALE_IN_DOCUMENT) if approval.stale else approval

    return replace(
        state, last_change=None,
        roles=tuple(RoleApproval(r.role, r.required_name, tuple(steady(a) for a in r.approvals))
                    for r in state.roles),
        unmatched=tuple(steady(a) for a in state.unmatched))


def relative_paths(plan: LoadedPlan, criteria: tuple[CriterionView, ...]) -> tuple[CriterionView, ...]:
    """Absolute paths of this checkout, written relative: an absolute path would make every clone
    render a different document. Evidence locations under the monolith's root or the plan's
    folder become relative to it; in summaries and evidence text, the plan's folder and the
    root become paths relative to the plan's folder."""
    home = plan.config_dir.resolve()
    bases = sorted({plan.config_dir, plan.root, home, plan.root.resolve()}, key=lambda b: len(str(b)),
                   reverse=True)
    # A base is replaced where it names a folder: /work/main must not match inside /work/main2.
    patterns = [(re.compile(re.escape(str(base).rstrip("/")) + r"(/|(?![\w.-]))"),
                 os.path.relpath(base.resolve(), home)) for base in bases if str(base) != "/"]

    def relative(location: str) -> str:
        for base in bases:
            prefix = str(base).rstrip("/") + "/"
            if location.startswith(prefix):
                return PurePath(location[len(prefix):]).as_posix()
        return text(location)

    def swap(rel: str, match: re.Match[str]) -> str:
        if match[1] == "/":
            return "" if rel == "." else rel + "/"
        return rel

    def text(value: str) -> str:
        for pattern, rel in patterns:
            value = pattern.sub(partial(swap, rel), value)
        return value

    def fixed(view: EvidenceView) -> EvidenceView:
        return replace(view, location=relative(view.location), label=text(view.label), value=text(view.value),
                       expected=text(view.expected))

    return tuple(replace(c, summary=text(c.summary), evidence=tuple(fixed(e) for e in c.evidence))
                 for c in criteria)


def build_view(plan: LoadedPlan, phase: Phase, result: PhaseResult, state: SignoffState,
               digest: str | None = None, source: str = "") -> RfcView:
    required = [c for c in result.criteria if not c.advisory]
    titles = {p.id: p.title for p in plan.phases}
    return RfcView(
        plan_name=redact(plan.model.name), id=phase.id, title=redact(phase.title),
        rfc_status=rfc_status(state), gate_status=result.status.value, gate_icon=ICONS[result.status],
        passing=sum(c.status is Status.PASS for c in required), required=len(required),
        owners=tuple(phase.owners), approvers=tuple((a.role, a.name or "") for a in phase.approvers),
        dates=phase_dates(plan, phase), depends_on=tuple((d, titles.get(d, "")) for d in phase.depends_on),
        tasks=tuple(phase.tasks), deliverables=tuple(phase.deliverables), risks=tuple(phase.risks),
        rollback_flags=tuple(phase.rollback_flags),
        criteria=relative_paths(plan, criterion_views(phase, result)),
        signoffs=signoff_table(state, digest), source=source)


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
                out: Path | None = None, evaluation: Evaluation | None = None) -> list[Planned]:
    """Plan the RFC of each phase (nothing is written here), from the invocation's one
    ``evaluation`` (each criterion checked at most once, whatever phases are rendered)."""
    renderer = Renderer(plan.config_dir)
    evaluation = evaluation or Evaluation(plan)
    report = evaluation.report(phase_ids)
    planned = []
    for result in report.phases:
        phase = plan.phase(result.phase)
        target = target_path(plan, phase, fmt, out, many=len(phase_ids) > 1)
        output_target(target)  # a FIFO, device or dangling link: refused before it is read
        planned.append(_render_one(plan, phase, result, target, fmt, renderer, evaluation.source))
    return planned


def _render_one(plan: LoadedPlan, phase: Phase, result: PhaseResult, target: Path, fmt: DocFormat,
                renderer: Renderer, source: str = "") -> Planned:
    specs = [s for s in phase.criteria if isinstance(s, SignoffSpec)] or [spec_for(phase)]
    main_spec = specs[0]

    def rendered(state_for: dict[str, SignoffState], digest: str | None = None) -> str:
        judged = _with_signoff_verdicts(result, phase, state_for, strict=False)
        view = build_view(plan, phase, judged, state_for[main_spec.id], digest, source)
        return renderer.render(TEMPLATE, rfc=view, max_evidence=MAX_EVIDENCE)

    if fmt is DocFormat.html:
        states = {s.id: signoff_state(plan, phase, s) for s in specs}
        markdown = rendered(states)
        html = output.html_document(renderer, markdown,
                                       output.first_heading(markdown, f"RFC {phase.id}"))
        return output.plan_html(target, html)
    # Pass 1 fixes the content; pass 2 fills in the sign-offs judged against that content.
    first = output.plan_markdown(target, rendered({s.id: _placeholder_state(plan, phase, s) for s in specs}))
    states = {s.id: stable_state(signoff_state(plan, phase, s, text=first.new)) for s in specs}
    return output.plan_markdown(target, rendered(states, content_digest(first.new, str(target))))


@dataclass(frozen=True)
class RfcCheck:
    """What `render rfc --check` prints and exits with (nothing is written)."""

    stdout: str
    stderr: str
    #: 1 when an RFC's content is stale, else 0.
    exit_code: int


def check_rfcs(phase_ids: list[str], planned: list[Planned], fmt: DocFormat) -> RfcCheck:
    """The `render rfc --check` use case: a unified diff for each RFC whose signed content is
    stale, "is up to date" for the others, and one line on stderr per stale RFC naming the fix."""
    stale = [(phase_id, item) for phase_id, item in zip(phase_ids, planned, strict=True)
             if content_changed(item, fmt)]
    stale_items = [item for _, item in stale]
    out = [item.diff(item.path.name) for item in stale_items]
    out += [f"{item.path} is up to date\n" for item in planned if all(item is not s for s in stale_items)]
    err = [f"prepctl: {item.path} is stale; run `prepctl render rfc {phase_id}`\n" for phase_id, item in stale]
    return RfcCheck("".join(out), "".join(err), 1 if stale else 0)


def content_changed(planned: Planned, fmt: DocFormat) -> bool:
    """Whether writing ``planned`` would change what approvers sign: any region but the
    state-reporting ones, or any hand-written text. Live verdicts and approvals do not count."""
    if planned.old is None:
        return True
    if fmt is not DocFormat.markdown:
        return planned.changed  # an HTML page is generated whole

    def content(text: str) -> str:
        return regions.without_bodies(text, RFC_VOLATILE_REGIONS, str(planned.path))
    return content(planned.old) != content(planned.new)
