"""`prepctl status`: every phase's state, evaluated now, read along the phase DAG."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from prepctl.evaluate import evaluate
from prepctl.plan import LoadedPlan
from prepctl.verdicts import PhaseResult, Status


@dataclass
class PhaseState:
    phase: str
    title: str
    weeks: str
    depends_on: list[str]
    status: Status
    state: str
    blocked_by: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def counts_text(self) -> str:
        return " ".join(f"{n} {s}" for s, n in sorted(self.counts.items()))

    def to_dict(self) -> dict[str, Any]:
        return {"phase": self.phase, "title": self.title, "weeks": self.weeks,
                "depends_on": self.depends_on, "status": self.status.value, "state": self.state,
                "blocked_by": self.blocked_by, "counts": self.counts}


def describe_state(result: PhaseResult, blocked_by: list[str]) -> str:
    """passed / ready / failing / blocked by X.

    `ready` means the dependencies passed and only sign-offs (manual or signoff criteria) are missing:
    everything a machine can check holds.
    """
    if blocked_by:
        return "blocked by " + ", ".join(blocked_by)
    if result.status is Status.PASS or result.status is Status.WARN:
        return "passed"
    open_required = [c for c in result.criteria if not c.advisory and c.status is not Status.PASS]
    if open_required and all(c.kind in ("manual", "signoff") and c.status is Status.FAIL for c in open_required):
        return "ready (awaiting sign-off)"
    return "failing"


def plan_status(plan: LoadedPlan) -> list[PhaseState]:
    order = plan.order()
    report = evaluate(plan, order)
    by_id = {r.phase: r for r in report.phases}
    passed: set[str] = set()
    rows = []
    for phase_id in order:
        phase = plan.phase(phase_id)
        result = by_id[phase_id]
        blocked_by = [d for d in phase.depends_on if d not in passed]
        state = describe_state(result, blocked_by)
        if state == "passed":
            passed.add(phase_id)
        rows.append(PhaseState(
            phase=phase_id, title=phase.title, weeks=str(phase.weeks), depends_on=phase.depends_on,
            status=result.status, state=state, blocked_by=blocked_by,
            counts=dict(Counter(c.status.value for c in result.criteria)),
        ))
    return rows
