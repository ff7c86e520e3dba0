"""What a gate returns, and how criterion verdicts roll up into a phase result."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


class Status(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Metric:
    """A number a gate measured. Documents chart and tabulate metrics whatever the gate's kind,
    so a plugin gate that fills one gets a dashboard chart without any document knowing it."""

    #: What was measured, the same in every run: one chart follows one name.
    name: str
    value: float
    unit: str = ""
    #: The bound as the plan states it, e.g. "pass if <= 0.8".
    objective: str | None = None
    #: The bound as a number, drawn as a line on the chart.
    threshold: float | None = None
    #: Which way is better: "lower" (latency, open defects) or "higher" (availability).
    direction: Literal["lower", "higher"] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: val for key, val in vars(self).items() if val is not None and val != ""}

    @classmethod
    def from_dict(cls, data: object) -> Metric | None:
        """A recorded metric, or None when the record is not one (history is read, never trusted)."""
        if not isinstance(data, dict):
            return None
        value, threshold = data.get("value"), data.get("threshold")
        if not _is_number(value) or not (threshold is None or _is_number(threshold)):
            return None
        direction = data.get("direction")
        return cls(name=str(data.get("name") or ""), value=float(value), unit=str(data.get("unit") or ""),
                   objective=None if data.get("objective") is None else str(data["objective"]),
                   threshold=None if threshold is None else float(threshold),
                   direction=direction if direction in ("lower", "higher") else None)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Evidence:
    """One thing a gate looked at: where it was, what it held and what was expected."""

    label: str
    path: str | None = None
    line: int | None = None
    value: Any = None
    expected: Any = None
    revision: str | None = None
    url: str | None = None
    #: The number measured here, when there is one to chart.
    metric: Metric | None = None
    #: This item's own status, when it differs from the criterion's (a failing import contract
    #: also lists its accepted violations and scan warnings). None: the criterion's status.
    status: Status | None = None
    #: Accepted in a ratchet baseline: a known finding, listed but never reported as a problem
    #: (SARIF: a suppressed result; github: the step summary, not an annotation). Its status
    #: says how it would read if it were not accepted (``warn`` for a baselined violation).
    baselined: bool = False

    @property
    def location(self) -> str | None:
        if self.path is None:
            return None
        return f"{self.path}:{self.line}" if self.line else self.path

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label}
        for key in ("path", "line", "value", "expected", "revision", "url"):
            val = getattr(self, key)
            if val is not None:
                out[key] = val
        if self.metric is not None:
            out["metric"] = self.metric.to_dict()
        if self.status is not None:
            out["status"] = self.status.value
        if self.baselined:
            out["baselined"] = True
        return out

    def status_in(self, criterion: Status, advisory: bool = False) -> Status:
        """How this item reads inside a criterion of status ``criterion``: its own status when it
        has one, else the criterion's. Under an advisory criterion a fail reads as a warning (it
        never blocks); an error stays an error (unknown must not look fine)."""
        status = self.status or criterion
        if advisory and status is Status.FAIL:
            return Status.WARN
        return status


@dataclass(frozen=True)
class Verdict:
    status: Status
    summary: str
    evidence: tuple[Evidence, ...] = ()

    @classmethod
    def of(cls, status: Status, summary: str, evidence: Iterable[Evidence] = ()) -> Verdict:
        return cls(status, summary, tuple(evidence))


@dataclass(frozen=True)
class CriterionResult:
    id: str
    kind: str
    title: str
    advisory: bool
    verdict: Verdict
    seconds: float = 0.0

    @property
    def status(self) -> Status:
        return self.verdict.status


#: Every status, worst first: the one ordering prepctl combines statuses by (phases, the whole
#: report, a criterion judged from several sources or objectives).
#:
#: - ``fail`` outranks ``error``: a failing criterion blocks the phase whatever the others say,
#:   while an error only says we could not tell. Exit codes agree where it matters: any fail
#:   makes the run exit 1 rather than 2, so a known breakage is never reported as "unknown".
#: - ``skip`` (a live criterion at a past revision) ranks above ``warn``: nothing was checked,
#:   so it must not read as a pass; it exits 2 like ``error``.
#: - ``warn`` only blocks under ``--strict`` (which turns it into ``fail`` before ranking).
WORST_FIRST = (Status.FAIL, Status.ERROR, Status.SKIP, Status.WARN, Status.PASS)


def worst(statuses: Iterable[Status]) -> Status:
    """The worst of ``statuses`` by :data:`WORST_FIRST`; ``error`` when there are none (nothing
    was judged, so nothing may pass)."""
    found = set(statuses)
    return next((status for status in WORST_FIRST if status in found), Status.ERROR)


class Judged(Protocol):
    """What a phase's roll-up reads of a criterion: a live result or a recorded one."""

    @property
    def status(self) -> Status: ...

    @property
    def advisory(self) -> bool: ...


def phase_status(results: Iterable[Judged], strict: bool = False) -> Status:
    """Roll criterion verdicts up: a phase passes only if every required criterion passes.

    Advisory criteria are shown but never block. With ``strict`` a warning fails the phase.
    A phase with no required criterion cannot pass: there is nothing to believe.
    """
    required = [r.status for r in results if not r.advisory]
    if not required:
        return Status.ERROR
    if strict:
        required = [Status.FAIL if s is Status.WARN else s for s in required]
    return worst(required)


@dataclass
class PhaseResult:
    phase: str
    title: str
    status: Status
    criteria: list[CriterionResult] = field(default_factory=list)
    revision: str | None = None


@dataclass
class GateReport:
    """The result of one `prepctl gate` invocation: one or more phases."""

    phases: list[PhaseResult]
    status: Status
    config_path: str
    root: str
    revision: str | None = None
    strict: bool = False


def overall_status(statuses: Iterable[Status]) -> Status:
    """The whole report's status: the worst phase's."""
    return worst(statuses)


EXIT_CODES = {Status.PASS: 0, Status.WARN: 0, Status.FAIL: 1, Status.ERROR: 2, Status.SKIP: 2}


def exit_code(status: Status) -> int:
    """0 pass (and warn unless --strict, which already turned it into fail), 1 fail, 2 error."""
    return EXIT_CODES[status]


def first_few(names: Sequence[str], limit: int) -> str:
    """``a, b, c and 4 more``: the names a summary line has room for."""
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown
