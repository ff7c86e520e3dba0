"""`prepctl status`: every phase's state, evaluated now, read along the phase DAG."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from prepctl.evaluate import Evaluation
from prepctl.plan.model import LoadedPlan, Phase
from prepctl.verdicts import PhaseResult, Status


@dataclass(frozen=True)
class Schedule:
    """Where a phase stands against the plan's calendar on a given day."""

    start: date
    end: date
    #: done | overdue | late start | in progress | upcoming
    state: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "state": self.state,
                "text": self.text}


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def schedule_of(start: date, end: date, passed: bool, started: bool, today: date) -> Schedule:
    """``started``: the phase's dependencies have passed, so work on it can have begun."""
    def day(d: date) -> str:
        return f"{d:%b} {d.day}"

    if passed:
        return Schedule(start, end, "done", f"done (planned to end {day(end)})")
    if today > end:
        return Schedule(start, end, "overdue", f"{_days((today - end).days)} overdue (end {day(end)})")
    if today >= start and not started:
        return Schedule(start, end, "late start", f"{_days((today - start).days)} late (start {day(start)})")
    if today >= start:
        return Schedule(start, end, "in progress", f"ends {day(end)} (in {_days((end - today).days)})")
    return Schedule(start, end, "upcoming", f"starts {day(start)} (in {_days((start - today).days)})")


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
    schedule: Schedule | None = None  # None when phases.yaml has no start_date

    def counts_text(self) -> str:
        return " ".join(f"{n} {s}" for s, n in sorted(self.counts.items()))

    def to_dict(self) -> dict[str, Any]:
        return {"phase": self.phase, "title": self.title, "weeks": self.weeks,
                "depends_on": self.depends_on, "status": self.status.value, "state": self.state,
                "blocked_by": self.blocked_by, "counts": self.counts,
                "schedule": self.schedule.to_dict() if self.schedule else None}


def describe_state(phase: Phase, result: PhaseResult, blocked_by: list[str]) -> str:
    """passed / ready / failing / blocked by X.

    `ready` means the dependencies passed and only sign-offs (criteria that need a person) are missing:
    everything a machine can check holds.
    """
    if blocked_by:
        return "blocked by " + ", ".join(blocked_by)
    if result.status is Status.PASS or result.status is Status.WARN:
        return "passed"
    open_required = [c for c in result.criteria if not c.advisory and c.status is not Status.PASS]
    by_person = {spec.id for spec in phase.criteria if spec.needs_person}
    if open_required and all(c.id in by_person and c.status is Status.FAIL for c in open_required):
        return "ready (awaiting sign-off)"
    return "failing"


@dataclass(frozen=True)
class PhaseStanding:
    state: str
    blocked_by: list[str]
    schedule: Schedule | None


def standings(plan: LoadedPlan, results: dict[str, PhaseResult], today: date) -> dict[str, PhaseStanding]:
    """Each phase's state read along the DAG (a phase is blocked until its dependencies passed),
    and its schedule on ``today`` when the plan has a start_date."""
    passed: set[str] = set()
    found = {}
    for phase_id in plan.order():
        phase = plan.phase(phase_id)
        blocked_by = [d for d in phase.depends_on if d not in passed]
        state = describe_state(phase, results[phase_id], blocked_by)
        if state == "passed":
            passed.add(phase_id)
        dates = plan.dates_of(phase)
        schedule = schedule_of(*dates, state == "passed", not blocked_by, today) if dates else None
        found[phase_id] = PhaseStanding(state, blocked_by, schedule)
    return found


def plan_status(plan: LoadedPlan, today: date | None = None,
                evaluation: Evaluation | None = None) -> list[PhaseState]:
    """Every phase's state, in dependency order; with a start_date also its schedule on ``today``.
    ``evaluation``: the invocation's one evaluation (or a recorded run's)."""
    order = plan.order()
    report = (evaluation or Evaluation(plan)).report(order)
    by_id = {r.phase: r for r in report.phases}
    rows = []
    for phase_id, standing in standings(plan, by_id, today or date.today()).items():
        phase = plan.phase(phase_id)
        result = by_id[phase_id]
        rows.append(PhaseState(
            phase=phase_id, title=phase.title, weeks=str(phase.weeks), depends_on=phase.depends_on,
            status=result.status, state=standing.state, blocked_by=standing.blocked_by,
            counts=dict(Counter(c.status.value for c in result.criteria)), schedule=standing.schedule,
        ))
    return rows
